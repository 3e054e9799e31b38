//! The bodies of the fuzz targets, in the library so that two callers share them:
//! the coverage-guided fuzzers in `fuzz/` (cargo-fuzz, libFuzzer) and the ordinary
//! test `tests/fuzz_corpora.rs`, which replays every committed corpus file and
//! every kept crasher through the same functions in CI.
//!
//! Not part of the API (hidden from the docs). Unlike the rest of the library these
//! functions *are* meant to panic: each one asserts the invariants of the parser it
//! drives, and a panic is how a fuzzer reports a broken invariant. The parsers
//! themselves must never panic, whatever the bytes.
//!
//! Input layouts (the first bytes steer, the rest is the input proper):
//!
//! | target | layout |
//! |---|---|
//! | [`http_request`] | `[limits, cut_a, cut_b, stream...]` |
//! | [`chunked_body`] | `[limit, cut, stream...]` |
//! | [`capture_file`] | a whole pcap or pcapng file |
//! | [`wire_frame`] | `[link type selector, length selector, frame...]` |
//! | [`analyze_capture`] | a whole pcap or pcapng file |
//! | [`tls_records`] | `[piece, len_hi, len_lo, client…, server…]` |
//! | [`tls_keylog`] | a key log file |
//! | [`tls_decrypt_records`] | `[suite and side, op...]` (see the function) |
//! | [`quic_initial`] | `[flags, dcid_len, dcid…, datagram…]` |
//! | [`annotate_capture`] | `[selector, pcap or pcapng file...]` |
//! | [`tls_inside`] | `[alpn, size, piece, len_hi, len_lo, client…, server…]` |
//! | [`dns_message`] | one DNS message (a UDP payload) |
//! | [`quic_one_rtt`] | a decrypted 1-RTT payload (frames) |
//! | [`h3_frames`] | `[cut, stream…]` |
//! | [`qpack_section`] | `[split, encoder stream…, field section…]` |

mod annotate;
mod dns;
mod h3;
mod quic;
mod tls;
mod tls_decrypt;
mod tls_inside;

pub use annotate::annotate_capture;
pub use dns::dns_message;
pub use h3::{h3_frames, qpack_section, quic_one_rtt};
pub use quic::quic_initial;
pub use tls::tls_records;
pub use tls_inside::tls_inside;

use std::io::{self, Cursor, Read};

use crate::analyze::{AnalyzeOptions, analyze};
use crate::capture::{CaptureAnomalies, FileReader, Frame, LinkType, Timestamp};
use crate::http::{
    Check, ChunkedDecoder, Feed, Limits, ParseError, RequestHead, ResponseHead, check_request,
    check_response,
};
use crate::report::{Report, json, table, zeek};
use crate::wire::{DecodeOptions, Decoded, Skip, decode};

pub use tls_decrypt::{tls_decrypt_records, tls_keylog};

/// Small limits, so that short fuzz inputs reach every limit branch.
fn small_limits() -> Limits {
    Limits {
        max_start_line: 40,
        max_field_line: 32,
        max_fields: 4,
        max_head: 128,
    }
}

/// A cut point inside `len` bytes chosen by a selector byte.
fn cut(selector: u8, len: usize) -> usize {
    usize::from(selector) * len / 255
}

/// What feeding a stream to the request-head check piece by piece ends with: the
/// server's way (a growing buffer, checked again after every read).
fn check_in_pieces(stream: &[u8], cuts: &[usize], limits: &Limits) -> Result<Check, ParseError> {
    let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(stream.len())).collect();
    ends.push(stream.len());
    ends.sort_unstable();
    let mut result = Ok(Check::Incomplete);
    for end in ends {
        result = check_request(&stream[..end], limits);
        if result != Ok(Check::Incomplete) {
            break;
        }
    }
    result
}

