//! The times a capture spans, noted as its frames go by.
//!
//! A caller that writes a header before the analysis and a trailer after it
//! (Zeek's `#open` and `#close`) wants the capture's own first and last
//! times, which are known only as the frames are read. [`Spanned`] passes a
//! source's frames on unchanged and notes their times in a [`FrameSpan`]
//! the caller keeps a handle to.

use std::cell::Cell;
use std::rc::Rc;

use super::{CaptureAnomalies, Error, Frame, FrameSource, Timestamp};

/// The first and last frame times seen so far (shared handle).
#[derive(Clone, Debug, Default)]
pub struct FrameSpan(Rc<Times>);

#[derive(Debug, Default)]
struct Times {
    first: Cell<Option<Timestamp>>,
    last: Cell<Option<Timestamp>>,
}

impl FrameSpan {
    /// The first frame's time, once a frame was read.
    pub fn first(&self) -> Option<Timestamp> {
        self.0.first.get()
    }

    /// The latest frame's time, once a frame was read.
    pub fn last(&self) -> Option<Timestamp> {
        self.0.last.get()
    }
}

/// A [`FrameSource`] that notes the time of every frame it passes on.
pub struct Spanned<'a, S: ?Sized> {
    inner: &'a mut S,
    span: FrameSpan,
    started: bool,
}

impl<'a, S: FrameSource + ?Sized> Spanned<'a, S> {
    /// Wraps `inner`; its frames' times go to the returned span's handle.
    pub fn new(inner: &'a mut S) -> (Self, FrameSpan) {
        let span = FrameSpan::default();
        let handle = span.clone();
        let spanned = Spanned {
            inner,
            span,
            started: false,
        };
        (spanned, handle)
    }
}

impl<S: FrameSource + ?Sized> FrameSource for Spanned<'_, S> {
    #[inline]
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error> {
        let frame = self.inner.next_frame()?;
        if let Some(f) = &frame {
            // One store per frame; the first time once.
            self.span.0.last.set(Some(f.ts));
            if !self.started {
                self.started = true;
                self.span.0.first.set(Some(f.ts));
            }
        }
        Ok(frame)
    }

    fn anomalies(&self) -> &CaptureAnomalies {
        self.inner.anomalies()
    }

    fn is_live(&self) -> bool {
        self.inner.is_live()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::LinkType;

    /// Frames at the given times, from memory.
    struct Times(Vec<i64>, usize, CaptureAnomalies);

    impl FrameSource for Times {
        fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error> {
            let Some(&t) = self.0.get(self.1) else {
                return Ok(None);
            };
            self.1 += 1;
            Ok(Some(Frame {
                number: self.1 as u64,
                ts: Timestamp(t),
                link: LinkType::ETHERNET,
                data: &[],
                orig_len: 0,
            }))
        }

        fn anomalies(&self) -> &CaptureAnomalies {
            &self.2
        }
    }

    #[test]
    fn notes_the_first_and_the_latest_frame() {
        let mut src = Times(vec![30, 10, 20], 0, CaptureAnomalies::default());
        let (mut s, span) = Spanned::new(&mut src);
        assert_eq!((span.first(), span.last()), (None, None));
        let mut n = 0;
        while s.next_frame().unwrap().is_some() {
            n += 1;
            if n == 1 {
                assert_eq!(span.last(), Some(Timestamp(30)));
            }
        }
        // Capture order, not the smallest or largest time.
        assert_eq!(span.first(), Some(Timestamp(30)));
        assert_eq!(span.last(), Some(Timestamp(20)));
    }
}
