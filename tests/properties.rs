//! Invariants that must hold for every input, checked with proptest: a byte
//! stream cut at any points parses as it does whole (HTTP heads, chunked bodies),
//! sequence numbers wrap as RFC 9293 §3.4 says, and the analyzer's report does
//! not depend on how the capture file arrives in reads.

mod common;

use common::traffic::{LAYOUTS, analyze_bytes, analyze_reader, six_connections, write};
use proptest::prelude::*;
use wirelab::fuzzing::ShortReads;
use wirelab::http::{Check, ChunkedDecoder, Limits, ParseError, RequestHead, check_request};
use wirelab::wire::SeqNum;

/// Pieces of HTTP heads, so that generated streams are often nearly valid.
const TOKENS: &[&str] = &[
    "GET",
    "POST",
    "HEAD",
    " ",
    "/",
    "/a?b=c",
    "*",
    "http://x/",
    "HTTP/1.1",
    "HTTP/1.0",
    "HTTP/2.0",
    "\r\n",
    "\r",
    "\n",
    "\r\n\r\n",
    "Host: x",
    "Host:x",
    "Content-Length: 5",
    "Content-Length: 5, 5",
    "Transfer-Encoding: chunked",
    "Connection: close",
    "Expect: 100-continue",
    " folded",
    "X-A: b",
    "X :y",
    ":",
    "\t",
    "\0",
    "\x7f",
    "é",
];

/// A stream built from tokens and a few raw bytes.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => prop::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 1..4),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// Cut points inside a stream of `len` bytes (sorted, possibly repeated).
fn cuts(stream: &[u8], picks: &[prop::sample::Index]) -> Vec<usize> {
    let mut c: Vec<usize> = picks.iter().map(|i| i.index(stream.len() + 1)).collect();
    c.sort_unstable();
    c
}

/// What the server ends with when the stream arrives in these pieces: it appends
/// each read to its buffer and checks again until the check stops saying Incomplete.
fn incremental(stream: &[u8], cuts: &[usize], limits: &Limits) -> Result<Check, ParseError> {
    for &end in cuts.iter().chain(std::iter::once(&stream.len())) {
        let r = check_request(&stream[..end], limits);
        if r != Ok(Check::Incomplete) {
            return r;
        }
    }
    Ok(Check::Incomplete)
}

