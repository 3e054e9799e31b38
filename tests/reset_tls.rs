//! `lab reset --tls`: the TLS endings staged with real peers (the raw
//! client over rustls, curl, openssl s_client), each run's three witnesses
//! plus tshark as the oracle: tshark decrypts the kept capture with the
//! key log the lab kept beside it and must see the same alerts.
//!
//! Needs root (capture, a network namespace), curl, openssl and tshark
//! (scripts/setup): without them these tests fail, they never skip.

mod common;

use common::tshark;
use std::path::{Path, PathBuf};
use std::process::Command;

use wirelab::labs::reset::run::ResetRun;
use wirelab::labs::reset::tls::{TlsEnding, TlsLab, keylog_beside};
use wirelab::labs::reset::{ClientKind, ResetOptions};
use wirelab::server::{Alpn, CloseEnding, ReadMode, TlsVersions};
use wirelab::teardown::{Ending, Role};

struct Kept {
    _dir: tempfile::TempDir,
    pcap: PathBuf,
    run: ResetRun,
}

fn tls_run(mode: ReadMode, client: ClientKind, lab: TlsLab) -> Kept {
    let dir = tempfile::tempdir().expect("temp dir");
    let pcap = dir.path().join("run.pcap");
    let run = common::reset_lab(ResetOptions {
        mode,
        client,
        save_pcap: Some(pcap.clone()),
        tls: Some(lab),
        ..ResetOptions::default()
    });
    Kept {
        _dir: dir,
        pcap,
        run,
    }
}

/// tshark's view of the kept capture, decrypted with the kept key log:
/// `field` of every packet `filter` selects, one line each.
#[track_caller]
fn oracle(pcap: &Path, filter: &str, field: &str) -> Vec<String> {
    let keylog = keylog_beside(pcap);
    assert!(keylog.exists(), "the key log is kept beside the capture");
    let port = port_of(pcap);
    tshark(&[
        "-r",
        pcap.to_str().expect("utf-8"),
        "-d",
        &format!("tcp.port=={port},tls"),
        "-o",
        &format!("tls.keylog_file:{}", keylog.display()),
        "-Y",
        &filter.replace("PORT", &port.to_string()),
        "-T",
        "fields",
        "-e",
        field,
    ])
    .lines()
    .map(str::to_string)
    .collect()
}

/// The server's port: the destination of the first SYN.
fn port_of(pcap: &Path) -> u16 {
    tshark(&[
        "-r",
        pcap.to_str().expect("utf-8"),
        "-Y",
        "tcp.flags.syn==1 && tcp.flags.ack==0",
        "-T",
        "fields",
        "-e",
        "tcp.dstport",
    ])
    .lines()
    .next()
    .and_then(|l| l.trim().parse().ok())
    .expect("a SYN in the capture")
}

fn server_alerts(k: &Kept) -> Vec<String> {
    oracle(
        &k.pcap,
        "tcp.srcport==PORT && tls.alert_message",
        "tls.alert_message.desc",
    )
}

fn client_alerts(k: &Kept) -> Vec<String> {
    oracle(
        &k.pcap,
        "tcp.dstport==PORT && tls.alert_message",
        "tls.alert_message.desc",
    )
}

fn requests(k: &Kept) -> usize {
    oracle(
        &k.pcap,
        "tcp.dstport==PORT && http.request.method==\"GET\"",
        "frame.number",
    )
    .len()
}

fn no_close_notify() -> TlsLab {
    TlsLab {
        close_notify: false,
        ..TlsLab::default()
    }
}

