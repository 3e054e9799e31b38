//! QUIC connections in `lab analyze --ladder`, `--frames` and
//! `--annotate`, on the reference captures of captures/quic/ (real ngtcp2
//! and quinn peers, with their key logs): who sent which ending, each in
//! its own arrow style and never called FIN or RST, the verdict note as
//! the JSON report and the `.keys.expect` files say it; rsvg-convert
//! renders the SVG, tshark reads the annotated copy's comments back.
//!
//! tshark and rsvg-convert must be installed (scripts/setup); without them
//! these tests fail saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::captures::{run, stderr, stdout};
use serde_json::Value;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/quic")
        .join(name)
}

/// The `.keys` beside a capture, as an argument list.
fn keylog(pcap: &Path) -> Vec<String> {
    vec![
        "--keylog".into(),
        pcap.with_extension("keys").to_str().unwrap().into(),
    ]
}

fn lab(args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args, None);
    assert!(out.status.success(), "lab {args:?}: {}", stderr(&out));
    stdout(&out)
}

/// The QUIC object of the JSON report (the captures hold one connection).
fn report(pcap: &Path, keys: bool) -> Value {
    let mut args = vec![
        "analyze".to_string(),
        pcap.to_str().unwrap().into(),
        "--format".into(),
        "json".into(),
    ];
    if keys {
        args.extend(keylog(pcap));
    }
    let doc: Value = serde_json::from_str(&lab(&args)).unwrap();
    assert_eq!(doc["quic"].as_array().map(Vec::len), Some(1), "{doc}");
    doc["quic"][0].clone()
}

/// The `quic` line of the `.expect` (or `.keys.expect`) file.
fn expect_line(pcap: &Path, keys: bool) -> Vec<String> {
    let file = if keys {
        pcap.with_extension("keys.expect")
    } else {
        pcap.with_extension("expect")
    };
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text.lines().find(|l| l.starts_with("quic ")).unwrap();
    line.split(' ').map(str::to_string).collect()
}

/// Mermaid's entity codes (`#58;`) back to characters.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('#') {
        out.push_str(&rest[..i]);
        match rest[i + 1..]
            .find(';')
            .map(|e| (e, rest[i + 1..i + 1 + e].parse::<u32>()))
        {
            Some((e, Ok(code))) => {
                out.push(char::from_u32(code).unwrap());
                rest = &rest[i + 2 + e..];
            }
            _ => {
                out.push('#');
                rest = &rest[i + 1..];
            }
        }
    }
    out + rest
}

/// The Mermaid ladder's statements after the participants, unescaped.
fn mermaid(pcap: &Path, keys: bool, extra: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ladder.mmd");
    let mut args = vec![
        "analyze".to_string(),
        pcap.to_str().unwrap().into(),
        "--ladder".into(),
        "mermaid".into(),
        "--ladder-out".into(),
        out.to_str().unwrap().into(),
    ];
    if keys {
        args.extend(keylog(pcap));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    lab(&args);
    let text = std::fs::read_to_string(&out).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim_start().starts_with("participant"))
        .map(|l| unescape(l.trim()))
        .collect()
}

/// The checks every QUIC ladder passes: the client's first Initial opens
/// it with the SNI and ALPN the table reads, the verdict note is last and
/// names the ending as the `.expect` file does, and no QUIC arrow is
/// called FIN or RST.
fn common_checks(lines: &[String], pcap: &Path, keys: bool) {
    let expect = expect_line(pcap, keys);
    assert!(
        lines[0].starts_with(
            "P1->>P2: frame 1 +0.000000s · Initial ClientHello (SNI localhost, ALPN h3"
        ),
        "{lines:#?}"
    );
    let note = lines.last().unwrap();
    let ending = expect[3].replace('_', " ");
    let ending = if ending == "unknown (encrypted)" {
        ending
    } else {
        expect[3].clone()
    };
    assert!(
        note.starts_with(&format!("Note over P1,P2: QUIC 1 ended {ending}")),
        "{note} vs {expect:?}"
    );
    for l in lines {
        assert!(!l.contains("FIN") && !l.contains("RST"), "{l}");
    }
}