/// The HTTP request head: check, parse, and the split-consistency invariant
/// (a stream fed in three pieces gives what the whole stream gives). Also runs
/// the response-head parser over the same bytes, as the client would.
pub fn http_request(data: &[u8]) {
    let [limits, a, b, stream @ ..] = data else {
        return;
    };
    let limits = if limits & 1 == 1 {
        small_limits()
    } else {
        Limits::default()
    };
    let whole = check_request(stream, &limits);
    let pieces = check_in_pieces(
        stream,
        &[cut(*a, stream.len()), cut(*b, stream.len())],
        &limits,
    );
    assert_eq!(whole, pieces, "split at {a}/{b} changed the check result");
    match whole {
        Ok(Check::Complete(len)) => {
            assert!(len <= stream.len() && len <= limits.max_head);
            let head = &stream[..len];
            // The head alone is complete with the same length, and one byte less is not.
            assert_eq!(check_request(head, &limits), Ok(Check::Complete(len)));
            assert_eq!(
                check_request(&head[..len - 1], &limits),
                Ok(Check::Incomplete)
            );
            match RequestHead::parse(head) {
                Ok(req) => {
                    assert!(req.fields.len() <= limits.max_fields);
                    assert!(!req.target.is_empty());
                }
                Err(e) => assert_status(&e),
            }
        }
        Ok(Check::Incomplete) => {}
        Err(e) => assert_status(&e),
    }
    if let Ok(Check::Complete(len)) = check_response(stream, &limits) {
        let _ = ResponseHead::parse(&stream[..len]).map(|h| h.body_framing(false));
    }
}

/// Every refusal maps to a status the server knows how to send, on one line.
fn assert_status(e: &ParseError) {
    assert!(
        [400, 413, 414, 431, 501, 505].contains(&e.status()),
        "{e:?}"
    );
    assert!(!e.to_string().contains('\n'));
}

/// Feeds `input` to a fresh decoder in the given pieces.
fn feed_in_pieces(
    input: &[u8],
    cuts: &[usize],
    max: u64,
) -> (Result<Feed, ParseError>, Vec<u8>, u64) {
    let mut decoder = ChunkedDecoder::new(max);
    let mut data = Vec::new();
    let mut consumed = 0;
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let piece = &input[start..end.max(start)];
        start = end.max(start);
        match decoder.feed(piece, |d| data.extend_from_slice(d)) {
            Ok(feed) => {
                assert!(feed.consumed <= piece.len());
                consumed += feed.consumed;
                if feed.done {
                    let result = Ok(Feed {
                        consumed,
                        done: true,
                    });
                    return (result, data, decoder.payload());
                }
                // Until the body ends, every byte offered belongs to it.
                assert_eq!(feed.consumed, piece.len());
            }
            Err(e) => return (Err(e), data, decoder.payload()),
        }
    }
    let result = Ok(Feed {
        consumed,
        done: false,
    });
    (result, data, decoder.payload())
}

/// The chunked decoder: whole, in two pieces and byte by byte give the same
/// consumed length, end, error and payload; the payload never exceeds the limit.
pub fn chunked_body(data: &[u8]) {
    let [limit, c, stream @ ..] = data else {
        return;
    };
    let max = if limit & 1 == 1 { 64 } else { 1 << 20 };
    let (whole, whole_data, payload) = feed_in_pieces(stream, &[], max);
    let (two, two_data, _) = feed_in_pieces(stream, &[cut(*c, stream.len())], max);
    assert_eq!(whole, two, "split at {c} changed the result");
    let bytes: Vec<usize> = (1..stream.len()).collect();
    let (single, single_data, _) = feed_in_pieces(stream, &bytes, max);
    assert_eq!(whole, single, "byte-by-byte feeding changed the result");
    match &whole {
        Ok(_) => {
            assert_eq!(whole_data, two_data);
            assert_eq!(whole_data, single_data);
            assert!(payload <= max);
            assert!(whole_data.len() as u64 <= payload);
        }
        Err(e) => assert_status(e),
    }
    if let Ok(Feed {
        consumed,
        done: true,
    }) = whole
    {
        assert_eq!(whole_data.len() as u64, payload);
        // The body alone decodes to the same end: nothing after it was needed.
        let (again, _, _) = feed_in_pieces(&stream[..consumed], &[], max);
        assert_eq!(again, whole);
    }
}

