//! `lab analyze --annotate` and `--ladder` on the reference captures, with
//! outside readers as the oracles:
//!
//! - tshark reads each annotated copy: exactly our comments, on the FIN
//!   and RST frames the JSON report names, and every frame's time and
//!   length equal to the input's; a pcapng input keeps the comment it had;
//! - rsvg-convert (librsvg) renders the SVG ladder to a PNG of the
//!   picture's size; the Mermaid ladder has one arrow per step;
//! - the report on standard output is byte for byte the one without the
//!   new flags.
//!
//! tshark, editcap and rsvg-convert must be installed (scripts/setup);
//! without them these tests fail saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::captures::{run, stderr, stdout};
use serde_json::Value;

fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("captures/ is readable")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    all.sort();
    assert!(all.len() >= 10, "captures/ holds {} pcap files", all.len());
    all
}

/// Runs a tool that must be installed; its standard output.
fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} cannot run ({e}): install it with scripts/setup"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// (frame, comments) as tshark reads them from `file`.
fn tshark_comments(file: &Path) -> Vec<(u64, Vec<String>)> {
    let text = tool(
        "tshark",
        &[
            "-r",
            file.to_str().unwrap(),
            "-Y",
            "frame.comment",
            "-T",
            "fields",
            "-E",
            "aggregator=|",
            "-e",
            "frame.number",
            "-e",
            "frame.comment",
        ],
    );
    text.lines()
        .map(|l| {
            let (n, c) = l.split_once('\t').expect("two fields");
            (
                n.parse().unwrap(),
                c.split('|').map(str::to_string).collect(),
            )
        })
        .collect()
}

fn times_and_lengths(file: &Path) -> String {
    tool(
        "tshark",
        &[
            "-r",
            file.to_str().unwrap(),
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.len",
            "-e",
            "frame.cap_len",
        ],
    )
}

