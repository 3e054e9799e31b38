//! HTTP/2 in cleartext against real peers on one port: curl (`--http2`
//! for the h2c Upgrade, `--http2-prior-knowledge`), nghttp (with and
//! without `-u`), h2load, and Python's h2 (Debian's python3-h2) as a second
//! independent client. Every answer is checked byte for byte against the
//! server's pattern body, and the server's own log says what it did: the
//! trap that broke Go's h2c and Helidon (a request body fed to the HTTP/2
//! parser) shows there, not in curl's exit code.

mod common;

use std::process::Command;

use common::{Lab, curl, start_with};
use serde_json::Value;
use wirelab::http::is_pattern;
use wirelab::proto::h2::{ErrorCode, SettingId};
use wirelab::server::h2::StreamState;
use wirelab::server::{Cause, CloseEnding, Config, Dir, Event, H2Start, Http2, ReadMode};

fn config(mode: ReadMode) -> Config {
    Config {
        mode,
        ..Config::default()
    }
}

/// Runs `program args`; panics with how to install it when it is missing.
#[track_caller]
fn run(program: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is required by this test and could not run ({e}): run scripts/setup")
        });
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The Python h2 client (tests/oracle/h2_server_peer_client.py).
#[track_caller]
fn python_client(lab: &Lab, scenario: &str) -> Value {
    let script = format!(
        "{}/tests/oracle/h2_server_peer_client.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let port = lab.addr.port().to_string();
    let (code, out, err) = run("/usr/bin/python3", &[&script, &port, scenario]);
    assert_eq!(
        code, 0,
        "python3-h2 client failed (run scripts/setup): {err}"
    );
    serde_json::from_str(&out).expect("the client prints JSON")
}

fn stream_events(lab: &Lab, state: StreamState) -> Vec<(u32, Option<u16>)> {
    lab.records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Stream {
                id,
                state: s,
                status,
                ..
            } if *s == state => Some((*id, *status)),
            _ => None,
        })
        .collect()
}

/// What curl says when a RST ends the connection before it has an answer.
fn reset_by_peer(c: &common::Curl) -> bool {
    (c.code == 55 && c.stderr.contains("Send failure: Connection reset by peer"))
        || (c.code == 52 && c.stderr.contains("Empty reply from server"))
}

fn has(lab: &Lab, pred: impl Fn(&Event) -> bool) -> bool {
    lab.records.iter().any(|r| pred(&r.event))
}

