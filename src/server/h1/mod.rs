//! One connection's state machine: what to read, what to write, when to close.
//!
//! [`Conn::drive`] runs the connection forward until it would block or is finished,
//! whatever event woke it: mio's readiness is a hint, so each phase simply tries its
//! next operation and treats `WouldBlock` as "wait for the next event".
//!
//! The `full`, `drain` and `abort` modes never read a byte beyond the request: the
//! head is found by *peeking* (`MSG_PEEK`) and only its bytes are then read; a
//! Content-Length body is read with reads no larger than what remains; a chunked
//! body is peeked, walked by [`ChunkedDecoder`], and only its bytes read. Whatever
//! follows (a pipelined request, junk) stays in the kernel, where it decides the
//! close: FIN when nothing is queued, RST otherwise (RFC 2525 §2.17).
//!
//! This file holds the phases, timers and closing; `read.rs` reads requests and
//! `respond.rs` builds and writes answers.

mod read;
mod respond;

use std::io;
use std::time::Instant;

use super::conn::{Cx, Next, Switch, Upgrade};
use super::log::{Cause, CloseEnding, Event, Timer};
use super::transport::Stream;
use super::transport::plain::{self, Failure};
use super::{Config, ReadMode};
use crate::http::ChunkedDecoder;

/// Steps one [`Conn::drive`] may take before other connections get their turn.
/// A request and its answer take two (read the head, write the response), so a
/// client that pipelines thousands of requests is answered 32 at a time while
/// everyone else is served in between. Without the bound one such client kept the
/// loop to itself until its whole batch was answered (over a second for 50,000
/// requests), and slowloris-style drains could do the same with a stream of bytes.
const TURN: usize = 64;

enum Body {
    Length(u64),
    Chunked(ChunkedDecoder),
}

/// What happens once the bytes in `out` are written.
enum After {
    NextRequest,
    ReadBody(Body),
    Close(Cause),
}

enum Phase {
    /// `no-read`/`partial`: waiting for the request's first bytes (`got` read so far).
    AwaitRequest { got: usize },
    /// Reading a request head.
    Head,
    /// Reading a request body.
    Body(Body),
    /// Writing `out`.
    Writing(After),
    /// `keepalive_race`: between requests, reading nothing until the idle
    /// timer closes the connection.
    IdleNoRead,
    /// `drain`: our FIN is sent; reading and discarding until the peer's FIN.
    Lingering {
        idle: Instant,
        total: Instant,
        drained: u64,
    },
}

/// The request being answered.
struct Current {
    head_only: bool,
    http10: bool,
    persistent: bool,
    target: String,
}

/// What the response being written will be logged as.
struct Sending {
    status: u16,
    body_bytes: usize,
    keep_alive: bool,
}

/// One step's result inside [`Conn::drive`].
enum Flow {
    Continue,
    Wait,
    Close(Cause),
    Ended(CloseEnding, Cause),
    /// The request asked for h2c and is read: HTTP/2 takes over.
    Upgrade,
}

pub(super) struct Conn {
    pub id: u64,
    pub stream: Stream,
    phase: Phase,
    /// Bytes of the current head consumed so far.
    head: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    sending: Option<Sending>,
    current: Option<Current>,
    seq: u64,
    total_read: u64,
    /// The header or idle timer (lingering keeps its own).
    timer: Option<(Instant, Timer)>,
    /// We answered before reading a request body that the client may still
    /// be sending: the close can no longer promise FIN.
    body_due: bool,
    /// The request being read asked for h2c (RFC 7540 §3.2): once its body
    /// is read, HTTP/2 takes over instead of an HTTP/1 answer.
    upgrade: Option<Upgrade>,
    /// The peek that completed the current head saw nothing queued behind
    /// it (a short peek: fewer bytes than asked for), so once the answer is
    /// out there is nothing to read until epoll reports the next arrival.
    queue_empty: bool,
}