/// The FIN and RST frames of each connection in the JSON report: (frame, id).
fn fin_and_rst_frames(capture: &Path) -> Vec<(u64, u64)> {
    let out = run(
        &["analyze", capture.to_str().unwrap(), "--format", "json"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut frames = Vec::new();
    for c in doc["connections"].as_array().unwrap() {
        for key in ["client_fin", "server_fin", "client_rst", "server_rst"] {
            if let Some(n) = c["frames"][key].as_u64() {
                frames.push((n, c["id"].as_u64().unwrap()));
            }
        }
    }
    frames.sort();
    frames
}

#[test]
fn tshark_reads_our_comments_on_the_verdicts_frames() {
    let dir = tempfile::tempdir().unwrap();
    for capture in captures() {
        let name = capture.file_stem().unwrap().to_string_lossy().into_owned();
        let copy = dir.path().join(format!("{name}.pcapng"));
        let plain = run(&["analyze", capture.to_str().unwrap()], None);
        let annotated = run(
            &[
                "analyze",
                capture.to_str().unwrap(),
                "--annotate",
                copy.to_str().unwrap(),
            ],
            None,
        );
        assert!(annotated.status.success(), "{name}: {}", stderr(&annotated));
        assert_eq!(
            stdout(&plain),
            stdout(&annotated),
            "{name}: the report changed"
        );
        let expected = fin_and_rst_frames(&capture);
        let found = tshark_comments(&copy);
        let frames: Vec<u64> = found.iter().map(|(n, _)| *n).collect();
        let want: Vec<u64> = expected.iter().map(|(n, _)| *n).collect();
        assert_eq!(frames, want, "{name}: commented frames");
        for ((frame, texts), (_, id)) in found.iter().zip(&expected) {
            assert_eq!(texts.len(), 1, "{name} frame {frame}: {texts:?}");
            assert!(
                texts[0].starts_with(&format!("wirelab #{id} ")),
                "{name} frame {frame}: {texts:?}"
            );
            assert!(
                texts[0].contains("FIN") || texts[0].contains("RST"),
                "{texts:?}"
            );
        }
        assert!(
            found
                .iter()
                .any(|(_, t)| t[0].contains("the connection ended")),
            "{name}: no deciding frame named: {found:?}"
        );
        assert_eq!(
            times_and_lengths(&capture),
            times_and_lengths(&copy),
            "{name}: frames changed"
        );
    }
}

#[test]
fn a_pcapng_input_keeps_its_comments_and_gains_ours() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/early-413.pcap");
    let ng = dir.path().join("commented.pcapng");
    // editcap writes pcapng (microsecond, one interface) with a comment of
    // its own on frame 11, the server's RST.
    tool(
        "editcap",
        &[
            "-F",
            "pcapng",
            "-a",
            "11:seen by the on-call engineer",
            capture.to_str().unwrap(),
            ng.to_str().unwrap(),
        ],
    );
    let copy = dir.path().join("copy.pcapng");
    let out = run(
        &[
            "analyze",
            ng.to_str().unwrap(),
            "--annotate",
            copy.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let found = tshark_comments(&copy);
    assert_eq!(found.len(), 1, "{found:?}");
    let (frame, texts) = &found[0];
    assert_eq!(*frame, 11);
    assert_eq!(texts[0], "seen by the on-call engineer");
    assert!(
        texts[1].starts_with("wirelab #1 127.0.0.1:33114 → 127.0.0.1:40693: server RST (unread_data); the connection ended rst"),
        "{texts:?}"
    );
    assert_eq!(times_and_lengths(&ng), times_and_lengths(&copy));
    assert!(
        stderr(&out).contains(&format!(
            "annotated copy written to {}: 11 frames, 1 comments on 1 frames",
            copy.display()
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn annotate_refuses_what_it_cannot_copy() {
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/early-413.pcap");
    let bytes = std::fs::read(&capture).unwrap();
    let out = run(
        &["analyze", "-", "--annotate", "/tmp/never.pcapng"],
        Some(&bytes),
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not standard input"), "{err}");
    let out = run(
        &[
            "analyze",
            capture.to_str().unwrap(),
            "--annotate",
            capture.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("would overwrite the capture it copies"));
    assert_eq!(
        std::fs::read(&capture).unwrap(),
        bytes,
        "the input is intact"
    );
    // A damaged capture: one line, and no half-made copy left behind.
    let dir = tempfile::tempdir().unwrap();
    let mut damaged = bytes.clone();
    let second = 24 + 16 + u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    damaged[second + 8..second + 12].copy_from_slice(&90_000_000u32.to_le_bytes());
    let input = dir.path().join("damaged.pcap");
    std::fs::write(&input, &damaged).unwrap();
    let copy = dir.path().join("copy.pcapng");
    let out = run(
        &[
            "analyze",
            input.to_str().unwrap(),
            "--annotate",
            copy.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.contains(&format!("damaged capture at byte {second}"))),
        "{err}"
    );
    assert!(!copy.exists(), "a failed copy is removed");
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn the_svg_ladder_renders_at_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/keepalive-race.pcap");
    let svg = dir.path().join("ladder.svg");
    let plain = run(&["analyze", capture.to_str().unwrap()], None);
    let out = run(
        &[
            "analyze",
            capture.to_str().unwrap(),
            "--ladder",
            "svg",
            "--ladder-out",
            svg.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&plain), stdout(&out), "the report changed");
    let text = std::fs::read_to_string(&svg).unwrap();
    let size = |attr: &str| -> u32 {
        let at = text.find(&format!(" {attr}=\"")).unwrap() + attr.len() + 3;
        text[at..at + text[at..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    let png = dir.path().join("ladder.png");
    tool(
        "rsvg-convert",
        &[svg.to_str().unwrap(), "-o", png.to_str().unwrap()],
    );
    let (w, h) = png_size(&std::fs::read(&png).unwrap());
    assert_eq!((w, h), (size("width"), size("height")));
    // Three lifelines (two clients, one server) and room for 10 arrows.
    assert!(w >= 1200 && h >= 500, "{w}x{h}");
    // The RST in red with its phase, both FINs in blue, each verdict noted.
    assert!(text.contains(r##"stroke="#c62828""##));
    assert!(text.contains("frame 10 · RST (unread_data)"), "{text}");
    assert_eq!(text.matches(r#"marker-end="url(#head-fin)""#).count(), 2);
    assert!(text.contains("#1 ended rst; server RST (unread_data) at frame 10"));
    assert!(text.contains("#2 ended fin; client closed first"));
}

#[test]
fn the_mermaid_ladder_has_one_arrow_per_step() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/early-413.pcap");
    let md = dir.path().join("ladder.md");
    let out = run(
        &[
            "analyze",
            capture.to_str().unwrap(),
            "--ladder",
            "mermaid",
            "--ladder-out",
            md.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&md).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "```mermaid");
    assert_eq!(lines[1], "sequenceDiagram");
    assert_eq!(*lines.last().unwrap(), "```");
    let arrows: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("->>") || l.contains("-x"))
        .collect();
    // SYN, the request, the 413, the RST: as the table's --frames ladder.
    assert_eq!(arrows.len(), 4, "{text}");
    assert!(arrows[3].starts_with("    P2-xP1: frame 11 "), "{text}");
    assert!(text.contains("Note over P1,P2: #35;1 ended rst#59; server RST"));
}
