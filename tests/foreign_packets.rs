//! Packets the reference captures do not have, written from them or beside
//! them in code: IPv6 jumbograms (RFC 2675, Linux BIG TCP), IPsec AH and
//! ESP over IPv4, and captures concatenated so that time steps back.

mod common;

use std::collections::HashMap;

use common::captures::{run, stderr, stdout, zeek_rows};
use common::rewrite::{Record, ah_header, insert_after_ipv4, pcap, records, shifted};
use serde_json::Value;

fn analyze(bytes: &[u8], format: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("capture.pcap");
    std::fs::write(&path, bytes).expect("write capture");
    let out = run(
        &["analyze", path.to_str().expect("utf-8"), "--format", format],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (stdout(&out), stderr(&out))
}

fn json(bytes: &[u8]) -> Value {
    let (out, err) = analyze(bytes, "json");
    assert_eq!(err, "");
    serde_json::from_str(&out).expect("one JSON document")
}

fn zeek(bytes: &[u8]) -> (Vec<HashMap<String, String>>, String) {
    let (out, err) = analyze(bytes, "zeek");
    (zeek_rows(&out), err)
}

/// One TCP/IPv6 segment in Ethernet; `jumbo` makes it an RFC 2675
/// jumbogram (payload length 0, Hop-by-Hop Jumbo Payload option). Only the
/// first 64 payload bytes are captured, as with `tcpdump -s`.
struct Segment {
    from_client: bool,
    seq: u32,
    ack: u32,
    flags: u8,
    len: u32,
    jumbo: bool,
}

fn ipv6_frame(s: &Segment, micros: i64) -> Record {
    let (a, b) = ([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 2);
    let mut dst = a;
    dst[15] = b;
    let (src, dst, sport, dport) = if s.from_client {
        (a, dst, 40_000u16, 80u16)
    } else {
        (dst, a, 80, 40_000)
    };
    let hbh: &[u8] = if s.jumbo {
        &[6, 0, 0xc2, 4, 0, 0, 0, 0]
    } else {
        &[]
    };
    let after = (hbh.len() + 20) as u32 + s.len;
    let mut d = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
    d.extend_from_slice(&[0x60, 0, 0, 0]);
    let plen = if s.jumbo { 0 } else { after as u16 };
    d.extend_from_slice(&plen.to_be_bytes());
    d.push(if hbh.is_empty() { 6 } else { 0 });
    d.push(64);
    d.extend_from_slice(&src);
    d.extend_from_slice(&dst);
    let at = d.len();
    d.extend_from_slice(hbh);
    if s.jumbo {
        d[at + 4..at + 8].copy_from_slice(&after.to_be_bytes());
    }
    d.extend_from_slice(&sport.to_be_bytes());
    d.extend_from_slice(&dport.to_be_bytes());
    d.extend_from_slice(&s.seq.to_be_bytes());
    d.extend_from_slice(&s.ack.to_be_bytes());
    d.extend_from_slice(&[0x50, s.flags, 0xff, 0xff, 0, 0, 0, 0]);
    d.extend(std::iter::repeat_n(b'x', s.len.min(64) as usize));
    Record {
        micros,
        orig_len: 14 + 40 + after,
        data: d,
    }
}

/// A conversation over IPv6 whose response is one 100 000-byte segment.
fn big_tcp() -> Vec<u8> {
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const FIN: u8 = 0x01;
    const PSH: u8 = 0x08;
    let (c, s) = (1_000u32, 9_000u32);
    let seg = |from_client, seq, ack, flags, len, jumbo| Segment {
        from_client,
        seq,
        ack,
        flags,
        len,
        jumbo,
    };
    let script = [
        seg(true, c, 0, SYN, 0, false),
        seg(false, s, c + 1, SYN | ACK, 0, false),
        seg(true, c + 1, s + 1, ACK, 0, false),
        seg(true, c + 1, s + 1, PSH | ACK, 100, false),
        seg(false, s + 1, c + 101, PSH | ACK, 100_000, true),
        seg(true, c + 101, s + 100_001, ACK, 0, false),
        seg(false, s + 100_001, c + 101, FIN | ACK, 0, false),
        seg(true, c + 101, s + 100_002, FIN | ACK, 0, false),
        seg(false, s + 100_002, c + 102, ACK, 0, false),
    ];
    let frames: Vec<Record> = script
        .iter()
        .enumerate()
        .map(|(i, s)| ipv6_frame(s, 1_800_000_000_000_000 + i as i64 * 1_000))
        .collect();
    pcap(1, &frames)
}

#[test]
fn ipv6_jumbograms_are_decoded() {
    // Before RFC 2675 was read, the zero payload length left no room for
    // the Hop-by-Hop header: the segment was malformed.
    let doc = json(&big_tcp());
    let s = &doc["summary"];
    assert_eq!(s["skipped"]["malformed"], 0, "{s}");
    assert_eq!(s["tcp_segments"], 9);
    let c = &doc["connections"][0]["zeek"];
    assert_eq!(c["conn_state"], "SF", "{c}");
    // The frames keep at most 64 payload bytes, as if cut by a snap length:
    // a stream reassembler such as Zeek's can use neither side's data, so
    // each acknowledgement of it is a content gap (`G`, `g`).
    assert_eq!(c["history"], "ShADdGgfFa", "{c}");
    assert_eq!(c["missed_bytes"], 100 + 100_000, "{c}");
    assert_eq!(c["resp_bytes"], 100_000, "{c}");
    // Three 60-byte packets and the jumbogram with its 8-byte option.
    assert_eq!(c["resp_ip_bytes"], 3 * 60 + 40 + 8 + 20 + 100_000, "{c}");
}

#[test]
fn a_jumbo_payload_option_below_65536_is_malformed() {
    let mut bytes = big_tcp();
    // The one Hop-by-Hop header (next header 6, length 0, option c2 04)
    // states 1 000 bytes instead: at most 65 535 is an error (RFC 2675 §3).
    let at = bytes
        .windows(4)
        .position(|w| w == [6, 0, 0xc2, 4])
        .expect("the jumbo option")
        + 4;
    bytes[at..at + 4].copy_from_slice(&1_000u32.to_be_bytes());
    let doc = json(&bytes);
    assert_eq!(doc["summary"]["skipped"]["malformed"], 1);
}

#[test]
fn tcp_behind_an_ipv4_authentication_header_is_analyzed_and_esp_is_counted() {
    let full = records("full.pcap");
    let with_ah: Vec<Record> = full
        .iter()
        .enumerate()
        .map(|(i, r)| insert_after_ipv4(r, 51, &ah_header(0x1001, i as u32 + 1)))
        .collect();
    let (want, _) = zeek(&pcap(1, &full));
    let (got, err) = zeek(&pcap(1, &with_ah));
    // With --format zeek the summary line goes to standard error; nothing
    // else may (no warning).
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("lab: 1 connection") && !err.contains("warning"),
        "{err}"
    );
    assert_eq!(got.len(), 1);
    for field in [
        "ts",
        "conn_state",
        "history",
        "orig_bytes",
        "resp_bytes",
        "orig_pkts",
    ] {
        assert_eq!(got[0][field], want[0][field], "{field}");
    }
    // Each packet's IP length counts its 24 bytes of AH.
    for (ip, pkts) in [
        ("orig_ip_bytes", "orig_pkts"),
        ("resp_ip_bytes", "resp_pkts"),
    ] {
        let n: u64 = want[0][pkts].parse().unwrap();
        let base: u64 = want[0][ip].parse().unwrap();
        assert_eq!(got[0][ip], (base + 24 * n).to_string(), "{ip}");
    }

    // ESP: the protocol number changes, the rest is ciphertext to us.
    let esp: Vec<Record> = full
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.data[14 + 9] = 50;
            r
        })
        .collect();
    let doc = json(&pcap(1, &esp));
    let s = &doc["summary"];
    assert_eq!(s["connections"], 0);
    assert_eq!(s["skipped"]["not_tcp"], full.len());
    assert_eq!(s["skipped"]["esp"], full.len());
    let (table, _) = analyze(&pcap(1, &esp), "table");
    assert!(
        table.contains(&format!("{} IPsec ESP packets", full.len())),
        "{table}"
    );
}

