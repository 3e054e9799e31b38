//! What each record and cleartext handshake message of a connection
//! changes: protection starting, the hellos' offers and choices, alerts in
//! the clear, protected records counted, and where a direction stopped.
//! The record readers themselves stay in [`super::TlsDecoder`], which
//! calls in here for every record they complete.

use crate::proto::tls::{
    Alert, ClientHelloView, ContentType, HandshakeReader, HandshakeType, ProtocolVersion, Record,
    RecordHeader, ServerHelloView,
};

use super::super::Direction;
use super::hellos::{Choice, Offered};
use super::labels::Labels;
use super::{AlertSeen, Encrypted, MAX_ALERTS, RecordSeen, RecordSink, Session, Stop, index};

#[derive(Debug, Clone, Default)]
pub(super) struct Side {
    pub(super) handshake: HandshakeReader,
    /// The sender's ChangeCipherSpec was seen.
    pub(super) ccs: bool,
    /// Its records are protected from here on.
    pub(super) protected: bool,
    pub(super) encrypted: Encrypted,
    pub(super) stopped: Option<Stop>,
    pub(super) ended: bool,
}

/// Everything a connection's records change.
#[derive(Debug, Clone)]
pub(super) struct State {
    pub(super) sides: [Side; 2],
    pub(super) session: Session,
    /// What the first ClientHello offered.
    pub(super) offer: Option<Offered>,
    /// What the ServerHello chose.
    pub(super) choice: Option<Choice>,
    pub(super) hello_retry: bool,
    pub(super) alerts: Vec<AlertSeen>,
    /// The frame being fed (what completes a record now completes in it).
    pub(super) frame: u64,
    /// Ladder labels are wanted (`--frames`): without them no label text
    /// is formatted, one `format!` per record saved.
    pub(super) labelled: bool,
}

impl State {
    pub(super) fn new() -> Self {
        State {
            sides: Default::default(),
            session: Session::default(),
            offer: None,
            choice: None,
            hello_retry: false,
            alerts: Vec::new(),
            frame: 0,
            labelled: true,
        }
    }

    pub(super) fn stop(&mut self, sender: Direction, offset: u64, reason: String) {
        let side = &mut self.sides[index(sender)];
        if side.stopped.is_none() {
            side.stopped = Some(Stop { offset, reason });
        }
    }

    /// One record. Inlined into the record reader's loop: most records
    /// of a capture are protected, and for them this is a few counters;
    /// the cleartext ones go on to [`State::clear_record`].
    #[inline]
    pub(super) fn record(
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
        self.clear_record(sender, r, labels);
    }

    /// A record in the clear: ChangeCipherSpec, an alert, handshake
    /// messages.
    fn clear_record(&mut self, sender: Direction, r: Record<'_>, labels: &mut Labels) {
        let i = index(sender);
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
                    None => self.hello_retry || self.offer.as_ref().is_some_and(|o| o.tls13),
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
                let hello =
                    ClientHelloView::parse(body).map_err(|e| format!("ClientHello: {e}"))?;
                labels.push(|| "ClientHello".into());
                // After a HelloRetryRequest the client sends a second
                // ClientHello (RFC 8446 §4.1.4): the first one's offers and
                // random stay the connection's.
                if self.offer.is_none() {
                    self.session.client_random = Some(hello.random);
                    self.offer = Some(Offered::of(&hello));
                }
            }
            (HandshakeType::ServerHello, Direction::ServerToClient) => {
                let hello =
                    ServerHelloView::parse(body).map_err(|e| format!("ServerHello: {e}"))?;
                if hello.retry_request {
                    labels.push(|| "HelloRetryRequest".into());
                    self.hello_retry = true;
                    return Ok(());
                }
                labels.push(|| "ServerHello".into());
                if self.choice.is_none() {
                    let version = hello.version();
                    self.session.server_random = Some(hello.random);
                    self.session.version = Some(version);
                    self.session.cipher_suite = Some(hello.cipher_suite);
                    // TLS 1.3: the rest of the server's handshake is
                    // protected (RFC 8446 §2).
                    if version == ProtocolVersion::TLS13 {
                        self.sides[1].protected = true;
                    }
                    self.choice = Some(Choice::of(&hello));
                }
            }
            (kind, _) => labels.push(|| kind.to_string()),
        }
        Ok(())
    }
}

/// Whether a record is protected, given whether its sender's records are.
pub(super) fn protected_record(h: &RecordHeader, sender_protected: bool) -> bool {
    match h.content_type {
        ContentType::ApplicationData => true,
        ContentType::ChangeCipherSpec => false,
        _ => sender_protected,
    }
}