fn small() -> Limits {
    Limits {
        max_start_line: 30,
        max_field_line: 20,
        max_fields: 3,
        max_head: 90,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn request_head_split_anywhere_checks_and_parses_as_whole(
        s in stream(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        tight in any::<bool>(),
    ) {
        let limits = if tight { small() } else { Limits::default() };
        let whole = check_request(&s, &limits);
        let pieces = incremental(&s, &cuts(&s, &picks), &limits);
        prop_assert_eq!(&whole, &pieces);
        if let Ok(Check::Complete(len)) = whole {
            // The parse sees the same bytes either way; it must never panic.
            let parsed = RequestHead::parse(&s[..len]);
            if let Err(e) = parsed {
                prop_assert!([400, 413, 414, 431, 501, 505].contains(&e.status()));
            }
        }
    }

    #[test]
    fn request_head_every_prefix_is_incomplete_or_final(s in stream()) {
        // Once the check is Complete or an error, more bytes never change it.
        let limits = Limits::default();
        let mut settled: Option<Result<Check, ParseError>> = None;
        for end in 0..=s.len() {
            let r = check_request(&s[..end], &limits);
            match &settled {
                Some(first) => prop_assert_eq!(&r, first, "prefix {}", end),
                None if r != Ok(Check::Incomplete) => settled = Some(r),
                None => {}
            }
        }
    }

    #[test]
    fn chunked_body_split_anywhere_decodes_as_whole(
        sizes in prop::collection::vec(0usize..40, 0..5),
        ext in any::<bool>(),
        noise in prop::collection::vec(any::<u8>(), 0..3),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut body = Vec::new();
        for (i, n) in sizes.iter().filter(|&&n| n > 0).enumerate() {
            body.extend_from_slice(format!("{n:x}{}\r\n", if ext { ";e=1" } else { "" }).as_bytes());
            body.extend(std::iter::repeat_n(b'a' + i as u8, *n));
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"0\r\nT: v\r\n\r\n");
        // Damage the body sometimes: the split must not change the error either.
        if let Some(&b) = noise.first() {
            let at = usize::from(b) % body.len();
            body[at] = noise.get(1).copied().unwrap_or(b'X');
        }
        body.extend_from_slice(b"GET /next");
        let run = |cuts: &[usize]| -> Result<Option<(usize, Vec<u8>)>, ParseError> {
            let mut d = ChunkedDecoder::new(1 << 16);
            let (mut data, mut consumed, mut start) = (Vec::new(), 0, 0);
            for &end in cuts.iter().chain(std::iter::once(&body.len())) {
                let feed = d.feed(&body[start..end], |b| data.extend_from_slice(b))?;
                consumed += feed.consumed;
                start = end;
                if feed.done {
                    return Ok(Some((consumed, data)));
                }
            }
            Ok(None)
        };
        prop_assert_eq!(run(&[]), run(&cuts(&body, &picks)));
    }

    #[test]
    fn seq_num_adds_and_compares_across_the_wrap(a in any::<u32>(), d in 1u32..(1 << 31)) {
        let a = SeqNum(a);
        let b = a + d;
        prop_assert!(a < b, "{a} < {b}");
        prop_assert!(b > a, "{b} > {a}");
        prop_assert_ne!(a, b);
        prop_assert_eq!(b.diff(a), d as i32);
        prop_assert_eq!(a.diff(b), -(d as i32));
        prop_assert_eq!(b - d, a);
    }

    #[test]
    fn seq_num_order_is_asymmetric(a in any::<u32>(), b in any::<u32>()) {
        let (a, b) = (SeqNum(a), SeqNum(b));
        prop_assert!(!(a < b && b < a), "{a} and {b} are each below the other");
        prop_assert_eq!(a == b, a.partial_cmp(&b) == Some(std::cmp::Ordering::Equal));
    }
}

#[test]
fn seq_num_half_the_space_apart_is_neither_below_nor_above() {
    // The case the random search above hits only by luck: 2^31 apart.
    let a = SeqNum(0x8000_0010);
    let b = a + (1 << 31);
    assert!(!a.lt(&b) && !b.lt(&a), "neither is below the other");
    assert_eq!(a.partial_cmp(&b), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn analyzer_report_does_not_depend_on_how_the_file_is_chunked(
        layout in prop::sample::select(&LAYOUTS[..]),
        sizes in prop::collection::vec(1usize..300, 1..12),
    ) {
        let bytes = write(&six_connections(), layout);
        let whole = analyze_bytes(&bytes);
        let chunked = analyze_reader(ShortReads::new(&bytes, &sizes));
        prop_assert!(whole.is_ok());
        prop_assert_eq!(whole, chunked);
    }
}

#[test]
fn reference_traces_give_the_same_report_through_short_reads() {
    // The Zeek traces in tests/data/zeek, each read whole and through reads
    // of sizes that straddle every record boundary.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zeek/traces");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the reference traces are missing at {}: {e}", dir.display()));
    let mut n = 0;
    for path in entries.map(|e| e.expect("entry").path()) {
        let bytes = std::fs::read(&path).expect("trace is readable");
        let whole = analyze_bytes(&bytes);
        for sizes in [
            &[1usize][..],
            &[3, 1, 4, 1, 5, 9, 2, 6],
            &[4095, 17, 65_537],
        ] {
            let chunked = analyze_reader(ShortReads::new(&bytes, sizes));
            assert_eq!(
                whole,
                chunked,
                "{} read in pieces of {sizes:?}",
                path.display()
            );
        }
        n += 1;
    }
    assert!(n >= 30, "expected the corpus' traces, found {n}");
}
