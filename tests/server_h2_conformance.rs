//! The server's HTTP/2 against broken clients, driven frame by frame over a
//! real socket (h2spec cannot be installed here: these are the cases that
//! matter for this server). Each broken rule gets the error RFC 9113 names
//! for it — a connection error is GOAWAY with the code, then the close
//! (§5.4.1); a stream error is RST_STREAM and the connection goes on
//! (§5.4.2) — and the server keeps serving other connections.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{Lab, curl, frame, start_with};
use wirelab::proto::h2::{ErrorCode, FrameType, PREFACE, SettingId, flags};
use wirelab::proto::hpack::{Decoder, Encoder, Sensitivity};
use wirelab::server::{Cause, CloseEnding, Config, Event};

/// One frame as read back.
#[derive(Debug)]
struct Got {
    kind: FrameType,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

/// How reading ended.
#[derive(Debug, PartialEq)]
enum End {
    Fin,
    Rst,
}

struct Raw {
    sock: TcpStream,
    buf: Vec<u8>,
    decoder: Decoder,
    encoder: Encoder,
}

fn settings(params: &[(u16, u32)]) -> Vec<u8> {
    let payload: Vec<u8> = params
        .iter()
        .flat_map(|(id, v)| [&id.to_be_bytes()[..], &v.to_be_bytes()[..]].concat())
        .collect();
    frame(0x4, 0, 0, &payload)
}

impl Raw {
    /// A connection that has sent the preface and an empty SETTINGS.
    fn open(lab: &Lab) -> Raw {
        let mut raw = Raw::bare(lab);
        raw.send(&[&PREFACE[..], &settings(&[])].concat());
        raw
    }

