//! Files shaped the way other tools write them, made from the reference
//! captures: `--filter` on raw-IP link types and on pcapng files mixing a
//! link type libpcap cannot filter, and damage that tcpdump and tshark
//! refuse (a section header of another version, an option longer than its
//! block, a record longer than any capture): each analyzed, with one
//! warning line on standard error.

mod common;

use common::captures::{run, stderr, stdout, zeek_rows};
use common::rewrite::{Record, block, epb, pcap, pcapng, records, shb, strip_ethernet};
use serde_json::Value;

/// LINKTYPE_IEEE802_15_4_WITHFCS: a link type libpcap's filter compiler
/// has no TCP for.
const LINK_802_15_4: u16 = 195;

fn temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write capture");
    path
}

fn json(path: &std::path::Path, extra: &[&str]) -> (Value, String) {
    let mut args = vec![
        "analyze",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    (doc, stderr(&out))
}

/// conn.log rows without the fields a link-layer rewrite changes.
fn rows(path: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "analyze",
        path.to_str().expect("utf-8 path"),
        "--format",
        "zeek",
    ];
    args.extend_from_slice(extra);
    let out = run(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    zeek_rows(&stdout(&out))
        .iter()
        .map(|r| {
            let f = |k: &str| r[k].clone();
            [
                "ts",
                "id.orig_p",
                "id.resp_p",
                "conn_state",
                "history",
                "orig_bytes",
                "resp_bytes",
            ]
            .map(f)
            .join(" ")
        })
        .collect()
}

fn raw(records: &[Record]) -> Vec<Record> {
    records.iter().map(strip_ethernet).collect()
}

#[test]
fn filters_raw_ip_captures_as_tcpdump_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let full = records("full.pcap");
    let ethernet = rows(&temp(&dir, "eth.pcap", &pcap(1, &full)), &[]);
    assert_eq!(ethernet.len(), 1);
    // LINKTYPE_RAW in a pcap header, with FCS bits above it (0x30000065),
    // and in a pcapng interface.
    let with_fcs_bits = temp(&dir, "raw.pcap", &pcap(0x3000_0065, &raw(&full)));
    let packets: Vec<(u32, Record)> = raw(&full).into_iter().map(|r| (0, r)).collect();
    let ng = temp(&dir, "raw.pcapng", &pcapng(&[101], &packets));
    for path in [&with_fcs_bits, &ng] {
        assert_eq!(rows(path, &["--filter", "tcp"]), ethernet, "{path:?}");
        let port = ethernet[0]
            .split(' ')
            .nth(2)
            .expect("resp port")
            .to_string();
        let (kept, warned) = json(path, &["--filter", &format!("tcp port {port}")]);
        assert_eq!(kept["summary"]["connections"], 1, "{path:?}");
        assert_eq!(kept["summary"]["filtered_out"], 0, "{path:?}");
        assert_eq!(warned, "", "{path:?}");
        let (none, _) = json(path, &["--filter", "tcp port 9"]);
        assert_eq!(none["summary"]["connections"], 0, "{path:?}");
        assert_eq!(none["summary"]["filtered_out"], full.len(), "{path:?}");
    }
}

#[test]
fn an_unfilterable_interface_is_left_out_counted_and_warned_about_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let full = records("full.pcap");
    // The TCP on Ethernet, and 802.15.4 frames on a second interface
    // between them (a sniffer dongle next to the NIC).
    let mut packets = Vec::new();
    for (i, r) in full.iter().enumerate() {
        packets.push((0, r.clone()));
        if i % 3 == 0 {
            let frame = Record {
                micros: r.micros,
                orig_len: 12,
                data: vec![0x41, 0x88, i as u8, 0xcd, 0xab, 0xff, 0xff, 0, 0, 1, 2, 3],
            };
            packets.push((1, frame));
        }
    }
    let radio = packets.iter().filter(|(i, _)| *i == 1).count();
    let path = temp(&dir, "mixed.pcapng", &pcapng(&[1, LINK_802_15_4], &packets));

    let (doc, warned) = json(&path, &["--filter", "tcp"]);
    let s = &doc["summary"];
    assert_eq!(s["connections"], 1);
    assert_eq!(s["tcp_segments"], full.len());
    assert_eq!(s["filtered_out"], radio);
    assert_eq!(s["unfilterable"][0]["link"], LINK_802_15_4);
    assert_eq!(s["unfilterable"][0]["frames"], radio);
    let lines: Vec<&str> = warned.lines().collect();
    assert_eq!(lines.len(), 1, "{warned}");
    assert!(
        lines[0].starts_with("lab: warning: --filter does not compile for link type 195")
            && lines[0].contains(&format!("its {radio} frames count as filtered out")),
        "{warned}"
    );
    // Without a filter the same frames are an unknown link type, silently.
    let (plain, quiet) = json(&path, &[]);
    assert_eq!(plain["summary"]["skipped"]["unknown_link_type"], radio);
    assert!(plain["summary"].get("unfilterable").is_none());
    assert_eq!(quiet, "");
}

