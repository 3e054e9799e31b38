//! Frames from byte literals laid out as RFC 9113 §4.1 and §6 draw them,
//! every rule's error, and encode → parse round trips for every type.
//! (`tests/h2_oracle.rs` holds the parser against Python's
//! hyperframe, an independent implementation.)

use proptest::prelude::*;

use super::*;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn error(bytes: &[u8]) -> FrameError {
    parse(bytes).unwrap_err()
}

#[test]
fn header_fields_and_the_reserved_bit() {
    let b = frame(0x1, 0x5, 0x8000_0003, b"");
    let h = FrameHeader::parse(b[..9].try_into().unwrap());
    assert_eq!(h.length, 0);
    assert_eq!(h.kind, FrameType::Headers);
    assert!(h.has(flags::END_STREAM) && h.has(flags::END_HEADERS));
    assert_eq!(h.stream, 3, "the reserved bit is ignored on receipt (§4.1)");
    let mut again = Vec::new();
    h.encode(&mut again);
    assert_eq!(again, frame(0x1, 0x5, 3, b""));
}

#[test]
fn check_waits_for_the_whole_frame_and_refuses_oversize() {
    let f = frame(0x6, 0, 0, &[0; 8]);
    assert_eq!(check(&f[..5], 16_384), Ok(Check::Incomplete));
    assert_eq!(check(&f[..16], 16_384), Ok(Check::Incomplete));
    assert_eq!(check(&f, 16_384), Ok(Check::Complete(17)));
    let big = frame(0x0, 0, 1, &[0; 16_385]);
    let err = check(&big[..9], 16_384).unwrap_err();
    assert_eq!(
        (err.code, err.scope),
        (ErrorCode::FrameSizeError, Scope::Connection)
    );
}

#[test]
fn data_strips_padding_and_counts_it() {
    let f = frame(0x0, flags::PADDED | flags::END_STREAM, 1, b"\x03abc\0\0\0");
    assert_eq!(
        parse(&f).unwrap(),
        Frame::Data {
            stream: 1,
            end_stream: true,
            data: b"abc",
            padding: 4
        }
    );
}

#[test]
fn padding_as_long_as_the_payload_is_a_protocol_error() {
    let e = error(&frame(0x0, flags::PADDED, 1, b"\x03ab"));
    assert_eq!(
        (e.code, e.scope),
        (ErrorCode::ProtocolError, Scope::Connection)
    );
    let e = error(&frame(0x1, flags::PADDED, 1, b""));
    assert_eq!(e.code, ErrorCode::FrameSizeError);
}

#[test]
fn headers_with_priority_fields() {
    let f = frame(
        0x1,
        flags::PRIORITY | flags::END_HEADERS,
        5,
        b"\x80\0\0\x03\x0f\x82",
    );
    assert_eq!(
        parse(&f).unwrap(),
        Frame::Headers {
            stream: 5,
            end_stream: false,
            end_headers: true,
            priority: Some(PrioritySpec {
                exclusive: true,
                depends_on: 3,
                weight: 15
            }),
            fragment: b"\x82",
            padding: 0
        }
    );
    let e = error(&frame(0x1, flags::PRIORITY, 5, b"\0\0"));
    assert_eq!(e.code, ErrorCode::FrameSizeError);
}

#[test]
fn frames_that_need_a_stream_refuse_stream_0() {
    for kind in [0x0, 0x1, 0x2, 0x3, 0x5, 0x9] {
        let payload: &[u8] = match kind {
            0x2 => &[0; 5],
            0x3 | 0x5 => &[0; 4],
            _ => b"",
        };
        let e = error(&frame(kind, 0, 0, payload));
        assert_eq!(
            (e.code, e.scope),
            (ErrorCode::ProtocolError, Scope::Connection),
            "type {kind}"
        );
    }
}

#[test]
fn connection_frames_refuse_a_stream() {
    for (kind, payload) in [(0x4, &[][..]), (0x6, &[0; 8][..]), (0x7, &[0; 8][..])] {
        let e = error(&frame(kind, 0, 1, payload));
        assert_eq!(
            (e.code, e.scope),
            (ErrorCode::ProtocolError, Scope::Connection),
            "type {kind}"
        );
    }
}