/// A reader that hands out its bytes in short reads of varying sizes.
pub struct ShortReads<'a> {
    data: &'a [u8],
    sizes: &'a [usize],
    turn: usize,
}

impl<'a> ShortReads<'a> {
    /// Reads `data` in pieces of `sizes[0]`, `sizes[1]`, ... bytes, cycling.
    pub fn new(data: &'a [u8], sizes: &'a [usize]) -> Self {
        ShortReads {
            data,
            sizes,
            turn: 0,
        }
    }
}

impl Read for ShortReads<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes.get(self.turn % self.sizes.len().max(1)).copied();
        self.turn += 1;
        let n = size
            .unwrap_or(usize::MAX)
            .max(1)
            .min(out.len())
            .min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// What a frame was, kept to compare two reads of the same file.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    number: u64,
    ts: Timestamp,
    link: LinkType,
    len: usize,
    orig_len: u32,
    first: Option<u8>,
    last: Option<u8>,
}

/// Reads a capture to the end, decoding every frame; the error is a message.
fn read_capture(
    reader: impl Read,
    input_len: usize,
) -> Result<(Vec<Seen>, CaptureAnomalies), String> {
    let mut reader = FileReader::new(reader).map_err(|e| e.to_string())?;
    let mut seen = Vec::new();
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) => return Err(e.to_string()),
        };
        assert_eq!(
            frame.number,
            seen.len() as u64 + 1,
            "frames are numbered 1, 2, ..."
        );
        assert!(
            frame.data.len() <= input_len,
            "a frame larger than the file"
        );
        check_decode(&frame);
        seen.push(Seen {
            number: frame.number,
            ts: frame.ts,
            link: frame.link,
            len: frame.data.len(),
            orig_len: frame.orig_len,
            first: frame.data.first().copied(),
            last: frame.data.last().copied(),
        });
    }
    // Every record or block has a header of at least 12 bytes.
    assert!(seen.len() <= input_len / 12 + 1);
    Ok((seen, reader.anomalies().clone()))
}

/// A whole capture file: read to the end (every frame decoded, with and without
/// checksum validation), once from memory and once through short reads, which must
/// agree frame by frame; errors are one line.
pub fn capture_file(data: &[u8]) {
    let whole = read_capture(Cursor::new(data), data.len());
    let sizes = [1, 13, 4096, 7, 65_536, 2];
    let short = read_capture(ShortReads::new(data, &sizes), data.len());
    assert_eq!(whole, short, "short reads changed what was read");
    if let Err(message) = whole {
        assert!(!message.contains('\n'), "{message}");
    }
}

/// Link types the wire decoder knows, and two it does not.
const LINKS: [u32; 12] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 0xffff];

/// Decodes a frame both ways and checks the decoder's promises.
fn check_decode(frame: &Frame<'_>) {
    let plain = decode(frame, &DecodeOptions::default());
    let strict = decode(
        frame,
        &DecodeOptions {
            validate_checksums: true,
        },
    );
    // A payload is a view into the frame, no longer than its stated length.
    let inside = |payload: &[u8], stated: u32| {
        assert!(payload.len() <= stated as usize);
        let (range, p) = (frame.data.as_ptr_range(), payload.as_ptr_range());
        assert!(
            range.start <= p.start && p.end <= range.end,
            "payload outside the frame"
        );
    };
    if let Decoded::Tcp(seg) = plain {
        inside(seg.payload, seg.payload_len);
        let _ = (
            seg.flags.to_string(),
            seg.src.to_string(),
            seg.dst.to_string(),
        );
    }
    if let Decoded::Udp(d) = plain {
        inside(d.payload, d.payload_len);
    }
    // Validation can only drop a packet for a checksum (or a zero IPv4 length,
    // whose checksum cannot be right either); otherwise both agree. Inside a
    // tunnel that drop shows as a tunnel not decapsulated (a bad outer UDP
    // checksum, a bad inner IPv4 header), as truncated when the snap length
    // cut the frame, or as plain UDP when only Zeek's detection had taken the
    // datagram for a tunnel.
    let cut = frame.orig_len as usize > frame.data.len();
    match (plain, strict) {
        (Decoded::Tcp(a), Decoded::Tcp(b)) => {
            assert_eq!((a.src, a.dst, a.seq, a.ack), (b.src, b.dst, b.seq, b.ack));
            assert_eq!(
                (a.payload_len, a.payload.len()),
                (b.payload_len, b.payload.len())
            );
        }
        (Decoded::TcpBadHeader { src, dst }, Decoded::TcpBadHeader { src: s, dst: d }) => {
            assert_eq!((src, dst), (s, d));
        }
        (Decoded::Udp(a), Decoded::Udp(b)) => {
            assert_eq!((a.src, a.dst, a.length), (b.src, b.dst, b.length));
            assert_eq!(
                (a.payload_len, a.payload.len()),
                (b.payload_len, b.payload.len())
            );
        }
        (Decoded::Skip(a), Decoded::Skip(b)) if a == b => {}
        (_, Decoded::Skip(Skip::BadIpChecksum | Skip::Malformed | Skip::Tunnel(_))) => {}
        (a, Decoded::Udp(_) | Decoded::Skip(Skip::NotTcp(17))) if tunneled(&a) => {}
        (a, Decoded::Skip(Skip::Truncated)) if cut && tunneled(&a) => {}
        (a, b) => panic!("validation changed {a:?} into {b:?}"),
    }
}

