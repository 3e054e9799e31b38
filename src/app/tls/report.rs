//! What a TLS connection showed a reader without its keys: the offers, the
//! choices made in the clear, the alerts sent before encryption, and how
//! much went encrypted.

use std::borrow::Cow;

use crate::proto::tls::{AlertDescription, AlertLevel, ProtocolVersion};

use super::super::Direction;
use super::super::detect::Protocol;

/// The application protocol read inside the decrypted records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InnerProtocol {
    /// HTTP/1.0 requests (or responses) only.
    Http10,
    /// HTTP/1.1.
    Http11,
    /// HTTP/2 (RFC 9113 §3.2: over TLS it starts with the preface, as
    /// with prior knowledge, after ALPN chose `h2`).
    H2,
    /// Anything else the detection names (an `h2` preface answered in
    /// HTTP/1.x, bytes no rule recognises, ...).
    Other(Protocol),
}

impl InnerProtocol {
    /// What the conversation inside was detected or decoded as.
    pub fn of(p: Protocol) -> Self {
        match p {
            Protocol::Http10 => InnerProtocol::Http10,
            Protocol::Http11 => InnerProtocol::Http11,
            Protocol::H2PriorKnowledge => InnerProtocol::H2,
            other => InnerProtocol::Other(other),
        }
    }

    /// The JSON value (`tls.inner`): ALPN's names for HTTP (RFC 7301 §6).
    pub fn name(self) -> &'static str {
        match self {
            InnerProtocol::Http10 => "http/1.0",
            InnerProtocol::Http11 => "http/1.1",
            InnerProtocol::H2 => "h2",
            InnerProtocol::Other(p) => p.name(),
        }
    }
}

/// What decided which decoder read the decrypted bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InnerChosenBy {
    /// The ALPN choice (ServerHello in TLS 1.2, EncryptedExtensions in
    /// TLS 1.3) named `h2` or `http/1.x`.
    Alpn,
    /// No ALPN (or one this analyzer does not decode): the first decrypted
    /// bytes, as for a cleartext connection.
    Sniffed,
    /// ALPN named `h2` or `http/1.x` but the client's first bytes spoke
    /// the other: they were sniffed.
    AgainstAlpn,
}

impl InnerChosenBy {
    /// The JSON value (`tls.inner_chosen_by`).
    pub fn name(self) -> &'static str {
        match self {
            InnerChosenBy::Alpn => "alpn",
            InnerChosenBy::Sniffed => "sniffed",
            InnerChosenBy::AgainstAlpn => "sniffed_against_alpn",
        }
    }
}

/// The protocol inside a decrypted connection and how it was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inner {
    /// What ran inside.
    pub protocol: InnerProtocol,
    /// How the decoder was chosen.
    pub chosen_by: InnerChosenBy,
}

/// The application protocol the server chose with ALPN (RFC 7301 §3.2),
/// as far as it can be known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlpnChosen {
    /// The ServerHello named it, in the clear (TLS 1.2 and before).
    Clear(String),
    /// EncryptedExtensions named it, read with the session's keys (TLS 1.3;
    /// filled in by decryption with a key log).
    Decrypted(String),
    /// The server chose none: a TLS 1.2 ServerHello without ALPN, or a
    /// client that offered no ALPN (a server may not answer what was not
    /// offered, RFC 7301 §3.1).
    NotNegotiated,
    /// TLS 1.3 sends the choice in EncryptedExtensions (RFC 8446 §4.3.1):
    /// without the keys it cannot be read.
    Encrypted,
}

impl AlpnChosen {
    /// The JSON value: the protocol name, `none`, or `unknown (encrypted)`.
    pub fn text(&self) -> &str {
        match self {
            AlpnChosen::Clear(p) | AlpnChosen::Decrypted(p) => p,
            AlpnChosen::NotNegotiated => "none",
            AlpnChosen::Encrypted => "unknown (encrypted)",
        }
    }
}

