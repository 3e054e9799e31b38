//! The times on Zeek's `#open` and `#close` lines.
//!
//! Zeek writes the wall-clock time at which it opened and closed the log.
//! Read from a file, that would make two runs over one capture differ, so
//! the times are the capture's own: its first and last frame. Live, they are
//! the wall clock, as Zeek's. `SOURCE_DATE_EPOCH` (reproducible-builds.org),
//! when set, stands for both.

use anyhow::{Context, bail};
use wirelab::analyze::wall_clock;
use wirelab::capture::{FrameSpan, Timestamp};

pub enum LogClock {
    /// `SOURCE_DATE_EPOCH`.
    Fixed(Timestamp),
    /// A capture file's frames.
    Capture(FrameSpan),
    /// A live capture.
    Wall,
}

impl LogClock {
    /// `SOURCE_DATE_EPOCH` if set, otherwise `fallback`.
    ///
    /// A value that is not a whole number of seconds is an error, as the
    /// specification asks, rather than a time silently dropped.
    pub fn from_env(fallback: LogClock) -> anyhow::Result<Self> {
        let Some(value) = std::env::var_os("SOURCE_DATE_EPOCH") else {
            return Ok(fallback);
        };
        let text = value.to_string_lossy();
        let secs: i64 = text
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH={text:?} is not a number of seconds"))?;
        let Some(nanos) = secs.checked_mul(Timestamp::SECOND) else {
            bail!("SOURCE_DATE_EPOCH={secs} is out of range");
        };
        Ok(LogClock::Fixed(Timestamp(nanos)))
    }

    /// For `#open`: an empty capture opens at the epoch.
    pub fn open(&self) -> Timestamp {
        match self {
            LogClock::Fixed(t) => *t,
            LogClock::Capture(span) => span.first().unwrap_or_default(),
            LogClock::Wall => wall_clock(),
        }
    }

    /// For `#close`.
    pub fn close(&self) -> Timestamp {
        match self {
            LogClock::Fixed(t) => *t,
            LogClock::Capture(span) => span.last().unwrap_or_default(),
            LogClock::Wall => wall_clock(),
        }
    }
}

impl wirelab::report::output::LogTimes for LogClock {
    fn open(&self) -> Timestamp {
        LogClock::open(self)
    }

    fn close(&self) -> Timestamp {
        LogClock::close(self)
    }
}