#[test]
fn wrong_sizes_are_frame_size_errors() {
    // PRIORITY is the one whose size error is a stream error (§6.3).
    let e = error(&frame(0x2, 0, 7, &[0; 4]));
    assert_eq!(
        (e.code, e.scope),
        (ErrorCode::FrameSizeError, Scope::Stream(7))
    );
    for (kind, fl, payload) in [
        (0x3, 0, &[0; 3][..]),
        (0x4, 0, &[0; 5][..]),
        (0x4, flags::ACK, &[0; 6][..]),
        (0x6, 0, &[0; 7][..]),
        (0x7, 0, &[0; 7][..]),
        (0x8, 0, &[0; 5][..]),
    ] {
        let stream = if kind == 0x3 { 1 } else { 0 };
        let e = error(&frame(kind, fl, stream, payload));
        assert_eq!(
            (e.code, e.scope),
            (ErrorCode::FrameSizeError, Scope::Connection),
            "type {kind}"
        );
    }
}

#[test]
fn a_zero_window_increment_is_an_error_of_that_window() {
    let e = error(&frame(0x8, 0, 0, &[0; 4]));
    assert_eq!(
        (e.code, e.scope),
        (ErrorCode::ProtocolError, Scope::Connection)
    );
    let e = error(&frame(0x8, 0, 9, &[0; 4]));
    assert_eq!(
        (e.code, e.scope),
        (ErrorCode::ProtocolError, Scope::Stream(9))
    );
    assert_eq!(
        e.to_string(),
        "WINDOW_UPDATE with an increment of 0 (stream 9 error PROTOCOL_ERROR)"
    );
}

#[test]
fn settings_goaway_rst_and_unknown_types() {
    let f = frame(0x4, 0, 0, b"\0\x03\0\0\0\x64\0\x04\0\x01\0\0");
    let Frame::Settings { ack, params } = parse(&f).unwrap() else {
        panic!("not SETTINGS");
    };
    assert!(!ack);
    assert_eq!(
        params.collect::<Vec<_>>(),
        [
            (SettingId::MaxConcurrentStreams, 100),
            (SettingId::InitialWindowSize, 65_536)
        ]
    );
    let f = frame(0x7, 0, 0, b"\0\0\0\x03\0\0\0\0bye");
    assert_eq!(
        parse(&f).unwrap(),
        Frame::GoAway {
            last_stream: 3,
            code: ErrorCode::NoError,
            debug: b"bye"
        }
    );
    let f = frame(0x3, 0, 1, b"\0\0\0\x08");
    assert_eq!(
        parse(&f).unwrap(),
        Frame::RstStream {
            stream: 1,
            code: ErrorCode::Cancel
        }
    );
    // §5.5: an unknown type is passed over, whatever its stream or size.
    let f = frame(0xfa, 0xff, 0, b"anything");
    let parsed = parse(&f).unwrap();
    assert_eq!(parsed.kind(), FrameType::Unknown(0xfa));
    assert_eq!(parsed.kind().to_string(), "UNKNOWN(0xfa)");
}

#[test]
fn a_field_block_splits_into_headers_and_continuations() {
    let block: Vec<u8> = (0..40).collect();
    let mut out = Vec::new();
    encode_field_block(3, &block, true, 16, &mut out);
    let mut pos = 0;
    let mut seen = Vec::new();
    let mut joined = Vec::new();
    while pos < out.len() {
        let Check::Complete(n) = check(&out[pos..], 16).unwrap() else {
            panic!("whole frames only");
        };
        match parse(&out[pos..pos + n]).unwrap() {
            Frame::Headers {
                end_stream,
                end_headers,
                fragment,
                ..
            } => {
                assert!(end_stream);
                seen.push(("HEADERS", end_headers));
                joined.extend_from_slice(fragment);
            }
            Frame::Continuation {
                end_headers,
                fragment,
                ..
            } => {
                seen.push(("CONTINUATION", end_headers));
                joined.extend_from_slice(fragment);
            }
            other => panic!("unexpected {other:?}"),
        }
        pos += n;
    }
    assert_eq!(
        seen,
        [
            ("HEADERS", false),
            ("CONTINUATION", false),
            ("CONTINUATION", true)
        ]
    );
    assert_eq!(joined, block);
}

/// A frame with owned buffers, so proptest can make one.
#[derive(Debug, Clone)]
enum Owned {
    Data(u32, bool, Vec<u8>, u32),
    Headers(u32, bool, bool, Option<(bool, u32, u8)>, Vec<u8>, u32),
    Priority(u32, bool, u32, u8),
    Rst(u32, u32),
    Settings(bool, Vec<u8>),
    Push(u32, bool, u32, Vec<u8>, u32),
    Ping(bool, [u8; 8]),
    GoAway(u32, u32, Vec<u8>),
    Window(u32, u32),
    Continuation(u32, bool, Vec<u8>),
}

