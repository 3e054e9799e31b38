//! TLS in the reset lab: the server's TLS settings, the run's files (the
//! CA its clients trust, the key log the capture is read with), and the
//! TLS ending told beside TCP's.
//!
//! Over TLS a connection has a third ending besides FIN and RST: the
//! `close_notify` alert (RFC 8446 §6.1), which tells the peer that the data
//! before it is complete. A FIN without it is a truncation the application
//! must notice (RFC 9112 §9.8: a close-delimited body is then possibly
//! incomplete). In TLS 1.3 alerts are encrypted (RFC 8446 §5.2), so the
//! packets tell this only with the key log the lab's server writes.

use std::path::{Path, PathBuf};

use super::witness::ClientWitness;
use crate::app::tls::{AlpnChosen, TlsClose, TlsReport};
use crate::flow::RstPhase;
use crate::report::ConnectionReport;
use crate::server::{
    Alpn, CloseEnding, Dir, Event, PeerClose, ReadMode, Record, TlsListen, TlsSettings, TlsVersion,
    TlsVersions,
};
use crate::teardown::Ending;
use crate::tls_decrypt::KeyLog;

/// What a TLS run is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsLab {
    /// The server's ALPN list, in its order of preference.
    pub alpn: Vec<Alpn>,
    /// The versions the server accepts.
    pub versions: TlsVersions,
    /// The server's close sends close_notify first (off: a bare FIN).
    pub close_notify: bool,
    /// The client's ALPN offer, in its order (RFC 7301 §3.1).
    pub offer: Vec<String>,
}

impl Default for TlsLab {
    fn default() -> Self {
        TlsLab {
            alpn: vec![Alpn::H2, Alpn::Http11],
            versions: TlsVersions::Both,
            close_notify: true,
            offer: vec!["http/1.1".into()],
        }
    }
}

/// The key log kept beside a saved capture: `run.pcap` → `run.keylog`.
pub fn keylog_beside(pcap: &Path) -> PathBuf {
    let keylog = pcap.with_extension("keylog");
    if keylog == pcap {
        let mut name = pcap.as_os_str().to_owned();
        name.push(".keylog");
        PathBuf::from(name)
    } else {
        keylog
    }
}

/// A TLS run's files: a private directory for the CA, and the key log
/// there, or beside the saved capture so that `lab analyze --keylog` can
/// read the capture again.
pub(super) struct Files {
    _dir: tempfile::TempDir,
    /// The CA the clients trust (`curl --cacert`, `s_client -CAfile`).
    pub ca: PathBuf,
    /// The NSS key log the server writes.
    pub keylog: PathBuf,
    /// The key log outlives the run.
    pub kept: bool,
}

impl Files {
    pub fn new(save_pcap: Option<&Path>) -> std::io::Result<Files> {
        let dir = tempfile::Builder::new().prefix("wirelab-tls-").tempdir()?;
        let (keylog, kept) = match save_pcap {
            Some(p) => (keylog_beside(p), true),
            None => (dir.path().join("keys.log"), false),
        };
        // The server appends; a kept key log from an earlier run of the same
        // name would only add lines for other connections, but a fresh file
        // says exactly what this capture needs.
        std::fs::File::create(&keylog)?;
        Ok(Files {
            ca: dir.path().join("ca.pem"),
            _dir: dir,
            keylog,
            kept,
        })
    }

    /// The server's settings for this run.
    pub fn server_settings(&self, lab: &TlsLab) -> TlsSettings {
        TlsSettings {
            listen: TlsListen::Only,
            alpn: lab.alpn.clone(),
            versions: lab.versions,
            keylog: Some(self.keylog.clone()),
            close_notify: lab.close_notify,
            ..TlsSettings::default()
        }
    }

    /// The key log as the server left it.
    pub fn read_keylog(&self) -> std::io::Result<KeyLog> {
        Ok(KeyLog::parse(&std::fs::read(&self.keylog)?))
    }
}