/// NPN (draft-agl-tls-nextprotoneg): the server lists, the client chooses
/// in a NextProtocol message sent after its ChangeCipherSpec, encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Npn {
    /// The client's ClientHello carried the (empty) NPN extension.
    pub offered: bool,
    /// The protocols the server's ServerHello listed, in the clear.
    pub server_list: Option<Vec<String>>,
    /// The client went on to its ChangeCipherSpec after a server list: its
    /// choice followed, encrypted.
    pub client_choice_encrypted: bool,
    /// The protocol the client's NextProtocol named, read with the key log
    /// (`None` without keys, or when none was decrypted).
    pub chosen: Option<String>,
}

/// An alert seen in the clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertSeen {
    /// Who sent it.
    pub sender: Direction,
    /// Stream offset of its record.
    pub offset: u64,
    /// The captured frame that completed its record.
    pub frame: u64,
    /// Its level.
    pub level: AlertLevel,
    /// Its description.
    pub description: AlertDescription,
}

/// Protected records of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Encrypted {
    /// Records.
    pub records: u64,
    /// Their fragments' bytes (headers not counted).
    pub bytes: u64,
}

/// What the handshake showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsReport {
    /// What the (first) ClientHello offered: its versions, SNI and ALPN
    /// list (`None` without a ClientHello; [`TlsReport::versions_offered`],
    /// [`TlsReport::sni`] and [`TlsReport::alpn_offered`] read it).
    pub offered: Option<super::Offered>,
    /// The version the ServerHello chose.
    pub version: Option<ProtocolVersion>,
    /// The cipher suite it chose.
    pub cipher_suite: Option<u16>,
    /// The server's ALPN choice; `None` without a ServerHello.
    pub alpn_chosen: Option<AlpnChosen>,
    /// NPN, when either side spoke it.
    pub npn: Option<Npn>,
    /// The server answered with a HelloRetryRequest (RFC 8446 §4.1.4).
    pub hello_retry_request: bool,
    /// Alerts seen in the clear, in order (at most
    /// [`super::MAX_ALERTS`]).
    pub alerts: Vec<AlertSeen>,
    /// Each side (client, server) sent ChangeCipherSpec.
    pub change_cipher_spec: [bool; 2],
    /// Protected records, client then server.
    pub encrypted: [Encrypted; 2],
    /// What the key log did (`None` without `--keylog`).
    pub keys: Option<super::KeysReport>,
    /// How TLS itself ended the connection (`None` without `--keylog`).
    pub close: Option<TlsClose>,
    /// The protocol read inside the decrypted application data (`None`
    /// without keys or without application data).
    pub inner: Option<Inner>,
}

/// Where a side's closing alert was: its record's stream offset and the
/// captured frame that completed the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedAt {
    /// Stream offset of the record.
    pub offset: u64,
    /// Frame number.
    pub frame: u64,
}

/// How TLS ended a connection, from its alerts (RFC 8446 §6): the
/// `close_notify` each side sent (§6.1), or an error alert (§6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsClose {
    /// A fatal alert (the first one): the connection failed.
    Alert(AlertSeen),
    /// close_notify from one or both sides: each side's first, client
    /// then server.
    CloseNotify([Option<ClosedAt>; 2]),
    /// Neither close_notify nor an error alert, though the records were
    /// read: the TCP ending (FIN or RST) came without TLS's own, a
    /// truncation (RFC 8446 §6.1).
    None,
    /// The alerts went encrypted and there were no keys to read them.
    Unknown,
}

impl TlsClose {
    /// Reads the alerts: those in the clear, those decrypted, and whether
    /// every protected record could be read.
    fn read(clear: &[AlertSeen], decrypted: &[AlertSeen], keys_ok: bool) -> Self {
        let all = || clear.iter().chain(decrypted);
        if let Some(a) = all().find(|a| a.level == AlertLevel::Fatal) {
            return TlsClose::Alert(*a);
        }
        if !keys_ok {
            return TlsClose::Unknown;
        }
        let mut by = [None, None];
        for a in all().filter(|a| a.description == AlertDescription::CLOSE_NOTIFY) {
            let i = match a.sender {
                Direction::ClientToServer => 0,
                Direction::ServerToClient => 1,
            };
            by[i] = by[i].or(Some(ClosedAt {
                offset: a.offset,
                frame: a.frame,
            }));
        }
        if by == [None, None] {
            TlsClose::None
        } else {
            TlsClose::CloseNotify(by)
        }
    }

