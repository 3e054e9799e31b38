//! `lab analyze` end to end: synthetic captures written with etherparse,
//! every output format, the teaching verdicts, `--expect` exit codes and
//! messages, scope flags, filters, checksums, standard input and bad input.

mod common;

use common::captures::{Conversation, Pcap, Send, run, stderr, stdout, zeek_rows};
use serde_json::Value;

fn graceful() -> Conversation {
    let mut c = Conversation::new(40000, 80);
    c.handshake().exchange(79, 64);
    c.c(Send::Fin).s(Send::Ack).s(Send::Fin).c(Send::Ack);
    c
}

fn server_rst_unread() -> Conversation {
    let mut c = Conversation::new(40001, 80);
    c.handshake()
        .c(Send::Data(79))
        .s(Send::Ack)
        .s(Send::Data(64))
        .c(Send::Ack)
        .s(Send::RstAck);
    c
}

fn data_after_close() -> Conversation {
    let mut c = Conversation::new(40002, 80);
    c.handshake().exchange(10, 20);
    c.s(Send::Fin).c(Send::Ack).c(Send::Data(5)).s(Send::RstAck);
    c
}

fn json_of(path: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["analyze", "--format", "json", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run(&args, None);
    assert!(out.status.success(), "lab failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

#[test]
fn graceful_close_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = graceful().pcap.write(dir.path(), "graceful.pcap");
    let p = path.to_str().unwrap();

    let table = run(&["analyze", p], None);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(text.contains("10.0.0.1:40000 → 10.0.0.2:80"), "{text}");
    assert!(text.contains("SYN 1 · FIN c8 s10"), "{text}");
    assert!(text.contains("SF ShADadFf"), "{text}");
    assert!(
        text.ends_with("\n1 connection: 1 fin; 11 frames read (11 TCP); at most 1 open at once\n"),
        "{text}"
    );

    let doc = json_of(&path, &[]);
    let c = &doc["connections"][0];
    assert_eq!(c["id"], 1);
    assert_eq!(c["ended"], "fin");
    assert_eq!(c["closed_first"], "client");
    assert_eq!(c["client"], "10.0.0.1:40000");
    assert_eq!(c["client_from_syn"], true);
    assert_eq!(c["rst"], Value::Null);
    assert_eq!(c["bytes"]["client_to_server"], 79);
    assert_eq!(c["bytes"]["server_to_client"], 64);
    assert_eq!(c["frames"]["syn"], 1);
    assert_eq!(c["frames"]["client_fin"], 8);
    assert_eq!(c["frames"]["server_fin"], 10);
    assert_eq!(c["zeek"]["conn_state"], "SF");
    assert_eq!(c["zeek"]["history"], "ShADadFf");
    assert_eq!(c["zeek"]["orig_pkts"], 6);
    assert_eq!(c["zeek"]["resp_pkts"], 5);
    assert_eq!(c["removed_by"], "end_of_input");
    assert_eq!(doc["summary"]["verdicts"]["fin"], 1);
    assert_eq!(doc["summary"]["frames"], 11);

    let zeek = run(&["analyze", "--format", "zeek", p], None);
    assert!(zeek.status.success());
    let text = stdout(&zeek);
    assert!(text.starts_with("#separator \\x09\n"));
    let rows = zeek_rows(&text);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["ts"], "1700000000.000000");
    assert_eq!(r["id.orig_h"], "10.0.0.1");
    assert_eq!(r["id.resp_p"], "80");
    assert_eq!(r["proto"], "tcp");
    assert_eq!(r["duration"], "0.009000");
    assert_eq!(r["orig_bytes"], "79");
    assert_eq!(r["resp_bytes"], "64");
    assert_eq!(r["conn_state"], "SF");
    assert_eq!(r["history"], "ShADadFf");
    assert_eq!(r["orig_pkts"], "6");
    assert_eq!(r["orig_ip_bytes"], (6 * 40 + 79).to_string());
}

#[test]
fn server_rst_on_unread_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = server_rst_unread().pcap.write(dir.path(), "rst.pcap");
    let c = &json_of(&path, &[])["connections"][0];
    assert_eq!(c["ended"], "rst");
    assert_eq!(c["closed_first"], Value::Null, "a RST is not a close");
    assert_eq!(c["rst"]["sender"], "server");
    assert_eq!(c["rst"]["phase"], "unread_data");
    assert_eq!(c["rst"]["frame"], 8);
    assert_eq!(c["server_rst"]["frame"], 8);
    assert_eq!(c["client_rst"], Value::Null);
    assert_eq!(c["zeek"]["conn_state"], "RSTR");
    assert_eq!(c["zeek"]["history"], "ShADadr");
}

