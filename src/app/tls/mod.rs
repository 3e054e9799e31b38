//! TLS as a capture shows it without keys: one connection's two
//! directions cut into records ([`crate::proto::tls::record`]), the
//! cleartext handshake messages put together and read (the hellos, their
//! offers and choices), alerts in the clear, and the protected records
//! counted.
//!
//! Where protection starts, per direction:
//! - TLS 1.2 and before: after the sender's ChangeCipherSpec (RFC 5246
//!   §7.1); its Finished (and, with NPN, its NextProtocol) is already
//!   encrypted;
//! - TLS 1.3: every record whose outer type is application_data (RFC 8446
//!   §5.2), which is every record after the ServerHello but the
//!   compatibility ChangeCipherSpec (Appendix D.4).
//!
//! The seam for decryption: [`TlsDecoder::feed`] hands every record, in
//! order per direction, to a [`RecordSink`] with the [`Session`] it
//! belongs to (both randoms, version, suite): a key-log decrypter is such
//! a sink. [`NoKeys`] is the sink when there are no keys. A sink that
//! opens a protected record labels it itself (the messages or HTTP it
//! read inside); one it could not open is labelled `(encrypted)` here.

mod keys;
mod labels;
mod report;
#[cfg(test)]
mod tests;

pub use keys::{KeyLogSink, KeysReport, KeysStatus, Plaintext};
pub use report::{
    AlertSeen, AlpnChosen, ClosedAt, Encrypted, Inner, InnerChosenBy, InnerProtocol, Npn, TlsClose,
    TlsReport,
};

use crate::proto::tls::record::Partial;
use crate::proto::tls::{
    Alert, ClientHello, ContentType, HandshakeReader, HandshakeType, ProtocolVersion, Record,
    RecordHeader, RecordReader, ServerHello,
};

use super::Direction;
use super::http1::End;
use super::label::Label;
use labels::Labels;

/// Where and why a direction could not be read further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Stream offset.
    pub offset: u64,
    /// Why.
    pub reason: String,
}

/// Alerts kept per connection; a peer looping on alerts is not kept whole.
pub const MAX_ALERTS: usize = 16;

/// What a decrypter needs to know of the connection a record belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Session {
    /// The ClientHello's random: what NSS key log lines are keyed by.
    pub client_random: Option<[u8; 32]>,
    /// The ServerHello's random (TLS 1.2 key derivation uses both).
    pub server_random: Option<[u8; 32]>,
    /// The version chosen.
    pub version: Option<ProtocolVersion>,
    /// The cipher suite chosen.
    pub cipher_suite: Option<u16>,
}

/// One record as it went by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSeen<'a> {
    /// Its sender.
    pub sender: Direction,
    /// Its header's stream offset and the header.
    pub record: Record<'a>,
    /// It is protected (its fragment is ciphertext).
    pub encrypted: bool,
    /// The captured frame whose bytes completed it.
    pub frame: u64,
}

/// Something that reads every record of a connection, in order per
/// direction: the place a decrypter plugs in.
pub trait RecordSink {
    /// Whether protected records' fragments are wanted (holding a fragment
    /// split over segments costs a copy; without keys nobody reads them).
    fn wants_encrypted(&self) -> bool;
    /// One record, with the session as known when it was complete;
    /// `label` gets what the sink read inside a protected record. Returns
    /// whether it opened the record (then the decoder does not label it).
    fn record(
        &mut self,
        session: &Session,
        record: &RecordSeen<'_>,
        label: &mut dyn FnMut(Label),
    ) -> bool;
}

/// The sink without keys: protected records are counted, not kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKeys;

impl RecordSink for NoKeys {
    fn wants_encrypted(&self) -> bool {
        false
    }
    fn record(&mut self, _: &Session, _: &RecordSeen<'_>, _: &mut dyn FnMut(Label)) -> bool {
        false
    }
}

#[derive(Debug, Clone, Default)]
struct Side {
    records: RecordReader,
    handshake: HandshakeReader,
    /// The sender's ChangeCipherSpec was seen.
    ccs: bool,
    /// Its records are protected from here on.
    protected: bool,
    encrypted: Encrypted,
    stopped: Option<Stop>,
    ended: bool,
}