#[test]
fn curl_upgrade_and_prior_knowledge_both_get_http2_and_the_body() {
    let dir = std::env::temp_dir().join(format!("wirelab-h2-curl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (flag, start) in [
        ("--http2", H2Start::Upgrade),
        ("--http2-prior-knowledge", H2Start::PriorKnowledge),
    ] {
        let mut lab = start_with(Config {
            body_size: 70_000,
            ..config(ReadMode::Full)
        });
        let file = dir.join("body");
        let file = file.to_str().unwrap();
        let c = curl(&[
            flag,
            "-o",
            file,
            "-w",
            "%{http_version} %{http_code}",
            &lab.url("/x"),
        ]);
        assert_eq!((c.code, c.stdout.as_str()), (0, "2 200"), "{flag}: {c:?}");
        let body = std::fs::read(file).unwrap();
        assert_eq!(body.len(), 70_000, "{flag}");
        assert!(is_pattern(0, &body), "{flag}: the body's bytes differ");
        lab.closed(1);
        assert!(
            has(&lab, |e| *e == Event::Preface { start }),
            "{flag}\n{}",
            lab.log_text()
        );
        let upgraded = has(&lab, |e| matches!(e, Event::Upgrade { .. }));
        assert_eq!(upgraded, start == H2Start::Upgrade, "{flag}");
        // curl's first request is stream 1 either way: after an upgrade it
        // is the HTTP/1.1 request itself (RFC 7540 §3.2).
        assert_eq!(
            stream_events(&lab, StreamState::Closed),
            [(1, Some(200))],
            "{flag}"
        );
        let stats = lab.stop();
        assert_eq!((stats.requests, stats.responses), (1, 1), "{flag}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn upgrade_with_a_post_body_reads_the_body_before_switching() {
    let mut lab = start_with(config(ReadMode::Full));
    let body = "x".repeat(50_000);
    let c = curl(&[
        "--http2",
        "--data-binary",
        &body,
        "-D",
        "-",
        "-o",
        "/dev/null",
        &lab.url("/post"),
    ]);
    assert_eq!(c.code, 0, "{c:?}");
    assert!(c.stdout.contains("HTTP/2 200"), "{}", c.stdout);
    // The server says how much body it read before answering on stream 1.
    assert!(
        c.stdout.contains("x-wirelab-request-bytes: 50000"),
        "{}",
        c.stdout
    );
    lab.closed(1);
    let log = lab.log_text();
    let upgrade = lab
        .records
        .iter()
        .find_map(|r| match &r.event {
            Event::Upgrade {
                body_bytes,
                settings,
                ..
            } => Some((*body_bytes, settings.clone())),
            _ => None,
        })
        .expect("an upgrade record");
    assert_eq!(upgrade.0, 50_000, "{log}");
    assert!(
        upgrade
            .1
            .iter()
            .any(|s| s.id == SettingId::MaxConcurrentStreams),
        "HTTP2-Settings decoded: {log}"
    );
    // The preface came after the body, and nothing was taken for a frame.
    assert!(
        has(&lab, |e| *e
            == Event::Preface {
                start: H2Start::Upgrade
            }),
        "{log}"
    );
    assert!(
        !has(&lab, |e| matches!(e, Event::GoAway { dir: Dir::Sent, .. })),
        "{log}"
    );
    assert!(!log.contains("h2-connection-error"), "{log}");
}

#[test]
fn without_http2_settings_or_with_h2_the_upgrade_is_plain_http11() {
    let mut lab = start_with(config(ReadMode::Full));
    let url = lab.url("/");
    let cases: [&[&str]; 3] = [
        &["-H", "Upgrade: h2c", "-H", "Connection: Upgrade"],
        &[
            "-H",
            "Upgrade: h2",
            "-H",
            "Connection: Upgrade, HTTP2-Settings",
            "-H",
            "HTTP2-Settings: AAMAAABkAAQAAP__",
        ],
        &[
            "-H",
            "Upgrade: h2c",
            "-H",
            "Connection: Upgrade, HTTP2-Settings",
            "-H",
            "HTTP2-Settings: AAMAAABkAAQAAP__",
            "-H",
            "HTTP2-Settings: AAMAAABkAAQAAP__",
        ],
    ];
    for extra in cases {
        let mut args = vec!["-o", "/dev/null", "-w", "%{http_version} %{http_code}"];
        args.extend_from_slice(extra);
        args.push(&url);
        let c = curl(&args);
        assert_eq!(
            (c.code, c.stdout.as_str()),
            (0, "1.1 200"),
            "{extra:?}: {c:?}"
        );
    }
    lab.closed(3);
    assert!(
        !has(&lab, |e| matches!(e, Event::Upgrade { .. })),
        "{}",
        lab.log_text()
    );
}

#[test]
fn http2_off_answers_upgrade_as_http11_and_the_preface_as_a_bad_request() {
    let mut lab = start_with(Config {
        http2: Http2::Off,
        ..config(ReadMode::Full)
    });
    let w = ["-o", "/dev/null", "-w", "%{http_version} %{http_code}"];
    let c = curl(&[&w[..], &["--http2", &lab.url("/")]].concat());
    assert_eq!((c.code, c.stdout.as_str()), (0, "1.1 200"), "{c:?}");
    // The preface read as HTTP/1: `PRI * HTTP/2.0` gets 505 and the close
    // finds the client's SETTINGS unread, so curl sees a reset: (55) "Send
    // failure: Connection reset by peer", or (52) "Empty reply from
    // server" when the RST overtakes the 505 (the RST discards it).
    let c = curl(&[&w[..], &["--http2-prior-knowledge", &lab.url("/")]].concat());
    assert!(reset_by_peer(&c), "{c:?}");
    let closed = lab.closed(2);
    assert_eq!(
        closed[1].end,
        CloseEnding::WeProvokedRst,
        "{}",
        lab.log_text()
    );
    assert_eq!(closed[1].cause, Cause::Rejected(505));
}

#[test]
fn http2_upgrade_only_and_prior_knowledge_only() {
    let w = ["-o", "/dev/null", "-w", "%{http_version} %{http_code}"];
    let mut lab = start_with(Config {
        http2: Http2::Upgrade,
        ..config(ReadMode::Full)
    });
    let c = curl(&[&w[..], &["--http2", &lab.url("/")]].concat());
    assert_eq!(c.stdout, "2 200", "{c:?}");
    let c = curl(&[&w[..], &["--http2-prior-knowledge", &lab.url("/")]].concat());
    assert!(reset_by_peer(&c), "{c:?}");
    lab.closed(2);
    let mut lab = start_with(Config {
        http2: Http2::PriorKnowledge,
        ..config(ReadMode::Full)
    });
    let c = curl(&[&w[..], &["--http2", &lab.url("/")]].concat());
    assert_eq!(c.stdout, "1.1 200", "{c:?}");
    let c = curl(&[&w[..], &["--http2-prior-knowledge", &lab.url("/")]].concat());
    assert_eq!(c.stdout, "2 200", "{c:?}");
    lab.closed(2);
}

#[test]
fn nghttp_with_and_without_upgrade_gets_every_stream() {
    let mut lab = start_with(config(ReadMode::Full));
    let (a, b) = (lab.url("/a"), lab.url("/b"));
    // Without -u: prior knowledge, PRIORITY frames for idle streams 3-11
    // first, then HEADERS on 13 and 15 (the server must not assume 1).
    let (code, out, err) = run("nghttp", &["-n", "-s", &a, &b]);
    assert_eq!(code, 0, "{out}{err}");
    let rows: Vec<&str> = out.lines().filter(|l| l.contains(" 200 ")).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows.iter().all(|r| r.contains(" 128 ")), "{out}");
    // With -u: the first request upgrades and is stream 1; the second is 3.
    let (code, out, err) = run("nghttp", &["-nu", "-s", "--no-dep", &a, &b]);
    assert_eq!(code, 0, "{out}{err}");
    let ids: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(" 200 "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids, ["1", "3"], "{out}");
    lab.closed(2);
    let closed = stream_events(&lab, StreamState::Closed);
    assert_eq!(closed.len(), 4, "{}", lab.log_text());
    assert!(closed.contains(&(13, Some(200))) && closed.contains(&(15, Some(200))));
}

#[test]
fn h2load_gets_a_thousand_answers() {
    let lab = start_with(config(ReadMode::Full));
    let (code, out, err) = run("h2load", &["-n", "1000", "-c", "4", &lab.url("/")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed"),
        "{out}"
    );
    assert!(out.contains("status codes: 1000 2xx"), "{out}");
    let stats = lab.stop();
    assert_eq!(stats.responses, 1000);
    assert_eq!(stats.accepted, 4);
}

#[test]
fn python_h2_streams_flow_control_both_ways() {
    // A body larger than the client's 65 535-byte window: the server must
    // wait for WINDOW_UPDATE; a 200 000-byte upload needs ours.
    let mut lab = start_with(Config {
        body_size: 100_000,
        ..config(ReadMode::Full)
    });
    let v = python_client(&lab, "streams");
    let streams = v["streams"].as_object().unwrap();
    assert_eq!(streams.len(), 4, "{v}");
    for (id, s) in streams {
        assert_eq!(s["status"], 200, "stream {id}: {v}");
        let hex = s["body"].as_str().unwrap();
        let body: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(body.len(), 100_000, "stream {id}");
        assert!(is_pattern(0, &body), "stream {id}: body bytes differ");
    }
    assert_eq!(streams["7"]["headers"]["x-wirelab-request-bytes"], "200000");
    assert_eq!(v["resets"], serde_json::json!([]));
    lab.drain_records();
    let done = stream_events(&lab, StreamState::Closed);
    assert_eq!(done.len(), 4, "{}", lab.log_text());
}

#[test]
fn python_h2_upgrade_answers_stream_1_then_3() {
    let mut lab = start_with(config(ReadMode::Full));
    let v = python_client(&lab, "upgrade");
    assert_eq!(v["streams"]["1"]["status"], 200, "{v}");
    assert_eq!(v["streams"]["3"]["status"], 200, "{v}");
    assert_eq!(v["streams"]["1"]["body"].as_str().unwrap().len(), 256);
    lab.drain_records();
    assert!(has(&lab, |e| *e
        == Event::Preface {
            start: H2Start::Upgrade
        }));
}

#[test]
fn no_read_answers_the_first_stream_then_closes_with_frames_unread() {
    for flag in ["--http2", "--http2-prior-knowledge"] {
        let mut lab = start_with(config(ReadMode::NoRead));
        let c = curl(&[
            flag,
            "-o",
            "/dev/null",
            "-w",
            "%{http_version} %{http_code}",
            &lab.url("/"),
        ]);
        // curl has its whole answer before the RST comes.
        assert_eq!((c.code, c.stdout.as_str()), (0, "2 200"), "{flag}: {c:?}");
        let closed = lab.closed(1);
        assert_eq!(
            closed[0].end,
            CloseEnding::WeProvokedRst,
            "{flag}\n{}",
            lab.log_text()
        );
        assert_eq!(closed[0].cause, Cause::OneShotMode);
        assert!(closed[0].unread > 0, "{flag}: {closed:?}");
    }
}

#[test]
fn drain_is_the_graceful_shutdown_and_ends_in_fin() {
    let mut lab = start_with(config(ReadMode::Drain));
    let v = python_client(&lab, "stay");
    assert_eq!(v["streams"]["1"]["status"], 200, "{v}");
    // §6.8: GOAWAY with 2^31-1, a PING round trip, GOAWAY with the last
    // stream, then our FIN; the client read everything, so FIN both ways.
    assert_eq!(
        v["goaways"],
        serde_json::json!([[2147483647, 0], [1, 0]]),
        "{v}"
    );
    assert_eq!(v["end"], "fin", "{v}");
    let closed = lab.closed(1);
    assert_eq!(closed[0].end, CloseEnding::WeSentFin, "{}", lab.log_text());
    assert_eq!(closed[0].cause, Cause::DrainedToPeerFin);
    assert!(has(&lab, |e| matches!(
        e,
        Event::HalfClosed {
            cause: Cause::GracefulShutdown
        }
    )));
}

#[test]
fn full_and_abort_send_goaway_at_the_idle_timeout() {
    for (mode, end, client_end) in [
        (ReadMode::Full, CloseEnding::WeSentFin, "fin"),
        (ReadMode::Abort, CloseEnding::WeAborted, "rst"),
    ] {
        let mut lab = start_with(Config {
            idle_timeout: std::time::Duration::from_millis(300),
            ..config(mode)
        });
        let v = python_client(&lab, "stay");
        assert_eq!(v["streams"]["1"]["status"], 200, "{mode}: {v}");
        assert_eq!(v["end"], client_end, "{mode}: {v}");
        let closed = lab.closed(1);
        assert_eq!(closed[0].end, end, "{mode}\n{}", lab.log_text());
        assert_eq!(closed[0].cause, Cause::IdleTimeout, "{mode}");
        let goaway = Event::GoAway {
            dir: Dir::Sent,
            last_stream: 1,
            code: ErrorCode::NoError,
            reason: None,
        };
        assert!(has(&lab, |e| *e == goaway), "{mode}\n{}", lab.log_text());
    }
}