/// False for a TCP segment that was not inside a tunnel: validation never
/// turns one into plain UDP. (Skips and bad headers may come from inside a
/// tunnel, and a datagram may be one Zeek's detection took for a tunnel;
/// their values do not say.)
fn tunneled(d: &Decoded<'_>) -> bool {
    match d {
        Decoded::Tcp(seg) => seg.tunnel.is_some(),
        Decoded::TcpBadHeader { .. } | Decoded::Udp(_) | Decoded::Skip(_) => true,
    }
}

/// One frame of a link type picked by the first byte; the second picks the
/// on-the-wire length (equal to, below or above the captured length).
pub fn wire_frame(data: &[u8]) {
    let [link, len, bytes @ ..] = data else {
        return;
    };
    let link = LINKS[usize::from(*link) % LINKS.len()];
    let captured = bytes.len() as u32;
    let orig_len = match len {
        0..=63 => captured,
        64..=127 => captured.saturating_sub(u32::from(len - 63)),
        _ => captured.saturating_add(u32::from(*len) * 16),
    };
    let frame = Frame {
        number: 1,
        ts: Timestamp(0),
        link: LinkType(link),
        data: bytes,
        orig_len,
    };
    check_decode(&frame);
}

/// Runs the whole analyzer over capture bytes read through `reader`.
fn analyze_from(reader: impl Read) -> Result<Report, String> {
    let mut source = FileReader::new(reader).map_err(|e| e.to_string())?;
    analyze(&mut source, &AnalyzeOptions::default()).map_err(|e| e.to_string())
}

/// A whole capture file through the whole analyzer (capture → wire → flow →
/// teardown → report) and its three renderings: the report is the same through
/// short reads, every frame is accounted for, and each connection is reported once.
pub fn analyze_capture(data: &[u8]) {
    let whole = analyze_from(Cursor::new(data));
    let sizes = [7, 1, 4096, 3];
    let short = analyze_from(ShortReads::new(data, &sizes));
    assert_eq!(whole, short, "short reads changed the report");
    let report = match whole {
        Ok(report) => report,
        Err(message) => return assert!(!message.contains('\n'), "{message}"),
    };
    let s = &report.summary;
    assert!(s.tcp_segments <= s.frames);
    assert!(s.decapsulated.total <= s.tcp_segments);
    assert_eq!(s.connections, report.connections.len() as u64);
    let ids: Vec<u64> = report.connections.iter().map(|c| c.id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids unique and in order: {ids:?}"
    );
    for c in &report.connections {
        assert!(c.zeek.orig_pkts + c.zeek.resp_pkts <= s.tcp_segments);
        let _ = (table::line(c), json::line(c), zeek::row(&c.zeek));
    }
    let _ = (table::render(&report), json::render(&report));
}

