//! `lab diagnose` on every reference capture, held to what the scenario
//! that recorded it did (the `.expect` file's `recorded by` line and
//! verdict, the walkthroughs, `captures/app/README.md`), never to the
//! diagnosis's own earlier output.
//!
//! Where the scenario's truth is invisible on the wire (a server's kernel
//! acknowledges what arrives, so bytes its application never read look
//! read), the expected cause is the wire's (`linger-zero-abort`, whose
//! text names the alternatives) and the test says so beside it.

use std::path::Path;
use std::process::Command;

use wirelab::analyze::{AnalyzeOptions, analyze_each};
use wirelab::app::Finished;
use wirelab::capture::open_file;
use wirelab::diagnose::{Cause, CauseKind, Diagnosis, Impact, Tally, UnknownShape};

fn diagnose(path: &str) -> (Vec<Diagnosis>, Tally) {
    let mut source = open_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let opts = AnalyzeOptions {
        app: Some(wirelab::diagnose::app_options()),
        ..AnalyzeOptions::default()
    };
    let mut out = Vec::new();
    let mut tally = Tally::default();
    analyze_each(&mut source, &opts, |f| {
        let app = f.app.map(Finished::into_report);
        match Diagnosis::of(&f.teardown, f.connection, app.as_ref()) {
            Some(d) => {
                tally.add(&d);
                out.push(d);
            }
            None => tally.clean(),
        }
    })
    .unwrap_or_else(|e| panic!("{path}: {e}"));
    out.sort_by_key(|d| d.id);
    (out, tally)
}

/// The one RST of a single-connection capture.
fn only(path: &str) -> Diagnosis {
    let (mut d, tally) = diagnose(path);
    assert_eq!(d.len(), 1, "{path}: one RST expected, got {d:#?}");
    assert_eq!(tally.rsts, 1);
    d.remove(0)
}

