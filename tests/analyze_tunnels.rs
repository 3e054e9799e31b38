//! `lab analyze` over tunneled traffic: conversations written as plain
//! Ethernet/IPv4/TCP, then wrapped frame by frame in VXLAN, Geneve, GRE,
//! GRE in UDP, IP-in-IP and GTP-U, must give exactly the verdicts and conn.log
//! rows of the plain capture (Zeek keys and counts the inner packets), and
//! the summary must say what came out of which tunnel and what could not.

mod common;

use common::captures::{Conversation, Pcap, Send, run, stderr, stdout, zeek_rows};
use etherparse::PacketBuilder;
use serde_json::Value;

const OUTER_A: [u8; 4] = [198, 51, 100, 1];
const OUTER_B: [u8; 4] = [198, 51, 100, 2];

/// An Ethernet frame around an outer IPv4/UDP datagram to `dport`.
fn udp_outer(dport: u16, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0xa], [2, 0, 0, 0, 0, 0xb])
        .ipv4(OUTER_A, OUTER_B, 64)
        .udp(49152, dport);
    let mut v = Vec::new();
    b.write(&mut v, payload).expect("builds");
    v
}

/// An Ethernet frame around an outer IPv4 header of protocol `proto`.
fn ip_outer(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 0x08, 0x00, 0x45, 0];
    v.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
    v.extend_from_slice(&OUTER_A);
    v.extend_from_slice(&OUTER_B);
    v.extend_from_slice(payload);
    v
}

/// The IP packet of a plain Ethernet frame.
fn ip_of(frame: &[u8]) -> &[u8] {
    &frame[14..]
}

fn vxlan(frame: &[u8]) -> Vec<u8> {
    udp_outer(4789, &[&[0x08, 0, 0, 0, 0, 1, 0, 0][..], frame].concat())
}

fn geneve(frame: &[u8]) -> Vec<u8> {
    // One 8-byte option (length field 1 word of data), protocol IPv4.
    let header = [
        0x02, 0, 0x08, 0x00, 0, 0, 5, 0, 0x01, 0x07, 0x01, 0x01, 1, 2, 3, 4,
    ];
    udp_outer(6081, &[&header[..], ip_of(frame)].concat())
}

fn gre_with_key(frame: &[u8]) -> Vec<u8> {
    ip_outer(
        47,
        &[&[0x20, 0, 0x08, 0x00, 0, 0, 0, 42][..], ip_of(frame)].concat(),
    )
}

fn gre_in_udp(frame: &[u8]) -> Vec<u8> {
    udp_outer(4754, &[&[0, 0, 0x08, 0x00][..], ip_of(frame)].concat())
}

fn ip_in_ip(frame: &[u8]) -> Vec<u8> {
    ip_outer(4, ip_of(frame))
}

fn gtp(frame: &[u8]) -> Vec<u8> {
    let ip = ip_of(frame);
    // Version 1, PT, S: sequence number and next-extension words present.
    let mut h = vec![0x32, 0xff];
    h.extend_from_slice(&((ip.len() + 4) as u16).to_be_bytes());
    h.extend_from_slice(&[0, 0, 0, 7, 0, 1, 0, 0]);
    udp_outer(2152, &[&h[..], ip].concat())
}

/// Wraps one plain Ethernet frame in a tunnel.
type Wrap = fn(&[u8]) -> Vec<u8>;

/// Six conversations with different endings, and the tunnel each goes in;
/// their client ports start at `first`.
fn conversations_from(first: u16) -> Vec<(Conversation, Wrap)> {
    let mut out: Vec<(Conversation, Wrap)> = Vec::new();
    let mut fin = Conversation::new(first, 80);
    fin.handshake().exchange(79, 64);
    fin.c(Send::Fin).s(Send::Ack).s(Send::Fin).c(Send::Ack);
    out.push((fin, vxlan));
    let mut rst = Conversation::new(first + 1, 80);
    rst.handshake()
        .c(Send::Data(79))
        .s(Send::Ack)
        .s(Send::RstAck);
    out.push((rst, geneve));
    let mut refused = Conversation::new(first + 2, 81);
    refused.c(Send::Syn).s(Send::RstAck);
    out.push((refused, gre_with_key));
    let mut half = Conversation::new(first + 3, 80);
    half.handshake().exchange(10, 20);
    half.s(Send::Fin).c(Send::Ack);
    out.push((half, gre_in_udp));
    let mut open = Conversation::new(first + 4, 80);
    open.handshake().exchange(5, 5);
    out.push((open, ip_in_ip));
    let mut unanswered = Conversation::new(first + 5, 80);
    unanswered.c(Send::Syn);
    out.push((unanswered, gtp));
    out
}

fn conversations() -> Vec<(Conversation, Wrap)> {
    conversations_from(40000)
}