    fn bare(lab: &Lab) -> Raw {
        let sock = TcpStream::connect(lab.addr).expect("connects");
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Raw {
            sock,
            buf: Vec::new(),
            decoder: Decoder::new(64 * 1024),
            encoder: Encoder::new(false),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.sock.write_all(bytes).expect("the server still reads");
    }

    /// A request's HEADERS frame (END_HEADERS, and END_STREAM if `end`).
    fn get(&mut self, stream: u32, end: bool) -> Vec<u8> {
        let mut block = Vec::new();
        let fields: [(&[u8], &[u8]); 4] = [
            (b":method", b"GET"),
            (b":scheme", b"http"),
            (b":authority", b"x"),
            (b":path", b"/"),
        ];
        self.encoder.encode(
            fields.iter().map(|(n, v)| (*n, *v, Sensitivity::Plain)),
            &mut block,
        );
        let f = flags::END_HEADERS | if end { flags::END_STREAM } else { 0 };
        frame(0x1, f, stream, &block)
    }

    /// The next frame, or how the connection ended.
    fn next(&mut self) -> Result<Got, End> {
        loop {
            if self.buf.len() >= 9 {
                let len = u32::from_be_bytes([0, self.buf[0], self.buf[1], self.buf[2]]) as usize;
                if self.buf.len() >= 9 + len {
                    let got = Got {
                        kind: FrameType::from_u8(self.buf[3]),
                        flags: self.buf[4],
                        stream: u32::from_be_bytes(self.buf[5..9].try_into().unwrap()),
                        payload: self.buf[9..9 + len].to_vec(),
                    };
                    self.buf.drain(..9 + len);
                    return Ok(got);
                }
            }
            let mut chunk = [0u8; 65536];
            match self.sock.read(&mut chunk) {
                Ok(0) => return Err(End::Fin),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Err(End::Rst),
                Err(e) => panic!("no frame and no close within 5 s: {e}"),
            }
        }
    }

    /// Reads to the GOAWAY: its last stream and code, and how the
    /// connection then ended.
    #[track_caller]
    fn goaway(&mut self) -> (u32, ErrorCode, End) {
        loop {
            match self.next() {
                Ok(f) if f.kind == FrameType::GoAway => {
                    let p = &f.payload;
                    let last = u32::from_be_bytes(p[0..4].try_into().unwrap());
                    let code = ErrorCode::from_u32(u32::from_be_bytes(p[4..8].try_into().unwrap()));
                    let end = loop {
                        if let Err(end) = self.next() {
                            break end;
                        }
                    };
                    return (last, code, end);
                }
                Ok(_) => {}
                Err(end) => panic!("the connection ended ({end:?}) without GOAWAY"),
            }
        }
    }

    /// Reads to the RST_STREAM on `stream`, answering nothing.
    #[track_caller]
    fn rst_stream(&mut self, stream: u32) -> ErrorCode {
        loop {
            match self.next() {
                Ok(f) if f.kind == FrameType::RstStream && f.stream == stream => {
                    return ErrorCode::from_u32(u32::from_be_bytes(
                        f.payload[..4].try_into().unwrap(),
                    ));
                }
                Ok(f) if f.kind == FrameType::GoAway => {
                    panic!("GOAWAY instead of RST_STREAM: {f:?}")
                }
                Ok(_) => {}
                Err(end) => panic!("the connection ended ({end:?}) without RST_STREAM"),
            }
        }
    }

    /// Reads to the response HEADERS on `stream`: its `:status`.
    #[track_caller]
    fn status(&mut self, stream: u32) -> u16 {
        loop {
            match self.next() {
                Ok(f) if f.kind == FrameType::Headers && f.stream == stream => {
                    let fields = self.decoder.decode(&f.payload).expect("HPACK decodes");
                    let status = fields.iter().find(|h| h.name == b":status").unwrap();
                    return std::str::from_utf8(&status.value).unwrap().parse().unwrap();
                }
                Ok(f) if f.kind == FrameType::Headers => {
                    self.decoder.decode(&f.payload).expect("HPACK decodes");
                }
                Ok(f) if f.kind == FrameType::GoAway || f.kind == FrameType::RstStream => {
                    panic!("{f:?} instead of an answer on stream {stream}")
                }
                Ok(_) => {}
                Err(end) => panic!("the connection ended ({end:?}) without an answer"),
            }
        }
    }
}

fn lab() -> Lab {
    start_with(Config::default())
}

/// The server answers another connection, and logged this one's close as
/// our FIN after a connection error.
#[track_caller]
fn still_serving(lab: &mut Lab) {
    still_serving_ending(lab, &[CloseEnding::WeSentFin]);
}

/// As [`still_serving`], with the endings the first connection may have: a
/// client still sending when our GOAWAY went out leaves bytes unread, and
/// then our close is a RST (RFC 9293 §3.10.7.1's abort), which is a race.
#[track_caller]
fn still_serving_ending(lab: &mut Lab, endings: &[CloseEnding]) {
    let c = curl(&[
        "--http2-prior-knowledge",
        "-o",
        "/dev/null",
        "-w",
        "%{http_version} %{http_code}",
        &lab.url("/"),
    ]);
    assert_eq!(c.stdout, "2 200", "{c:?}");
    let closed = lab.closed(2);
    assert_eq!(
        closed[0].cause,
        Cause::H2ConnectionError,
        "{}",
        lab.log_text()
    );
    assert!(endings.contains(&closed[0].end), "{}", lab.log_text());
}

/// Opens a connection, sends `bytes` after the preface, expects GOAWAY
/// with `code` and FIN, and another connection served.
#[track_caller]
fn connection_error(bytes: &[u8], code: ErrorCode) {
    let mut lab = lab();
    let mut raw = Raw::open(&lab);
    raw.send(bytes);
    let (_, got, end) = raw.goaway();
    assert_eq!(got, code, "{}", lab.log_text());
    assert_eq!(end, End::Fin);
    drop(raw);
    still_serving(&mut lab);
}

#[test]
fn a_bad_preface_after_the_upgrade_is_a_protocol_error() {
    let mut lab = lab();
    let mut raw = Raw::bare(&lab);
    raw.send(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n\
          Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n",
    );
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8];
        raw.sock.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101 "),
        "{}",
        String::from_utf8_lossy(&head)
    );
    raw.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let (last, code, end) = raw.goaway();
    assert_eq!((last, code, end), (1, ErrorCode::ProtocolError, End::Fin));
    drop(raw);
    still_serving(&mut lab);
}

#[test]
fn a_bad_preface_on_a_fresh_connection_is_http1() {
    // Not the preface, so not HTTP/2 (§3.3): the HTTP/1 parser answers.
    let lab = lab();
    let mut raw = Raw::bare(&lab);
    raw.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n");
    let mut text = Vec::new();
    let _ = raw.sock.read_to_end(&mut text);
    assert!(
        text.starts_with(b"HTTP/1.1 505 "),
        "{}",
        String::from_utf8_lossy(&text)
    );
}

#[test]
fn the_first_frame_must_be_settings() {
    let mut lab = lab();
    let mut raw = Raw::bare(&lab);
    raw.send(&[&PREFACE[..], &frame(0x6, 0, 0, &[0; 8])].concat());
    let (_, code, _) = raw.goaway();
    assert_eq!(code, ErrorCode::ProtocolError);
    drop(raw);
    still_serving(&mut lab);
}

#[test]
fn frames_on_stream_0_that_need_a_stream() {
    connection_error(&frame(0x0, 0, 0, b"data"), ErrorCode::ProtocolError);
    connection_error(&frame(0x3, 0, 0, &[0, 0, 0, 8]), ErrorCode::ProtocolError);
}

