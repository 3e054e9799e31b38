//! The [`RecordSink`] that holds a key log: once the hellos have named the
//! connection (client random, version, suite), it makes the two
//! decrypters of [`crate::tls_decrypt`] and opens every later record, as
//! Wireshark does with `tls.keylog_file`. What it reads inside: the
//! server's EncryptedExtensions (TLS 1.3 sends the ALPN choice there,
//! RFC 8446 §4.3.1), the client's NextProtocol (TLS 1.2's NPN choice,
//! draft-agl-tls-nextprotoneg-04 §3, sent after its ChangeCipherSpec) and
//! the alerts, `close_notify` among them (§6.1).

use std::sync::Arc;

use crate::proto::tls::{
    Alert, ContentType, HandshakeReader, HandshakeType, NextProtocol, ProtocolVersion,
    encrypted_extensions,
};
use crate::tls_decrypt::{
    self, DecryptError, Decrypter, HandshakeWatch, Hello, KeyLog, Random, SessionError, Version,
};

use super::super::Direction;
use super::super::label::Label;
use super::{AlertSeen, MAX_ALERTS, RecordSeen, RecordSink, Session};

/// A protected record opened: its true type (RFC 8446 §5.2) and plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plaintext {
    /// The content type inside.
    pub content_type: ContentType,
    /// The plaintext.
    pub bytes: Vec<u8>,
}

/// What the key log did for a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysStatus {
    /// Its records were opened.
    Ok,
    /// The key log has no secrets for its client random.
    Missing,
    /// The secrets are there but the first protected record failed
    /// authentication: they belong to another connection.
    Mismatch,
    /// Nothing to decrypt with them: no ServerHello, a version or suite
    /// the decrypter does not read (the problem says which).
    Unusable,
}

impl KeysStatus {
    /// The JSON value.
    pub fn text(self) -> &'static str {
        match self {
            KeysStatus::Ok => "ok",
            KeysStatus::Missing => "missing",
            KeysStatus::Mismatch => "mismatch",
            KeysStatus::Unusable => "unusable",
        }
    }
}

/// The key log's outcome for one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysReport {
    /// What happened.
    pub status: KeysStatus,
    /// Why it is not `ok` (or the first record that failed later).
    pub problem: Option<String>,
    /// Records opened, client then server.
    pub opened: [u64; 2],
}

/// One direction's decrypted handshake and key changes.
#[derive(Debug, Default)]
struct Plain {
    watch: HandshakeWatch,
    handshake: HandshakeReader,
    opened: u64,
    /// The first error of the direction; the direction stops there.
    failed: Option<DecryptError>,
}

#[derive(Debug)]
enum Keys {
    /// The hellos are not both read yet.
    Waiting,
    Ready(Box<[Decrypter; 2]>),
    Failed(SessionError),
    /// A version the decrypter does not read.
    Version(ProtocolVersion),
}

/// Decrypts one connection's records with a key log.
#[derive(Debug)]
pub struct KeyLogSink {
    keylog: Arc<KeyLog>,
    keys: Keys,
    plain: [Plain; 2],
    /// EncryptedExtensions was read: its ALPN choice, if any.
    alpn: Option<Option<String>>,
    /// The protocol the client's NextProtocol named.
    npn: Option<String>,
    problem: Option<String>,
    alerts: Vec<AlertSeen>,
}

