//! Heads and bodies: what the decoder does with each message it meets.

use crate::app::Direction;
use crate::http::{ChunkedDecoder, RequestSyntax, ResponseSyntax};

use super::exchange::{Exchange, Message, Request, Response};
use super::framing::{self, Framing, HeadFields};
use super::side::{Body, Held, State};
use super::{Http1Decoder, MAX_EXCHANGES, MAX_INTERIM, Switch, SwitchKind, index};

const CLIENT: Direction = Direction::ClientToServer;
const SERVER: Direction = Direction::ServerToClient;

/// Bytes of empty lines before a start line (RFC 9112 §2.2 lets a
/// recipient skip them; `check_head` does).
fn leading_crlf(head: &[u8]) -> u64 {
    head.chunks_exact(2).take_while(|c| c == b"\r\n").count() as u64 * 2
}

fn message(start: u64, head_end: u64, framing: Framing, fields: HeadFields) -> Message {
    Message {
        start,
        head_end,
        end: None,
        framing,
        body_bytes: 0,
        fields,
        notes: Vec::new(),
        cut: None,
        undecoded: false,
    }
}

impl Http1Decoder {
    /// A complete request head at stream offset `start`.
    pub(super) fn request(&mut self, start: u64, head: &[u8]) {
        let start = start + leading_crlf(head);
        let head_end = self.sides[0].offset;
        let syntax = match RequestSyntax::parse(head) {
            Ok(s) => s,
            Err(e) => return self.stop(CLIENT, start, format!("unreadable request head: {e}")),
        };
        let (framing, notes) = match framing::request(syntax.version, &syntax.fields) {
            Ok(f) => f,
            Err(e) => {
                let reason = format!("request body length unknown: {e} (RFC 9112 §6.3)");
                return self.stop(CLIENT, start, reason);
            }
        };
        if self.exchanges.len() >= MAX_EXCHANGES {
            let reason = format!("more than {MAX_EXCHANGES} exchanges: the rest is not decoded");
            return self.stop(CLIENT, start, reason);
        }
        let mut m = message(start, head_end, framing, HeadFields::read(&syntax.fields));
        m.notes = notes;
        self.exchanges.push(Exchange {
            request: Some(Request {
                method: syntax.method.to_owned(),
                target: syntax.target.to_owned(),
                version: syntax.version,
                message: m,
            }),
            interim: Vec::new(),
            response: None,
            never_answered: false,
        });
        let ex = self.exchanges.len() - 1;
        self.start_body(CLIENT, ex, framing);
    }

    /// A complete response head at stream offset `start`.
    pub(super) fn response(&mut self, start: u64, head: &[u8]) {
        let start = start + leading_crlf(head);
        let head_end = self.sides[1].offset;
        let parsed = match ResponseSyntax::parse(head) {
            Ok(h) => h,
            Err(e) => return self.stop(SERVER, start, format!("unreadable response head: {e}")),
        };
        let ex = if self.next_answer < self.exchanges.len() {
            self.next_answer
        } else if self.exchanges.len() >= MAX_EXCHANGES {
            let reason = format!("more than {MAX_EXCHANGES} exchanges: the rest is not decoded");
            return self.stop(SERVER, start, reason);
        } else {
            self.exchanges.push(Exchange {
                request: None,
                interim: Vec::new(),
                response: None,
                never_answered: false,
            });
            self.exchanges.len() - 1
        };
        let status = parsed.status;
        let exchange = &mut self.exchanges[ex];
        // RFC 9110 §15.2: a 1xx is interim; the final response is still due
        // (100 Continue does not consume the request). 101 is final for HTTP/1.
        if status < 200 && status != 101 {
            if exchange.interim.len() < MAX_INTERIM {
                exchange.interim.push((status, start));
            }
            return;
        }
        let method = exchange.request.as_ref().map(|r| r.method.as_str());
        let connect = method == Some("CONNECT");
        let (framing, notes) =
            match framing::response(parsed.version, status, &parsed.fields, method) {
                Ok(f) => f,
                Err(e) => {
                    let reason = format!("response body length unknown: {e} (RFC 9112 §6.3)");
                    return self.stop(SERVER, start, reason);
                }
            };
        let fields = HeadFields::read(&parsed.fields);
        let protocols = fields.upgrade().to_vec();
        let mut m = message(start, head_end, framing, fields);
        m.notes = notes;
        exchange.response = Some(Response {
            version: parsed.version,
            status,
            message: m,
        });
        let kind = if status == 101 {
            Some(SwitchKind::Upgrade)
        } else if connect && (200..300).contains(&status) {
            Some(SwitchKind::Tunnel)
        } else {
            None
        };
        if let Some(kind) = kind {
            self.switch_at(ex, kind, protocols, head_end);
            return;
        }
        self.start_body(SERVER, ex, framing);
    }