/// What the server's log says TLS did on one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ServerTls {
    /// The ALPN list its ClientHello offered, as the server read it.
    pub offered: Option<Vec<String>>,
    /// The version agreed.
    pub version: Option<TlsVersion>,
    /// The protocol ALPN chose (`None`: no ALPN, HTTP/1.1).
    pub alpn: Option<Alpn>,
    /// Why the handshake or a record failed.
    pub failed: Option<String>,
    /// It sent close_notify.
    pub close_notify_sent: bool,
    /// It read the client's close_notify.
    pub close_notify_received: bool,
    /// It closed with a bare FIN (`--no-close-notify`).
    pub truncation_sent: bool,
    /// It read the client's FIN without a close_notify.
    pub truncation_received: bool,
    /// Its close_notify answered the client's end (the client closed
    /// first): how that end came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<PeerClose>,
}

/// The server's TLS events for connection `conn`.
pub(super) fn server_story(records: &[Record], conn: u64) -> ServerTls {
    let mut s = ServerTls::default();
    for r in records.iter().filter(|r| r.conn == Some(conn)) {
        match &r.event {
            Event::ClientHello { alpn, .. } => s.offered = Some(alpn.clone()),
            Event::TlsEstablished { version, alpn, .. } => {
                s.version = Some(*version);
                s.alpn = *alpn;
            }
            Event::TlsFailed { reason } => s.failed = Some(reason.clone()),
            Event::CloseNotify {
                dir: Dir::Sent,
                answering,
            } => {
                s.close_notify_sent = true;
                s.answered = *answering;
            }
            Event::CloseNotify {
                dir: Dir::Received, ..
            } => s.close_notify_received = true,
            Event::Truncation { dir: Dir::Sent } => s.truncation_sent = true,
            Event::Truncation { dir: Dir::Received } => s.truncation_received = true,
            _ => {}
        }
    }
    s
}

/// The TLS ending as the packets show it, read with the key log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsEnding {
    /// close_notify each way.
    BothWays,
    /// close_notify from the server only.
    ServerOnly,
    /// close_notify from the client only: the server's side was truncated.
    ClientOnly,
    /// No close_notify at all.
    Neither,
    /// A fatal alert (its description).
    Alert(String),
    /// The alerts could not be read (no usable keys, or no TLS seen).
    Unknown,
}

impl TlsEnding {
    fn of(close: Option<&TlsClose>) -> Self {
        match close {
            Some(TlsClose::CloseNotify([Some(_), Some(_)])) => TlsEnding::BothWays,
            Some(TlsClose::CloseNotify([None, Some(_)])) => TlsEnding::ServerOnly,
            Some(TlsClose::CloseNotify(_)) => TlsEnding::ClientOnly,
            Some(TlsClose::None) => TlsEnding::Neither,
            Some(TlsClose::Alert(a)) => TlsEnding::Alert(a.description.to_string()),
            Some(TlsClose::Unknown) | None => TlsEnding::Unknown,
        }
    }

    /// In `--expect`'s words: did the server's close_notify come before
    /// TCP's end (`close-notify`), or not (`truncation`)?
    pub fn name(&self) -> &'static str {
        match self {
            TlsEnding::BothWays | TlsEnding::ServerOnly => "close-notify",
            TlsEnding::ClientOnly | TlsEnding::Neither => "truncation",
            TlsEnding::Alert(_) => "alert",
            TlsEnding::Unknown => "unknown",
        }
    }
}

/// The TLS side of a run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TlsRun {
    /// The server's ALPN list.
    pub server_alpn: Vec<Alpn>,
    /// What the client offered, from the ClientHello in the capture.
    pub offered: Option<Vec<String>>,
    /// The server's choice from the capture (`unknown (encrypted)`
    /// without keys), and where it was read.
    pub chosen: Option<String>,
    /// `ServerHello` (TLS 1.2, in the clear) or `EncryptedExtensions`
    /// (TLS 1.3, read with the key log).
    pub chosen_in: Option<&'static str>,
    /// The version from the ServerHello.
    pub version: Option<String>,
    /// The ending.
    pub ending: TlsEnding,
    /// The analyzer's own words for it (`lab analyze --keylog`'s "TLS
    /// ending:" line).
    pub analyzed: Option<String>,
    /// Why, in one sentence.
    pub reason: String,
    /// The rule behind it.
    pub citation: &'static str,
    /// `full` raced the client's own close_notify: it arrived before the
    /// server's close and made that close a RST.
    pub raced: bool,
    /// What the server's log says.
    pub server: ServerTls,
    /// The key log, when it was kept beside the saved capture.
    pub keylog: Option<PathBuf>,
}