#[test]
fn a_filter_no_interface_takes_is_still_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let full = records("full.pcap");
    let frames: Vec<Record> = full
        .iter()
        .map(|r| Record {
            data: r.data[..12].to_vec(),
            orig_len: 12,
            ..r.clone()
        })
        .collect();
    let path = temp(&dir, "radio.pcap", &pcap(u32::from(LINK_802_15_4), &frames));
    let out = run(
        &["analyze", path.to_str().unwrap(), "--filter", "tcp"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("lab: bad filter \"tcp\" for link type 195: "),
        "{err}"
    );
    // A syntax error, on a link type that does compile, too.
    let eth = temp(&dir, "eth-bad.pcap", &pcap(1, &full));
    let out = run(
        &["analyze", eth.to_str().unwrap(), "--filter", "tcp and ("],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

/// One warning line naming the damage; everything else still analyzed.
fn assert_damage_warned(bytes: &[u8], name: &str, says: &str, records: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp(&dir, name, bytes);
    let (doc, warned) = json(&path, &[]);
    let s = &doc["summary"];
    assert_eq!(s["capture_anomalies"]["damaged_records"], 1, "{name}");
    assert_eq!(s["frames"], records, "{name}");
    assert_eq!(s["connections"], 1, "{name}");
    let lines: Vec<&str> = warned.lines().collect();
    assert_eq!(lines.len(), 1, "{name}: {warned}");
    assert!(
        lines[0].starts_with("lab: warning: 1 damaged record that tcpdump and tshark stop at")
            && lines[0].contains(says),
        "{name}: {warned}"
    );
}

#[test]
fn damage_the_reference_tools_refuse_is_said_in_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let full = records("full.pcap");
    let n = full.len();

    // A second section of an unknown version between the packets.
    let mut two_sections = Vec::new();
    block(&mut two_sections, 0x0a0d_0d0a, &shb(1, 0));
    block(&mut two_sections, 1, &[1, 0, 0, 0, 0, 0, 4, 0]);
    for (i, r) in full.iter().enumerate() {
        if i == 4 {
            block(&mut two_sections, 0x0a0d_0d0a, &shb(2, 0));
        }
        block(&mut two_sections, 6, &epb(0, r));
    }
    assert_damage_warned(
        &two_sections,
        "version.pcapng",
        "a pcapng section header of version 2.0",
        n,
    );

    // An interface option (if_name, code 2) claiming 200 bytes in a block
    // that has 8.
    let mut long_option = Vec::new();
    block(&mut long_option, 0x0a0d_0d0a, &shb(1, 0));
    let mut idb = vec![1, 0, 0, 0, 0, 0, 4, 0];
    idb.extend_from_slice(&[2, 0, 200, 0, b'e', b't', b'h', b'0']);
    block(&mut long_option, 1, &idb);
    for r in &full {
        block(&mut long_option, 6, &epb(0, r));
    }
    assert_damage_warned(
        &long_option,
        "option.pcapng",
        "a pcapng option is longer than its block",
        n,
    );

    // A pcap record header claiming 3 GB, then the records go on.
    let mut bytes = pcap(1, &full[..5]);
    for v in [0u32, 0, 3_000_000_000, 3_000_000_000] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.extend_from_slice(&pcap(1, &full[5..])[24..]);
    assert_damage_warned(
        &bytes,
        "long-record.pcap",
        "a record claims 3000000000 bytes",
        n,
    );

    // An undamaged file says nothing.
    let clean = temp(&dir, "clean.pcap", &pcap(1, &full));
    assert_eq!(json(&clean, &[]).1, "");
}