/// A sequence of HPACK header blocks decoded by one decoder, as one direction
/// of an HTTP/2 connection would be. Layout: `[limit, (len, block)*]`: the
/// first byte picks the table limit the decoder announced (a multiple of 64,
/// so small tables evict), then each block is preceded by its length.
///
/// Invariants: decoding never panics; the table never exceeds its maximum;
/// every list decoded re-encodes (both with and without Huffman) to a block
/// that a fresh decoder turns back into the same list; after the first error
/// the rest is not decoded (the connection would be closed, RFC 9113 §4.3).
pub fn hpack_block(data: &[u8]) {
    use crate::proto::hpack::{Decoder, Encoder, Sensitivity};
    let Some((&limit, mut rest)) = data.split_first() else {
        return;
    };
    let mut decoder = Decoder::new(16 * 1024);
    decoder.set_limit(usize::from(limit) * 64);
    while let Some((&len, tail)) = rest.split_first() {
        let (block, next) = tail.split_at(usize::from(len).min(tail.len()));
        rest = next;
        let Ok(fields) = decoder.decode(block) else {
            return;
        };
        assert!(decoder.table().size() <= decoder.table().max_size());
        for huffman in [false, true] {
            let mut out = Vec::new();
            let mut encoder = Encoder::new(huffman);
            encoder.encode(
                fields.iter().map(|f| {
                    let s = if f.never_indexed {
                        Sensitivity::NeverIndex
                    } else {
                        Sensitivity::Plain
                    };
                    (&f.name[..], &f.value[..], s)
                }),
                &mut out,
            );
            let again = Decoder::new(usize::MAX)
                .decode(&out)
                .expect("own block decodes");
            assert_eq!(again, fields, "re-encoded list differs");
        }
    }
}

/// A byte stream cut into HTTP/2 frames as a receiver would: check, then
/// parse each whole frame. The first byte picks SETTINGS_MAX_FRAME_SIZE
/// (small, so the size check is reached).
///
/// Invariants: nothing panics; a parsed frame written back and parsed again
/// is the same frame (padding content and undefined flags may differ from
/// the input, so the comparison is between parses).
pub fn h2_frames(data: &[u8]) {
    use crate::proto::h2::{Check, check, parse};
    let Some((&size, mut rest)) = data.split_first() else {
        return;
    };
    let max = 16 + u32::from(size) * 4;
    while let Ok(Check::Complete(n)) = check(rest, max) {
        let (frame, next) = rest.split_at(n);
        rest = next;
        let Ok(parsed) = parse(frame) else {
            continue;
        };
        let mut out = Vec::new();
        parsed.encode(&mut out);
        assert_eq!(parse(&out), Ok(parsed), "frame changed in a round trip");
    }
}

/// One direction reassembled from operations the input describes. Layout:
/// four bytes of initial sequence number, a window selector, then operations
/// of four bytes `[op, seq_hi, seq_lo, len]`: a segment (op even) of `len`
/// bytes at `base + seq`, an acknowledgement (op odd) of `base + seq`, and
/// finally the end of the direction. Every byte carries its offset's low
/// eight bits, so the output can be checked whatever the order.
///
/// Invariants: pieces come in offset order with no gap between them; data
/// bytes are the bytes sent at those offsets; what waits never exceeds the
/// window for long (past it the direction stops and holds nothing).
pub fn reassembly(data: &[u8]) {
    use crate::stream::{Piece, Reassembler};
    let Some((head, ops)) = data.split_first_chunk::<5>() else {
        return;
    };
    let base = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let window = 16 + usize::from(head[4]) * 16;
    let mut r = Reassembler::new(base, window);
    let mut expected = 0u64;
    let mut check = |p: Piece<'_>| match p {
        Piece::Data { offset, bytes } => {
            assert_eq!(offset, expected, "data out of order");
            for (i, &b) in bytes.iter().enumerate() {
                assert_eq!(
                    b,
                    (offset + i as u64) as u8,
                    "wrong byte at {}",
                    offset + i as u64
                );
            }
            expected += bytes.len() as u64;
        }
        Piece::Gap { offset, len } => {
            assert_eq!(offset, expected, "gap out of order");
            assert!(len > 0, "empty gap");
            expected += len;
        }
    };
    for op in ops.chunks_exact(4) {
        let at = u32::from(u16::from_be_bytes([op[1], op[2]]));
        let seq = base.wrapping_add(at);
        if op[0] % 2 == 0 {
            let payload: Vec<u8> = (0..op[3]).map(|i| (at + u32::from(i)) as u8).collect();
            r.segment(seq, &payload, &mut check);
        } else {
            r.acknowledged(seq, &mut check);
        }
        assert!(r.waiting_bytes() <= window);
    }
    r.finish(&mut check);
    assert_eq!(r.waiting_bytes(), 0);
}

