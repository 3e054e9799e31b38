//! `lab analyze --format jsonl` against the JSON document: one compact
//! object per connection, each the document's object for that id, then the
//! summary with the schema version; and the version at the head of the
//! document itself.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::captures::{Conversation, Pcap, Send, run, stderr, stdout};
use serde_json::Value;

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    v.sort();
    assert!(v.len() >= 10, "the reference captures are missing");
    v
}

/// Connections that Zeek's timers remove out of first-seen order: a long
/// exchange (id 1), then an unanswered SYN (id 2) whose attempt timer (5 s)
/// ends it while the exchange goes on.
fn out_of_order() -> Pcap {
    let mut pcap = Pcap::default();
    let mut long = Conversation::new(40000, 80);
    long.handshake();
    for _ in 0..12 {
        long.wait_ms(1_000).c(Send::Data(10)).s(Send::Ack);
    }
    long.c(Send::Fin).s(Send::Fin).c(Send::Ack);
    let mut attempt = Conversation::new(40001, 81);
    attempt.micros += 500;
    attempt.c(Send::Syn);
    pcap.merge(&long.pcap);
    pcap.merge(&attempt.pcap);
    pcap
}

/// Checks one capture; returns the ids in the order the lines gave them.
fn check(path: &Path) -> Vec<u64> {
    let p = path.to_str().unwrap();
    let doc_out = run(&["analyze", "--format", "json", p], None);
    assert!(doc_out.status.success(), "{p}: {}", stderr(&doc_out));
    let doc_text = stdout(&doc_out);
    assert!(
        doc_text.starts_with("{\n  \"version\": 1,\n"),
        "{p}: {doc_text}"
    );
    let doc: Value = serde_json::from_str(&doc_text).unwrap();
    let by_id: BTreeMap<u64, &Value> = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_u64().unwrap(), c))
        .collect();

    let out = run(&["analyze", "--format", "jsonl", p], None);
    assert!(out.status.success(), "{p}: {}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        by_id.len() + 1,
        "{p}: one line per connection and the summary"
    );
    let (summary, objects) = lines.split_last().unwrap();
    let mut ids = Vec::new();
    for line in objects {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{p}: {e}: {line}"));
        let id = v["id"].as_u64().expect("an id");
        assert_eq!(&&v, by_id.get(&id).expect("an id of the document"), "{p}");
        ids.push(id);
    }
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, by_id.keys().copied().collect::<Vec<_>>(), "{p}");
    // The summary: version first, then the document's summary.
    assert!(
        summary.starts_with("{\"version\":1,\"summary\":"),
        "{summary}"
    );
    let s: Value = serde_json::from_str(summary).unwrap();
    assert_eq!(s["summary"], doc["summary"], "{p}");
    assert_eq!(s.as_object().unwrap().len(), 2);
    ids
}

#[test]
fn every_line_is_the_documents_object_then_the_summary() {
    for path in captures() {
        check(&path);
    }
}

#[test]
fn connections_stream_in_the_order_zeek_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = out_of_order().write(dir.path(), "order.pcap");
    assert_eq!(check(&path), vec![2, 1]);
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let path = &captures()[0];
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' analyze --format jsonl '{}' | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_lab"),
            path.display()
        ))
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), "0", "{}", stderr(&out));
}
