//! Damaged captures through the whole analyzer: cut at every byte offset, bytes
//! flipped at seeded random places, frames cut to a 60-byte snap length. The
//! answer is always a one-line error or a report (damage counted, never a
//! panic), and every connection whose packets all survived intact is reported
//! with the same verdict as from the undamaged file.
//!
//! The reader-level sweeps (every truncation and flip read to the end without
//! panic) live in `src/capture/tests.rs`; the layouts and link types here are the
//! analyzer's view of the same damage.

mod common;

use std::collections::HashMap;

use common::traffic::{LAYOUTS, analyze_bytes, six_connections, verdict, write, write_snaplen};
use wirelab::capture::{FileReader, Timestamp};
use wirelab::report::Report;
use wirelab::teardown::Ending;
use wirelab::wire::{DecodeOptions, Decoded, decode};

/// What frame `n` (1-based) of a read was: time, link type, length on the wire
/// (the record header's, which bounds the IP length) and captured bytes.
type FrameId = (Timestamp, u32, u32, Vec<u8>);

/// Every frame of a capture, or none if it cannot be opened.
fn frames(bytes: &[u8]) -> Vec<FrameId> {
    let Ok(mut r) = FileReader::new(bytes) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Ok(Some(f)) = r.next_frame() {
        out.push((f.ts, f.link.0, f.orig_len, f.data.to_vec()));
    }
    out
}

/// The connection (by its sorted endpoint pair) a frame belongs to, if it is TCP.
fn tuple(f: &FrameId) -> Option<String> {
    let frame = wirelab::capture::Frame {
        number: 1,
        ts: f.0,
        link: wirelab::capture::LinkType(f.1),
        data: &f.3,
        orig_len: f.2,
    };
    match decode(&frame, &DecodeOptions::default()) {
        Decoded::Tcp(s) => {
            let (a, b) = (s.src.min(s.dst), s.src.max(s.dst));
            Some(format!("{a}-{b}"))
        }
        Decoded::TcpBadHeader { src, dst } => Some(format!("{}-{}", src.min(dst), src.max(dst))),
        Decoded::Udp(_) | Decoded::Skip(_) => None,
    }
}

/// The connections of `original` whose frames all appear unchanged in `damaged`,
/// with no other frame of the damaged read claiming their endpoints, and no
/// timestamp in the damaged read that the original lacks (a clock moved by
/// damage moves Zeek's timers, which may rightly split or expire a connection).
fn intact(original: &[FrameId], damaged: &[FrameId]) -> Vec<String> {
    let known: std::collections::HashSet<Timestamp> = original.iter().map(|f| f.0).collect();
    if damaged.iter().any(|f| !known.contains(&f.0)) {
        return Vec::new();
    }
    let mut by_tuple: HashMap<String, (Vec<&FrameId>, Vec<&FrameId>)> = HashMap::new();
    for f in original {
        if let Some(t) = tuple(f) {
            by_tuple.entry(t).or_default().0.push(f);
        }
    }
    for f in damaged {
        if let Some(t) = tuple(f) {
            by_tuple.entry(t).or_default().1.push(f);
        }
    }
    by_tuple
        .into_iter()
        .filter(|(_, (o, d))| !o.is_empty() && o == d)
        .map(|(t, _)| t)
        .collect()
}

/// The report's connections by endpoint pair (several when a tuple is reused).
fn verdicts(report: &Report) -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for c in &report.connections {
        let (a, b) = (c.teardown.client, c.teardown.server);
        m.entry(format!("{}-{}", a.min(b), a.max(b)))
            .or_default()
            .push(verdict(c));
    }
    m
}

/// Analyzes damaged bytes: an error must be one line; a report must keep every
/// intact connection's verdict. Returns how many intact connections were checked.
#[track_caller]
fn check_damaged(what: &str, original: &[u8], damaged: &[u8], baseline: &Report) -> usize {
    let report = match analyze_bytes(damaged) {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.contains('\n') && !e.is_empty(), "{what}: error {e:?}");
            return 0;
        }
    };
    let keep = intact(&frames(original), &frames(damaged));
    let (before, after) = (verdicts(baseline), verdicts(&report));
    for t in &keep {
        assert_eq!(
            after.get(t),
            before.get(t),
            "{what}: intact connection {t} changed its verdict"
        );
    }
    keep.len()
}

