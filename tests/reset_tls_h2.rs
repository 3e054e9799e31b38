//! `lab reset --tls --proto h2`: HTTP/2 chosen by ALPN, the read modes'
//! endings with the raw client over rustls and with curl, and tshark
//! decrypting the kept capture with the kept key log as the oracle: which
//! GOAWAYs, which close_notify alerts, which FIN or RST, and in which
//! order. HTTP/2's GOAWAY, TLS's close_notify and TCP's FIN/RST are three
//! layers' endings and are checked apart.
//!
//! Needs root (capture, a network namespace), curl and tshark
//! (scripts/setup): without them these tests fail, they never skip.

mod common;

use std::path::{Path, PathBuf};

use common::tshark;
use wirelab::labs::reset::run::ResetRun;
use wirelab::labs::reset::tls::{TlsEnding, TlsLab, keylog_beside};
use wirelab::labs::reset::{ClientKind, Proto, ResetOptions};
use wirelab::server::{CloseEnding, PeerClose, ReadMode};
use wirelab::teardown::{Ending, Role};

struct Kept {
    _dir: tempfile::TempDir,
    pcap: PathBuf,
    run: ResetRun,
}

fn h2_run(mode: ReadMode, client: ClientKind) -> Kept {
    let dir = tempfile::tempdir().expect("temp dir");
    let pcap = dir.path().join("run.pcap");
    let offer = match client {
        ClientKind::Own => vec!["h2".into()],
        _ => vec!["h2".into(), "http/1.1".into()],
    };
    let run = common::reset_lab(ResetOptions {
        mode,
        client,
        proto: Proto::H2,
        save_pcap: Some(pcap.clone()),
        tls: Some(TlsLab {
            offer,
            ..TlsLab::default()
        }),
        ..ResetOptions::default()
    });
    Kept {
        _dir: dir,
        pcap,
        run,
    }
}

/// Frame numbers (and `field`) of what `filter` selects in the kept
/// capture, decrypted with the kept key log; `PORT` is the server's.
#[track_caller]
fn oracle(k: &Kept, filter: &str, field: &str) -> Vec<(u32, String)> {
    let keylog = keylog_beside(&k.pcap);
    assert!(keylog.exists(), "the key log is kept beside the capture");
    let port = port_of(&k.pcap);
    tshark(&[
        "-r",
        k.pcap.to_str().expect("utf-8"),
        "-d",
        &format!("tcp.port=={port},tls"),
        "-o",
        &format!("tls.keylog_file:{}", keylog.display()),
        "-Y",
        &filter.replace("PORT", &port.to_string()),
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        field,
    ])
    .lines()
    .map(|l| {
        let (n, v) = l.split_once('\t').unwrap_or((l, ""));
        (n.trim().parse().expect("a frame number"), v.to_string())
    })
    .collect()
}

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

fn alerts(k: &Kept, from: &str) -> Vec<(u32, String)> {
    oracle(
        k,
        &format!("tcp.{from}==PORT && tls.alert_message"),
        "tls.alert_message.desc",
    )
}

fn goaways(k: &Kept, from: &str) -> Vec<(u32, String)> {
    oracle(
        k,
        &format!("tcp.{from}==PORT && http2.type==7"),
        "http2.goaway.last_stream_id",
    )
}

fn tcp_ends(k: &Kept, from: &str, flag: &str) -> Vec<u32> {
    oracle(
        k,
        &format!("tcp.{from}==PORT && tcp.flags.{flag}==1"),
        "tcp.flags",
    )
    .into_iter()
    .map(|(n, _)| n)
    .collect()
}