#[test]
fn no_close_notify_is_a_truncation_to_the_packets_the_client_and_tshark() {
    let k = tls_run(ReadMode::Full, ClientKind::Own, no_close_notify());
    let r = &k.run;
    let t = r.tls.as_ref().expect("a TLS run has its TLS side");
    assert_eq!(r.verdict.ending, Some(Ending::Fin), "{}", r.verdict.reason);
    assert_eq!(t.ending, TlsEnding::Neither, "{t:?}");
    assert_eq!(t.ending.name(), "truncation");
    assert!(t.reason.contains("--no-close-notify"), "{}", t.reason);
    assert_eq!(
        t.analyzed.as_deref(),
        Some(
            "FIN without close_notify (truncation: a client must treat the response as possibly incomplete)"
        )
    );
    assert!(t.server.truncation_sent && !t.server.close_notify_sent);
    // The raw client says it itself: a FIN, no close_notify.
    let c = r.client.tls.as_ref().expect("the client's TLS words");
    assert_eq!(c.noticed_truncation, Some(true), "{c:?}");
    assert!(!c.close_notify_received);
    assert!(r.client.end.contains("truncation"), "{}", r.client.end);
    // tshark, with the kept key log: the request was decrypted (the
    // close-delimited response tshark leaves unfinished, as it should
    // without close_notify), and the server sent no alert at all.
    assert_eq!(requests(&k), 1);
    assert!(server_alerts(&k).is_empty(), "{:?}", server_alerts(&k));
}

#[test]
fn drain_is_close_notify_both_ways_then_fin_both_ways() {
    let k = tls_run(ReadMode::Drain, ClientKind::Own, TlsLab::default());
    let r = &k.run;
    let t = r.tls.as_ref().expect("TLS side");
    assert_eq!(r.verdict.ending, Some(Ending::Fin), "{}", r.verdict.reason);
    assert_eq!(t.ending, TlsEnding::BothWays, "{t:?}");
    assert_eq!(
        t.analyzed.as_deref(),
        Some("FIN after close_notify both ways (clean)")
    );
    assert!(t.server.close_notify_sent && t.server.close_notify_received);
    let c = r.client.tls.as_ref().expect("client TLS");
    assert!(c.close_notify_received && c.close_notify_sent, "{c:?}");
    assert_eq!(c.version.as_deref(), Some("1.3"));
    assert_eq!(c.alpn.as_deref(), Some("http/1.1"));
    // TLS 1.3: the choice is in EncryptedExtensions, read with the keys.
    assert_eq!(t.chosen.as_deref(), Some("http/1.1"));
    assert_eq!(t.chosen_in, Some("EncryptedExtensions"));
    assert_eq!(t.offered, Some(vec!["http/1.1".to_string()]));
    assert_eq!(server_alerts(&k), vec!["0"]);
    assert_eq!(client_alerts(&k), vec!["0"]);
}

/// In `full` the server closes right after its close_notify, and curl
/// answers with its own: either that alert reaches the server before its
/// close (the close is a RST on unread data, the race of
/// tests/server_tls_endings.rs) or after it (data after close, RST).
/// Either way the explanation names the client's alert and points to drain.
#[test]
fn full_with_curl_ends_in_rst_for_the_clients_close_notify_and_says_why() {
    let k = tls_run(ReadMode::Full, ClientKind::Curl, TlsLab::default());
    let r = &k.run;
    let t = r.tls.as_ref().expect("TLS side");
    assert_eq!(r.client.curl_exit, Some(0), "{:?}", r.client.curl_error);
    assert_eq!(t.ending, TlsEnding::BothWays, "{t:?}");
    assert_eq!(t.ending.name(), "close-notify");
    assert_eq!(client_alerts(&k), vec!["0"]);
    assert_eq!(server_alerts(&k), vec!["0"]);
    assert_eq!(r.verdict.ending, Some(Ending::Rst), "{}", r.verdict.reason);
    assert_eq!(r.verdict.by, Some(Role::Server));
    let raced = r.server_log[0].end == CloseEnding::WeProvokedRst;
    assert_eq!(t.raced, raced, "{t:?} {:?}", r.server_log);
    assert!(t.reason.contains("--mode drain"), "{}", t.reason);
    assert!(t.reason.contains("close_notify"), "{}", t.reason);
    let c = r.client.tls.as_ref().expect("curl's TLS words");
    assert!(c.close_notify_received && c.close_notify_sent, "{c:?}");
}

