//! The log's text and JSON shapes.
use super::*;
use std::io::Write;

fn closed(end: CloseEnding) -> Record {
    Record {
        t: 0.5,
        conn: Some(3),
        event: Event::Closed {
            end,
            cause: Cause::OneShotMode,
            unread: 78,
        },
    }
}

#[test]
fn closed_text_names_the_ending_in_words() {
    assert_eq!(
        closed(CloseEnding::WeProvokedRst).to_text(),
        "t=0.500000 conn=3 event=closed end=\"we provoked RST\" cause=one-shot-mode unread=78"
    );
    assert!(
        closed(CloseEnding::PeerFin)
            .to_text()
            .contains("\"peer FIN (EOF)\"")
    );
    assert!(
        closed(CloseEnding::PeerRst)
            .to_text()
            .contains("\"peer RST (ECONNRESET)\"")
    );
}

#[test]
fn closed_json_has_flat_fields() {
    assert!(
        closed(CloseEnding::WeAborted)
            .to_text()
            .contains("end=\"we aborted, SO_LINGER 0\"")
    );
    assert!(
        closed(CloseEnding::WeClosedBodyDue)
            .to_text()
            .contains("end=\"we closed, body still due\"")
    );
    let due = serde_json::to_value(closed(CloseEnding::WeClosedBodyDue)).unwrap();
    assert_eq!(due["end"], "we_closed_body_due");
    let json = serde_json::to_value(closed(CloseEnding::WeSentFin)).unwrap();
    assert_eq!(json["event"], "closed");
    assert_eq!(json["end"], "we_sent_fin");
    assert_eq!(json["conn"], 3);
    assert_eq!(json["cause"]["kind"], "one-shot-mode");
}

#[test]
fn rejected_cause_carries_status() {
    assert_eq!(Cause::Rejected(431).to_string(), "rejected-431");
    assert_eq!(Cause::HeaderTimeout.to_string(), "header-timeout");
}

#[test]
fn writer_sink_writes_one_line_per_record() {
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut sink = LogSink::Writer(LogFormat::Json, Box::new(Shared(buf.clone())));
    sink.emit(closed(CloseEnding::PeerRst));
    sink.emit(closed(CloseEnding::PeerFin));
    let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.contains("\"end\":\"peer_rst\""));
}

#[test]
fn an_answered_close_notify_says_what_it_answered() {
    let record = |answering| Record {
        t: 0.5,
        conn: Some(2),
        event: Event::CloseNotify {
            dir: Dir::Sent,
            answering,
        },
    };
    assert_eq!(
        record(None).to_text(),
        "t=0.500000 conn=2 event=close-notify dir=sent"
    );
    assert_eq!(
        record(Some(PeerClose::Fin)).to_text(),
        "t=0.500000 conn=2 event=close-notify dir=sent answering=fin"
    );
    let ours = serde_json::to_value(record(None)).unwrap();
    assert!(ours.get("answering").is_none(), "{ours}");
    let json = serde_json::to_value(record(Some(PeerClose::CloseNotify))).unwrap();
    assert_eq!(json["answering"], "close-notify");
    assert_eq!(json["dir"], "sent");
}

/// A writer that records each `write` call, to count them.
#[derive(Clone, Default)]
struct Writes(std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

impl Write for Writes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().push(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_loop_handle_holds_lines_until_flush_and_keeps_their_order() {
    let writes = Writes::default();
    let sink = LogSink::Writer(LogFormat::Text, Box::new(writes.clone()));
    let held = Emitter::new(sink).holding();
    let now = held.immediate();
    held.emit(Some(1), Event::Read { bytes: 5, total: 5 });
    held.emit(Some(1), Event::Continue);
    assert!(
        writes.0.lock().unwrap().is_empty(),
        "nothing written before a flush"
    );
    // The immediate handle writes what is held first, then its own line.
    now.emit(None, Event::Stopped);
    held.emit(Some(2), Event::Continue);
    held.flush();
    held.flush();
    let w = writes.0.lock().unwrap();
    let lines: Vec<String> = w
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].contains("conn=1 event=read bytes=5 total=5\n"));
    assert!(
        lines[0].ends_with("conn=1 event=continue status=100\n"),
        "{lines:?}"
    );
    assert!(lines[1].ends_with("event=stopped\n"), "{lines:?}");
    assert!(
        lines[2].ends_with("conn=2 event=continue status=100\n"),
        "{lines:?}"
    );
}