#[test]
fn generated_captures_hold_one_connection_of_each_verdict() {
    let packets = six_connections();
    for layout in LAYOUTS {
        let report = analyze_bytes(&write(&packets, layout)).expect("analyzes");
        let endings: Vec<Ending> = report
            .connections
            .iter()
            .map(|c| c.teardown.ending)
            .collect();
        assert_eq!(
            endings,
            [
                Ending::Fin,
                Ending::Rst,
                Ending::Refused,
                Ending::HalfClosed,
                Ending::Open,
                Ending::Unanswered
            ],
            "{layout:?}"
        );
        assert_eq!(report.summary.frames, packets.len() as u64);
    }
}

#[test]
fn every_truncation_keeps_the_verdicts_of_connections_it_did_not_touch() {
    let packets = six_connections();
    for layout in LAYOUTS {
        let bytes = write(&packets, layout);
        let baseline = analyze_bytes(&bytes).expect("analyzes");
        let mut checked = 0;
        for cut in 0..bytes.len() {
            let what = format!("{layout:?} cut at {cut}");
            checked += check_damaged(&what, &bytes, &bytes[..cut], &baseline);
        }
        // The last connection's final packet comes late: most cuts leave some intact.
        assert!(checked > bytes.len(), "{layout:?}: only {checked} checks");
    }
}

/// xorshift64: a seeded, reproducible stream of positions and values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn seeded_byte_flips_keep_the_verdicts_of_intact_connections() {
    let packets = six_connections();
    let mut rng = Rng(0x5eed_0007);
    for layout in LAYOUTS {
        let bytes = write(&packets, layout);
        let baseline = analyze_bytes(&bytes).expect("analyzes");
        let mut checked = 0;
        for round in 0..1500 {
            let mut damaged = bytes.clone();
            for _ in 0..1 + rng.next() % 3 {
                let at = (rng.next() % damaged.len() as u64) as usize;
                damaged[at] ^= (rng.next() % 255 + 1) as u8;
            }
            let what = format!("{layout:?} round {round}");
            checked += check_damaged(&what, &bytes, &damaged, &baseline);
        }
        assert!(checked > 1500, "{layout:?}: only {checked} checks");
    }
}

#[test]
fn snaplen_60_capture_gives_the_same_verdicts_as_the_full_one() {
    // Lengths come from the IP header: a cut payload still counts in full.
    // Only Zeek's content gaps differ: a stream reassembler cannot use a
    // segment whose bytes were cut, so its acknowledgement reveals a gap
    // (`G`/`g` in the history, `missed_bytes`), as Zeek reports it.
    let packets = six_connections();
    let full = analyze_bytes(&write_snaplen(&packets, 65_535)).expect("full");
    let mut cut = analyze_bytes(&write_snaplen(&packets, 60)).expect("snaplen 60");
    assert!(full.connections.iter().all(|c| c.zeek.missed_bytes == 0));
    assert!(cut.connections.iter().any(|c| c.zeek.missed_bytes > 0));
    for c in &mut cut.connections {
        let gaps = c.zeek.history.contains(['G', 'g']);
        assert_eq!(c.zeek.missed_bytes > 0, gaps, "{:?}", c.zeek);
        c.zeek.history.retain(|l| l != 'G' && l != 'g');
    }
    let v = |r: &Report| r.connections.iter().map(verdict).collect::<Vec<_>>();
    assert_eq!(v(&cut), v(&full));
    assert_eq!(cut.summary.skipped.truncated, 0);
}

/// Capture files in a directory, by name; fails loudly when there are fewer than `min`.
#[track_caller]
fn captures_in(dir: &std::path::Path, min: usize) -> Vec<(String, Vec<u8>)> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("the captures are missing at {}: {e}", dir.display()));
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("capture is readable"))
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= min,
        "expected at least {min} captures in {}, found {}",
        dir.display(),
        out.len()
    );
    out
}

/// Cuts each capture at (up to 2,000 spread) offsets and flips `flips` seeded
/// bytes; every intact connection must keep its verdict.
#[track_caller]
fn sweep(captures: Vec<(String, Vec<u8>)>, flips: usize, seed: u64) {
    let mut rng = Rng(seed);
    let (mut cuts, mut flipped, mut checked) = (0, 0, 0);
    for (name, bytes) in captures {
        if bytes.len() > 200_000 {
            continue;
        }
        let baseline = analyze_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let step = (bytes.len() / 2_000).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let what = format!("{name} cut at {cut}");
            checked += check_damaged(&what, &bytes, &bytes[..cut], &baseline);
            cuts += 1;
        }
        for round in 0..flips {
            let mut damaged = bytes.clone();
            let at = (rng.next() % bytes.len() as u64) as usize;
            damaged[at] ^= (rng.next() % 255 + 1) as u8;
            let what = format!("{name} flip {round} at {at}");
            checked += check_damaged(&what, &bytes, &damaged, &baseline);
            flipped += 1;
        }
    }
    // Most of these captures hold one connection, which a cut always touches:
    // the checks come from flips elsewhere and from the multi-connection files.
    assert!(
        checked > 100,
        "{checked} intact connections checked over {cuts} cuts and {flipped} flips"
    );
}