/// `full.pcap`, then `drain.pcap` moved to start `step` seconds before the
/// end of `full.pcap`: two files concatenated with `cat`-like tools.
fn concatenated(step: i64) -> (Vec<u8>, usize, usize) {
    let a = records("full.pcap");
    let b = records("drain.pcap");
    let last = a.last().expect("records").micros;
    let b = shifted(&b, last - step * 1_000_000 - b[0].micros);
    let mut all = a.clone();
    all.extend(b.iter().cloned());
    (pcap(1, &all), a.len(), b.len())
}

/// (conn_state, history, removed_by) of each connection, by id.
fn shapes(doc: &Value) -> Vec<String> {
    doc["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| {
            let z = &c["zeek"];
            let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
            format!(
                "{} {} {}",
                s(&z["conn_state"]),
                s(&z["history"]),
                s(&c["removed_by"])
            )
        })
        .collect()
}

#[test]
fn time_stepping_back_follows_zeeks_clock_and_is_warned_about() {
    // Zeek's network time never goes back (`RunState.cc`, dispatch_packet);
    // its timers fire when network time reaches them, and each is set from
    // the packet's own time (attempt: SYN + 5 s), the connection's last
    // packet (close: + 5 s; inactivity: + 1 min in the handshake, + 5 min
    // after it) or network time (expire). Packets of the second file arrive
    // with network time still at the end of the first.
    let a = "SF ShADadfF end_of_input";
    let expected: [(i64, &[&str]); 3] = [
        // 2 s back: no timer is past before the second file catches up.
        (2, &[a, "SF ShADadfF end_of_input"]),
        // 60 s back: the SYN's attempt timer and the close timer are past
        // on arrival, and fire at the next packet; the connection started by
        // the SYN-ACK's ACK is 1 min from its inactivity timeout, so its
        // packets stay together.
        (
            60,
            &[
                a,
                "S0 S attempt_timer",
                "OTH H attempt_timer",
                "SF ADadfF close_timer",
                "OTH A end_of_input",
            ],
        ),
        // 400 s back: every connection is past its inactivity timeout (or a
        // close or attempt timer) on arrival: one row per packet.
        (
            400,
            &[
                a,
                "S0 S attempt_timer",
                "OTH H attempt_timer",
                "OTH A inactivity_timer",
                "OTH D inactivity_timer",
                "OTH A inactivity_timer",
                "OTH D inactivity_timer",
                "OTH A inactivity_timer",
                "SH F close_timer",
                "SH F close_timer",
                "OTH A end_of_input",
            ],
        ),
    ];
    for (step, want) in expected {
        let (bytes, a_len, b_len) = concatenated(step);
        let (out, err) = analyze(&bytes, "json");
        let doc: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(shapes(&doc), want, "{step} s back");
        assert_eq!(doc["summary"]["time_went_back"]["at_frame"], a_len + 1);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{err}");
        let head = format!(
            "lab: warning: timestamps go back by up to {step} s (at frame {}; {b_len} packets",
            a_len + 1
        );
        assert!(lines[0].starts_with(&head), "{err}");
    }
    // In order, nothing to say.
    let (_, quiet) = analyze(&pcap(1, &records("full.pcap")), "json");
    assert_eq!(quiet, "");
}