fn index(d: Direction) -> usize {
    match d {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl KeyLogSink {
    /// A connection not yet seen, to decrypt with `keylog`.
    pub fn new(keylog: Arc<KeyLog>) -> Self {
        KeyLogSink {
            keylog,
            keys: Keys::Waiting,
            plain: Default::default(),
            alpn: None,
            npn: None,
            problem: None,
            alerts: Vec::new(),
        }
    }

    /// What EncryptedExtensions said of ALPN, once decrypted: the
    /// protocol, or `Some(None)` when it carried no ALPN.
    pub fn alpn(&self) -> Option<Option<&str>> {
        self.alpn.as_ref().map(Option::as_deref)
    }

    /// The protocol the client chose with NPN, once its NextProtocol was
    /// decrypted.
    pub fn npn_chosen(&self) -> Option<&str> {
        self.npn.as_deref()
    }

    /// Alerts read from protected records, in order.
    pub fn alerts(&self) -> &[AlertSeen] {
        &self.alerts
    }

    /// What the key log did for the connection.
    pub fn report(&self) -> KeysReport {
        let opened = [self.plain[0].opened, self.plain[1].opened];
        let mismatch = self
            .plain
            .iter()
            .any(|p| p.failed == Some(DecryptError::KeyMismatch));
        let (status, problem) = match &self.keys {
            Keys::Waiting => (
                KeysStatus::Unusable,
                Some("no ServerHello: the connection never had keys".to_string()),
            ),
            Keys::Version(v) => (
                KeysStatus::Unusable,
                Some(format!("{v} is not decrypted (TLS 1.2 and 1.3 are)")),
            ),
            Keys::Failed(SessionError::NoSecrets) => (
                KeysStatus::Missing,
                Some(SessionError::NoSecrets.to_string()),
            ),
            Keys::Failed(e) => (KeysStatus::Unusable, Some(e.to_string())),
            Keys::Ready(_) if mismatch => (
                KeysStatus::Mismatch,
                Some(DecryptError::KeyMismatch.to_string()),
            ),
            Keys::Ready(_) => (KeysStatus::Ok, self.problem.clone()),
        };
        KeysReport {
            status,
            problem,
            opened,
        }
    }

    /// Makes the decrypters once the hellos are read.
    fn start(&mut self, session: &Session) {
        let (Some(version), Some(suite), Some(cr), Some(sr)) = (
            session.version,
            session.cipher_suite,
            session.client_random,
            session.server_random,
        ) else {
            return;
        };
        let version = match version {
            ProtocolVersion::TLS13 => Version::Tls13,
            ProtocolVersion::TLS12 => Version::Tls12,
            other => {
                self.keys = Keys::Version(other);
                return;
            }
        };
        let hello = Hello {
            version,
            suite,
            client_random: Random(cr),
            server_random: Random(sr),
        };
        self.keys = match tls_decrypt::decrypters(&self.keylog, &hello) {
            Ok(d) => Keys::Ready(Box::new([d.client, d.server])),
            Err(e) => Keys::Failed(e),
        };
    }

    /// Whether a direction stopped opening records (a key mismatch, a
    /// record that failed authentication, an unreadable key change).
    pub fn failed(&self, d: Direction) -> bool {
        self.plain[index(d)].failed.is_some()
    }

    fn opened(
        &mut self,
        seen: &RecordSeen<'_>,
        ty: ContentType,
        bytes: &[u8],
        label: &mut dyn FnMut(Label),
    ) {
        let (sender, offset) = (seen.sender, seen.record.offset);
        let i = index(sender);
        match ty {
            ContentType::Alert => {
                // A malformed alert inside a record that authenticated is
                // the peer's fault: noted, not fatal to the rest.
                match Alert::parse_all(bytes) {
                    Ok(alerts) => {
                        for a in alerts {
                            label(Label::text(format!("Alert {} {}", a.level, a.description)));
                            if self.alerts.len() < MAX_ALERTS {
                                self.alerts.push(AlertSeen {
                                    sender,
                                    offset,
                                    frame: seen.frame,
                                    level: a.level,
                                    description: a.description,
                                });
                            }
                        }
                    }
                    Err(e) => self.note(format!("decrypted alert at offset {offset}: {e}")),
                }
            }
            ContentType::Handshake => {
                let mut reader = std::mem::take(&mut self.plain[i].handshake);
                let mut alpn = None;
                let mut npn = None;
                let mut bad = None;
                let result = reader.feed(bytes, &mut |kind, body| match (kind, sender) {
                    (HandshakeType::NextProtocol, Direction::ClientToServer) => {
                        match NextProtocol::parse(body) {
                            Ok(n) => {
                                let name = String::from_utf8_lossy(n.selected_protocol);
                                label(Label::text(format!("NextProtocol {name}")));
                                npn = Some(name.into_owned());
                            }
                            Err(e) => {
                                label(Label::text(kind.to_string()));
                                bad = Some(format!("NextProtocol: {e}"));
                            }
                        }
                    }
                    (HandshakeType::EncryptedExtensions, Direction::ServerToClient) => {
                        label(Label::text(kind.to_string()));
                        match encrypted_extensions(body) {
                            Ok(e) => alpn = Some(e.alpn.and_then(|l| l.into_iter().next())),
                            Err(e) => bad = Some(format!("EncryptedExtensions: {e}")),
                        }
                    }
                    _ => label(Label::text(kind.to_string())),
                });
                self.plain[i].handshake = reader;
                if alpn.is_some() {
                    self.alpn = alpn;
                }
                // The first choice stands (a second one could only come
                // with a renegotiation, which decryption does not follow).
                if self.npn.is_none() {
                    self.npn = npn;
                }
                if let Some(reason) = bad.or(result.err().map(|e| e.to_string())) {
                    self.note(reason);
                }
            }
            _ => {}
        }
    }

    fn note(&mut self, problem: String) {
        note(&mut self.problem, problem);
    }
}

impl RecordSink for KeyLogSink {
    fn wants_encrypted(&self) -> bool {
        true
    }

    /// Application data opened here is not read further: the caller that
    /// decodes it uses [`KeyLogSink::open`].
    fn record(
        &mut self,
        session: &Session,
        seen: &RecordSeen<'_>,
        label: &mut dyn FnMut(Label),
    ) -> bool {
        self.open(session, seen, label)
            .is_some_and(|p| p.content_type != ContentType::ApplicationData)
    }
}

impl KeyLogSink {
    /// One record of the connection, in order per direction: a protected
    /// record opened gives its plaintext, and `label` gets the handshake
    /// messages and alerts read inside it. `None` for a record in the
    /// clear or one that could not be opened (the report says why).
    pub fn open(
        &mut self,
        session: &Session,
        seen: &RecordSeen<'_>,
        label: &mut dyn FnMut(Label),
    ) -> Option<Plaintext> {
        if matches!(self.keys, Keys::Waiting) {
            self.start(session);
        }
        let i = index(seen.sender);
        let Keys::Ready(decrypters) = &mut self.keys else {
            return None;
        };
        if self.plain[i].failed.is_some() {
            return None;
        }
        // The decrypter reads whole records, header included: TLS 1.3's
        // additional data is the header (RFC 8446 §5.2).
        let body = seen.record.body?;
        let h = seen.record.header;
        let mut record = Vec::with_capacity(5 + body.len());
        record.push(h.content_type.code());
        record.extend_from_slice(&h.version.0.to_be_bytes());
        record.extend_from_slice(&h.length.to_be_bytes());
        record.extend_from_slice(body);
        let d = &mut decrypters[i];
        let (ty, bytes, clear) = match d.open(&record) {
            Ok(o) => (
                o.content_type.to_byte(),
                o.bytes.to_vec(),
                o.epoch == tls_decrypt::Epoch::Clear,
            ),
            Err(e) => {
                let offset = seen.record.offset;
                if e != DecryptError::KeyMismatch {
                    note(&mut self.problem, format!("record at offset {offset}: {e}"));
                }
                self.plain[i].failed = Some(e);
                return None;
            }
        };
        let ty = ContentType::from_u8(ty)?;
        if clear {
            return None;
        }
        {
            self.plain[i].opened += 1;
            // TLS 1.3 changes keys after a Finished or KeyUpdate (RFC 8446
            // §7.2, §7.3); TLS 1.2's decrypter follows ChangeCipherSpec itself.
            if d.version() == Version::Tls13 {
                let change = self.plain[i]
                    .watch
                    .record(tls_decrypt::ContentType::from_byte(ty.code()), &bytes);
                let applied = match change {
                    Ok(Some(c)) => d.advance(c).map_err(|e| e.to_string()),
                    Ok(None) => Ok(()),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(reason) = applied {
                    note(&mut self.problem, reason);
                }
            }
            self.opened(seen, ty, &bytes, label);
        }
        Some(Plaintext {
            content_type: ty,
            bytes,
        })
    }
}

/// Keeps the first problem: later ones often follow from it.
fn note(slot: &mut Option<String>, problem: String) {
    if slot.is_none() {
        *slot = Some(problem);
    }
}