#[test]
fn rst_answering_data_after_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = data_after_close().pcap.write(dir.path(), "dac.pcap");
    let c = &json_of(&path, &[])["connections"][0];
    assert_eq!(c["ended"], "rst");
    assert_eq!(c["closed_first"], "server");
    assert_eq!(c["rst"]["sender"], "server");
    assert_eq!(c["rst"]["phase"], "data_after_close");
    assert_eq!(c["frames"]["server_fin"], 8);
    assert_eq!(c["frames"]["server_rst"], 11);
    assert_eq!(c["zeek"]["conn_state"], "RSTR");
    assert_eq!(c["zeek"]["history"], "ShADadfr");
}

#[test]
fn refused_unanswered_half_closed_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut refused = Conversation::new(40010, 81);
    refused.c(Send::Syn).s(Send::RstAck);
    let mut unanswered = Conversation::new(40011, 82);
    unanswered.c(Send::Syn);
    let mut half = Conversation::new(40012, 83);
    half.handshake().exchange(10, 10);
    half.c(Send::Fin).s(Send::Ack);
    let mut open = Conversation::new(40013, 84);
    open.handshake().exchange(10, 10);
    let cases = [
        (refused, "refused", "REJ", "Sr"),
        (unanswered, "unanswered", "S0", "S"),
        (half, "half-closed", "S2", "ShADadF"),
        (open, "open", "S1", "ShADad"),
    ];
    for (i, (conv, ended, state, history)) in cases.iter().enumerate() {
        let path = conv.pcap.write(dir.path(), &format!("case{i}.pcap"));
        let c = &json_of(&path, &[])["connections"][0];
        assert_eq!(c["ended"], *ended, "case {ended}");
        assert_eq!(c["zeek"]["conn_state"], *state, "case {ended}");
        assert_eq!(c["zeek"]["history"], *history, "case {ended}");
    }
}

#[test]
fn refused_names_the_syn_and_rst_frames() {
    let dir = tempfile::tempdir().unwrap();
    let mut refused = Conversation::new(40010, 81);
    refused.c(Send::Syn).s(Send::RstAck);
    let path = refused.pcap.write(dir.path(), "refused.pcap");
    let c = &json_of(&path, &[])["connections"][0];
    assert_eq!(c["frames"]["syn"], 1);
    assert_eq!(c["frames"]["server_rst"], 2);
    assert_eq!(c["rst"]["phase"], "handshake");
}

/// Two connections in one file: a graceful one to port 80 and a reset one
/// to port 81, one after the other.
fn two_connections() -> Pcap {
    let mut pcap = Pcap::default();
    let a = graceful();
    let mut b = Conversation::new(41000, 81);
    b.micros = a.micros + 1_000_000;
    b.handshake().c(Send::Data(10)).s(Send::Ack).s(Send::RstAck);
    for conv in [a, b] {
        for (ts, frame) in conv.pcap_frames() {
            pcap.push(ts, frame);
        }
    }
    pcap
}

trait Frames {
    fn pcap_frames(&self) -> Vec<(i64, Vec<u8>)>;
}

impl Frames for Conversation {
    fn pcap_frames(&self) -> Vec<(i64, Vec<u8>)> {
        // Re-read the conversation's own file bytes: 24-byte header, then
        // 16-byte record headers.
        let bytes = self.pcap.bytes();
        let mut out = Vec::new();
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let word = |o: usize| u32::from_le_bytes(bytes[at + o..at + o + 4].try_into().unwrap());
            let ts = i64::from(word(0)) * 1_000_000 + i64::from(word(4));
            let len = word(8) as usize;
            out.push((ts, bytes[at + 16..at + 16 + len].to_vec()));
            at += 16 + len;
        }
        out
    }
}