impl Conn {
    pub fn new(id: u64, stream: Stream, config: &Config, now: Instant) -> Conn {
        let phase = if config.mode.reads_requests() {
            Phase::Head
        } else {
            Phase::AwaitRequest { got: 0 }
        };
        Conn {
            id,
            stream,
            phase,
            head: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            sending: None,
            current: None,
            seq: 0,
            total_read: 0,
            timer: Some((now + config.header_timeout, Timer::Header)),
            body_due: false,
            upgrade: None,
            queue_empty: false,
        }
    }

    /// The socket and the bytes read from it so far, for the protocol
    /// that takes the connection over.
    pub fn into_socket(self) -> (u64, Stream, u64) {
        (self.id, self.stream, self.total_read)
    }

    /// The earliest instant at which [`Conn::on_timer`] has work.
    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Lingering { idle, total, .. } => Some(idle.min(total)),
            _ => self.timer.map(|(at, _)| at),
        }
    }

    /// Runs the connection until it would block, is finished, or has used its
    /// turn ([`TURN`] steps): then it returns [`Next::Yield`] and the loop drives
    /// it again after the other ready connections.
    pub fn drive(&mut self, cx: &mut Cx<'_>) -> Next {
        // Only a peek in this drive, after the event that woke it, counts.
        self.queue_empty = false;
        for _ in 0..TURN {
            let flow = match &mut self.phase {
                Phase::AwaitRequest { got } => {
                    let got = *got;
                    self.await_request(got, cx)
                }
                Phase::Head => self.read_head(cx),
                Phase::Body(_) => self.read_body(cx),
                Phase::Writing(_) => self.write_out(cx),
                // Deliberately not reading: whatever the client sends now stays
                // in the kernel and makes the coming close a RST.
                Phase::IdleNoRead => Flow::Wait,
                Phase::Lingering { .. } => self.linger(cx),
            };
            match flow {
                Flow::Continue => {}
                Flow::Wait => return Next::Wait,
                Flow::Ended(end, cause) => {
                    return Next::Finished {
                        end,
                        cause,
                        unread: self.unread(cx),
                    };
                }
                Flow::Upgrade => {
                    if let Some(up) = self.upgrade.take() {
                        return Next::Switch(Switch::Upgrade(Box::new(up)));
                    }
                }
                Flow::Close(cause) => {
                    if let Some(next) = self.close(cause, cx) {
                        return next;
                    }
                }
            }
        }
        Next::Yield
    }

    /// A timer may have expired at `cx.now`.
    pub fn on_timer(&mut self, cx: &mut Cx<'_>) -> Next {
        if let Phase::Lingering { idle, total, .. } = self.phase {
            let Some((timer, cause)) = crate::server::conn::linger_expired(cx.now, idle, total)
            else {
                return Next::Wait;
            };
            self.log(cx, Event::Timeout { timer });
            self.log_drained(cx);
            return self.finish_our_close(cause, cx, false);
        }
        let Some((at, timer)) = self.timer else {
            return Next::Wait;
        };
        if cx.now < at {
            return Next::Wait;
        }
        self.timer = None;
        self.log(cx, Event::Timeout { timer });
        match (timer, &self.phase) {
            // A request head that never completed: 408 where we parse requests
            // (RFC 9110 §15.5.9), a plain close where we never read one.
            (Timer::Header, Phase::Head) => {
                self.queue_text(408, "request head not received in time", cx);
                self.phase = Phase::Writing(After::Close(Cause::HeaderTimeout));
                self.drive(cx)
            }
            (Timer::Header, _) => self.close_or_next(Cause::HeaderTimeout, cx),
            (_, _) => self.close_or_next(Cause::IdleTimeout, cx),
        }
    }

    /// The server is stopping: close now, in the mode's way but without lingering.
    pub fn stop(&mut self, cx: &mut Cx<'_>) -> Next {
        self.finish_our_close(Cause::ServerStopping, cx, cx.config.mode == ReadMode::Abort)
    }

    fn close_or_next(&mut self, cause: Cause, cx: &mut Cx<'_>) -> Next {
        match self.close(cause, cx) {
            Some(next) => next,
            None => self.drive(cx),
        }
    }

    /// `drain`: read and discard until the peer's FIN (RFC 9112 §9.6), or
    /// over TLS its close_notify (RFC 8446 §6.1).
    fn linger(&mut self, cx: &mut Cx<'_>) -> Flow {
        match self.stream.read(cx.scratch) {
            Ok(0) => {
                self.log_drained(cx);
                let cause = if self.stream.peer_closed_cleanly() {
                    Cause::DrainedToPeerCloseNotify
                } else {
                    Cause::DrainedToPeerFin
                };
                Flow::Ended(CloseEnding::WeSentFin, cause)
            }
            Ok(n) => {
                if let Phase::Lingering { idle, drained, .. } = &mut self.phase {
                    *drained += n as u64;
                    *idle = cx.now + cx.config.linger_idle;
                }
                Flow::Continue
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Flow::Wait,
            Err(e) => {
                self.log_drained(cx);
                io_flow(e)
            }
        }
    }

    /// Our side decided to close. `drain` half-closes and lingers (returns `None`
    /// to keep driving); the other modes close now.
    fn close(&mut self, cause: Cause, cx: &mut Cx<'_>) -> Option<Next> {
        if cx.config.mode != ReadMode::Drain || matches!(self.phase, Phase::Lingering { .. }) {
            let abort = cx.config.mode == ReadMode::Abort;
            return Some(self.finish_our_close(cause, cx, abort));
        }
        if let Err(e) = self.stream.shutdown_write() {
            if plain::failure(&e) == Failure::Reset {
                let unread = self.unread(cx);
                let (end, cause) = (CloseEnding::PeerRst, Cause::PeerReset);
                return Some(Next::Finished { end, cause, unread });
            }
            return Some(self.finish_our_close(Cause::SocketError, cx, false));
        }
        self.transport_notes(cx);
        self.log(cx, Event::HalfClosed { cause });
        self.timer = None;
        // Lingering reads whatever of the body still comes: the final close
        // no longer races it.
        self.body_due = false;
        self.phase = Phase::Lingering {
            idle: cx.now + cx.config.linger_idle,
            total: cx.now + cx.config.linger_total,
            drained: 0,
        };
        None
    }

    /// The final close of our own decision: RST if bytes are unread or `abort`
    /// asks for SO_LINGER {on, 0}; FIN otherwise.
    fn finish_our_close(&mut self, cause: Cause, cx: &mut Cx<'_>, abort: bool) -> Next {
        let unread = self.unread(cx);
        let end = self.stream.our_close(unread, abort, self.body_due);
        Next::Finished { end, cause, unread }
    }

    /// Bytes waiting in the receive queue (up to the scratch size), by peeking.
    fn unread(&mut self, cx: &mut Cx<'_>) -> usize {
        self.stream.unread(cx.scratch)
    }

    fn log_drained(&mut self, cx: &mut Cx<'_>) {
        if let Phase::Lingering { drained, .. } = self.phase {
            self.log(cx, Event::Drained { bytes: drained });
        }
    }

    fn log(&self, cx: &mut Cx<'_>, event: Event) {
        cx.events.push((self.id, event));
    }

    /// The transport's own events (TLS alerts) where they happened, before
    /// the events that follow them on the wire.
    fn transport_notes(&mut self, cx: &mut Cx<'_>) {
        for e in self.stream.take_notes() {
            cx.events.push((self.id, e));
        }
    }
}

/// A socket error as a step result: WouldBlock waits, Interrupted retries (mio's
/// rules), a reset ends the connection, anything else makes us close it.
fn io_flow(e: io::Error) -> Flow {
    match plain::failure(&e) {
        Failure::WouldBlock => Flow::Wait,
        Failure::Interrupted => Flow::Continue,
        Failure::Reset => Flow::Ended(CloseEnding::PeerRst, Cause::PeerReset),
        Failure::Other => Flow::Close(Cause::SocketError),
    }
}
