//! The TLS decoder's ladder labels, counted when alike in a row and made
//! only when a ladder is wanted.

use crate::app::label::Label;

/// A step of the ladder and how many like it came in a row: the
/// decoder's own labels are counted (`×n`); a sink's pass as they are,
/// as they would in the clear.
pub(super) struct Labels {
    pub(super) steps: Vec<(Label, u32, bool)>,
    /// Off: nothing is kept and no text is made.
    pub(super) on: bool,
}

impl Labels {
    // Inlined so that without a ladder a record costs one test of `on`.
    #[inline]
    pub(super) fn push(&mut self, text: impl FnOnce() -> String) {
        if !self.on {
            return;
        }
        let text = text();
        match self.steps.last_mut() {
            Some((last, n, true)) if last.text == text => *n += 1,
            _ => self.steps.push((Label::text(text), 1, true)),
        }
    }

    #[inline]
    pub(super) fn push_sink(&mut self, label: Label) {
        if self.on {
            self.steps.push((label, 1, false));
        }
    }

    pub(super) fn emit(self, label: &mut impl FnMut(Label)) {
        for (mut l, n, _) in self.steps {
            if n > 1 {
                l.text = format!("{} ×{n}", l.text);
            }
            label(l);
        }
    }
}