    /// The stream offset of the record that closed each side (its
    /// close_notify, or the fatal alert's for its sender), client then
    /// server.
    pub fn offsets(&self) -> [Option<u64>; 2] {
        self.closed_at().map(|c| c.map(|c| c.offset))
    }

    /// The frame that completed each side's closing record (as
    /// [`TlsClose::offsets`]), client then server.
    pub fn frames(&self) -> [Option<u64>; 2] {
        self.closed_at().map(|c| c.map(|c| c.frame))
    }

    fn closed_at(&self) -> [Option<ClosedAt>; 2] {
        match self {
            TlsClose::Alert(a) => {
                let at = Some(ClosedAt {
                    offset: a.offset,
                    frame: a.frame,
                });
                match a.sender {
                    Direction::ClientToServer => [at, None],
                    Direction::ServerToClient => [None, at],
                }
            }
            TlsClose::CloseNotify(by) => *by,
            TlsClose::None | TlsClose::Unknown => [None, None],
        }
    }

    /// Words for the JSON and the table.
    pub fn text(&self) -> String {
        match self {
            TlsClose::Alert(a) => format!("alert {} by {}", a.description, who(a.sender)),
            TlsClose::CloseNotify([Some(_), Some(_)]) => "close_notify both ways".into(),
            TlsClose::CloseNotify([Some(_), None]) => "close_notify by client".into(),
            TlsClose::CloseNotify(_) => "close_notify by server".into(),
            TlsClose::None => "none".into(),
            TlsClose::Unknown => "unknown (encrypted)".into(),
        }
    }
}

fn who(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "client",
        Direction::ServerToClient => "server",
    }
}

impl TlsReport {
    /// The versions the ClientHello offered (none without one).
    pub fn versions_offered(&self) -> impl Iterator<Item = ProtocolVersion> + '_ {
        self.offered.iter().flat_map(super::Offered::versions)
    }

    /// The server name the client asked for (SNI, RFC 6066 §3).
    pub fn sni(&self) -> Option<Cow<'_, str>> {
        self.offered.as_ref()?.sni()
    }

    /// The ALPN list the client offered, in its order; `None` without the
    /// extension.
    pub fn alpn_offered(&self) -> Option<impl Iterator<Item = Cow<'_, str>> + '_> {
        self.offered.as_ref()?.alpn()
    }

    /// Adds what decryption read: the key log's outcome, for TLS 1.3 the
    /// ALPN choice from EncryptedExtensions, and the client's NPN choice
    /// from its NextProtocol.
    pub fn with_keys(&mut self, keys: &super::KeyLogSink) {
        if let Some(name) = keys.npn_chosen() {
            // A NextProtocol the hellos did not announce is the client
            // speaking NPN all the same.
            let npn = self.npn.get_or_insert(Npn {
                offered: false,
                server_list: None,
                client_choice_encrypted: true,
                chosen: None,
            });
            npn.chosen = Some(name.to_string());
        }
        if let (Some(AlpnChosen::Encrypted), Some(said)) = (&self.alpn_chosen, keys.alpn()) {
            self.alpn_chosen = Some(match said {
                Some(p) => AlpnChosen::Decrypted(p.to_string()),
                // RFC 7301 §3.1: a server that picks none sends no ALPN.
                None => AlpnChosen::NotNegotiated,
            });
        }
        // A TLS 1.3 server that refuses (no_application_protocol, RFC 7301
        // §3.2, as rustls does) sends its ServerHello and then the fatal
        // alert instead of EncryptedExtensions: with the alert decrypted,
        // nothing is unknown any more, and nothing was chosen.
        let refused = keys
            .alerts()
            .iter()
            .any(|a| a.sender == Direction::ServerToClient && a.level == AlertLevel::Fatal);
        if matches!(self.alpn_chosen, Some(AlpnChosen::Encrypted))
            && keys.alpn().is_none()
            && refused
        {
            self.alpn_chosen = Some(AlpnChosen::NotNegotiated);
        }
        let report = keys.report();
        self.close = Some(TlsClose::read(
            &self.alerts,
            keys.alerts(),
            report.status == super::KeysStatus::Ok,
        ));
        self.keys = Some(report);
    }
}
