//! The chunked transfer coding (RFC 9112 §7.1), decoded byte by byte.
//!
//! The decoder exists so the server can consume a chunked body *exactly*: it is fed
//! bytes the server has only peeked at, stops at the end of the message, and reports
//! how many of them belonged to it. The server then reads exactly that many, leaving
//! any pipelined request (or junk) in the kernel's receive queue, where it decides
//! between FIN and RST at close.
//!
//! ```text
//! chunked-body = *chunk last-chunk trailer-section CRLF
//! chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! last-chunk   = 1*("0") [ chunk-ext ] CRLF
//! ```

use super::ParseError;

/// Longest chunk extension accepted; extensions are ignored but bounded
/// (RFC 9112 §7.1.1 lets a server limit them).
const MAX_EXT: usize = 4096;
/// Longest trailer line, and most trailer lines.
const MAX_TRAILER_LINE: usize = 8192;
const MAX_TRAILERS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size.
    Size { digits: u8, value: u64 },
    /// Inside a chunk extension, up to CR.
    Ext { value: u64, len: usize },
    /// CR seen after the size line: LF must follow.
    SizeLf { value: u64 },
    /// Chunk data, `remaining` bytes to go.
    Data { remaining: u64 },
    /// After chunk data: CR must follow.
    DataCr,
    /// After chunk data and CR: LF must follow.
    DataLf,
    /// Inside a trailer line of `len` bytes (0 = at the start of a line).
    Trailer { len: usize, count: usize },
    /// CR seen ending a non-empty trailer line.
    TrailerLf { count: usize },
    /// CR seen ending the empty last line.
    FinalLf,
    /// The whole body has been consumed.
    Done,
}

/// What one call to [`ChunkedDecoder::feed`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feed {
    /// Bytes of the input that belong to the body (always a prefix of the input).
    pub consumed: usize,
    /// The body ended within those bytes.
    pub done: bool,
}

/// An incremental decoder for one chunked body.
#[derive(Clone, Debug)]
pub struct ChunkedDecoder {
    state: State,
    payload: u64,
    max_payload: u64,
}

impl ChunkedDecoder {
    /// A decoder that rejects bodies whose decoded size exceeds `max_payload` (413).
    pub fn new(max_payload: u64) -> Self {
        ChunkedDecoder {
            state: State::Size {
                digits: 0,
                value: 0,
            },
            payload: 0,
            max_payload,
        }
    }

    /// Decoded payload bytes seen so far.
    pub fn payload(&self) -> u64 {
        self.payload
    }

    /// The body has ended.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Feeds the next bytes of the stream. Chunk data is passed to `on_data`.
    /// Stops at the end of the body: bytes after it are not consumed.
    ///
    /// # Errors
    ///
    /// [`ParseError::BadChunkSize`], [`ParseError::BadChunkFraming`], or
    /// [`ParseError::BodyTooLarge`] as soon as a chunk size announces too much.
    pub fn feed(
        &mut self,
        input: &[u8],
        mut on_data: impl FnMut(&[u8]),
    ) -> Result<Feed, ParseError> {
        let mut i = 0;
        while i < input.len() && self.state != State::Done {
            if let State::Data { remaining } = self.state {
                let take = remaining.min((input.len() - i) as u64) as usize;
                on_data(&input[i..i + take]);
                i += take;
                let remaining = remaining - take as u64;
                self.state = if remaining == 0 {
                    State::DataCr
                } else {
                    State::Data { remaining }
                };
                continue;
            }
            self.state = self.step(input[i])?;
            i += 1;
        }
        Ok(Feed {
            consumed: i,
            done: self.state == State::Done,
        })
    }

    /// One framing byte (never chunk data) moves the state machine.
    fn step(&mut self, b: u8) -> Result<State, ParseError> {
        Ok(match (self.state, b) {
            // A hex digit extends the size; 16 digits is u64's limit.
            (State::Size { digits, value }, _) if b.is_ascii_hexdigit() => {
                if digits >= 16 {
                    return Err(ParseError::BadChunkSize);
                }
                let d = (b as char).to_digit(16).unwrap_or(0) as u64;
                State::Size {
                    digits: digits + 1,
                    value: value << 4 | d,
                }
            }
            // At least one digit, then an extension (BWS ";" ..., RFC 9112 §7.1.1).
            (State::Size { digits, value }, b';' | b' ' | b'\t') if digits > 0 => {
                State::Ext { value, len: 0 }
            }
            (State::Size { digits, value }, b'\r') if digits > 0 => State::SizeLf { value },
            // No digits, or any other byte in a size: the smuggling-relevant case.
            (State::Size { .. }, _) => return Err(ParseError::BadChunkSize),
            (State::Ext { value, .. }, b'\r') => State::SizeLf { value },
            (State::Ext { value, len }, _) if len < MAX_EXT && (b == b'\t' || b >= 0x20) => {
                State::Ext {
                    value,
                    len: len + 1,
                }
            }
            (State::Ext { .. }, _) => return Err(ParseError::BadChunkFraming),
            (State::SizeLf { value }, b'\n') => self.chunk_starts(value)?,
            (State::DataCr, b'\r') => State::DataLf,
            (State::DataLf, b'\n') => State::Size {
                digits: 0,
                value: 0,
            },
            // The empty line that ends the trailer section ends the body.
            (State::Trailer { len: 0, .. }, b'\r') => State::FinalLf,
            (State::Trailer { count, .. }, b'\r') => State::TrailerLf { count },
            (State::Trailer { len, count }, _)
                if b != b'\n' && len < MAX_TRAILER_LINE && count < MAX_TRAILERS =>
            {
                State::Trailer {
                    len: len + 1,
                    count: if len == 0 { count + 1 } else { count },
                }
            }
            (State::TrailerLf { count }, b'\n') => State::Trailer { len: 0, count },
            (State::FinalLf, b'\n') => State::Done,
            // Missing CRLF, bare CR/LF, oversized trailers: the framing is broken.
            _ => return Err(ParseError::BadChunkFraming),
        })
    }