fn lab(args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run lab");
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn captures_that_ended_in_fin_have_nothing_to_diagnose() {
    // Each `.expect` says `fin`: a lingering close, or the client's FIN first.
    for c in [
        "captures/drain.pcap",
        "captures/drain-late-pipeline.pcap",
        "captures/early-413-drain.pcap",
        "captures/full.pcap",
        "captures/h2-prior-full.pcap",
        "captures/h2c-upgrade-drain.pcap",
        "captures/h2c-upgrade-full.pcap",
        "captures/tls/curl.pcap",
        "captures/app/http1-pipelined.pcap",
    ] {
        let (d, tally) = diagnose(c);
        assert!(d.is_empty(), "{c}: {d:#?}");
        assert!(tally.connections > 0, "{c}");
    }
}

#[test]
fn the_keepalive_race_is_named_with_its_idle_gap() {
    // lab 02: the server answers GET /first, its 100 ms idle timer fires
    // with GET /second unread, and the close is a RST.
    let d = only("captures/keepalive-race.pcap");
    let race = match &d.cause {
        wirelab::diagnose::Cause::KeepAliveRace(r) => *r,
        other => panic!("not a race: {other:?}"),
    };
    let gap_ns = race.idle_gap_ns().expect("idle gap");
    let gap_ms = gap_ns / 1_000_000;
    assert!((100..200).contains(&gap_ms), "idle gap {gap_ms} ms");
    assert!(d.impact.is_harmful(), "{:?}", d.impact);
    assert_eq!(d.unanswered, vec![1], "GET /second was never answered");
    let r = d.response.as_ref().expect("the first response");
    assert_eq!((r.status, r.acknowledged), (200, Some(true)));

    let (text, code) = lab(&["diagnose", "captures/keepalive-race.pcap"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("keep-alive-race"), "{text}");
    let said = format!(
        "closed the connection {:.3} s after the last bytes",
        gap_ns as f64 / 1e9
    );
    assert!(text.contains(&said), "{said}: {text}");
    assert!(text.contains("GET /second"), "{text}");
    assert!(text.contains("idle timeout"), "the fix: {text}");
    let (_, code) = lab(&[
        "diagnose",
        "captures/keepalive-race.pcap",
        "--expect",
        "no-harmful-rst",
    ]);
    assert_eq!(code, 1, "a harmful RST fails the expectation");
}

#[test]
fn the_early_413_says_the_client_got_the_413() {
    // lab 03 step 1: the raw client read "status 413, body 128 of 128" and
    // then ECONNRESET; the body (65536 bytes) was unread at the server,
    // but its kernel had acknowledged it, so the wire shows the abort
    // shape, and nothing the client was owed was lost.
    let d = only("captures/early-413.pcap");
    assert_eq!(d.cause.kind(), CauseKind::LingerZeroAbort);
    let r = d.response.as_ref().expect("a response");
    assert_eq!((r.status, r.acknowledged), (413, Some(true)));
    assert!(!d.impact.is_harmful(), "{:?}", d.impact);
    assert!(
        !matches!(d.impact, Impact::Benign(_)),
        "the client had not finished"
    );

    let (text, code) = lab(&["diagnose", "captures/early-413.pcap"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("Every byte of the 413 to POST / was acknowledged by its TCP"),
        "{text}"
    );
    assert!(text.contains("unread"), "the alternative is named: {text}");
    let (_, code) = lab(&[
        "diagnose",
        "captures/early-413.pcap",
        "--expect",
        "no-harmful-rst",
    ]);
    assert_eq!(code, 0);
}

#[test]
fn pipelined_requests_left_unread_are_harmful() {
    // .expect: "closed with 68 unread bytes": requests 2 and 3 of three.
    let d = only("captures/full-pipeline.pcap");
    assert_eq!(
        d.cause,
        wirelab::diagnose::Cause::ClosedWithUnreadData {
            proof: wirelab::diagnose::UnreadProof::Unanswered,
            bytes: 68
        }
    );
    assert_eq!(d.unanswered, vec![1, 2]);
    assert!(d.impact.is_harmful());
}

#[test]
fn bytes_after_the_servers_fin_are_data_after_close() {
    // .expect: the server closed with FIN, then the client sent 10 more
    // bytes; they were no request, and the response had been delivered.
    let d = only("captures/full-late-bytes.pcap");
    assert_eq!(
        d.cause,
        wirelab::diagnose::Cause::DataAfterClose { bytes: 10 }
    );
    assert!(!d.impact.is_harmful(), "{:?}", d.impact);
    assert_eq!(d.frames().last(), Some(d.rst.frame));
    assert!(
        d.frames().any(|f| f < d.rst.frame),
        "the FIN and the late data"
    );
}

#[test]
fn no_read_and_abort_look_alike_on_the_wire() {
    // no-read (79 bytes unread), partial (23 unread), abort (SO_LINGER 0
    // after reading everything), h2-prior-http2-off (46 unread) and
    // h2c-upgrade-no-read (22 unread): the server's kernel acknowledged
    // every byte before the RST, so the packets show one shape; the
    // client had not closed, so none is benign.
    for c in [
        "captures/no-read.pcap",
        "captures/partial.pcap",
        "captures/abort.pcap",
        "captures/h2-prior-http2-off.pcap",
        "captures/h2c-upgrade-no-read.pcap",
    ] {
        let d = only(c);
        assert_eq!(d.cause.kind(), CauseKind::LingerZeroAbort, "{c}");
        assert!(
            !matches!(d.impact, Impact::Benign(_)),
            "{c}: {:?}",
            d.impact
        );
    }
    // lab 01: curl read the whole 200 (and still exited 56).
    let d = only("captures/no-read.pcap");
    assert_eq!(
        d.response.as_ref().map(|r| r.acknowledged),
        Some(Some(true))
    );
    assert!(!d.impact.is_harmful());
}

#[test]
fn a_response_cut_by_the_rst_is_harmful() {
    // .expect: a 4 000 000-byte body; lab 01 shows curl got 1 175 894.
    let d = only("captures/no-read-large-body.pcap");
    assert!(d.impact.is_harmful(), "{:?}", d.impact);
    assert_eq!(
        d.response.as_ref().map(|r| r.acknowledged),
        Some(Some(false))
    );
}

#[test]
fn a_rst_after_the_clients_fin_with_everything_delivered_is_benign() {
    // .expect: the client closed first (FIN), then the server's RST.
    let d = only("captures/no-read-length.pcap");
    assert_eq!(d.cause.kind(), CauseKind::LingerZeroAbort);
    assert!(matches!(d.impact, Impact::Benign(_)), "{:?}", d.impact);
}

#[test]
fn curls_resets_after_its_answers_are_benign() {
    // captures/app/README.md: curl closes as soon as it has its response;
    // frames unread in its socket make the close a RST, frames arriving
    // after its FIN draw one; "every exchange completed before that".
    let (d, _) = diagnose("captures/app/h2c-upgrade.pcap");
    assert_eq!(d.len(), 3, "{d:#?}");
    assert_eq!(d[0].cause.kind(), CauseKind::LingerZeroAbort);
    assert_eq!(d[1].cause.kind(), CauseKind::DataAfterClose);
    assert_eq!(d[2].cause.kind(), CauseKind::DataAfterClose);
    for x in &d {
        assert_eq!(x.rst.sender, wirelab::teardown::Role::Client);
        assert!(matches!(x.impact, Impact::Benign(_)), "{x:#?}");
    }
    // nghttp -u: the server's SETTINGS ACK after nghttp's FIN.
    let (d, _) = diagnose("captures/app/h2-prior-knowledge.pcap");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].cause.kind(), CauseKind::DataAfterClose);
    assert!(matches!(d[0].impact, Impact::Benign(_)));
}

#[test]
fn json_has_the_documented_fields() {
    let (text, code) = lab(&[
        "diagnose",
        "captures/keepalive-race.pcap",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(v["version"], 1);
    let d = &v["diagnoses"][0];
    for field in [
        "id",
        "client",
        "server",
        "rst",
        "cause",
        "rule",
        "unread_proof",
        "unread_bytes",
        "keep_alive_race",
        "impact",
        "impact_reason",
        "response",
        "unanswered_requests",
        "lost_bytes",
        "unacked_bytes",
        "radar_phase",
        "what_happened",
        "client_saw",
        "fix",
        "evidence",
    ] {
        assert!(d.get(field).is_some(), "missing {field}: {d}");
    }
    assert_eq!(d["cause"], "keep-alive-race");
    assert_eq!(d["impact"], "harmful");
    assert!(d["keep_alive_race"]["idle_gap_ns"].as_i64().unwrap() > 100_000_000);
    assert_eq!(d["rst"]["frame"], 10);
    let s = &v["summary"];
    assert_eq!(
        (&s["connections"], &s["rsts"], &s["harmful"]),
        (&2.into(), &1.into(), &1.into())
    );
    assert_eq!(s["by_cause"]["keep-alive-race"]["harmful"], 1);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["diagnose", "/nonexistent.pcap"])
        .output()
        .expect("run lab");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("lab: "), "{err}");
}

/// `lab diagnose` with the key log, on `captures/app/tls-endings.pcap`
/// (its README: `full` on 18489, `no-read` on 18491).
fn tls_endings() -> Vec<Diagnosis> {
    let mut source =
        open_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/app/tls-endings.pcap"))
            .unwrap();
    let keylog = wirelab::tls_decrypt::KeyLog::parse(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/app/tls-endings.keylog"),
        )
        .unwrap(),
    );
    let opts = AnalyzeOptions {
        app: Some(wirelab::app::AppOptions {
            keylog: Some(std::sync::Arc::new(keylog)),
            ..wirelab::diagnose::app_options()
        }),
        ..AnalyzeOptions::default()
    };
    let mut out = Vec::new();
    analyze_each(&mut source, &opts, |f| {
        let app = f.app.map(Finished::into_report);
        out.extend(Diagnosis::of(&f.teardown, f.connection, app.as_ref()));
    })
    .unwrap();
    out
}