#[test]
fn headers_on_an_even_stream_id() {
    let mut lab = lab();
    let mut raw = Raw::open(&lab);
    let h = raw.get(2, true);
    raw.send(&h);
    let (_, code, _) = raw.goaway();
    assert_eq!(code, ErrorCode::ProtocolError);
    drop(raw);
    still_serving(&mut lab);
}

#[test]
fn window_overflow_on_the_connection_and_on_a_stream() {
    let max = 0x7fff_ffffu32.to_be_bytes();
    connection_error(&frame(0x8, 0, 0, &max), ErrorCode::FlowControlError);
    // On a stream, a stream error: RST_STREAM, and the connection goes on.
    let lab = lab();
    let mut raw = Raw::open(&lab);
    let h = raw.get(1, false);
    raw.send(&[h, frame(0x8, 0, 1, &max)].concat());
    assert_eq!(raw.rst_stream(1), ErrorCode::FlowControlError);
    let h = raw.get(3, true);
    raw.send(&h);
    assert_eq!(raw.status(3), 200);
}

#[test]
fn settings_with_values_the_rfc_forbids() {
    connection_error(&settings(&[(0x2, 2)]), ErrorCode::ProtocolError);
    connection_error(&settings(&[(0x4, 1 << 31)]), ErrorCode::FlowControlError);
    connection_error(&settings(&[(0x5, 100)]), ErrorCode::ProtocolError);
    connection_error(&settings(&[(0x5, 1 << 24)]), ErrorCode::ProtocolError);
    connection_error(
        &frame(0x4, 0, 0, &[0, 4, 0, 0, 1]),
        ErrorCode::FrameSizeError,
    );
    connection_error(
        &frame(0x4, flags::ACK, 0, &[0; 6]),
        ErrorCode::FrameSizeError,
    );
}

#[test]
fn continuation_without_headers_and_a_frame_inside_a_field_block() {
    connection_error(
        &frame(0x9, flags::END_HEADERS, 1, b""),
        ErrorCode::ProtocolError,
    );
    let mut lab = lab();
    let mut raw = Raw::open(&lab);
    let mut h = raw.get(1, true);
    h[4] = flags::END_STREAM; // END_HEADERS cleared: CONTINUATION must follow
    raw.send(&[h, frame(0x6, 0, 0, &[0; 8])].concat());
    let (_, code, _) = raw.goaway();
    assert_eq!(code, ErrorCode::ProtocolError);
    drop(raw);
    still_serving(&mut lab);
}

#[test]
fn a_continuation_flood_is_enhance_your_calm() {
    let mut lab = lab();
    let mut raw = Raw::open(&lab);
    let mut h = raw.get(1, true);
    h[4] = flags::END_STREAM;
    raw.send(&h);
    // 40 KiB of CONTINUATION without END_HEADERS, past the 16 KiB header
    // list limit and its slack.
    for _ in 0..10 {
        raw.send(&frame(0x9, 0, 1, &[0x80 | 2; 4096]));
    }
    let (_, code, _) = raw.goaway();
    assert_eq!(code, ErrorCode::EnhanceYourCalm);
    drop(raw);
    // The flood may still be arriving when we close: FIN or RST.
    still_serving_ending(
        &mut lab,
        &[CloseEnding::WeSentFin, CloseEnding::WeProvokedRst],
    );
}

#[test]
fn an_hpack_bomb_is_answered_431_and_the_connection_goes_on() {
    // One 4000-byte value enters the dynamic table, then 200 one-byte
    // references to it: a 250-byte block that expands to 800 KB.
    let lab = lab();
    let mut raw = Raw::open(&lab);
    let mut block = vec![0x82, 0x86, 0x84, 0x41, 0x01, b'x']; // GET http / authority x
    block.push(0x40);
    block.push(1);
    block.push(b'b');
    block.extend_from_slice(&[0x7f, 0x81, 0x1e]); // length 4000 (127 + 3873)
    block.extend(std::iter::repeat_n(b'a', 4000));
    block.extend(std::iter::repeat_n(0x80 | 62, 200));
    raw.send(&frame(
        0x1,
        flags::END_HEADERS | flags::END_STREAM,
        1,
        &block,
    ));
    assert_eq!(raw.status(1), 431);
    // The table is still in step: the next request decodes and is answered.
    let h = raw.get(3, true);
    raw.send(&h);
    assert_eq!(raw.status(3), 200);
}

#[test]
fn a_field_block_that_cannot_be_decoded_is_a_compression_error() {
    // Index 70 is past the static table and the empty dynamic table.
    connection_error(
        &frame(0x1, flags::END_HEADERS | flags::END_STREAM, 1, &[0x80 | 70]),
        ErrorCode::CompressionError,
    );
}

