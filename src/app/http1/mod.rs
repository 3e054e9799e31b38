//! HTTP/1.x as a capture shows it: both directions of one connection, read
//! from their reassembled bytes into exchanges (a request and its response),
//! with the project's own parser ([`crate::http`]'s syntax layer, incremental
//! through [`check_head`]) and body framing as RFC 9112 §6.3 tells a
//! recipient to decide it ([`framing`]).
//!
//! The decoder keeps parser state, not the stream: one head being collected
//! per direction (at most [`MAX_HEAD`] bytes), the position in a body, and
//! the exchanges seen (at most [`MAX_EXCHANGES`]). Bytes it cannot parse
//! stop that direction with an offset and a reason ([`Stop`]); it never
//! panics on input.
//!
//! Feed order: both directions' bytes in the order the capture shows them.
//! A response is paired with the oldest request without a final response
//! (RFC 9112 §9.3.2: responses come in request order); a response with no
//! request fed before it is kept with `request: None`.
//!
//! Where HTTP/1 ends: a `101 Switching Protocols` (RFC 9110 §15.2.2) or a 2xx
//! to CONNECT (§9.3.6) ends it in both directions; [`Http1Decoder::switch`]
//! gives the stream offset of the first byte that is not HTTP/1 in each
//! direction, so another decoder can start there (for h2c, with
//! [`Switch::h2_start`]).

mod exchange;
pub mod framing;
mod messages;
mod side;
#[cfg(test)]
mod tests;

pub use exchange::{End, Exchange, Message, Outcome, Request, Response};
pub use framing::{Framing, HeadFields, Note};

use crate::http::Limits;

use super::Direction;
use side::{Side, State};

/// Largest head collected (start line, fields, final CRLF); a larger one is
/// a decode error (the 10 MB header).
pub const MAX_HEAD: usize = 64 * 1024;
/// Most exchanges kept for one connection; past it, decoding stops.
pub const MAX_EXCHANGES: usize = 1024;
/// Most interim (1xx) statuses kept for one exchange.
pub const MAX_INTERIM: usize = 8;

/// The head limits of an observer: wide (it reads what servers refuse), but
/// bounded.
const LIMITS: Limits = Limits {
    max_start_line: MAX_HEAD,
    max_field_line: MAX_HEAD,
    max_fields: 1000,
    max_head: MAX_HEAD,
};

/// Why a direction could not be decoded further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Stream offset where decoding stopped (the start of the message or
    /// chunk line that could not be read, or the gap).
    pub offset: u64,
    /// Why, in a few words.
    pub reason: String,
}

/// How HTTP/1 ended on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SwitchKind {
    /// `101 Switching Protocols` to a request with Upgrade.
    Upgrade,
    /// A 2xx to CONNECT: the connection is a tunnel.
    Tunnel,
}

/// The point where HTTP/1 ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    /// Upgrade or tunnel.
    pub kind: SwitchKind,
    /// Which exchange (its index) switched.
    pub exchange: usize,
    /// Stream offset of the client's first byte after its switching
    /// request; `None` while that request's end has not been seen.
    pub client_offset: Option<u64>,
    /// Stream offset of the server's first byte after the 101 or 2xx head.
    pub server_offset: u64,
    /// The protocols the 101's Upgrade field names (RFC 9110 §7.8).
    pub protocols: Vec<String>,
    /// The switching request's method and target.
    pub method: String,
    /// See `method`.
    pub target: String,
}

impl Switch {
    /// How an HTTP/2 decoder starts after this switch: an upgrade to `h2c`
    /// (RFC 7540 §3.2) makes the switching request stream 1.
    pub fn h2_start(&self) -> Option<super::h2::Start> {
        let h2c = self.protocols.iter().any(|p| p.eq_ignore_ascii_case("h2c"));
        (self.kind == SwitchKind::Upgrade && h2c).then(|| super::h2::Start::Upgrade {
            method: self.method.clone(),
            target: self.target.clone(),
        })
    }
}