#[test]
fn a_rst_after_close_notify_is_benign_unless_requests_went_unread() {
    let d = tls_endings();
    // `full`: the server's close_notify, then curl's own arriving after
    // the close draws the RST: both had finished.
    let full = d.iter().find(|x| x.server.port == 18489).expect("full");
    assert_eq!(full.cause.kind(), CauseKind::AfterCloseNotify, "{full:#?}");
    assert!(matches!(full.impact, Impact::Benign(_)), "{full:#?}");
    // `no-read`: close_notify, then the RST for the request it never read.
    let no_read = d.iter().find(|x| x.server.port == 18491).expect("no-read");
    assert_ne!(
        no_read.cause.kind(),
        CauseKind::AfterCloseNotify,
        "{no_read:#?}"
    );
    assert!(no_read.impact.is_harmful(), "{no_read:#?}");
    assert_eq!(d.len(), 2, "drain and the bare FIN end without RST: {d:#?}");
}

/// Zeek's own record of a trace in `tests/data/zeek/` (`expected.tsv`):
/// (orig port, resp port, conn_state, history) per connection.
fn zeek_says(trace: &str) -> Vec<(u16, u16, String, String)> {
    let tsv = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zeek/expected.tsv"),
    )
    .unwrap();
    tsv.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c[0] == trace && c[6] == "tcp")
        .map(|c| {
            (
                c[3].parse().unwrap(),
                c[5].parse().unwrap(),
                c[7].to_string(),
                c[8].to_string(),
            )
        })
        .collect()
}

