//! The fuzz targets of HTTP/2: HPACK header blocks, frames, both
//! directions of a connection through the analyzer's decoder, and the
//! server's session fed what a client might send.

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