/// One TLS connection being read.
#[derive(Debug, Clone)]
pub struct TlsDecoder {
    sides: [Side; 2],
    session: Session,
    client_hello: Option<Box<ClientHello>>,
    server_hello: Option<Box<ServerHello>>,
    hello_retry: bool,
    alerts: Vec<AlertSeen>,
    /// The frame being fed (what completes a record now completes in it).
    frame: u64,
    /// Ladder labels are wanted (`--frames`): without them no label text
    /// is formatted, one `format!` per record saved.
    labelled: bool,
}

fn index(d: Direction) -> usize {
    match d {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl TlsDecoder {
    /// A connection whose directions start at these stream offsets.
    pub fn new(client_offset: u64, server_offset: u64) -> Self {
        let side = |at| Side {
            records: RecordReader::new(at),
            ..Side::default()
        };
        TlsDecoder {
            sides: [side(client_offset), side(server_offset)],
            session: Session::default(),
            client_hello: None,
            server_hello: None,
            hello_retry: false,
            alerts: Vec::new(),
            frame: 0,
            labelled: true,
        }
    }

    /// Whether ladder labels are made (on unless turned off here).
    pub fn with_labels(mut self, on: bool) -> Self {
        self.labelled = on;
        self
    }

    /// The bytes fed from now on came in this captured frame.
    pub fn at_frame(&mut self, frame: u64) {
        self.frame = frame;
    }

    /// The session as known so far.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Bytes held for records and messages not yet whole.
    pub fn buffered(&self) -> usize {
        self.sides
            .iter()
            .map(|s| s.records.buffered() + s.handshake.buffered())
            .sum()
    }

    /// Where and why a direction could not be read further.
    pub fn stopped(&self, d: Direction) -> Option<&Stop> {
        self.sides[index(d)].stopped.as_ref()
    }

    /// In-order bytes of one direction; `label` gets what they completed,
    /// `sink` every record.
    pub fn feed(
        &mut self,
        sender: Direction,
        bytes: &[u8],
        label: &mut impl FnMut(Label),
        sink: &mut impl RecordSink,
    ) {
        let i = index(sender);
        if self.sides[i].stopped.is_some() || self.sides[i].ended {
            return;
        }
        let mut labels = Labels {
            steps: Vec::new(),
            on: self.labelled,
        };
        let mut reader = std::mem::take(&mut self.sides[i].records);
        let wants = sink.wants_encrypted();
        // What `keep` decides depends on the records before (a
        // ChangeCipherSpec starts protection): the flag follows them.
        let protected = std::cell::Cell::new(self.sides[i].protected);
        let result = reader.feed(
            bytes,
            &mut |h: &RecordHeader| wants || !protected_record(h, protected.get()),
            &mut |r: Record<'_>| {
                self.record(sender, r, &mut labels, sink);
                protected.set(self.sides[i].protected);
            },
        );
        self.sides[i].records = reader;
        if let Err((offset, e)) = result {
            self.stop(sender, offset, e.to_string());
        }
        labels.emit(label);
    }

    fn stop(&mut self, sender: Direction, offset: u64, reason: String) {
        let side = &mut self.sides[index(sender)];
        if side.stopped.is_none() {
            side.stopped = Some(Stop { offset, reason });
        }
    }

    fn record(
        &mut self,
        sender: Direction,
        r: Record<'_>,
        labels: &mut Labels,
        sink: &mut impl RecordSink,
    ) {
        let i = index(sender);
        if self.sides[i].stopped.is_some() {
            return;
        }
        let encrypted = protected_record(&r.header, self.sides[i].protected);
        let opened = sink.record(
            &self.session,
            &RecordSeen {
                sender,
                record: r,
                encrypted,
                frame: self.frame,
            },
            &mut |l| labels.push_sink(l),
        );
        if encrypted {
            let e = &mut self.sides[i].encrypted;
            e.records += 1;
            e.bytes += u64::from(r.header.length);
            if !opened {
                labels.push(|| format!("{} (encrypted)", r.header.content_type));
            }
            return;
        }
        let body = r.body.unwrap_or_default();
        match r.header.content_type {
            ContentType::ChangeCipherSpec => {
                // One byte, 1 (RFC 5246 §7.1; RFC 8446 §5 for the
                // compatibility one).
                if body != [1] {
                    let reason =
                        format!("a ChangeCipherSpec of {} bytes, not the byte 1", body.len());
                    return self.stop(sender, r.offset, reason);
                }
                // A TLS 1.3 peer's compatibility ChangeCipherSpec changes
                // nothing (RFC 8446 Appendix D.4). A client may send it
                // before any ServerHello (with early data, or before its
                // second ClientHello after a HelloRetryRequest): then what it
                // offered decides.
                let tls13 = match self.session.version {
                    Some(v) => v == ProtocolVersion::TLS13,
                    None => {
                        self.hello_retry
                            || self.client_hello.as_ref().is_some_and(|c| {
                                c.versions_offered().contains(&ProtocolVersion::TLS13)
                            })
                    }
                };
                let side = &mut self.sides[i];
                side.ccs = true;
                side.protected |= !tls13;
                labels.push(|| "ChangeCipherSpec".into());
            }
            ContentType::Alert => match Alert::parse_all(body) {
                Ok(alerts) => {
                    for a in alerts {
                        labels.push(|| format!("Alert {} {}", a.level, a.description));
                        if self.alerts.len() < MAX_ALERTS {
                            self.alerts.push(AlertSeen {
                                sender,
                                offset: r.offset,
                                frame: self.frame,
                                level: a.level,
                                description: a.description,
                            });
                        }
                    }
                }
                Err(e) => self.stop(sender, r.offset, e.to_string()),
            },
            ContentType::Handshake => {
                let mut handshake = std::mem::take(&mut self.sides[i].handshake);
                let mut failed = None;
                let result = handshake.feed(body, &mut |kind, msg| {
                    if failed.is_none() {
                        failed = self.message(sender, kind, msg, labels).err();
                    }
                });
                self.sides[i].handshake = handshake;
                if let Some(reason) = failed.or(result.err().map(|e| e.to_string())) {
                    self.stop(sender, r.offset, reason);
                }
            }
            ContentType::Heartbeat => labels.push(|| "Heartbeat".into()),
            // Always protected (handled above).
            ContentType::ApplicationData => {}
        }
    }

    /// One cleartext handshake message.
    fn message(
        &mut self,
        sender: Direction,
        kind: HandshakeType,
        body: &[u8],
        labels: &mut Labels,
    ) -> Result<(), String> {
        match (kind, sender) {
            (HandshakeType::ClientHello, Direction::ClientToServer) => {
                let hello = ClientHello::parse(body).map_err(|e| format!("ClientHello: {e}"))?;
                labels.push(|| "ClientHello".into());
                // After a HelloRetryRequest the client sends a second
                // ClientHello (RFC 8446 §4.1.4): the first one's offers and
                // random stay the connection's.
                if self.client_hello.is_none() {
                    self.session.client_random = Some(hello.random);
                    self.client_hello = Some(Box::new(hello));
                }
            }
            (HandshakeType::ServerHello, Direction::ServerToClient) => {
                let hello = ServerHello::parse(body).map_err(|e| format!("ServerHello: {e}"))?;
                if hello.retry_request {
                    labels.push(|| "HelloRetryRequest".into());
                    self.hello_retry = true;
                    return Ok(());
                }
                labels.push(|| "ServerHello".into());
                if self.server_hello.is_none() {
                    let version = hello.version();
                    self.session.server_random = Some(hello.random);
                    self.session.version = Some(version);
                    self.session.cipher_suite = Some(hello.cipher_suite);
                    // TLS 1.3: the rest of the server's handshake is
                    // protected (RFC 8446 §2).
                    if version == ProtocolVersion::TLS13 {
                        self.sides[1].protected = true;
                    }
                    self.server_hello = Some(Box::new(hello));
                }
            }
            (kind, _) => labels.push(|| kind.to_string()),
        }
        Ok(())
    }

    /// Bytes of one direction from `offset` on will never be seen: record
    /// boundaries are lost.
    pub fn gap(&mut self, sender: Direction, offset: u64) {
        self.stop(
            sender,
            offset,
            "a gap in the capture: TLS record boundaries lost".into(),
        );
    }

    /// One direction ended: a record or message it was inside is cut short.
    pub fn end(&mut self, sender: Direction, how: End) {
        let i = index(sender);
        let side = &mut self.sides[i];
        if side.ended {
            return;
        }
        side.ended = true;
        let by = match how {
            End::Fin => "its FIN",
            End::Rst => "the RST",
            End::CaptureEnd => "the end of the capture",
        };
        if let Some(p) = side.records.partial() {
            let reason = cut_record(p, by);
            self.stop(sender, p.offset, reason);
        } else if side.handshake.buffered() > 0 {
            let at = side.records.offset();
            let reason = format!("a handshake message cut short by {by}");
            self.stop(sender, at, reason);
        }
    }

    /// The ALPN protocol the ServerHello chose in the clear (TLS 1.2 and
    /// before), if it did.
    pub fn alpn_in_clear(&self) -> Option<&str> {
        let list = self.server_hello.as_deref()?.extensions.alpn.as_ref()?;
        list.first().map(String::as_str)
    }

    /// What the handshake showed.
    pub fn report(&self) -> TlsReport {
        let ch = self.client_hello.as_deref();
        let sh = self.server_hello.as_deref();
        let ce = ch.map(|c| &c.extensions);
        let alpn_offered = ce.and_then(|e| e.alpn.clone());
        let alpn_chosen = sh.map(|s| match (&s.extensions.alpn, &alpn_offered) {
            (Some(list), _) => list
                .first()
                .map_or(AlpnChosen::NotNegotiated, |p| AlpnChosen::Clear(p.clone())),
            (None, None) => AlpnChosen::NotNegotiated,
            (None, Some(_)) if s.version() == ProtocolVersion::TLS13 => AlpnChosen::Encrypted,
            (None, Some(_)) => AlpnChosen::NotNegotiated,
        });
        let npn_offered = ce.is_some_and(|e| e.npn.is_some());
        let server_list = sh.and_then(|s| s.extensions.npn.clone());
        let npn = (npn_offered || server_list.is_some()).then(|| Npn {
            offered: npn_offered,
            client_choice_encrypted: server_list.is_some() && self.sides[0].ccs,
            server_list,
        });
        TlsReport {
            versions_offered: ch.map(ClientHello::versions_offered).unwrap_or_default(),
            version: self.session.version,
            cipher_suite: self.session.cipher_suite,
            sni: ce.and_then(|e| e.server_name.clone()),
            alpn_offered,
            alpn_chosen,
            npn,
            hello_retry_request: self.hello_retry,
            alerts: self.alerts.clone(),
            change_cipher_spec: [self.sides[0].ccs, self.sides[1].ccs],
            encrypted: [self.sides[0].encrypted, self.sides[1].encrypted],
            keys: None,
            close: None,
            inner: None,
        }
    }
}

/// Whether a record is protected, given whether its sender's records are.
fn protected_record(h: &RecordHeader, sender_protected: bool) -> bool {
    match h.content_type {
        ContentType::ApplicationData => true,
        ContentType::ChangeCipherSpec => false,
        _ => sender_protected,
    }
}

fn cut_record(p: Partial, by: &str) -> String {
    match p.header {
        Some(h) => format!(
            "{} {} record cut short by {by}: {} of its {} bytes",
            if h.content_type == ContentType::Handshake
                || h.content_type == ContentType::Heartbeat
                || h.content_type == ContentType::ChangeCipherSpec
            {
                "a"
            } else {
                "an"
            },
            h.content_type,
            p.received,
            crate::proto::tls::record::HEADER_LEN + usize::from(h.length)
        ),
        None => format!(
            "a record header cut short by {by}: {} of its 5 bytes",
            p.received
        ),
    }
}