    /// HTTP/1 ends: the server's bytes after this head are another protocol;
    /// the client's after the switching request.
    fn switch_at(&mut self, ex: usize, kind: SwitchKind, protocols: Vec<String>, server_at: u64) {
        let exchange = &mut self.exchanges[ex];
        if let Some(r) = &mut exchange.response {
            r.message.end = Some(server_at);
        }
        let request = exchange.request.as_ref();
        self.switch = Some(Box::new(Switch {
            kind,
            exchange: ex,
            client_offset: request.and_then(|r| r.message.end),
            server_offset: server_at,
            protocols,
            method: request.map(|r| r.method.clone()).unwrap_or_default(),
            target: request.map(|r| r.target.clone()).unwrap_or_default(),
        }));
        self.next_answer = ex + 1;
        self.sides[1].state = State::Done;
        let client = &mut self.sides[0];
        match client.state {
            // The held bytes stay for take_held.
            State::Held(_) => client.state = State::Done,
            // A 101 to a request that did not ask for it: what follows the
            // request is not HTTP/1 either.
            State::Head => {
                client.state = State::Done;
                client.buf.clear();
            }
            // Still inside the switching request: request_done finishes it.
            State::Body { .. } | State::Done => {}
        }
    }

    fn start_body(&mut self, sender: Direction, ex: usize, framing: Framing) {
        let body = match framing {
            Framing::None | Framing::Length(0) => return self.message_done(sender, ex),
            Framing::Length(n) => Body::Length(n),
            // The observer bounds memory, not size: no payload limit.
            Framing::Chunked => Body::Chunked(ChunkedDecoder::new(u64::MAX)),
            Framing::UntilClose => Body::UntilClose,
        };
        self.sides[index(sender)].state = State::Body { exchange: ex, body };
    }

    /// Body bytes; returns how many belonged to the body.
    pub(super) fn body(&mut self, sender: Direction, input: &[u8]) -> usize {
        let side = &mut self.sides[index(sender)];
        let State::Body { exchange, body } = &mut side.state else {
            return 0;
        };
        let ex = *exchange;
        let (used, data, done) = match body {
            Body::Length(left) => {
                let take = (*left).min(input.len() as u64);
                *left -= take;
                (take as usize, take, *left == 0)
            }
            Body::UntilClose => (input.len(), input.len() as u64, false),
            Body::Chunked(dec) => {
                let before = dec.clone();
                let mut data = 0u64;
                match dec.feed(input, |d| data += d.len() as u64) {
                    Ok(feed) => (feed.consumed, data, feed.done),
                    Err(e) => {
                        // Find the offending byte: replay from the state
                        // before this piece, one byte at a time.
                        let mut at = 0;
                        let mut probe = before;
                        while at < input.len() && probe.feed(&input[at..=at], |_| ()).is_ok() {
                            at += 1;
                        }
                        let offset = side.offset + at as u64;
                        self.stop(sender, offset, format!("unreadable chunked body: {e}"));
                        return input.len();
                    }
                }
            }
        };
        side.offset += used as u64;
        if let Some(m) = self.exchanges[ex].message_mut(sender) {
            m.body_bytes += data;
        }
        if done {
            self.message_done(sender, ex);
        }
        used
    }

    /// A message ended at the current offset of its direction.
    fn message_done(&mut self, sender: Direction, ex: usize) {
        let at = self.sides[index(sender)].offset;
        if let Some(m) = self.exchanges[ex].message_mut(sender) {
            m.end = Some(at);
        }
        self.sides[index(sender)].state = State::Head;
        match sender {
            Direction::ClientToServer => self.request_done(ex, at),
            Direction::ServerToClient => self.answered(ex),
        }
    }

    fn request_done(&mut self, ex: usize, at: u64) {
        if let Some(sw) = &mut self.switch
            && sw.exchange == ex
        {
            sw.client_offset = Some(at);
            self.sides[0].state = State::Done;
            return;
        }
        let Some(r) = &self.exchanges[ex].request else {
            return;
        };
        let switching = r.method == "CONNECT" || !r.message.fields.upgrade().is_empty();
        // The answer already came (the server's bytes were fed first) and
        // did not switch: HTTP/1 goes on.
        if switching && self.next_answer <= ex {
            self.sides[0].state = State::Held(Held { exchange: ex });
        }
    }

    /// The final response to exchange `ex` ended; a client held on it goes on.
    pub(super) fn answered(&mut self, ex: usize) {
        self.next_answer = self.next_answer.max(ex + 1);
        if self.sides[0].state != State::Held(Held { exchange: ex }) {
            return;
        }
        let held = std::mem::take(&mut self.sides[0].buf);
        let client = &mut self.sides[0];
        client.state = State::Head;
        client.offset -= held.len() as u64;
        // The client may have ended while held: read its bytes, then end it.
        let ended = client.ended.take();
        self.run(CLIENT, &held);
        if let Some(how) = ended {
            self.end(CLIENT, how);
        }
    }
}