/// Both directions of an HTTP/2 connection as the analyzer decodes them.
/// Layout: a start byte (even: prior knowledge, odd: after an h2c upgrade),
/// then pieces `[dir_and_len, bytes...]`: the top bit picks the direction,
/// the low seven bits the piece's length. A piece of length 0 is a gap.
///
/// Invariants: nothing panics; every frame seen lies within the bytes fed
/// to its direction, in order; a stopped direction reports nothing more.
pub fn h2_connection(data: &[u8]) {
    use crate::app::Direction;
    use crate::app::h2::{H2Decoder, Start};
    let Some((&start, mut rest)) = data.split_first() else {
        return;
    };
    let start = if start % 2 == 0 {
        Start::PriorKnowledge
    } else {
        Start::Upgrade {
            method: "GET".into(),
            target: "/".into(),
        }
    };
    let mut d = H2Decoder::new(start, 0, 0);
    let mut fed = [0u64; 2];
    let mut last_end = [0u64; 2];
    while let Some((&sel, tail)) = rest.split_first() {
        let i = usize::from(sel >> 7);
        let side = [Direction::ClientToServer, Direction::ServerToClient][i];
        let len = usize::from(sel & 0x7f).min(tail.len());
        let (piece, next) = tail.split_at(len);
        rest = next;
        if len == 0 {
            d.gap(side, fed[i]);
            continue;
        }
        let stopped_before = d.stopped(side).is_some();
        fed[i] += len as u64;
        d.feed(side, piece, &mut |f| {
            assert!(!stopped_before, "a stopped direction reported a frame");
            assert_eq!(f.sender, side);
            assert!(
                f.range.0 >= last_end[i] && f.range.1 <= fed[i],
                "frame outside what was fed"
            );
            last_end[i] = f.range.1;
        });
    }
}

/// Both directions of an HTTP/1.x connection as the analyzer decodes them.
/// Layout: a first byte (bit 0: the connection ends with a FIN, else a RST;
/// bit 1: end the server first), then pieces `[dir_and_len, bytes...]`: the
/// top bit picks the direction, the low seven bits the piece's length. A
/// piece of length 0 is a gap.
///
/// Invariants: nothing panics; every message lies within the bytes fed to
/// its direction, its parts in order; stops and switch points too; the
/// bytes held stay bounded.
pub fn http1_stream(data: &[u8]) {
    use crate::app::Direction;
    use crate::app::http1::{End, Http1Decoder, MAX_EXCHANGES, MAX_HEAD};
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let sides = [Direction::ClientToServer, Direction::ServerToClient];
    let mut d = Http1Decoder::new(0, 0);
    let mut fed = [0u64; 2];
    while let Some((&sel, tail)) = rest.split_first() {
        let i = usize::from(sel >> 7);
        let len = usize::from(sel & 0x7f).min(tail.len());
        let (piece, next) = tail.split_at(len);
        rest = next;
        if len == 0 {
            d.gap(sides[i], fed[i]);
            continue;
        }
        fed[i] += len as u64;
        d.feed(sides[i], piece);
        assert!(d.buffered() <= 2 * (MAX_HEAD + 1), "too much held");
    }
    let how = if first & 1 == 0 { End::Rst } else { End::Fin };
    let order = if first & 2 == 0 { [0, 1] } else { [1, 0] };
    for i in order {
        d.end(sides[i], how);
    }
    assert!(d.exchanges().len() <= MAX_EXCHANGES);
    let within = |m: &crate::app::http1::Message, i: usize| {
        assert!(
            m.start <= m.head_end && m.head_end <= fed[i],
            "head outside"
        );
        if let Some(end) = m.end {
            assert!(m.head_end <= end && end <= fed[i], "end outside");
        }
    };
    let mut last = [0u64; 2];
    for e in d.exchanges() {
        if let Some(r) = &e.request {
            within(&r.message, 0);
            assert!(r.message.start >= last[0], "requests out of order");
            last[0] = r.message.head_end;
        }
        if let Some(r) = &e.response {
            within(&r.message, 1);
            assert!(r.message.start >= last[1], "responses out of order");
            last[1] = r.message.head_end;
        }
        let _ = e.outcome();
    }
    for (i, side) in sides.into_iter().enumerate() {
        if let Some(stop) = d.stopped(side) {
            assert!(stop.offset <= fed[i], "stop outside");
        }
    }
    if let Some(sw) = d.switch() {
        assert!(sw.server_offset <= fed[1]);
        assert!(sw.client_offset.is_none_or(|o| o <= fed[0]));
    }
}