    /// The size line of a chunk is complete: data follows, or the trailers.
    fn chunk_starts(&mut self, size: u64) -> Result<State, ParseError> {
        if size == 0 {
            return Ok(State::Trailer { len: 0, count: 0 });
        }
        self.payload = self.payload.saturating_add(size);
        if self.payload > self.max_payload {
            return Err(ParseError::BodyTooLarge {
                limit: self.max_payload,
            });
        }
        Ok(State::Data { remaining: size })
    }
}

/// Appends `body` in chunked coding, `chunk` bytes per chunk, then the last chunk.
pub fn encode(body: &[u8], chunk: usize, out: &mut Vec<u8>) {
    for piece in body.chunks(chunk.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<(Feed, Vec<u8>), ParseError> {
        let mut d = ChunkedDecoder::new(1 << 20);
        let mut data = Vec::new();
        let feed = d.feed(input, |b| data.extend_from_slice(b))?;
        Ok((feed, data))
    }

    #[test]
    fn body_with_extension_and_trailer_stops_before_next_request() {
        let body = b"5;name=v\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
        let input = [&body[..], b"GET / HTTP/1.1\r\n"].concat();
        let (feed, data) = decode_all(&input).unwrap();
        assert_eq!(feed.consumed, body.len());
        assert!(feed.done);
        assert_eq!(data, b"hello world");
    }

    #[test]
    fn split_at_every_point_gives_the_same_result() {
        let body = b"a\r\n0123456789\r\n1;x\r\n!\r\n0\r\nT: v\r\n\r\n";
        let (whole, whole_data) = decode_all(body).unwrap();
        for cut in 0..=body.len() {
            let mut d = ChunkedDecoder::new(1 << 20);
            let mut data = Vec::new();
            let a = d.feed(&body[..cut], |b| data.extend_from_slice(b)).unwrap();
            assert_eq!(a.consumed, cut, "a prefix is consumed whole");
            let b = d.feed(&body[cut..], |b| data.extend_from_slice(b)).unwrap();
            assert_eq!(a.consumed + b.consumed, whole.consumed, "cut at {cut}");
            assert!(b.done || (cut == body.len() && a.done));
            assert_eq!(data, whole_data);
        }
    }

    #[test]
    fn bad_chunk_sizes_are_rejected() {
        for bad in [
            &b"\r\n"[..],
            b"zz\r\n",
            b"-1\r\n",
            b"0x5\r\n",
            b"11111111111111111\r\n",
        ] {
            let err = decode_all(bad).unwrap_err();
            assert_eq!(err, ParseError::BadChunkSize, "{:?}", bad);
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn missing_crlf_after_data_is_bad_framing() {
        assert_eq!(
            decode_all(b"3\r\nabcX\r\n"),
            Err(ParseError::BadChunkFraming)
        );
        assert_eq!(decode_all(b"3\nabc"), Err(ParseError::BadChunkSize));
        assert_eq!(decode_all(b"3\r\rabc"), Err(ParseError::BadChunkFraming));
    }

    #[test]
    fn body_over_the_limit_is_413_at_the_size_line() {
        let mut d = ChunkedDecoder::new(10);
        let err = d.feed(b"b\r\n", |_| {}).unwrap_err();
        assert_eq!(err, ParseError::BodyTooLarge { limit: 10 });
        assert_eq!(err.status(), 413);
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let body: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let mut out = Vec::new();
        encode(&body, 4096, &mut out);
        let (feed, data) = decode_all(&out).unwrap();
        assert!(feed.done);
        assert_eq!(feed.consumed, out.len());
        assert_eq!(data, body);
    }

    #[test]
    fn done_decoder_consumes_nothing() {
        let mut d = ChunkedDecoder::new(100);
        d.feed(b"0\r\n\r\n", |_| {}).unwrap();
        assert_eq!(
            d.feed(b"more", |_| {}).unwrap(),
            Feed {
                consumed: 0,
                done: true
            }
        );
    }
}