#[test]
fn reference_captures_cut_at_every_byte_or_flipped_keep_intact_verdicts() {
    // The lab's own reference captures (captures/, recorded by `lab reset`).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    sweep(captures_in(&dir, 10), 300, 0x7ace_0001);
}

#[test]
fn zeek_traces_cut_anywhere_or_flipped_keep_intact_verdicts() {
    // The Zeek test traces in tests/data/zeek.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zeek/traces");
    sweep(captures_in(&dir, 30), 100, 0x7ace_0007);
}

/// Where each record of a little-endian classic pcap starts, and the file's end.
fn record_starts(bytes: &[u8]) -> Vec<usize> {
    let mut at = 24;
    let mut out = Vec::new();
    while at + 16 <= bytes.len() {
        out.push(at);
        let caplen =
            u32::from_le_bytes([bytes[at + 8], bytes[at + 9], bytes[at + 10], bytes[at + 11]]);
        at += 16 + caplen as usize;
    }
    out.push(bytes.len());
    out
}

/// A record header: time of the record before `at`, the given lengths.
fn record_header(bytes: &[u8], at: usize, caplen: u32, orig: u32) -> Vec<u8> {
    let mut h = bytes[at..at + 8].to_vec();
    h.extend_from_slice(&caplen.to_le_bytes());
    h.extend_from_slice(&orig.to_le_bytes());
    h
}

#[test]
fn zero_length_and_huge_records_are_counted_and_the_rest_is_analyzed() {
    let packets = six_connections();
    let bytes = write(&packets, common::traffic::Layout::PcapEthernet);
    let baseline = analyze_bytes(&bytes).expect("analyzes");
    let starts = record_starts(&bytes);
    let mid = starts[10];
    // A zero-length record is a frame with nothing in it (skipped as truncated).
    let v = |r: &Report| r.connections.iter().map(verdict).collect::<Vec<_>>();
    let zero = [
        &bytes[..mid],
        &record_header(&bytes, mid, 0, 0),
        &bytes[mid..],
    ]
    .concat();
    let r = analyze_bytes(&zero).expect("analyzes");
    assert_eq!(r.summary.frames, packets.len() as u64 + 1);
    assert_eq!(r.summary.skipped.truncated, 1);
    assert_eq!(
        v(&r),
        v(&baseline),
        "frame numbers shift by one, verdicts do not"
    );
    // A record header claiming 2 GiB: damage, counted; reading resumes at the next
    // good record, so only that garbage is lost.
    let huge = [
        &bytes[..mid],
        &record_header(&bytes, mid, 0x8000_0000, 0x8000_0000),
        &bytes[mid..],
    ]
    .concat();
    let r = analyze_bytes(&huge).expect("analyzes");
    assert_eq!(r.summary.capture_anomalies.damaged_records, 1);
    assert_eq!(r.summary.capture_anomalies.skipped_bytes, 16);
    assert_eq!(r.connections, baseline.connections);
    // A plausible length as the last record, but the file ends inside it.
    let tail = [
        &bytes[..],
        &record_header(&bytes, mid, 1000, 1000),
        &[0; 10],
    ]
    .concat();
    let r = analyze_bytes(&tail).expect("analyzes");
    assert_eq!(r.summary.capture_anomalies.truncated_records, 1);
    assert_eq!(r.connections, baseline.connections);
    // An impossible length as the last record (above any snap length): damage,
    // and the search for a next record finds the end of the file.
    let tail = [&bytes[..], &record_header(&bytes, mid, 1 << 30, 1 << 30)].concat();
    let r = analyze_bytes(&tail).expect("analyzes");
    assert_eq!(r.summary.capture_anomalies.damaged_records, 1);
    assert_eq!(r.connections, baseline.connections);
}

#[test]
fn unknown_link_type_is_counted_per_frame_not_an_error() {
    let packets = six_connections();
    let mut bytes = write(&packets, common::traffic::Layout::PcapEthernet);
    bytes[20..24].copy_from_slice(&4242u32.to_le_bytes());
    let r = analyze_bytes(&bytes).expect("an unknown link type still reads");
    assert_eq!(r.summary.frames, packets.len() as u64);
    assert_eq!(r.summary.skipped.unknown_link_type, packets.len() as u64);
    assert!(r.connections.is_empty());
}