#[test]
fn syns_that_zeek_calls_rejected_are_refused() {
    // Zeek's REJ ("connection attempt rejected"), history Sr: the SYN and
    // the server's RST, nothing else.
    let zeek = zeek_says("pop3__pop3.pcap");
    let rejected = zeek.iter().filter(|z| z.2 == "REJ" && z.3 == "Sr").count();
    assert!(rejected >= 1, "{zeek:?}");
    let (d, _) = diagnose("tests/data/zeek/traces/pop3__pop3.pcap");
    let refused: Vec<_> = d
        .iter()
        .filter(|x| x.cause.kind() == CauseKind::Refused)
        .collect();
    assert_eq!(refused.len(), rejected, "{d:#?}");
    for x in refused {
        assert_eq!(x.rst.sender, wirelab::teardown::Role::Server);
        assert!(matches!(x.impact, Impact::Benign(_)), "{x:#?}");
    }
}

#[test]
fn a_lone_rst_with_ack_zeek_saw_nothing_else_of_is_an_abort_not_no_socket() {
    // Zeek's history `^r` (conn_state RSTRH): the responder's RST and
    // nothing else of the connection, no SYN. In the Teredo trace each of
    // them carries ACK and TTL 255 (the server's own packets, in the
    // earlier records of the same ports, arrive with 53): no TCP's answer
    // to a segment for a connection it lacks (that answer has no ACK,
    // RFC 9293 §3.10.7.1), and nothing from the client came before it.
    let zeek = zeek_says("tunnels__Teredo.pcap");
    let lone = zeek.iter().filter(|z| z.3 == "^r").count();
    assert!(lone >= 1, "{zeek:?}");
    let (d, _) = diagnose("tests/data/zeek/traces/tunnels__Teredo.pcap");
    assert!(
        d.iter().all(|x| x.cause.kind() != CauseKind::NoSocket),
        "{d:#?}"
    );
    let aborts: Vec<_> = d
        .iter()
        .filter(|x| {
            matches!(
                x.cause,
                Cause::Unknown(UnknownShape::LoneAbort { ttl: 255 })
            )
        })
        .collect();
    assert_eq!(aborts.len(), lone, "{d:#?}");
    for x in &aborts {
        assert_eq!(x.rst.sender, wirelab::teardown::Role::Server);
        assert!(!x.impact.is_harmful(), "nothing decoded was lost: {x:#?}");
    }
    let (text, _) = lab(&["diagnose", "tests/data/zeek/traces/tunnels__Teredo.pcap"]);
    assert!(
        text.contains("Its TTL is 255, the largest there is"),
        "{text}"
    );
    assert!(!text.contains("reached no socket"), "{text}");
}
