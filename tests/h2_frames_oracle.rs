//! The hand-written HTTP/2 frame layer (`wirelab::proto::h2`) against an
//! independent implementation, Python's hyperframe (Debian's
//! python3-hyperframe, installed by scripts/setup): every frame type that
//! hyperframe writes parses here to the same fields, and every frame written
//! here parses there to the same fields.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use wirelab::proto::h2::{Check, Frame, check, parse, settings::MAX_MAX_FRAME_SIZE};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/h2_frames.py");
/// Debian's interpreter, the one its python3-hyperframe package serves (a
/// python3 earlier on PATH may be another installation).
const PYTHON: &str = "/usr/bin/python3";

fn oracle(mode: &str, input: &str) -> String {
    let mut child = Command::new(PYTHON)
        .arg(SCRIPT)
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{PYTHON} cannot run ({e}): run scripts/setup"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "hyperframe oracle failed (is python3-hyperframe installed? run scripts/setup): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The fields of a parsed frame, shaped as the oracle script prints them.
fn fields(f: &Frame<'_>) -> Value {
    let mut names = Vec::new();
    let mut flag = |on: bool, name: &str| {
        if on {
            names.push(name.to_string());
        }
    };
    let mut v = json!({"type": f.kind().to_u8(), "stream": f.stream()});
    let pad = |p: u32| p.saturating_sub(1);
    match *f {
        Frame::Data {
            end_stream,
            data,
            padding,
            ..
        } => {
            flag(end_stream, "END_STREAM");
            flag(padding > 0, "PADDED");
            v["data"] = json!(hex(data));
            v["pad_length"] = json!(pad(padding));
        }
        Frame::Headers {
            end_stream,
            end_headers,
            priority,
            fragment,
            padding,
            ..
        } => {
            flag(end_stream, "END_STREAM");
            flag(end_headers, "END_HEADERS");
            flag(padding > 0, "PADDED");
            flag(priority.is_some(), "PRIORITY");
            v["data"] = json!(hex(fragment));
            v["pad_length"] = json!(pad(padding));
            if let Some(p) = priority {
                v["priority"] = json!([p.exclusive, p.depends_on, p.weight]);
            }
        }
        Frame::Priority { spec, .. } => {
            v["priority"] = json!([spec.exclusive, spec.depends_on, spec.weight]);
        }
        Frame::RstStream { code, .. } => v["code"] = json!(code.to_u32()),
        Frame::Settings { ack, params } => {
            flag(ack, "ACK");
            let mut s: Vec<(u16, u32)> = params.map(|(id, val)| (id.to_u16(), val)).collect();
            s.sort();
            v["settings"] = json!(s);
        }
        Frame::PushPromise {
            end_headers,
            promised,
            fragment,
            padding,
            ..
        } => {
            flag(end_headers, "END_HEADERS");
            flag(padding > 0, "PADDED");
            v["data"] = json!(hex(fragment));
            v["pad_length"] = json!(pad(padding));
            v["promised"] = json!(promised);
        }
        Frame::Ping { ack, data } => {
            flag(ack, "ACK");
            v["data"] = json!(hex(&data));
        }
        Frame::GoAway {
            last_stream,
            code,
            debug,
        } => {
            v["last_stream"] = json!(last_stream);
            v["code"] = json!(code.to_u32());
            v["data"] = json!(hex(debug));
        }
        Frame::WindowUpdate { increment, .. } => v["increment"] = json!(increment),
        Frame::Continuation {
            end_headers,
            fragment,
            ..
        } => {
            flag(end_headers, "END_HEADERS");
            v["data"] = json!(hex(fragment));
        }
        Frame::Unknown { .. } => panic!("the oracle writes only known types"),
    }
    names.sort();
    v["flags"] = json!(names);
    v
}

#[test]
fn frames_hyperframe_writes_parse_to_the_same_fields() {
    let made = oracle("make", "");
    let mut types = std::collections::BTreeSet::new();
    for line in made.lines() {
        let (wire, expected) = line.split_once('\t').unwrap();
        let bytes = unhex(wire);
        assert_eq!(
            check(&bytes, MAX_MAX_FRAME_SIZE),
            Ok(Check::Complete(bytes.len()))
        );
        let frame = parse(&bytes).unwrap_or_else(|e| panic!("{wire}: {e}"));
        let expected: Value = serde_json::from_str(expected).unwrap();
        assert_eq!(fields(&frame), expected, "{wire}");
        types.insert(frame.kind().to_u8());
    }
    assert_eq!(types.len(), 10, "the oracle covers all ten frame types");
}

#[test]
fn frames_written_here_parse_there_to_the_same_fields() {
    use wirelab::proto::h2::{
        ErrorCode, PrioritySpec, SettingId, encode_field_block, encode_settings,
    };
    let mut wire: Vec<Vec<u8>> = Vec::new();
    let mut one = |f: Frame<'_>| {
        let mut out = Vec::new();
        f.encode(&mut out);
        wire.push(out);
    };
    one(Frame::Data {
        stream: 1,
        end_stream: true,
        data: b"body",
        padding: 0,
    });
    one(Frame::Data {
        stream: 3,
        end_stream: false,
        data: b"x",
        padding: 9,
    });
    one(Frame::Headers {
        stream: 5,
        end_stream: false,
        end_headers: true,
        priority: Some(PrioritySpec {
            exclusive: false,
            depends_on: 1,
            weight: 255,
        }),
        fragment: b"\x82",
        padding: 3,
    });
    one(Frame::Priority {
        stream: 7,
        spec: PrioritySpec {
            exclusive: true,
            depends_on: 5,
            weight: 0,
        },
    });
    one(Frame::RstStream {
        stream: 1,
        code: ErrorCode::RefusedStream,
    });
    one(Frame::Settings {
        ack: true,
        params: wirelab::proto::h2::SettingsParams::new(&[]),
    });
    one(Frame::PushPromise {
        stream: 1,
        end_headers: false,
        promised: 4,
        fragment: b"ab",
        padding: 1,
    });
    one(Frame::Ping {
        ack: true,
        data: *b"pingpong",
    });
    one(Frame::GoAway {
        last_stream: 9,
        code: ErrorCode::EnhanceYourCalm,
        debug: b"slow down",
    });
    one(Frame::WindowUpdate {
        stream: 0,
        increment: 65_535,
    });
    one(Frame::Continuation {
        stream: 1,
        end_headers: true,
        fragment: b"\x84",
    });
    let mut settings = Vec::new();
    encode_settings(
        &[
            (SettingId::MaxConcurrentStreams, 128),
            (SettingId::InitialWindowSize, 1 << 24),
        ],
        &mut settings,
    );
    wire.push(settings);
    let mut block = Vec::new();
    encode_field_block(11, &[0x82; 40], true, 16, &mut block);
    let mut pos = 0;
    while pos < block.len() {
        let Ok(Check::Complete(n)) = check(&block[pos..], 16) else {
            panic!("whole frames")
        };
        wire.push(block[pos..pos + n].to_vec());
        pos += n;
    }
    let input: String = wire.iter().map(|w| hex(w) + "\n").collect();
    let theirs = oracle("parse", &input);
    let theirs: Vec<&str> = theirs.lines().collect();
    assert_eq!(theirs.len(), wire.len());
    for (w, t) in wire.iter().zip(theirs) {
        let ours = fields(&parse(w).unwrap());
        let t: Value = serde_json::from_str(t).unwrap();
        assert_eq!(ours, t, "{}", hex(w));
    }
}
