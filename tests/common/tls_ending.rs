//! One TLS connection to the in-process server, captured on loopback and
//! read back three ways: tshark decrypting it with the server's key log
//! (the oracle: in TLS 1.3 every alert is an encrypted record of type 23,
//! RFC 8446 §5.2), the server's event log, and `lab analyze --keylog`.
//!
//! Needs root (or CAP_NET_RAW) for the capture and tshark (scripts/setup);
//! without them the tests fail, they do not skip.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{Closed, start_with, tshark};
use wirelab::capture::LiveCapture;
use wirelab::server::{Config, Event, ReadMode, TlsSettings};
use wirelab::wire::{self, DecodeOptions, Decoded, Endpoint};

/// What one connection looked like on the wire and in the server's log.
#[derive(Debug)]
pub struct Ending {
    /// The server's first FIN or RST: "FIN", "RST", or "none" when the
    /// client's RST ended the connection before the server closed.
    pub first: String,
    /// The frame that carried it (0 for none).
    pub first_frame: u32,
    /// The client's first RST, if it sent one.
    pub client_rst: Option<u32>,
    /// Frames carrying alerts from the client, decrypted.
    pub client_alert_frames: Vec<u32>,
    /// Frames carrying alerts from the server, decrypted.
    pub server_alert_frames: Vec<u32>,
    /// Alert descriptions the server sent, decrypted (0 is close_notify).
    pub server_alerts: Vec<String>,
    /// HTTP responses tshark decrypted (proves the keys worked).
    pub responses: usize,
    pub log: Vec<Event>,
    pub closed: Closed,
    /// `lab analyze --keylog` on the capture: the "TLS ending:" line,
    /// without the frames of the closing alerts after it.
    pub analyzed: String,
}

/// How long the wire must stay quiet once the connection looks over: a RST
/// answering late data may still follow a FIN.
const QUIET: Duration = Duration::from_millis(100);

/// Reads the capture until the connection has ended on the wire (a RST, or
/// both FINs and an ACK after the second, RFC 9293 §3.6) and the wire has
/// then been quiet for [`QUIET`]; 10 s bound a run that never ends.
fn until_over(cap: &mut LiveCapture) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut fins, mut rst, mut acked) = (Vec::<Endpoint>::new(), false, false);
    let mut quiet_since: Option<Instant> = None;
    cap.set_wait(Duration::from_millis(10));
    while Instant::now() < deadline {
        let Some(frame) = cap.next_frame().expect("capture works") else {
            if rst || acked {
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= QUIET {
                    return;
                }
            }
            continue;
        };
        quiet_since = None;
        if let Decoded::Tcp(seg) = wire::decode(&frame, &DecodeOptions::default()) {
            if seg.flags.rst() {
                rst = true;
            } else if seg.flags.fin() && !fins.contains(&seg.src) {
                fins.push(seg.src);
            } else if fins.len() == 2 && seg.flags.ack() {
                acked = true;
            }
        }
    }
    panic!("the connection did not end on the wire within 10 s");
}

