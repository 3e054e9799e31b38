//! Where the event log's records go: nowhere, a writer (text or JSON
//! lines) or a channel.

use std::io::Write;
use std::sync::mpsc::Sender;

use super::Event;

/// One log record.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Record {
    /// Seconds since the server started.
    pub t: f64,
    /// Connection id (1-based, in accept order); `None` for server events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conn: Option<u64>,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// Text or JSON lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `key=value` lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Where records go.
pub enum LogSink {
    /// Nowhere.
    Discard,
    /// Formatted lines to a writer (the binary passes stderr). Write errors are
    /// ignored: a closed log must not stop the server.
    Writer(LogFormat, Box<dyn Write + Send>),
    /// Records to a channel (tests and labs read them as data).
    Channel(Sender<Record>),
}

impl LogSink {
    /// Delivers one record.
    pub fn emit(&mut self, record: Record) {
        match self {
            LogSink::Discard => {}
            LogSink::Writer(format, out) => {
                let line = Self::line(*format, &record);
                // One write per line so concurrent writers do not interleave lines.
                let _ = out.write_all(line.as_bytes());
            }
            LogSink::Channel(tx) => {
                // A dropped receiver means nobody listens any more; that is fine.
                let _ = tx.send(record);
            }
        }
    }

    /// A writer's line is appended to `held` for [`LogSink::write_held`];
    /// the other sinks take the record now.
    pub(crate) fn hold(&mut self, record: Record, held: &mut Vec<u8>) {
        match self {
            LogSink::Writer(format, _) => {
                held.extend_from_slice(Self::line(*format, &record).as_bytes())
            }
            _ => self.emit(record),
        }
    }

    /// Writes the held lines in one write (whole lines, so concurrent
    /// writers still do not interleave them) and empties `held`.
    pub(crate) fn write_held(&mut self, held: &mut Vec<u8>) {
        if held.is_empty() {
            return;
        }
        if let LogSink::Writer(_, out) = self {
            let _ = out.write_all(held);
        }
        held.clear();
    }

    /// One record as a line, newline included.
    fn line(format: LogFormat, record: &Record) -> String {
        let mut line = match format {
            LogFormat::Text => record.to_text(),
            LogFormat::Json => serde_json::to_string(record).unwrap_or_default(),
        };
        line.push('\n');
        line
    }
}