impl Owned {
    fn view(&self) -> Frame<'_> {
        match self {
            Owned::Data(s, e, d, p) => Frame::Data {
                stream: *s,
                end_stream: *e,
                data: d,
                padding: *p,
            },
            Owned::Headers(s, e, h, pr, f, p) => Frame::Headers {
                stream: *s,
                end_stream: *e,
                end_headers: *h,
                priority: pr.map(|(exclusive, depends_on, weight)| PrioritySpec {
                    exclusive,
                    depends_on,
                    weight,
                }),
                fragment: f,
                padding: *p,
            },
            Owned::Priority(s, x, d, w) => Frame::Priority {
                stream: *s,
                spec: PrioritySpec {
                    exclusive: *x,
                    depends_on: *d,
                    weight: *w,
                },
            },
            Owned::Rst(s, c) => Frame::RstStream {
                stream: *s,
                code: ErrorCode::from_u32(*c),
            },
            Owned::Settings(ack, p) => Frame::Settings {
                ack: *ack,
                params: frame::SettingsParams::new(p),
            },
            Owned::Push(s, h, pr, f, p) => Frame::PushPromise {
                stream: *s,
                end_headers: *h,
                promised: *pr,
                fragment: f,
                padding: *p,
            },
            Owned::Ping(a, d) => Frame::Ping { ack: *a, data: *d },
            Owned::GoAway(l, c, d) => Frame::GoAway {
                last_stream: *l,
                code: ErrorCode::from_u32(*c),
                debug: d,
            },
            Owned::Window(s, i) => Frame::WindowUpdate {
                stream: *s,
                increment: *i,
            },
            Owned::Continuation(s, h, f) => Frame::Continuation {
                stream: *s,
                end_headers: *h,
                fragment: f,
            },
        }
    }
}

fn any_frame() -> impl Strategy<Value = Owned> {
    let stream = 1..=header::MAX_STREAM_ID;
    let id31 = 0..=header::MAX_STREAM_ID;
    let bytes = || proptest::collection::vec(any::<u8>(), 0..64);
    let padding = prop_oneof![Just(0u32), 1u32..=256];
    prop_oneof![
        (stream.clone(), any::<bool>(), bytes(), padding.clone())
            .prop_map(|(s, e, d, p)| Owned::Data(s, e, d, p)),
        (
            stream.clone(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of((any::<bool>(), id31.clone(), any::<u8>())),
            bytes(),
            padding.clone()
        )
            .prop_map(|(s, e, h, pr, f, p)| Owned::Headers(s, e, h, pr, f, p)),
        (stream.clone(), any::<bool>(), id31.clone(), any::<u8>())
            .prop_map(|(s, x, d, w)| Owned::Priority(s, x, d, w)),
        (stream.clone(), any::<u32>()).prop_map(|(s, c)| Owned::Rst(s, c)),
        proptest::collection::vec(any::<[u8; 6]>(), 0..8)
            .prop_map(|p| Owned::Settings(false, p.concat())),
        Just(Owned::Settings(true, Vec::new())),
        (
            stream.clone(),
            any::<bool>(),
            id31.clone(),
            bytes(),
            padding
        )
            .prop_map(|(s, h, pr, f, p)| Owned::Push(s, h, pr, f, p)),
        (any::<bool>(), any::<[u8; 8]>()).prop_map(|(a, d)| Owned::Ping(a, d)),
        (id31.clone(), any::<u32>(), bytes()).prop_map(|(l, c, d)| Owned::GoAway(l, c, d)),
        (id31.clone(), 1..=header::MAX_STREAM_ID).prop_map(|(s, i)| Owned::Window(s, i)),
        (stream, any::<bool>(), bytes()).prop_map(|(s, h, f)| Owned::Continuation(s, h, f)),
    ]
}

proptest! {
    #[test]
    fn every_frame_type_round_trips(f in any_frame()) {
        let view = f.view();
        let mut out = Vec::new();
        view.encode(&mut out);
        prop_assert_eq!(check(&out, settings::MAX_MAX_FRAME_SIZE), Ok(Check::Complete(out.len())));
        prop_assert_eq!(parse(&out).unwrap(), view);
    }

    #[test]
    fn any_bytes_parse_or_fail_without_panicking(b in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(Check::Complete(n)) = check(&b, settings::MAX_MAX_FRAME_SIZE) {
            let _ = parse(&b[..n]);
        }
    }
}