fn analyze(path: &std::path::Path, format: &str) -> String {
    let out = run(
        &["analyze", "--format", format, path.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "lab failed: {}", stderr(&out));
    stdout(&out)
}

/// The rows with their `tunnel_parents` taken out, and those values.
fn split_parents(
    mut rows: Vec<std::collections::HashMap<String, String>>,
) -> (Vec<std::collections::HashMap<String, String>>, Vec<String>) {
    let parents = rows
        .iter_mut()
        .map(|r| r.remove("tunnel_parents").expect("a tunnel_parents column"))
        .collect();
    (rows, parents)
}

#[test]
fn tunneled_conversations_give_the_rows_of_the_plain_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (mut plain, mut tunneled) = (Pcap::default(), Pcap::default());
    for (conv, wrap) in conversations() {
        plain.merge(&conv.pcap);
        tunneled.merge(&conv.pcap.map(wrap));
    }
    let plain_path = plain.write(dir.path(), "plain.pcap");
    let tunneled_path = tunneled.write(dir.path(), "tunneled.pcap");
    let (want, none) = split_parents(zeek_rows(&analyze(&plain_path, "zeek")));
    let (got, parents) = split_parents(zeek_rows(&analyze(&tunneled_path, "zeek")));
    assert_eq!(want.len(), 6, "{want:?}");
    // Same 5-tuples, uids, states, histories, packets and inner IP bytes;
    // only the tunneled ones name a tunnel, one each.
    assert_eq!(got, want);
    assert!(none.iter().all(|p| p == "-"), "{none:?}");
    assert!(
        parents
            .iter()
            .all(|p| p.starts_with('C') && !p.contains(',')),
        "{parents:?}"
    );
    let mut states: Vec<&str> = got.iter().map(|r| r["conn_state"].as_str()).collect();
    states.sort_unstable();
    assert_eq!(states, ["REJ", "RSTR", "S0", "S1", "S3", "SF"]);
}

#[test]
fn the_summary_counts_segments_per_tunnel_and_broken_tunnels() {
    let dir = tempfile::tempdir().unwrap();
    let mut pcap = Pcap::default();
    for (conv, wrap) in conversations() {
        pcap.merge(&conv.pcap.map(wrap));
    }
    // One VXLAN datagram without its I flag and one IP-in-IP packet whose
    // inner header is IPv6: counted, not decapsulated.
    let mut broken = Conversation::new(41000, 80);
    broken.c(Send::Syn);
    pcap.merge(&broken.pcap.map(|f| {
        let mut v = vxlan(f);
        v[42] = 0;
        v
    }));
    pcap.merge(&broken.pcap.map(|f| {
        let mut v = ip_in_ip(f);
        v[34] = 0x65;
        v
    }));
    let path = pcap.write(dir.path(), "mixed.pcap");
    let doc: Value = serde_json::from_str(&analyze(&path, "json")).expect("JSON");
    let summary = &doc["summary"];
    let endings: Vec<&str> = doc["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| c["ended"].as_str().expect("ended"))
        .collect();
    assert_eq!(
        endings,
        ["fin", "rst", "refused", "half-closed", "open", "unanswered"]
    );
    let d = &summary["decapsulated"];
    // 11 frames in VXLAN, 6 in Geneve, 2 in GRE, 9 in GRE in UDP, 7 in
    // IP-in-IP, 1 in GTP.
    assert_eq!(
        [
            &d["vxlan"],
            &d["geneve"],
            &d["gre"],
            &d["ip_in_ip"],
            &d["gtp"],
            &d["teredo"],
            &d["ayiya"],
            &d["total"]
        ],
        [11, 6, 11, 7, 1, 0, 0, 36]
    );
    assert_eq!(summary["tcp_segments"], 36);
    let skipped = &summary["skipped"];
    assert_eq!(
        [
            &skipped["tunnels"],
            &skipped["tunnel_vxlan"],
            &skipped["tunnel_ip_in_ip"],
            &skipped["tunnel_too_deep"]
        ],
        [2, 1, 1, 0]
    );
    let table = analyze(&path, "table");
    assert!(
        table.contains("38 frames read (36 TCP, 36 from tunnels)")
            && table.contains("anomalies: 2 tunnels not decapsulated;"),
        "{table}"
    );
}

#[test]
fn a_large_tunneled_capture_is_analyzed_on_two_threads_alike() {
    // Past 2,048 frames (one batch) the flow table runs on its own thread
    // (src/analyze/pipeline.rs): the decapsulation counts must cross over
    // to the summary. Several batches' worth, so that they do.
    let dir = tempfile::tempdir().unwrap();
    let (mut plain, mut tunneled) = (Pcap::default(), Pcap::default());
    let sets = 240;
    for k in 0..sets {
        for (conv, wrap) in conversations_from(40000 + 10 * k) {
            plain.merge(&conv.pcap);
            tunneled.merge(&conv.pcap.map(wrap));
        }
    }
    let plain_path = plain.write(dir.path(), "plain.pcap");
    let tunneled_path = tunneled.write(dir.path(), "tunneled.pcap");
    let (want, _) = split_parents(zeek_rows(&analyze(&plain_path, "zeek")));
    assert_eq!(want.len(), 6 * sets as usize);
    let (got, parents) = split_parents(zeek_rows(&analyze(&tunneled_path, "zeek")));
    assert_eq!(got, want);
    // Every set of conversations rides the same tunnels: five, since GRE
    // over IP and GRE in UDP between one address pair are one GRE tunnel
    // to Zeek (keyed by the addresses, not the UDP ports).
    let distinct: std::collections::HashSet<&String> = parents.iter().collect();
    assert!(parents.iter().all(|p| p != "-"));
    assert_eq!(distinct.len(), 5, "{distinct:?}");
    let doc: Value = serde_json::from_str(&analyze(&tunneled_path, "json")).expect("JSON");
    let summary = &doc["summary"];
    assert!(
        summary["frames"].as_u64().expect("frames") > 4 * 2048,
        "{summary}"
    );
    assert_eq!(summary["decapsulated"]["total"], 36 * u64::from(sets));
    assert_eq!(summary["decapsulated"]["vxlan"], 11 * u64::from(sets));
    assert_eq!(summary["tcp_segments"], summary["decapsulated"]["total"]);
}