#[test]
fn graceful_and_abrupt_closes_are_connection_close_arrows_from_the_server() {
    for (name, code) in [
        (
            "serve/h3-serve-graceful.pcap",
            "H3_NO_ERROR (application 0x100)",
        ),
        (
            "serve/h3-serve-abrupt.pcap",
            "H3_INTERNAL_ERROR (application 0x102)",
        ),
    ] {
        let pcap = capture(name);
        let lines = mermaid(&pcap, true, &[]);
        common_checks(&lines, &pcap, true);
        let q = report(&pcap, true);
        let close = &q["connection_close"];
        assert_eq!(close["by"], "server");
        assert_eq!(close["error"], code);
        // The `.keys.expect` says server:0x1d:CODE.
        let expect = expect_line(&pcap, true);
        assert!(expect[4].starts_with("server:0x1d:"), "{expect:?}");
        let frame = close["frame"].as_u64().unwrap();
        let arrow = lines
            .iter()
            .find(|l| l.contains("CONNECTION_CLOSE"))
            .unwrap_or_else(|| panic!("no close arrow: {lines:#?}"));
        assert!(
            arrow.starts_with(&format!("P2-->>P1: frame {frame} ")),
            "{arrow}"
        );
        assert!(
            arrow.contains(&format!("· CONNECTION_CLOSE {code}")),
            "{arrow}"
        );
        let note = lines.last().unwrap();
        assert!(
            note.contains(&format!(
                "CONNECTION_CLOSE (0x1d) by the server in a 1-RTT packet (frame {frame}): {code}"
            )),
            "{note}"
        );
        // HTTP/3 with the key log: the request from the client, the answer
        // from the server.
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("P1->>P2") && l.contains("HTTP/3 stream 0: GET localhost")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("P2->>P1") && l.contains("HTTP/3 stream 0: 200")),
            "{lines:#?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("HANDSHAKE_DONE")),
            "{lines:#?}"
        );
    }
}

#[test]
fn without_the_key_log_the_ladder_shows_what_is_readable_and_no_close() {
    for name in [
        "serve/h3-serve-graceful.pcap",
        "serve/h3-serve-abrupt.pcap",
        "serve/h3-serve-stateless-reset.pcap",
        "quic-idle-timeout.pcap",
    ] {
        let pcap = capture(name);
        let lines = mermaid(&pcap, false, &[]);
        common_checks(&lines, &pcap, false);
        assert_eq!(report(&pcap, false)["ending"], "unknown (encrypted)");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("P2->>P1") && l.contains("Initial ServerHello (TLS_AES_")),
            "{lines:#?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("1-RTT (not opened)")),
            "{lines:#?}"
        );
        for l in &lines {
            assert!(
                !l.contains("CONNECTION_CLOSE")
                    && !l.contains("stateless reset")
                    && !l.contains("HTTP/3"),
                "{l}"
            );
        }
    }
}

#[test]
fn a_stateless_reset_is_its_own_arrow_and_note() {
    let pcap = capture("serve/h3-serve-stateless-reset.pcap");
    let lines = mermaid(&pcap, true, &[]);
    common_checks(&lines, &pcap, true);
    let q = report(&pcap, true);
    let frame = q["stateless_reset"]["frame"].as_u64().unwrap();
    assert_eq!(q["stateless_reset"]["by"], "server");
    let arrow = lines
        .iter()
        .find(|l| l.contains("stateless reset:"))
        .unwrap();
    assert!(
        arrow.starts_with(&format!("P2--xP1: frame {frame} ")),
        "{arrow}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .contains(&format!("stateless reset by the server (frame {frame})")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("CONNECTION_CLOSE")));
}

#[test]
fn an_idle_timeout_is_a_note_after_the_last_packet_with_the_figure() {
    let pcap = capture("quic-idle-timeout.pcap");
    let lines = mermaid(&pcap, true, &[]);
    common_checks(&lines, &pcap, true);
    let q = report(&pcap, true);
    assert_eq!(q["idle_timeout_ms"], 1000);
    let silence = &lines[lines.len() - 2];
    assert!(
        silence.starts_with("Note over P1,P2: after frame ")
            && silence.contains("silent past the idle timeout (1000ms, RFC 9000 §10.1)"),
        "{lines:#?}"
    );
}

#[test]
fn port_and_host_narrow_the_quic_connections_too() {
    let pcap = capture("serve/h3-serve-graceful.pcap");
    let none = mermaid(&pcap, true, &["--port", "1"]);
    // Nothing drawn: the participants say so, no arrow and no note.
    assert!(none.is_empty(), "{none:#?}");
    let port = report(&pcap, true)["server"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let some = mermaid(&pcap, true, &["--port", &port, "--host", "127.0.0.1"]);
    assert!(
        some.last()
            .unwrap()
            .contains("QUIC 1 ended connection_close")
    );
}

/// `lab analyze` with extra flags, as a table.
fn table(pcap: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "analyze".to_string(),
        pcap.to_str().unwrap().into(),
        "--color".into(),
        "never".into(),
    ];
    args.extend(keylog(pcap));
    args.extend(extra.iter().map(|s| s.to_string()));
    lab(&args)
}

#[test]
fn frames_lists_the_packets_worth_naming_and_changes_nothing_else() {
    let pcap = capture("serve/h3-serve-graceful.pcap");
    let plain = table(&pcap, &[]);
    let frames = table(&pcap, &["--frames"]);
    let listed: Vec<&str> = frames
        .lines()
        .filter(|l| l.starts_with("    frame "))
        .collect();
    // Without the listed lines, the table is the one without --frames.
    let rest: Vec<&str> = frames
        .lines()
        .filter(|l| !l.starts_with("    frame "))
        .collect();
    assert_eq!(rest, plain.lines().collect::<Vec<_>>());
    assert!(!plain.contains("    frame "));
    let q = report(&pcap, true);
    let close = q["connection_close"]["frame"].as_u64().unwrap();
    let first = q["first_frame"].as_u64().unwrap();
    assert!(
        listed[0].starts_with(&format!(
            "    frame {first:>6}  client → server  Initial ClientHello"
        )),
        "{listed:#?}"
    );
    assert!(
        listed
            .iter()
            .any(|l| l.contains("client ← server  Initial ServerHello")),
        "{listed:#?}"
    );
    assert_eq!(
        *listed.last().unwrap(),
        format!(
            "    frame {close:>6}  client ← server  CONNECTION_CLOSE H3_NO_ERROR (application 0x100)"
        )
    );
}

/// (frame, comments) as tshark reads them from `file`.
fn tshark_comments(file: &Path) -> Vec<(u64, String)> {
    let out = Command::new("tshark")
        .args(["-r", file.to_str().unwrap(), "-Y", "frame.comment"])
        .args(["-T", "fields", "-e", "frame.number", "-e", "frame.comment"])
        .output()
        .expect("tshark cannot run: install it with scripts/setup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (n, c) = l.split_once('\t').unwrap();
            (n.parse().unwrap(), c.to_string())
        })
        .collect()
}