#[test]
fn drain_is_goaway_then_close_notify_then_fin_each_way() {
    let k = h2_run(ReadMode::Drain, ClientKind::Own);
    let r = &k.run;
    assert_eq!(r.verdict.ending, Some(Ending::Fin), "{:?}", r.verdict);
    let t = r.tls.as_ref().expect("a TLS run");
    assert_eq!(t.ending, TlsEnding::BothWays, "{t:?}");
    assert_eq!(t.chosen.as_deref(), Some("h2"), "{t:?}");
    let c = r.client.tls.as_ref().expect("the client's TLS");
    assert_eq!(c.alpn.as_deref(), Some("h2"));
    assert!(c.close_notify_received && c.close_notify_sent, "{c:?}");
    assert_eq!(r.client.status, 200);
    // tshark: the server's GOAWAYs (2^31-1, then the last stream, §6.8),
    // then its close_notify, then its FIN; the client's the same way.
    let server_goaways = goaways(&k, "srcport");
    let last: Vec<&str> = server_goaways.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(last, ["2147483647", "1"], "{server_goaways:?}");
    let server_alerts = alerts(&k, "srcport");
    assert_eq!(server_alerts.len(), 1, "{server_alerts:?}");
    assert_eq!(server_alerts[0].1, "0", "close_notify");
    let server_fin = tcp_ends(&k, "srcport", "fin");
    assert!(server_goaways[1].0 <= server_alerts[0].0);
    assert!(server_alerts[0].0 <= server_fin[0], "{server_fin:?}");
    let client_alerts = alerts(&k, "dstport");
    assert_eq!(client_alerts.len(), 1, "{client_alerts:?}");
    assert_eq!(goaways(&k, "dstport").len(), 1);
    assert!(tcp_ends(&k, "srcport", "reset").is_empty());
    assert!(tcp_ends(&k, "dstport", "reset").is_empty());
}

#[test]
fn full_the_client_ends_first_and_the_server_answers_its_close_notify() {
    let k = h2_run(ReadMode::Full, ClientKind::Own);
    let r = &k.run;
    // The raw client: GOAWAY, close_notify, FIN, and it reads on; the
    // server answers with close_notify and FIN: nothing unread anywhere.
    assert_eq!(r.verdict.ending, Some(Ending::Fin), "{:?}", r.verdict);
    let t = r.tls.as_ref().expect("a TLS run");
    assert_eq!(t.ending, TlsEnding::BothWays, "{t:?}");
    assert_eq!(t.server.answered, Some(PeerClose::CloseNotify), "{t:?}");
    assert_eq!(r.server_log[0].end, CloseEnding::PeerFin);
    let client_alert = alerts(&k, "dstport");
    let server_alert = alerts(&k, "srcport");
    assert!(
        client_alert[0].0 < server_alert[0].0,
        "the client's came first"
    );
    assert!(server_alert[0].0 <= tcp_ends(&k, "srcport", "fin")[0]);
    // No GOAWAY from the server: the client's GOAWAY and close came first.
    assert_eq!(goaways(&k, "dstport").len(), 1);
    assert!(goaways(&k, "srcport").is_empty());
}

#[test]
fn no_read_is_close_notify_then_rst_with_frames_unread() {
    let k = h2_run(ReadMode::NoRead, ClientKind::Own);
    let r = &k.run;
    assert_eq!(r.verdict.ending, Some(Ending::Rst), "{:?}", r.verdict);
    assert_eq!(r.verdict.by, Some(Role::Server));
    assert_eq!(r.server_log[0].end, CloseEnding::WeProvokedRst);
    let t = r.tls.as_ref().expect("a TLS run");
    assert_eq!(t.ending.name(), "close-notify", "{t:?}");
    let server_alert = alerts(&k, "srcport");
    let rst = tcp_ends(&k, "srcport", "reset");
    assert_eq!(server_alert.len(), 1, "{server_alert:?}");
    assert!(server_alert[0].0 < rst[0], "close_notify before the RST");
    // no-read sends no GOAWAY: the RST is the only word the client gets.
    assert!(goaways(&k, "srcport").is_empty());
    assert_eq!(r.client.status, 200);
}

#[test]
fn curl_over_h2_closes_with_a_bare_fin_and_its_kernel_resets_our_answer() {
    let k = h2_run(ReadMode::Full, ClientKind::Curl);
    let r = &k.run;
    assert_eq!(r.client.curl_exit, Some(0));
    let t = r.tls.as_ref().expect("a TLS run");
    assert_eq!(t.chosen.as_deref(), Some("h2"), "{t:?}");
    assert_eq!(t.server.answered, Some(PeerClose::Fin), "{t:?}");
    assert!(alerts(&k, "dstport").is_empty(), "curl sends no alert");
    let server_alert = alerts(&k, "srcport");
    let client_rst = tcp_ends(&k, "dstport", "reset");
    assert!(server_alert[0].0 < client_rst[0], "{client_rst:?}");
    assert_eq!(
        t.analyzed.as_deref(),
        Some("RST after close_notify (benign: the application had finished)")
    );
}
