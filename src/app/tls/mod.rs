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

mod hellos;
mod keys;
mod labels;
mod records;
mod report;
#[cfg(test)]
mod tests;

pub use hellos::Offered;
pub use keys::{KeyLogSink, KeysReport, KeysStatus, Plaintext};
pub use report::{
    AlertSeen, AlpnChosen, ClosedAt, Encrypted, Inner, InnerChosenBy, InnerProtocol, Npn, TlsClose,
    TlsReport,
};

use crate::proto::tls::record::Partial;
use crate::proto::tls::{ContentType, ProtocolVersion, Record, RecordHeader, RecordReader};

use super::Direction;
use super::http1::End;
use super::label::Label;
use labels::Labels;
use records::{State, protected_record};

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

/// One TLS connection being read.
#[derive(Debug, Clone)]
pub struct TlsDecoder {
    /// Each direction's record layer, apart from what its records change
    /// so that a record completed in one can update the other without
    /// moving the reader out and back for every piece fed.
    readers: [RecordReader; 2],
    state: State,
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
        TlsDecoder {
            readers: [
                RecordReader::new(client_offset),
                RecordReader::new(server_offset),
            ],
            state: State::new(),
        }
    }

    /// Whether ladder labels are made (on unless turned off here).
    pub fn with_labels(mut self, on: bool) -> Self {
        self.state.labelled = on;
        self
    }

    /// The bytes fed from now on came in this captured frame.
    pub fn at_frame(&mut self, frame: u64) {
        self.state.frame = frame;
    }

    /// The session as known so far.
    pub fn session(&self) -> &Session {
        &self.state.session
    }

    /// Bytes held for records and messages not yet whole.
    pub fn buffered(&self) -> usize {
        let records: usize = self.readers.iter().map(RecordReader::buffered).sum();
        records
            + self
                .state
                .sides
                .iter()
                .map(|s| s.handshake.buffered())
                .sum::<usize>()
    }

    /// Where and why a direction could not be read further.
    pub fn stopped(&self, d: Direction) -> Option<&Stop> {
        self.state.sides[index(d)].stopped.as_ref()
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
        let Self { readers, state } = self;
        if state.sides[i].stopped.is_some() || state.sides[i].ended {
            return;
        }
        let mut labels = Labels {
            steps: Vec::new(),
            on: state.labelled,
        };
        let wants = sink.wants_encrypted();
        // What `keep` decides depends on the records before (a
        // ChangeCipherSpec starts protection): the flag follows them.
        let protected = std::cell::Cell::new(state.sides[i].protected);
        let result = readers[i].feed(
            bytes,
            &mut |h: &RecordHeader| wants || !protected_record(h, protected.get()),
            &mut |r: Record<'_>| {
                state.record(sender, r, &mut labels, sink);
                protected.set(state.sides[i].protected);
            },
        );
        if let Err((offset, e)) = result {
            state.stop(sender, offset, e.to_string());
        }
        if !labels.steps.is_empty() {
            labels.emit(label);
        }
    }

    /// Bytes of one direction from `offset` on will never be seen: record
    /// boundaries are lost.
    pub fn gap(&mut self, sender: Direction, offset: u64) {
        self.state.stop(
            sender,
            offset,
            "a gap in the capture: TLS record boundaries lost".into(),
        );
    }

    /// One direction ended: a record or message it was inside is cut short.
    pub fn end(&mut self, sender: Direction, how: End) {
        let i = index(sender);
        let side = &mut self.state.sides[i];
        if side.ended {
            return;
        }
        side.ended = true;
        let by = match how {
            End::Fin => "its FIN",
            End::Rst => "the RST",
            End::CaptureEnd => "the end of the capture",
        };
        let records = &self.readers[i];
        if let Some(p) = records.partial() {
            let reason = cut_record(p, by);
            self.state.stop(sender, p.offset, reason);
        } else if side.handshake.buffered() > 0 {
            let at = records.offset();
            let reason = format!("a handshake message cut short by {by}");
            self.state.stop(sender, at, reason);
        }
    }

    /// The ALPN protocol the ServerHello chose in the clear (TLS 1.2 and
    /// before), if it did.
    pub fn alpn_in_clear(&self) -> Option<&str> {
        self.state.choice.as_ref()?.alpn.as_ref()?.as_deref()
    }

    /// What the handshake showed. Nothing is allocated for the offer
    /// (the report shares its bytes) and, without NPN or alerts, for
    /// anything else but a TLS 1.2 ALPN choice's name.
    pub fn report(&self) -> TlsReport {
        let s = &self.state;
        let offer = s.offer.as_ref();
        let alpn_offered = offer.is_some_and(|o| o.alpn().is_some());
        let choice = s.choice.as_ref();
        let alpn_chosen = choice.map(|c| c.alpn_chosen(alpn_offered));
        let npn_offered = offer.is_some_and(|o| o.npn);
        let server_list = choice.and_then(|c| c.npn.clone());
        let npn = (npn_offered || server_list.is_some()).then(|| Npn {
            offered: npn_offered,
            client_choice_encrypted: server_list.is_some() && s.sides[0].ccs,
            server_list,
            chosen: None,
        });
        TlsReport {
            offered: s.offer.clone(),
            version: s.session.version,
            cipher_suite: s.session.cipher_suite,
            alpn_chosen,
            npn,
            hello_retry_request: s.hello_retry,
            alerts: s.alerts.clone(),
            change_cipher_spec: [s.sides[0].ccs, s.sides[1].ccs],
            encrypted: [s.sides[0].encrypted, s.sides[1].encrypted],
            keys: None,
            close: None,
            inner: None,
        }
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
