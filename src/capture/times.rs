//! Every frame's time, noted as the frames go by, for a caller that draws
//! frames after the analysis (the ladder pictures) and knows them only by
//! number then. Eight bytes a frame, so only when asked.

use std::cell::RefCell;
use std::rc::Rc;

use super::{CaptureAnomalies, Error, Frame, FrameSource, Timestamp};

/// The times of the frames read so far, by frame number (shared handle).
#[derive(Clone, Debug, Default)]
pub struct FrameTimes(Rc<RefCell<Vec<Timestamp>>>);

impl FrameTimes {
    /// The time of frame `number` (1-based), once it was read.
    pub fn get(&self, number: u64) -> Option<Timestamp> {
        let i = usize::try_from(number.checked_sub(1)?).ok()?;
        self.0.borrow().get(i).copied()
    }
}

/// A [`FrameSource`] that notes the time of every frame it passes on.
pub struct Timed<'a, S: ?Sized> {
    inner: &'a mut S,
    times: FrameTimes,
    enabled: bool,
}

impl<'a, S: FrameSource + ?Sized> Timed<'a, S> {
    /// Wraps `inner`; when `enabled`, its frames' times go to the returned
    /// handle (otherwise the frames only pass through).
    pub fn new(inner: &'a mut S, enabled: bool) -> (Self, FrameTimes) {
        let times = FrameTimes::default();
        let handle = times.clone();
        let timed = Timed {
            inner,
            times,
            enabled,
        };
        (timed, handle)
    }
}

impl<S: FrameSource + ?Sized> FrameSource for Timed<'_, S> {
    #[inline]
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error> {
        let frame = self.inner.next_frame()?;
        if !self.enabled {
            return Ok(frame);
        }
        if let Some(f) = &frame {
            let mut times = self.times.0.borrow_mut();
            // Numbers count up from 1 without holes; should a source ever
            // skip one, its slot repeats the time before rather than shift
            // every later frame.
            let n = usize::try_from(f.number).unwrap_or(usize::MAX);
            while times.len() + 1 < n {
                let last = times.last().copied().unwrap_or(f.ts);
                times.push(last);
            }
            if times.len() + 1 == n {
                times.push(f.ts);
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
