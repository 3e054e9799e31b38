//! The fuzz targets of the HTTP/1.x parsers: the request head (checked and
//! parsed whole and in pieces, as the server reads it), chunked bodies, and
//! both directions of a connection through the analyzer's HTTP/1 decoder.

use crate::http::{
    Check, ChunkedDecoder, Feed, Limits, ParseError, RequestHead, ResponseHead, check_request,
    check_response,
};

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