#[test]
fn expect_exit_codes_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = two_connections().write(dir.path(), "two.pcap");
    let p = path.to_str().unwrap();

    let ok = run(&["analyze", p, "--expect", "fin", "--port", "80"], None);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));

    let ok = run(
        &[
            "analyze",
            p,
            "--expect",
            "rst",
            "--expect",
            "conn_state=RSTR",
            "--port",
            "81",
        ],
        None,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));

    let ok = run(
        &["analyze", p, "--expect", "history=ShADar", "--port", "81"],
        None,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));

    let fail = run(&["analyze", p, "--expect", "fin"], None);
    assert_eq!(fail.status.code(), Some(1));
    let err = stderr(&fail);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("connection 2 10.0.0.1:41000 → 10.0.0.2:81 ended rst"),
        "{err}"
    );
    assert!(err.contains("server sent RST (unread_data)"), "{err}");
    assert!(err.contains("expected fin"), "{err}");
    assert!(
        stdout(&fail).contains("1 fin, 1 rst"),
        "the report is still printed"
    );

    let fail = run(
        &[
            "analyze",
            p,
            "--expect",
            "conn_state=SF",
            "--format",
            "zeek",
        ],
        None,
    );
    assert_eq!(fail.status.code(), Some(1));
    assert!(stderr(&fail).contains("expected conn_state=SF"));

    let none = run(&["analyze", p, "--expect", "fin", "--port", "9"], None);
    assert_eq!(none.status.code(), Some(1));
    assert!(stderr(&none).contains("no connection in scope"));

    let bad = run(&["analyze", p, "--expect", "graceful"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("unknown expectation"));
}

#[test]
fn host_scope_and_filter() {
    let dir = tempfile::tempdir().unwrap();
    let path = two_connections().write(dir.path(), "two.pcap");
    let p = path.to_str().unwrap();

    let doc = json_of(&path, &["--port", "81"]);
    assert_eq!(doc["connections"].as_array().unwrap().len(), 1);
    assert_eq!(doc["summary"]["out_of_scope"], 1);

    let doc = json_of(&path, &["--host", "10.0.0.9"]);
    assert_eq!(doc["connections"].as_array().unwrap().len(), 0);

    let doc = json_of(&path, &["--filter", "tcp port 81"]);
    let conns = doc["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0]["zeek"]["resp_p"], 81);
    assert_eq!(doc["summary"]["filtered_out"], 11);

    let bad = run(&["analyze", p, "--filter", "tcp port"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("bad filter"), "{}", stderr(&bad));
}

#[test]
fn standard_input() {
    let bytes = graceful().pcap.bytes();
    let out = run(&["analyze", "--format", "zeek", "-"], Some(&bytes));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(zeek_rows(&stdout(&out))[0]["history"], "ShADadFf");
}

#[test]
fn checksums_ignored_by_default_validated_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut conv = Conversation::new(40020, 80);
    conv.c(Send::Syn);
    let mut pcap = Pcap::default();
    for (ts, mut frame) in conv.pcap_frames() {
        // Break the TCP checksum (Ethernet 14 + IPv4 20 + offset 16).
        frame[14 + 20 + 16] ^= 0xff;
        pcap.push(ts, frame);
    }
    let path = pcap.write(dir.path(), "badsum.pcap");
    let p = path.to_str().unwrap();
    let plain = zeek_rows(&stdout(&run(&["analyze", "--format", "zeek", p], None)));
    assert_eq!(plain[0]["history"], "S");
    let checked = run(
        &["analyze", "--format", "zeek", "--validate-checksums", p],
        None,
    );
    let rows = zeek_rows(&stdout(&checked));
    assert_eq!(rows[0]["history"], "C");
    assert_eq!(rows[0]["orig_pkts"], "0");
    assert!(
        stderr(&checked).contains("1 bad TCP checksum"),
        "{}",
        stderr(&checked)
    );
}

#[test]
fn bad_input_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pcap");
    let out = run(&["analyze", missing.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.pcap"));

    let garbage = dir.path().join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture at all").unwrap();
    let out = run(&["analyze", garbage.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(stderr(&out).contains("not a capture file"));

    let mut truncated = graceful().pcap.bytes();
    truncated.truncate(truncated.len() - 30);
    let path = dir.path().join("truncated.pcap");
    std::fs::write(&path, truncated).unwrap();
    let out = run(
        &["analyze", "--format", "json", path.to_str().unwrap()],
        None,
    );
    assert!(
        out.status.success(),
        "a cut-off file is still analyzed: {}",
        stderr(&out)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["capture_anomalies"]["truncated_records"], 1);
    assert_eq!(
        doc["connections"][0]["ended"], "fin",
        "only the last ACK was cut"
    );
    assert_eq!(doc["summary"]["frames"], 10);
}