#[test]
fn a_frame_larger_than_max_frame_size() {
    connection_error(
        &frame(0x0, 0, 1, &vec![0; 16_385]),
        ErrorCode::FrameSizeError,
    );
}

#[test]
fn max_concurrent_streams_refuses_one_more() {
    let mut lab = start_with(Config {
        max_streams: 2,
        ..Config::default()
    });
    let mut raw = Raw::open(&lab);
    let (a, b, c) = (raw.get(1, false), raw.get(3, false), raw.get(5, false));
    raw.send(&[a, b, c].concat());
    assert_eq!(raw.rst_stream(5), ErrorCode::RefusedStream);
    // The two open streams end and are answered.
    raw.send(
        &[
            frame(0x0, flags::END_STREAM, 1, b""),
            frame(0x0, flags::END_STREAM, 3, b""),
        ]
        .concat(),
    );
    assert_eq!(raw.status(1), 200);
    assert_eq!(raw.status(3), 200);
    drop(raw);
    lab.closed(1);
    let sent_settings = lab.records.iter().any(|r| {
        matches!(&r.event, Event::Settings { params, .. }
            if params.iter().any(|p| p.id == SettingId::MaxConcurrentStreams && p.value == 2))
    });
    assert!(sent_settings, "{}", lab.log_text());
}

#[test]
fn ping_priority_and_unknown_frames() {
    let lab = lab();
    let mut raw = Raw::open(&lab);
    // PRIORITY for idle streams (as nghttp sends), an unknown type 0xfa.
    raw.send(
        &[
            frame(0x2, 0, 3, &[0, 0, 0, 0, 200]),
            frame(0xfa, 0xff, 0, b"whatever"),
            frame(0x6, 0, 0, b"12345678"),
        ]
        .concat(),
    );
    loop {
        let f = raw.next().expect("PING ACK");
        if f.kind == FrameType::Ping {
            assert_eq!(
                (f.flags, f.payload.as_slice()),
                (flags::ACK, &b"12345678"[..])
            );
            break;
        }
    }
    // A stream depending on itself is a stream error (§5.3.1), in PRIORITY
    // and in HEADERS, whose block is still decoded: the next request,
    // encoded against the dynamic table it filled, is answered.
    raw.send(&frame(0x2, 0, 7, &[0, 0, 0, 7, 16]));
    assert_eq!(raw.rst_stream(7), ErrorCode::ProtocolError);
    let mut h = raw.get(9, true);
    let block = h.split_off(9);
    let priority = [&[0, 0, 0, 9, 16][..], &block].concat();
    raw.send(&frame(0x1, h[4] | flags::PRIORITY, 9, &priority));
    assert_eq!(raw.rst_stream(9), ErrorCode::ProtocolError);
    let h = raw.get(11, true);
    raw.send(&h);
    assert_eq!(raw.status(11), 200);
}

#[test]
fn data_after_end_stream_is_stream_closed() {
    let lab = lab();
    let mut raw = Raw::open(&lab);
    let h = raw.get(1, true);
    raw.send(&h);
    assert_eq!(raw.status(1), 200);
    raw.send(&frame(0x0, 0, 1, b"late"));
    // Stream 1 is closed by then (our END_STREAM went out): §5.1 says
    // STREAM_CLOSED.
    assert_eq!(raw.rst_stream(1), ErrorCode::StreamClosed);
    let h = raw.get(3, true);
    raw.send(&h);
    assert_eq!(raw.status(3), 200);
}

#[test]
fn data_that_differs_from_content_length_is_malformed() {
    let lab = lab();
    let mut raw = Raw::open(&lab);
    // :method POST, :scheme http, :path /, :authority x, content-length 10.
    let block = [
        0x83, 0x86, 0x84, 0x01, 0x01, b'x', 0x0f, 0x0d, 0x02, b'1', b'0',
    ];
    raw.send(&frame(0x1, flags::END_HEADERS, 1, &block));
    raw.send(&frame(0x0, flags::END_STREAM, 1, b"four"));
    assert_eq!(raw.rst_stream(1), ErrorCode::ProtocolError);
    // Padding is not body: 10 bytes of data and 5 of padding match.
    let mut padded = vec![4u8];
    padded.extend_from_slice(b"0123456789");
    padded.extend_from_slice(&[0; 4]);
    raw.send(&frame(0x1, flags::END_HEADERS, 3, &block));
    raw.send(&frame(0x0, flags::END_STREAM | flags::PADDED, 3, &padded));
    assert_eq!(raw.status(3), 200);
}