/// Inputs of [`story`] that come from the run.
pub(super) struct Seen<'a> {
    pub lab: &'a TlsLab,
    pub mode: ReadMode,
    pub first: Option<&'a ConnectionReport>,
    pub server: ServerTls,
    pub server_end: Option<CloseEnding>,
    pub unread: usize,
    pub keylog: Option<PathBuf>,
}

fn report(c: &ConnectionReport) -> Option<&TlsReport> {
    c.app.as_deref()?.conversation.as_ref()?.tls.as_ref()
}

/// The largest TLS alert record on the wire: TLS 1.2 with AES-GCM (5-byte
/// header, 8-byte explicit nonce, 2-byte alert, 16-byte tag, RFC 5288 §3).
/// TLS 1.3's is 24 bytes (RFC 8446 §5.2).
const MAX_ALERT_RECORD: usize = 31;

/// The TLS side of the run, explained.
pub(super) fn story(s: Seen<'_>) -> TlsRun {
    let tls = s.first.and_then(report);
    let ending = TlsEnding::of(tls.and_then(|t| t.close.as_ref()));
    let tcp = s.first.map(|c| c.teardown.ending);
    let (chosen, chosen_in) = match tls.and_then(|t| t.alpn_chosen.as_ref()) {
        Some(a @ AlpnChosen::Clear(_)) => (Some(a.text().to_string()), Some("ServerHello")),
        Some(a @ AlpnChosen::Decrypted(_)) => {
            (Some(a.text().to_string()), Some("EncryptedExtensions"))
        }
        Some(a) => (Some(a.text().to_string()), None),
        None => (None, None),
    };
    // full mode answers and closes at once; the client's close_notify (RFC
    // 8446 §6.1 asks one of each side) can reach the server first. The
    // close then finds that one alert record unread: RST (RFC 2525 §2.17).
    let client_alert_first = matches!(ending, TlsEnding::BothWays | TlsEnding::ClientOnly);
    let raced = s.mode == ReadMode::Full
        && s.server_end == Some(CloseEnding::WeProvokedRst)
        && (1..=MAX_ALERT_RECORD).contains(&s.unread)
        && client_alert_first;
    let (reason, citation) = reason(&s, &ending, tcp, raced);
    TlsRun {
        server_alpn: s.lab.alpn.clone(),
        offered: tls.and_then(|t| t.offered.as_ref()?.alpn_list()),
        chosen,
        chosen_in,
        version: tls.and_then(|t| t.version).map(|v| v.to_string()),
        analyzed: s
            .first
            .zip(tls.and_then(|t| t.close.as_ref()))
            .map(|(c, close)| crate::report::carried::tls_ending(close, c.teardown.ending)),
        ending,
        reason,
        citation,
        raced,
        server: s.server,
        keylog: s.keylog,
    }
}