#[test]
fn openssl_refused_by_alpn_gets_alert_120_in_the_clear() {
    let k = tls_run(
        ReadMode::Full,
        ClientKind::Openssl,
        TlsLab {
            alpn: vec![Alpn::H2],
            ..TlsLab::default()
        },
    );
    let r = &k.run;
    let t = r.tls.as_ref().expect("TLS side");
    assert_eq!(t.ending, TlsEnding::Alert("no_application_protocol".into()));
    assert!(
        t.server
            .failed
            .as_deref()
            .is_some_and(|f| f.contains("120")),
        "{t:?}"
    );
    let c = r.client.tls.as_ref().expect("s_client's words");
    assert!(
        c.failure
            .as_deref()
            .is_some_and(|f| f.contains("no application protocol")),
        "{c:?}"
    );
    assert_eq!(r.client.status, 0);
    // The alert precedes any key: tshark reads it without decrypting.
    assert_eq!(server_alerts(&k), vec!["120"]);
}

#[test]
fn tls12_puts_the_alpn_choice_in_the_clear_server_hello() {
    let k = tls_run(
        ReadMode::Drain,
        ClientKind::Openssl,
        TlsLab {
            versions: TlsVersions::Tls12,
            ..TlsLab::default()
        },
    );
    let r = &k.run;
    let t = r.tls.as_ref().expect("TLS side");
    assert_eq!(t.chosen.as_deref(), Some("http/1.1"));
    assert_eq!(t.chosen_in, Some("ServerHello"));
    assert_eq!(r.client.status, 200);
    let c = r.client.tls.as_ref().expect("s_client's words");
    assert_eq!(c.version.as_deref(), Some("TLSv1.2"));
    assert_eq!(c.alpn.as_deref(), Some("http/1.1"));
    assert!(c.close_notify_received, "{c:?}");
    let alpn = oracle(
        &k.pcap,
        "tcp.srcport==PORT && tls.handshake.type==2",
        "tls.handshake.extensions_alpn_str",
    );
    assert_eq!(alpn, vec!["http/1.1"]);
    assert_eq!(t.ending, TlsEnding::BothWays, "{t:?}");
    assert_eq!(server_alerts(&k), vec!["0"]);
}

fn lab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(args)
        .output()
        .expect("run lab")
}

#[test]
fn the_command_reports_the_truncation_and_expect_holds_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pcap = dir.path().join("trunc.pcap");
    let out = lab(&[
        "reset",
        "--tls",
        "--no-close-notify",
        "--expect",
        "truncation",
        "--save-pcap",
        pcap.to_str().expect("utf-8"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("\nTLS      "), "{text}");
    assert!(text.contains("truncation"), "{text}");
    let keylog = dir.path().join("trunc.keylog");
    assert!(
        text.contains(&format!("key log kept at {}", keylog.display())),
        "{text}"
    );
    // The kept key log reads the kept capture again.
    let again = lab(&[
        "analyze",
        pcap.to_str().expect("utf-8"),
        "--keylog",
        keylog.to_str().expect("utf-8"),
    ]);
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.contains("TLS ending: RST without close_notify (truncation"),
        "{again}"
    );

    let out = lab(&[
        "reset",
        "--tls",
        "--mode",
        "drain",
        "--expect",
        "truncation",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("lab: expected truncation but saw close-notify: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn tls_options_that_cannot_be_staged_are_refused_in_one_line() {
    for (args, says) in [
        (&["reset", "--client", "openssl"][..], "add --tls"),
        (&["reset", "--expect", "close-notify"][..], "add --tls"),
        (
            &["reset", "--tls", "--proto", "h2-prior"][..],
            "use --proto h2",
        ),
        (&["reset", "--proto", "h2"][..], "add --tls"),
        (
            &["reset", "--tls", "--proto", "h2", "--client", "openssl"][..],
            "cannot speak HTTP/2 frames",
        ),
        (
            &["reset", "--tls", "--client", "nghttp"][..],
            "own, curl and openssl",
        ),
        (&["reset", "--tls", "--late-bytes", "5"][..], "--late-bytes"),
    ] {
        let out = lab(args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
