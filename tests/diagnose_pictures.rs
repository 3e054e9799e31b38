//! `lab diagnose --annotate` and `--ladder`: tshark reads the diagnosis as
//! comments on the deciding frames of the copy, and rsvg-convert renders
//! the SVG ladder whose note carries it. tshark and rsvg-convert must be
//! installed (scripts/setup); a missing one fails the test.

use std::path::Path;
use std::process::Command;

fn lab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run lab")
}

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

#[test]
fn the_diagnosis_lands_on_the_deciding_frames() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("race.pcapng");
    let plain = lab(&["diagnose", "captures/keepalive-race.pcap"]);
    let out = lab(&[
        "diagnose",
        "captures/keepalive-race.pcap",
        "--annotate",
        copy.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(plain.stdout, out.stdout, "the report changed");
    let text = tool(
        "tshark",
        &[
            "-r",
            copy.to_str().unwrap(),
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
    let on = |frame: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{frame}\t")))
            .unwrap_or_else(|| panic!("no comment on frame {frame}: {text}"))
            .to_string()
    };
    // The README's deciding frames of the race: 6 (last bytes before the
    // idle time), 8 (GET /second), 10 (the server's RST).
    assert!(
        on("6").contains("lab diagnose #1 keep-alive-race (harmful): the last bytes"),
        "{text}"
    );
    assert!(
        on("8").contains("request GET /second reaches the server"),
        "{text}"
    );
    let rst = on("10");
    assert!(
        rst.contains("lab diagnose #1 keep-alive-race (harmful): RST by the server"),
        "{rst}"
    );
    assert!(
        rst.contains("client: Every byte of the 200 to GET /first was acknowledged by its TCP"),
        "{rst}"
    );
    // lab analyze's verdict comment is kept beside it.
    assert!(rst.contains("#1 127.0.0.1:48588"), "{rst}");
    assert!(rst.contains("the connection ended rst"), "{rst}");
    let frames: Vec<&str> = text.lines().filter_map(|l| l.split('\t').next()).collect();
    assert!(!frames.contains(&"1") && !frames.contains(&"4"), "{text}");
}

#[test]
fn the_ladders_note_carries_the_diagnosis_and_the_svg_renders() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("censor.svg");
    let md = dir.path().join("censor.md");
    let out = lab(&[
        "diagnose",
        "captures/crafted/censor-pair.pcap",
        "--ladder",
        "svg",
        "--ladder-out",
        svg.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("Diagnosis: middlebox-suspected by the server, harmful."),
        "{text}"
    );
    let png = dir.path().join("censor.png");
    tool(
        "rsvg-convert",
        &[svg.to_str().unwrap(), "-o", png.to_str().unwrap()],
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let out = lab(&[
        "diagnose",
        "captures/keepalive-race.pcap",
        "--ladder",
        "mermaid",
        "--ladder-out",
        md.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let m = std::fs::read_to_string(&md).unwrap();
    assert!(m.starts_with("```mermaid\nsequenceDiagram"), "{m}");
    assert!(
        // Mermaid's own escapes: `#58;` is `:` and `#45;` is `-`.
        m.contains("Diagnosis#58; keep#45;alive#45;race by the server, harmful."),
        "{m}"
    );
    assert!(Path::new(&md).exists());
}