/// One connection's segments through the analyzer's application stage
/// ([`crate::app::ConnectionDecoder`]: in-flight bytes, reassembly,
/// protocol detection, the HTTP/1 to HTTP/2 switch, the ladder), and the
/// same segments through a [`crate::app::Held`] connection, which lets its
/// decoders go once both directions ended: the two reports must agree.
///
/// Input: records of `[sel, seq_lo, seq_hi, ack_lo, ack_hi, len, payload…]`:
/// `sel`'s top bit is the sender (0 client), its low bits pick SYN, FIN, RST
/// and ACK; sequence and acknowledgment numbers move by the signed 16-bit
/// deltas from each side's own running values, so retransmissions,
/// overlaps, holes and wrap-around all occur. The first payload bytes steer
/// detection: seeds start with an HTTP/1 request or the HTTP/2 preface.
pub fn app_connection(data: &[u8]) {
    use crate::app::{AppOptions, ConnectionDecoder, Direction, Held};
    use crate::wire::{SeqNum, TcpFlags, TcpSegment};
    let opts = AppOptions {
        window: 4096,
        ladder: true,
        keylog: None,
        ip_trail: false,
    };
    let mut held = Held::new(opts.clone());
    let mut d = ConnectionDecoder::new(opts);
    let mut seq = [0xffff_f000u32, 0x7fff_ff00u32];
    let mut ack = [0u32; 2];
    let mut rest = data;
    let mut frame = 0u64;
    while rest.len() >= 6 {
        let (head, tail) = rest.split_at(6);
        let i = usize::from(head[0] >> 7);
        let bits = head[0] & 0x0f;
        let flags = TcpFlags::from_bits(
            (u8::from(bits & 1 != 0) * 0x02) // SYN
                | u8::from(bits & 2 != 0) // FIN (0x01)
                | (u8::from(bits & 4 != 0) * 0x04) // RST
                | (u8::from(bits & 8 != 0) * 0x10), // ACK
        );
        let ds = i16::from_le_bytes([head[1], head[2]]);
        let da = i16::from_le_bytes([head[3], head[4]]);
        let len = usize::from(head[5]).min(tail.len());
        let (payload, next) = tail.split_at(len);
        rest = next;
        seq[i] = seq[i].wrapping_add_signed(i32::from(ds));
        ack[i] = seq[1 - i].wrapping_add_signed(i32::from(da));
        frame += 1;
        let seg = TcpSegment {
            seq: SeqNum(seq[i]),
            ack: SeqNum(ack[i]),
            flags,
            payload_len: len as u32 + u32::from(head[5] & 0x80 != 0) * 100,
            payload,
            ..TcpSegment::UNSET
        };
        let sender = [Direction::ClientToServer, Direction::ServerToClient][i];
        d.segment(
            frame,
            crate::capture::Timestamp(frame as i64),
            sender,
            &seg,
            payload,
        );
        let ts = crate::capture::Timestamp(frame as i64);
        held.segment(frame, ts, sender, &seg, payload);
        seq[i] = seq[i].wrapping_add(len as u32);
    }
    let report = d.finish();
    assert_eq!(held.finish(), report, "settling changed the report");
    assert_eq!(report.exchanges().len(), report.delivered.len());
    for r in report.rst.iter().flatten() {
        for &n in r.lost_in.iter().chain(&r.unacked_in) {
            assert!(n < report.exchanges().len(), "an index past the exchanges");
        }
    }
    if let Some(ladder) = &report.ladder {
        assert!(ladder.windows(2).all(|w| w[0].frame <= w[1].frame));
        assert!(
            ladder
                .iter()
                .all(|s| s.frame <= frame && !s.labels.is_empty())
        );
    }
}

