//! One sink for the mio loop and the HTTP/3 thread: records from both go
//! through the same lock, so lines never mix, with times from the same
//! start and connection numbers from one counter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{Event, LogSink, Record};

/// A cheap handle on the server's log sink.
#[derive(Clone)]
pub(crate) struct Emitter {
    sink: Arc<Mutex<LogSink>>,
    start: Instant,
    on: bool,
    next_conn: Arc<AtomicU64>,
}

impl Emitter {
    pub fn new(sink: LogSink) -> Emitter {
        Emitter {
            on: !matches!(sink, LogSink::Discard),
            sink: Arc::new(Mutex::new(sink)),
            start: Instant::now(),
            next_conn: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Whether anyone listens (building a record can then be skipped).
    pub fn on(&self) -> bool {
        self.on
    }

    /// The next connection number (1-based, shared by every listener).
    pub fn next_conn(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    pub fn emit(&self, conn: Option<u64>, event: Event) {
        // Nobody listens: skip the clock read and the record.
        if !self.on {
            return;
        }
        let t = self.start.elapsed().as_secs_f64();
        // A poisoned lock means another thread panicked while writing a
        // line; the sink itself is still usable.
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        sink.emit(Record { t, conn, event });
    }
}
