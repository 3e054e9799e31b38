//! One sink for the mio loop and the HTTP/3 thread: records from both go
//! through the same lock, so lines never mix, with times from the same
//! start and connection numbers from one counter.
//!
//! The mio loop's handle *holds* formatted lines and writes them in one
//! `write(2)` before the loop waits again ([`Emitter::flush`]): a
//! keep-alive request logs three lines (read, request, response), and one
//! write per line was three syscalls per request. Nothing is held across a
//! wait, so a reader still sees every line before the server sleeps. A
//! handle that does not hold (HTTP/3's) writes what is held first, so the
//! lines stay in the order they were emitted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{Event, LogSink, Record};

/// The sink and the lines held for it.
struct Shared {
    sink: LogSink,
    held: Vec<u8>,
}

/// A cheap handle on the server's log sink.
#[derive(Clone)]
pub(crate) struct Emitter {
    shared: Arc<Mutex<Shared>>,
    start: Instant,
    on: bool,
    hold: bool,
    next_conn: Arc<AtomicU64>,
}

impl Emitter {
    pub fn new(sink: LogSink) -> Emitter {
        Emitter {
            on: !matches!(sink, LogSink::Discard),
            shared: Arc::new(Mutex::new(Shared {
                sink,
                held: Vec::new(),
            })),
            start: Instant::now(),
            hold: false,
            next_conn: Arc::new(AtomicU64::new(1)),
        }
    }

    /// This handle holds text lines until [`Emitter::flush`].
    pub fn holding(mut self) -> Emitter {
        self.hold = true;
        self
    }

    /// A handle on the same sink that writes each line at once.
    pub fn immediate(&self) -> Emitter {
        Emitter {
            hold: false,
            ..self.clone()
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
        let record = Record { t, conn, event };
        let mut shared = self.lock();
        let Shared { sink, held } = &mut *shared;
        if self.hold {
            sink.hold(record, held);
        } else {
            sink.write_held(held);
            sink.emit(record);
        }
    }

    /// Writes the held lines (whole lines, one write).
    pub fn flush(&self) {
        if !self.on {
            return;
        }
        let mut shared = self.lock();
        let Shared { sink, held } = &mut *shared;
        sink.write_held(held);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A poisoned lock means another thread panicked while writing a
        // line; the sink itself is still usable.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}