/// Serves one connection in `mode` over TLS while capturing it; `client`
/// makes it, given the port and the CA file to trust.
#[track_caller]
pub fn capture(mode: ReadMode, close_notify: bool, client: impl FnOnce(u16, &Path)) -> Ending {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = dir.path().join("keys.txt");
    let pcap = dir.path().join("tls.pcap");
    let ca = dir.path().join("ca.pem");
    let mut lab = start_with(Config {
        mode,
        tls: Some(TlsSettings {
            keylog: Some(keys.clone()),
            close_notify,
            ..TlsSettings::default()
        }),
        ..Config::default()
    });
    std::fs::write(
        &ca,
        lab.handle.as_ref().and_then(|h| h.ca_pem()).expect("CA"),
    )
    .expect("CA");
    let port = lab.addr.port();
    let mut cap = LiveCapture::open("lo", Some(&format!("tcp port {port}")), Some(&pcap))
        .unwrap_or_else(|e| panic!("{e}"));
    client(port, &ca);
    let closed = lab.closed(1).remove(0);
    // Stop on the event, the connection's end on the wire, not after a
    // fixed time (600 ms once left the server's RST out of the file under a
    // loaded CI run).
    until_over(&mut cap);
    cap.flush().expect("capture written");
    drop(cap);
    lab.drain_records();
    let log: Vec<Event> = lab.records.iter().map(|r| r.event.clone()).collect();
    let stats = lab.stop();
    assert_eq!(stats.accepted, 1);

    let file = pcap.to_str().expect("utf-8");
    let ends = |from: &str| {
        tshark(&[
            "-r",
            file,
            "-Y",
            &format!("tcp.{from}=={port} && (tcp.flags.fin==1 || tcp.flags.reset==1)"),
            "-T",
            "fields",
            "-e",
            "tcp.flags.fin",
            "-e",
            "tcp.flags.reset",
            "-e",
            "frame.number",
        ])
    };
    let server_ends = ends("srcport");
    let (first, first_frame) = match server_ends
        .lines()
        .next()
        .map(str::split_whitespace)
        .map(Iterator::collect::<Vec<_>>)
    {
        Some(f) if f.first() == Some(&"1") => ("FIN", frame_number(f.get(2))),
        Some(f) if f.get(1) == Some(&"1") => ("RST", frame_number(f.get(2))),
        // The client reset the connection before our close: on loopback
        // its RST is processed within our last write, so close() finds
        // the socket already gone and sends nothing.
        None => ("none", 0),
        other => panic!("neither FIN nor RST from the server: {other:?}"),
    };
    let client_rst = ends("dstport")
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.get(1) == Some(&"1"))
        .map(|f| frame_number(f.get(2)));
    let decode = format!("tcp.port=={port},tls");
    let keylog = format!("tls.keylog_file:{}", keys.display());
    let decrypted = |filter: String, field: &str| {
        tshark(&[
            "-r", file, "-d", &decode, "-o", &keylog, "-Y", &filter, "-T", "fields", "-e", field,
        ])
    };
    let frames = |text: String| -> Vec<u32> {
        text.lines()
            .map(|l| frame_number(Some(&l.trim())))
            .collect()
    };
    let server_alerts = decrypted(
        format!("tcp.srcport=={port} && tls.alert_message"),
        "tls.alert_message.desc",
    );
    let server_alert_frames = frames(decrypted(
        format!("tcp.srcport=={port} && tls.alert_message"),
        "frame.number",
    ));
    let client_alert_frames = frames(decrypted(
        format!("tcp.dstport=={port} && tls.alert_message"),
        "frame.number",
    ));
    let responses = decrypted(
        format!("tcp.srcport=={port} && (http.response.code==200 || http2.headers.status==200)"),
        "frame.number",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["analyze", file, "--keylog"])
        .arg(&keys)
        .output()
        .expect("run lab analyze");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let analyzed = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("TLS ending: ").map(str::to_string))
        .map(|l| l.split(" · ").next().unwrap_or_default().to_string())
        .unwrap_or_default();
    Ending {
        analyzed,
        first: first.to_string(),
        first_frame,
        client_rst,
        client_alert_frames,
        server_alert_frames,
        server_alerts: server_alerts.lines().map(str::to_string).collect(),
        responses: responses.lines().count(),
        log,
        closed,
    }
}

#[track_caller]
fn frame_number(field: Option<&&str>) -> u32 {
    field
        .and_then(|f| f.parse().ok())
        .unwrap_or_else(|| panic!("tshark printed no frame number: {field:?}"))
}

/// The analyzer's words for the two endings with close_notify from both
/// sides or from the server.
pub const CLEAN: &str = "FIN after close_notify both ways (clean)";
pub const BENIGN_RST: &str = "RST after close_notify (benign: the application had finished)";