/// The decoder of one HTTP/1.x connection.
#[derive(Debug, Clone)]
pub struct Http1Decoder {
    sides: [Side; 2],
    exchanges: Vec<Exchange>,
    /// The oldest exchange without a final response.
    next_answer: usize,
    /// Boxed: few connections switch, and every one holds its decoder
    /// until the flow table lets it go.
    switch: Option<Box<Switch>>,
}

fn index(d: Direction) -> usize {
    match d {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl Default for Http1Decoder {
    fn default() -> Self {
        Self::new(0, 0)
    }
}

impl Http1Decoder {
    /// A decoder whose directions start at these stream offsets.
    pub fn new(client_offset: u64, server_offset: u64) -> Self {
        Http1Decoder {
            sides: [Side::new(client_offset), Side::new(server_offset)],
            // Most connections carry one exchange, and an exchange is
            // large: room for exactly one to start with.
            exchanges: Vec::with_capacity(1),
            next_answer: 0,
            switch: None,
        }
    }

    /// The exchanges in order.
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// Where HTTP/1 ended, if it did.
    pub fn switch(&self) -> Option<&Switch> {
        self.switch.as_deref()
    }

    /// Why a direction stopped, if it did.
    pub fn stopped(&self, sender: Direction) -> Option<&Stop> {
        self.sides[index(sender)].stop.as_deref()
    }

    /// Bytes of a head that a direction ended in the middle of, or is still
    /// collecting.
    pub fn partial_head(&self, sender: Direction) -> usize {
        let side = &self.sides[index(sender)];
        match side.state {
            State::Head if side.buf.iter().any(|&b| b != b'\r' && b != b'\n') => side.buf.len(),
            _ => 0,
        }
    }

    /// Bytes the decoder holds (heads being collected, held client bytes):
    /// never more than [`MAX_HEAD`] + 1 per direction.
    pub fn buffered(&self) -> usize {
        self.sides.iter().map(|s| s.buf.len()).sum()
    }

    /// The client's bytes after its switching request that the decoder held
    /// while it waited for the server's answer: after a switch they belong
    /// to the new protocol, starting at [`Switch::client_offset`]. Empties
    /// the hold.
    pub fn take_held(&mut self) -> Vec<u8> {
        match self.switch {
            Some(_) => std::mem::take(&mut self.sides[0].buf),
            None => Vec::new(),
        }
    }

    /// A gap in one direction at `offset`: its framing is lost from there.
    pub fn gap(&mut self, sender: Direction, offset: u64) {
        self.stop(
            sender,
            offset,
            "a gap in the capture: HTTP/1 framing lost".into(),
        );
    }

    /// One direction ended: with a FIN, a RST, or the end of the capture.
    /// A message it was in the middle of is cut; a body delimited by the
    /// close is complete only with a FIN (RFC 9112 §6.3 rule 8 ends it with
    /// the close; a RST aborts, and what came before it may be short: an
    /// incomplete message, §8). When the server's direction ends, every request still
    /// without a final response is never answered.
    pub fn end(&mut self, sender: Direction, how: End) {
        let i = index(sender);
        let side = &mut self.sides[i];
        if side.ended.is_some() {
            return;
        }
        side.ended = Some(how);
        if side.stop.is_none()
            && let State::Body { exchange, ref body } = side.state
        {
            let close = matches!(body, side::Body::UntilClose);
            let at = side.offset;
            if let Some(m) = self.exchanges[exchange].message_mut(sender) {
                if close && how == End::Fin {
                    m.end = Some(at);
                } else {
                    m.cut = Some(how);
                }
            }
            if close && how == End::Fin {
                self.answered(exchange);
            }
        }
        if sender == Direction::ServerToClient {
            for e in &mut self.exchanges[self.next_answer..] {
                if e.response.is_none() {
                    e.never_answered = true;
                }
            }
        }
    }

    /// In-order bytes from one direction.
    pub fn feed(&mut self, sender: Direction, bytes: &[u8]) {
        if self.sides[index(sender)].ended.is_none() {
            self.run(sender, bytes);
        }
    }

    fn run(&mut self, sender: Direction, bytes: &[u8]) {
        let i = index(sender);
        if self.sides[i].stop.is_some() {
            return;
        }
        let mut input = bytes;
        while !input.is_empty() {
            let used = match self.sides[i].state {
                State::Done => return,
                State::Held(_) => self.hold(input),
                State::Head => self.head(sender, input),
                State::Body { .. } => self.body(sender, input),
            };
            input = &input[used..];
            // A step that used nothing would loop for ever: none does, but
            // input is hostile.
            if self.sides[i].stop.is_some() || used == 0 {
                return;
            }
        }
    }

    fn stop(&mut self, sender: Direction, offset: u64, reason: String) {
        let side = &mut self.sides[index(sender)];
        if side.stop.is_some() || side.state == State::Done {
            return;
        }
        if let State::Body { exchange, .. } = side.state
            && let Some(m) = self.exchanges[exchange].message_mut(sender)
        {
            m.undecoded = true;
        }
        side.buf = Vec::new();
        side.stop = Some(Box::new(Stop { offset, reason }));
    }

    /// Client bytes after a request with Upgrade or CONNECT, held until the
    /// server says whether HTTP/1 goes on.
    fn hold(&mut self, input: &[u8]) -> usize {
        let side = &mut self.sides[0];
        if side.buf.len() + input.len() > MAX_HEAD {
            let at = side.offset;
            self.stop(
                Direction::ClientToServer,
                at,
                format!(
                    "more than {MAX_HEAD} bytes sent before the answer to an Upgrade or CONNECT"
                ),
            );
            return input.len();
        }
        side.buf.extend_from_slice(input);
        side.offset += input.len() as u64;
        input.len()
    }

    /// Collects a head; returns how many input bytes it used.
    fn head(&mut self, sender: Direction, input: &[u8]) -> usize {
        let side = &mut self.sides[index(sender)];
        let old = side.buf.len();
        // One byte past the limit is enough for check_head to refuse, except
        // a CR there (it waits for the LF): refuse that here.
        let take = input.len().min((MAX_HEAD + 1).saturating_sub(old));
        if take == 0 {
            let at = side.offset - old as u64;
            let reason = format!("unreadable head: longer than {MAX_HEAD} bytes");
            self.stop(sender, at, reason);
            return input.len();
        }
        let start = side.offset - old as u64;
        // A head that starts at the start of this input is checked where it
        // is, and parsed there if it is complete (most heads come in one
        // segment); only a head still incomplete is copied to `buf`.
        let checked = if old == 0 {
            crate::http::check_head_from(&input[..take], &LIMITS, &mut side.scan)
        } else {
            side.buf.extend_from_slice(&input[..take]);
            crate::http::check_head_from(&side.buf, &LIMITS, &mut side.scan)
        };
        match checked {
            Ok(crate::http::Check::Incomplete) => {
                if old == 0 {
                    side.buf.extend_from_slice(&input[..take]);
                }
                side.offset += take as u64;
                take
            }
            Ok(crate::http::Check::Complete(len)) => {
                let used = len - old;
                side.offset += used as u64;
                side.scan = crate::http::Scan::default();
                let held;
                let head = if old == 0 {
                    &input[..len]
                } else {
                    held = std::mem::take(&mut side.buf);
                    &held[..len]
                };
                match sender {
                    Direction::ClientToServer => self.request(start, head),
                    Direction::ServerToClient => self.response(start, head),
                }
                used
            }
            Err(e) => {
                self.stop(sender, start, format!("unreadable head: {e}"));
                take
            }
        }
    }
}