fn reason(
    s: &Seen<'_>,
    ending: &TlsEnding,
    tcp: Option<Ending>,
    raced: bool,
) -> (String, &'static str) {
    if let Some(why) = &s.server.failed {
        return (
            format!("the handshake failed; the server says: {why}"),
            "RFC 8446 §6.2, RFC 7301 §3.2",
        );
    }
    if raced {
        return (
            format!(
                "the server sent close_notify and closed at once, but the client's own \
                 close_notify reached it first: the close found those {} bytes unread and \
                 Linux sent RST; the response was complete (its close_notify had gone out), \
                 and `--mode drain` reads the client's alert and ends with FIN both ways",
                s.unread
            ),
            "RFC 8446 §6.1, RFC 2525 §2.17",
        );
    }
    let rst = tcp == Some(Ending::Rst);
    let after_close = s
        .first
        .and_then(|c| c.teardown.first_rst)
        .is_some_and(|r| r.phase == RstPhase::DataAfterClose);
    if let Some(peer) = s.server.answered {
        let how = match peer {
            PeerClose::CloseNotify => "with its close_notify",
            PeerClose::Fin => "with a bare FIN (its own truncation)",
        };
        let rest = if rst && after_close {
            "; the client's socket was already closed and could not read it, so the client's \
             kernel answered it with RST. That RST is the price of the MUST: it came after \
             both ends of data, so nothing was lost (benign)"
        } else if rst {
            "; a RST still ended TCP"
        } else {
            ", and the client read it before closing: FIN both ways"
        };
        return (
            format!(
                "the client ended its side first, {how}; the server answered with its own \
                 close_notify before its FIN, as each side must before closing its write side{rest}"
            ),
            if rst {
                "RFC 8446 §6.1, RFC 1122 §4.2.2.13"
            } else {
                "RFC 8446 §6.1"
            },
        );
    }
    match ending {
        // The own client and curl answer close_notify with their own (RFC
        // 8446 §6.1); after a full close that alert is data for a socket
        // that can no longer read (RFC 1122 §4.2.2.13).
        TlsEnding::BothWays if rst && after_close => (
            "the server sent close_notify and closed; the client answered with its own \
             close_notify, as each side must before closing, and that alert reached a socket \
             that could no longer read: the kernel answered it with RST. The response was \
             complete; `--mode drain` reads the client's alert and ends with FIN both ways"
                .into(),
            "RFC 8446 §6.1, RFC 1122 §4.2.2.13",
        ),
        TlsEnding::BothWays | TlsEnding::ServerOnly if rst => (
            "the server's close_notify went out before the RST: the response was complete, \
             the RST only cut what was left unread"
                .into(),
            "RFC 8446 §6.1",
        ),
        TlsEnding::BothWays | TlsEnding::ServerOnly => (
            "the server sent close_notify before its FIN: the client knows the response \
             ended where the server meant it to"
                .into(),
            "RFC 8446 §6.1",
        ),
        TlsEnding::ClientOnly | TlsEnding::Neither if !s.lab.close_notify && rst => (
            "the server closed without close_notify (--no-close-notify) and the close was a \
             RST: the TLS stream was cut, the client cannot tell a whole response from a cut \
             one"
            .into(),
            "RFC 8446 §6.1, RFC 9112 §9.8",
        ),
        TlsEnding::ClientOnly | TlsEnding::Neither if !s.lab.close_notify => (
            "the server closed with a bare FIN and no close_notify (--no-close-notify): a \
             truncation, the client cannot tell a whole response from a cut one"
                .into(),
            "RFC 8446 §6.1, RFC 9112 §9.8",
        ),
        TlsEnding::Neither if s.server.truncation_received => (
            "the client closed with a bare FIN and no close_notify, and the server, reading \
             that FIN as the end of the client's stream, closed too: neither side vouched for \
             its data with close_notify"
                .into(),
            "RFC 8446 §6.1",
        ),
        TlsEnding::ClientOnly | TlsEnding::Neither if rst => (
            "the connection was aborted before any close_notify from the server: the TLS \
             stream was cut"
                .into(),
            "RFC 8446 §6.1, RFC 9293 §3.6",
        ),
        TlsEnding::ClientOnly | TlsEnding::Neither => (
            "TCP ended without a close_notify from the server: a truncation".into(),
            "RFC 8446 §6.1, RFC 9112 §9.8",
        ),
        // OpenSSL 3 reads a FIN without close_notify as "unexpected eof"
        // and answers it with a fatal alert of its own.
        TlsEnding::Alert(a) if !s.lab.close_notify => (
            format!(
                "the server closed without close_notify (--no-close-notify); the client took \
                 the bare FIN for a truncation and answered with a fatal {a} alert"
            ),
            "RFC 8446 §6.1, §6.2",
        ),
        TlsEnding::Alert(a) => (format!("a fatal alert ended TLS: {a}"), "RFC 8446 §6.2"),
        TlsEnding::Unknown => (
            "the TLS ending could not be read: the key log opened none of the records".into(),
            "RFC 8446 §5.2",
        ),
    }
}

/// Where the server's log, the client and the packets tell a different TLS
/// story.
pub(super) fn disagreements(t: &TlsRun, client: &ClientWitness) -> Vec<String> {
    let mut out = Vec::new();
    let packets_server = matches!(t.ending, TlsEnding::BothWays | TlsEnding::ServerOnly);
    if let Some(c) = &client.tls
        && t.ending != TlsEnding::Unknown
        && c.close_notify_received
        && !packets_server
    {
        out.push(
            "the client says it received close_notify, the packets show none from the server"
                .into(),
        );
    }
    if t.ending != TlsEnding::Unknown && t.server.close_notify_sent != packets_server {
        out.push(format!(
            "the server's log says it {} close_notify, the packets show {}",
            if t.server.close_notify_sent {
                "sent"
            } else {
                "did not send"
            },
            if packets_server { "one" } else { "none" }
        ));
    }
    out
}
