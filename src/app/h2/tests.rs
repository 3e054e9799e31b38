//! Where the decoder stops and where it goes on. (Whole conversations made
//! by an independent implementation are in `tests/h2_oracle.rs`.)

use super::*;
use crate::proto::h2::{Frame, PrioritySpec, SettingsParams};
use crate::proto::hpack::{Encoder, Sensitivity};

const C: Direction = Direction::ClientToServer;
const S: Direction = Direction::ServerToClient;

fn bytes(frames: &[Frame<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        f.encode(&mut out);
    }
    out
}

fn get(path: &str) -> Vec<u8> {
    let mut block = Vec::new();
    Encoder::new(true).encode(
        [
            (&b":method"[..], &b"GET"[..], Sensitivity::Plain),
            (b":path", path.as_bytes(), Sensitivity::Plain),
        ],
        &mut block,
    );
    block
}

fn client_start() -> Vec<u8> {
    let mut out = PREFACE.to_vec();
    out.extend(bytes(&[Frame::Settings {
        ack: false,
        params: SettingsParams::new(&[]),
    }]));
    out
}

fn feed(d: &mut H2Decoder, side: Direction, b: &[u8]) -> Vec<FrameSeen> {
    let mut seen = Vec::new();
    d.feed(side, b, &mut |f| seen.push(f));
    seen
}

#[test]
fn the_preface_is_labelled_and_offsets_count_it() {
    let mut d = H2Decoder::new(Start::PriorKnowledge, 0, 0);
    let seen = feed(&mut d, C, &client_start());
    assert_eq!(seen[0].label, "preface");
    assert_eq!(seen[0].range, (0, 24));
    assert_eq!(seen[1].label, "SETTINGS");
    assert_eq!(seen[1].range, (24, 33));
}

#[test]
fn bytes_that_are_not_the_preface_stop_the_client_side() {
    let mut d = H2Decoder::new(Start::PriorKnowledge, 0, 0);
    feed(&mut d, C, b"GET / HTTP/1.1\r\n");
    assert_eq!(
        d.stopped(C).map(|s| s.reason.as_str()),
        Some("not the HTTP/2 connection preface")
    );
}

#[test]
fn a_gap_stops_a_direction_and_nothing_more_is_read() {
    let mut d = H2Decoder::new(Start::PriorKnowledge, 0, 0);
    feed(&mut d, C, &client_start());
    d.gap(C, 33);
    let block = get("/");
    let seen = feed(
        &mut d,
        C,
        &bytes(&[Frame::Headers {
            stream: 1,
            end_stream: true,
            end_headers: true,
            priority: None,
            fragment: &block,
            padding: 0,
        }]),
    );
    assert!(seen.is_empty());
    assert!(d.streams().is_empty());
    assert_eq!(d.stopped(C).unwrap().offset, 33);
}

#[test]
fn a_frame_inside_a_field_block_stops_the_direction() {
    let mut d = H2Decoder::new(Start::PriorKnowledge, 0, 0);
    feed(&mut d, C, &client_start());
    let block = get("/");
    feed(
        &mut d,
        C,
        &bytes(&[
            Frame::Headers {
                stream: 1,
                end_stream: true,
                end_headers: false,
                priority: None,
                fragment: &block[..1],
                padding: 0,
            },
            Frame::Priority {
                stream: 3,
                spec: PrioritySpec {
                    exclusive: false,
                    depends_on: 0,
                    weight: 0,
                },
            },
        ]),
    );
    let stop = d.stopped(C).unwrap();
    assert!(
        stop.reason.contains("inside the field block of stream 1"),
        "{}",
        stop.reason
    );
}

#[test]
fn an_hpack_error_is_a_compression_error_and_stops() {
    let mut d = H2Decoder::new(Start::PriorKnowledge, 0, 0);
    feed(&mut d, C, &client_start());
    feed(
        &mut d,
        C,
        &bytes(&[Frame::Headers {
            stream: 1,
            end_stream: true,
            end_headers: true,
            priority: None,
            fragment: &[0xbe], // index 62: the dynamic table is empty
            padding: 0,
        }]),
    );
    let stop = d.stopped(C).unwrap();
    assert!(stop.reason.contains("index 62"), "{}", stop.reason);
    assert!(stop.reason.ends_with("COMPRESSION_ERROR"));
}

#[test]
fn a_broken_rule_is_recorded_and_decoding_goes_on() {
    let mut d = H2Decoder::new(Start::PriorKnowledge, 0, 0);
    feed(&mut d, C, &client_start());
    // WINDOW_UPDATE with increment 0, then a good request.
    let mut b = vec![0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let block = get("/after");
    b.extend(bytes(&[Frame::Headers {
        stream: 1,
        end_stream: true,
        end_headers: true,
        priority: None,
        fragment: &block,
        padding: 0,
    }]));
    let seen = feed(&mut d, C, &b);
    assert_eq!(seen[0].label, "WINDOW_UPDATE s0 (malformed)");
    let (errors, dropped) = d.protocol_errors();
    assert_eq!((errors.len(), dropped), (1, 0));
    assert_eq!(errors[0].offset, 33);
    assert_eq!(seen[1].label, "HEADERS s1 GET /after END_STREAM");
    assert_eq!(d.stopped(C), None);
}

#[test]
fn a_continuation_flood_is_cut_at_the_block_bound() {
    let mut d = H2Decoder::new(Start::PriorKnowledge, 0, 0);
    feed(&mut d, C, &client_start());
    let chunk = vec![0u8; 16 * 1024];
    let mut b = bytes(&[Frame::Headers {
        stream: 1,
        end_stream: false,
        end_headers: false,
        priority: None,
        fragment: &chunk,
        padding: 0,
    }]);
    for _ in 0..20 {
        b.extend(bytes(&[Frame::Continuation {
            stream: 1,
            end_headers: false,
            fragment: &chunk,
        }]));
    }
    feed(&mut d, C, &b);
    let stop = d.stopped(C).unwrap();
    assert!(
        stop.reason.contains("CONTINUATION flood"),
        "{}",
        stop.reason
    );
}

#[test]
fn data_is_counted_without_being_kept() {
    let mut d = H2Decoder::new(Start::PriorKnowledge, 0, 0);
    feed(
        &mut d,
        S,
        &bytes(&[Frame::Settings {
            ack: false,
            params: SettingsParams::new(&[]),
        }]),
    );
    let body = vec![7u8; 100_000];
    let mut b = Vec::new();
    for piece in body.chunks(16_384) {
        Frame::Data {
            stream: 1,
            end_stream: false,
            data: piece,
            padding: 0,
        }
        .encode(&mut b);
    }
    let seen = feed(&mut d, S, &b);
    assert_eq!(seen.len(), 7);
    assert_eq!(d.streams()[&1].data_bytes, [0, 100_000]);
    assert!(!d.streams()[&1].response_complete);
}
