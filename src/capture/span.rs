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
pub struct FrameSpan(Rc<Cell<Option<(Timestamp, Timestamp)>>>);

impl FrameSpan {
    /// The first frame's time, once a frame was read.
    pub fn first(&self) -> Option<Timestamp> {
        self.0.get().map(|(first, _)| first)
    }

    /// The latest frame's time, once a frame was read.
    pub fn last(&self) -> Option<Timestamp> {
        self.0.get().map(|(_, last)| last)
    }
}

/// A [`FrameSource`] that notes the time of every frame it passes on.
pub struct Spanned<'a, S: ?Sized> {
    inner: &'a mut S,
    span: FrameSpan,
}

impl<'a, S: FrameSource + ?Sized> Spanned<'a, S> {
    /// Wraps `inner`; its frames' times go to the returned span's handle.
    pub fn new(inner: &'a mut S) -> (Self, FrameSpan) {
        let span = FrameSpan::default();
        let handle = span.clone();
        (Spanned { inner, span }, handle)
    }
}

impl<S: FrameSource + ?Sized> FrameSource for Spanned<'_, S> {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error> {
        let frame = self.inner.next_frame()?;
        if let Some(f) = &frame {
            let first = self.span.first().unwrap_or(f.ts);
            self.span.0.set(Some((first, f.ts)));
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