/// The server's side of an HTTP/2 connection, fed what a client might send.
/// Layout: a first byte (bit 0: after an h2c upgrade, else prior knowledge;
/// bit 1: a one-shot session; bit 2: shut down gracefully after an answer;
/// bit 3: a small body), then pieces `[len, bytes...]`: the low seven bits
/// of `len` are the piece's length, the top bit asks for the graceful
/// shutdown before the piece is fed.
///
/// Invariants: nothing panics; a piece is never over-taken; every frame the
/// server writes parses under the largest frame size, is no PUSH_PROMISE
/// (§8.4) and is on stream 0 or a client's (odd) stream; streams never
/// exceed the announced limit; after a connection error nothing more is
/// written.
pub fn h2_server(data: &[u8]) {
    use crate::proto::h2::settings::MAX_MAX_FRAME_SIZE;
    use crate::proto::h2::{Check, FrameType, check, parse};
    use crate::server::h2::Request;
    use crate::server::h2::session::{Session, SessionLimits};
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let limits = SessionLimits {
        max_streams: 4,
        max_header_list: 4096,
        status: 200,
        shutdown_after_answer: first & 4 != 0,
        one_shot: first & 2 != 0,
    };
    let body: Vec<u8> = (0..if first & 8 != 0 { 10 } else { 70_000 })
        .map(crate::http::pattern_byte)
        .collect();
    let mut s = if first & 1 != 0 {
        let request = Request {
            method: "POST".into(),
            path: "/".into(),
            body_bytes: 3,
            content_length: None,
        };
        match Session::upgraded(limits, &[], request) {
            Ok(s) => s,
            Err(_) => return,
        }
    } else {
        Session::prior_knowledge(limits)
    };
    let mut written: Vec<u8> = Vec::new();
    while let Some((&sel, tail)) = rest.split_first() {
        let len = usize::from(sel & 0x7f).min(tail.len());
        let (piece, next) = tail.split_at(len);
        rest = next;
        if sel & 0x80 != 0 {
            s.begin_shutdown();
        }
        let failed_before = s.failed();
        let out_before = s.out.len();
        match s.receive(piece, &body) {
            Ok(taken) => assert!(taken <= piece.len(), "took more than was fed"),
            Err(_) => assert!(!failed_before, "a failed session failed again"),
        }
        if failed_before {
            assert_eq!(
                s.out.len(),
                out_before,
                "written after the connection error"
            );
        }
        assert!(s.active_streams() <= 4, "over MAX_CONCURRENT_STREAMS");
        written.append(&mut s.out);
        s.events.clear();
    }
    let mut pos = 0;
    while pos < written.len() {
        let n = match check(&written[pos..], MAX_MAX_FRAME_SIZE) {
            Ok(Check::Complete(n)) => n,
            other => panic!("the server wrote a broken frame: {other:?}"),
        };
        let f = parse(&written[pos..pos + n]).expect("the server's frames parse");
        assert_ne!(f.kind(), FrameType::PushPromise, "the server pushed");
        assert!(
            f.stream() == 0 || f.stream() % 2 == 1,
            "a frame on an even stream: {f:?}"
        );
        pos += n;
    }
}
