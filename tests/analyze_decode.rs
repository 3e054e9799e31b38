//! `lab analyze` with decoding on: what each connection carried, in the
//! JSON contract the README lists, on the reference captures (made by the
//! lab and by real HTTP/2 peers) and on crafted captures with bad input.

mod common;

use common::captures::{Conversation, Send, run, stderr, stdout};
use serde_json::Value;

fn analyze(path: &str, extra: &[&str]) -> Value {
    let mut args = vec!["analyze", path, "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("one JSON document")
}

fn conn(doc: &Value, i: usize) -> &Value {
    &doc["connections"][i]
}

#[test]
fn no_read_shows_the_get_its_200_delivered_before_the_rst_and_nothing_lost() {
    let doc = analyze("captures/no-read.pcap", &[]);
    let c = conn(&doc, 0);
    assert_eq!(c["protocol"], "http/1.1");
    let e = &c["exchanges"][0];
    assert_eq!(
        (e["method"].as_str(), e["target"].as_str()),
        (Some("GET"), Some("/"))
    );
    assert_eq!(e["status"], 200);
    assert_eq!(e["outcome"], "cut_by_server_rst");
    assert_eq!(e["response_delivered"], true);
    assert_eq!(c["server_rst"]["lost_bytes"], 0);
    assert_eq!(c["server_rst"]["unacked_bytes"], 0);
    assert_eq!(c["rst"], c["server_rst"]);
    assert_eq!(c["decode_error"], Value::Null);
}

#[test]
fn a_response_tail_the_client_never_acknowledged_is_counted_against_its_exchange() {
    let doc = analyze("captures/no-read-large-body.pcap", &[]);
    let c = conn(&doc, 0);
    let lost = c["server_rst"]["lost_bytes"].as_u64().unwrap();
    assert!(lost > 60_000, "{lost}");
    assert_eq!(c["server_rst"]["lost_in"], serde_json::json!([0]));
    assert_eq!(c["exchanges"][0]["response_delivered"], false);
    // The capture kept 512 bytes a frame: the gap is said, with the cause.
    assert!(c["streams"]["server"]["snapped_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn pipelined_requests_the_rst_left_unanswered() {
    let doc = analyze("captures/full-pipeline.pcap", &[]);
    let ex = conn(&doc, 0)["exchanges"].as_array().unwrap().clone();
    let got: Vec<(String, Value, String)> = ex
        .iter()
        .map(|e| {
            (
                e["target"].as_str().unwrap().to_string(),
                e["status"].clone(),
                e["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("/1".into(), Value::from(200), "cut_by_server_rst".into()),
            ("/2".into(), Value::Null, "cut_by_server_rst".into()),
            ("/3".into(), Value::Null, "cut_by_server_rst".into()),
        ]
    );
    // The table says what the packets cannot: which of them was unread.
    let out = run(&["analyze", "captures/full-pipeline.pcap"], None);
    assert!(
        stdout(&out).contains("GET /2 → no response: cut by the server's RST (most likely unread"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn h2c_upgrade_and_prior_knowledge_are_named_from_the_bytes() {
    let up = analyze("captures/app/h2c-upgrade.pcap", &[]);
    for c in up["connections"].as_array().unwrap() {
        assert_eq!(c["protocol"], "h2c-upgrade", "{c}");
        let s1 = &c["exchanges"][0];
        assert_eq!(s1["stream"], 1);
        assert_eq!(s1["status"], 200);
        assert!(c["http2"]["frames"]["server"]["SETTINGS"].as_u64().unwrap() >= 1);
    }
    let pk = analyze("captures/app/h2-prior-knowledge.pcap", &[]);
    let names: Vec<&str> = pk["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["protocol"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"h2-prior-knowledge"), "{names:?}");
}

#[test]
fn decode_none_and_the_zeek_log_are_headers_only() {
    let none = analyze("captures/no-read.pcap", &["--decode", "none"]);
    let c = conn(&none, 0);
    assert!(
        c.get("protocol").is_none() && c.get("exchanges").is_none(),
        "{c}"
    );
    assert!(c["server_rst"].get("lost_bytes").is_none(), "{c}");
    // --decode http changes nothing in the conn.log.
    let plain = run(
        &["analyze", "captures/no-read.pcap", "--format", "zeek"],
        None,
    );
    let decoded = run(
        &[
            "analyze",
            "captures/no-read.pcap",
            "--format",
            "zeek",
            "--decode",
            "http",
        ],
        None,
    );
    assert_eq!(plain.stdout, decoded.stdout);
}

#[test]
fn frames_labels_each_frame_with_what_it_completed() {
    let doc = analyze("captures/no-read.pcap", &["--frames"]);
    let ladder = conn(&doc, 0)["ladder"].as_array().unwrap().clone();
    let labels: Vec<(u64, String, String)> = ladder
        .iter()
        .map(|s| {
            (
                s["frame"].as_u64().unwrap(),
                s["from"].as_str().unwrap().to_string(),
                s["labels"][0].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        labels,
        vec![
            (4, "client".into(), "GET / HTTP/1.1".into()),
            (6, "server".into(), "HTTP/1.1 200".into()),
        ]
    );
    let table = stdout(&run(
        &["analyze", "captures/no-read.pcap", "--frames"],
        None,
    ));
    assert!(
        table.contains("frame      8  client ← server  RST"),
        "{table}"
    );
}

/// One connection per bad input, each followed by a good one: every bad one
/// gets its own decode error with a reason, the good ones are decoded whole.
#[test]
fn bad_input_is_a_decode_error_per_connection_and_the_rest_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let good = b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\n";
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let huge_head: Vec<u8> = [&b"GET / HTTP/1.1\r\nX: "[..], &vec![b'a'; 200_000]].concat();
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    // A HEADERS frame whose only field is HPACK index 70: past the static
    // table (61) and the empty dynamic table (RFC 7541 §2.3.3).
    let bad_hpack = [0u8, 0, 1, 1, 0x05, 0, 0, 0, 1, 0x80 | 70];
    // (client segments, server bytes, the side whose bytes cannot be read)
    type Case = (Vec<Vec<u8>>, Vec<u8>, &'static str);
    let cases: Vec<Case> = vec![
        (
            vec![[&good[..], b"\x00\x01\x02garbage after a valid head"].concat()],
            ok.to_vec(),
            "client",
        ),
        (
            huge_head.chunks(50_000).map(<[u8]>::to_vec).collect(),
            vec![],
            "client",
        ),
        (
            vec![good.to_vec()],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\n"
                .to_vec(),
            "server",
        ),
        (vec![[&preface[..], &bad_hpack].concat()], vec![], "client"),
    ];
    let mut pcap = common::captures::Pcap::default();
    for (n, (client, server, _)) in cases.iter().enumerate() {
        let mut bad = Conversation::new(40_000 + n as u16 * 2, 8080);
        bad.micros += n as i64 * 1_000_000;
        bad.handshake();
        for piece in client {
            bad.c_bytes(piece);
        }
        if !server.is_empty() {
            bad.s_bytes(server);
        }
        bad.c(Send::Fin).s(Send::Fin).c(Send::Ack);
        pcap.merge(&bad.pcap);
        let mut fine = Conversation::new(40_001 + n as u16 * 2, 8080);
        fine.micros = bad.micros + 500_000;
        fine.handshake().c_bytes(good).s_bytes(ok);
        fine.c(Send::Fin).s(Send::Fin).c(Send::Ack);
        pcap.merge(&fine.pcap);
    }
    let path = pcap.write(dir.path(), "bad.pcap");
    let doc = analyze(path.to_str().unwrap(), &[]);
    let conns = doc["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2 * cases.len());
    for (n, (_, _, side)) in cases.iter().enumerate() {
        let bad = &conns[2 * n];
        let err = &bad["decode_error"];
        assert_eq!(err["sender"], *side, "case {n}: {bad}");
        assert!(!err["reason"].as_str().unwrap().is_empty(), "case {n}");
        let fine = &conns[2 * n + 1];
        assert_eq!(fine["decode_error"], Value::Null, "case {n}: {fine}");
        assert_eq!(fine["exchanges"][0]["outcome"], "complete", "case {n}");
        assert_eq!(fine["exchanges"][0]["response_delivered"], true, "case {n}");
    }
}

/// Prior knowledge against a server without HTTP/2 (the lab's reference
/// capture, curl against `--http2 off`): the preface was refused, and the
/// server's HTTP/1.1 505 is decoded and labelled, not read as frames.
#[test]
fn a_preface_answered_in_http1_is_refused_and_its_505_labelled() {
    let doc = analyze("captures/h2-prior-http2-off.pcap", &[]);
    let c = conn(&doc, 0);
    assert_eq!(c["protocol"], "h2-preface-refused");
    let e = &c["exchanges"][0];
    assert_eq!(e["status"], 505);
    assert_eq!(e["stream"], Value::Null);
    assert_eq!(c["decode_error"], Value::Null, "{c}");
    let out = run(
        &["analyze", "captures/h2-prior-http2-off.pcap", "--frames"],
        None,
    );
    let text = stdout(&out);
    assert!(text.contains("client ← server  HTTP/1.1 505"), "{text}");
    assert!(
        text.contains("the HTTP/2 preface (PRI * HTTP/2.0) → 505"),
        "{text}"
    );
    assert!(text.contains("client → server  SETTINGS"), "{text}");
}