/// The frames of a UDP port, as tshark numbers them.
fn port_frames(file: &Path, port: &str) -> Vec<u64> {
    let out = Command::new("tshark")
        .args([
            "-r",
            file.to_str().unwrap(),
            "-Y",
            &format!("udp.port == {port}"),
        ])
        .args(["-T", "fields", "-e", "frame.number"])
        .output()
        .expect("tshark cannot run: install it with scripts/setup");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

#[test]
fn tshark_reads_the_quic_verdict_on_the_deciding_packet() {
    let dir = tempfile::tempdir().unwrap();
    for (name, deciding) in [
        ("serve/h3-serve-graceful.pcap", "connection_close"),
        ("serve/h3-serve-abrupt.pcap", "connection_close"),
        ("serve/h3-serve-stateless-reset.pcap", "stateless_reset"),
        ("quic-idle-timeout.pcap", "last"),
    ] {
        let pcap = capture(name);
        let copy = dir.path().join("copy.pcapng");
        let plain = table(&pcap, &[]);
        let annotated = table(&pcap, &["--annotate", copy.to_str().unwrap()]);
        assert_eq!(plain, annotated, "--annotate changes no report line");
        let q = report(&pcap, true);
        let frame = match deciding {
            "last" => {
                let port = q["server"]
                    .as_str()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .to_string();
                *port_frames(&pcap, &port).last().unwrap()
            }
            key => q[key]["frame"].as_u64().unwrap(),
        };
        let comments = tshark_comments(&copy);
        assert_eq!(comments.len(), 1, "{name}: {comments:?}");
        let (at, text) = &comments[0];
        assert_eq!(*at, frame, "{name}: {text}");
        assert!(text.starts_with("wirelab QUIC 1 "), "{text}");
        assert!(
            text.ends_with(&format!(
                "; the connection ended {}",
                q["ending"].as_str().unwrap()
            )),
            "{text}"
        );
        assert!(!text.contains("FIN") && !text.contains("RST"), "{text}");
    }
}

#[test]
fn the_svg_ladder_renders_and_styles_each_ending_apart() {
    let dir = tempfile::tempdir().unwrap();
    for (name, marker, dash) in [
        ("serve/h3-serve-graceful.pcap", "head-close", None),
        ("serve/h3-serve-stateless-reset.pcap", "bar", Some("8 4")),
        ("quic-icmp-unreachable.pcap", "head-icmp", Some("2 3")),
    ] {
        let pcap = capture(name);
        let svg = dir.path().join("ladder.svg");
        let mut args = vec![
            "analyze".to_string(),
            pcap.to_str().unwrap().into(),
            "--ladder".into(),
            "svg".into(),
            "--ladder-out".into(),
            svg.to_str().unwrap().into(),
        ];
        if pcap.with_extension("keys").exists() {
            args.extend(keylog(&pcap));
        }
        lab(&args);
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("<title>TCP and QUIC ladder (wirelab)</title>"));
        let arrows: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(&format!(r#"marker-end="url(#{marker})""#)))
            .collect();
        assert_eq!(arrows.len(), 1, "{name}: {text}");
        if let Some(d) = dash {
            assert!(
                arrows[0].contains(&format!(r#"stroke-dasharray="{d}""#)),
                "{}",
                arrows[0]
            );
        }
        for head in ["head-fin", "cross"] {
            assert!(
                !text.contains(&format!("url(#{head})")),
                "{name}: a TCP {head} arrow"
            );
        }
        let png = dir.path().join("ladder.png");
        let out = Command::new("rsvg-convert")
            .args([svg.to_str().unwrap(), "-o", png.to_str().unwrap()])
            .output()
            .expect("rsvg-convert cannot run: install it with scripts/setup");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    }
}
