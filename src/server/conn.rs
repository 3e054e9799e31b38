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

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use mio::net::TcpStream;

use super::log::{Cause, Ending, Event, Timer};
use super::{Config, ReadMode, Stats};
use crate::http::{
    BodyFraming, Check, ChunkedDecoder, Method, ParseError, RequestHead, Response, Version,
    check_request, encode_continue,
};

/// Shared state the loop lends to a connection while driving it.
pub(super) struct Cx<'a> {
    pub config: &'a Config,
    /// Scratch space for peeks and discarded reads.
    pub scratch: &'a mut [u8],
    /// The deterministic response body, built once.
    pub body: &'a [u8],
    pub stats: &'a mut Stats,
    /// Events for this connection: (connection id, event).
    pub events: &'a mut Vec<(u64, Event)>,
    pub now: Instant,
}

/// What the loop must do after driving a connection.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Wait for the next event or timer.
    Wait,
    /// Deregister and drop the socket; log how it ended.
    Finished {
        end: Ending,
        cause: Cause,
        unread: usize,
    },
}

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
    Ended(Ending, Cause),
}

pub(super) struct Conn {
    pub id: u64,
    pub stream: TcpStream,
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
}

impl Conn {
    pub fn new(id: u64, stream: TcpStream, config: &Config, now: Instant) -> Conn {
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
        }
    }

    /// The earliest instant at which [`Conn::on_timer`] has work.
    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Lingering { idle, total, .. } => Some(idle.min(total)),
            _ => self.timer.map(|(at, _)| at),
        }
    }

    /// Runs the connection until it would block or is finished.
    pub fn drive(&mut self, cx: &mut Cx<'_>) -> Next {
        loop {
            let flow = match &mut self.phase {
                Phase::AwaitRequest { got } => {
                    let got = *got;
                    self.await_request(got, cx)
                }
                Phase::Head => self.read_head(cx),
                Phase::Body(_) => self.read_body(cx),
                Phase::Writing(_) => self.write_out(cx),
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
                Flow::Close(cause) => {
                    if let Some(next) = self.close(cause, cx) {
                        return next;
                    }
                }
            }
        }
    }

    /// A timer may have expired at `cx.now`.
    pub fn on_timer(&mut self, cx: &mut Cx<'_>) -> Next {
        if let Phase::Lingering { idle, total, .. } = self.phase {
            let (timer, cause) = if cx.now >= total {
                (Timer::LingerTotal, Cause::LingerTotalTimeout)
            } else if cx.now >= idle {
                (Timer::LingerIdle, Cause::LingerIdleTimeout)
            } else {
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

    /// `no-read` and `partial`. These modes break mio's rule "read until WouldBlock"
    /// on purpose: leaving the request unread is the lesson. They see new bytes
    /// anyway because Linux signals every arrival to an edge-triggered epoll.
    fn await_request(&mut self, got: usize, cx: &mut Cx<'_>) -> Flow {
        if cx.config.mode == ReadMode::NoRead {
            // Peek, never read: we only want to know that the request has arrived.
            return match self.stream.peek(&mut cx.scratch[..1]) {
                Ok(0) => Flow::Ended(Ending::PeerFin, Cause::PeerClosed),
                Ok(_) => self.queue_one_shot(cx),
                Err(e) => io_flow(e),
            };
        }
        let want = cx.config.partial_bytes - got;
        let cap = want.min(cx.scratch.len());
        match self.stream.read(&mut cx.scratch[..cap]) {
            Ok(0) if got == 0 => Flow::Ended(Ending::PeerFin, Cause::PeerClosed),
            Ok(0) => self.queue_one_shot(cx),
            Ok(n) => {
                self.count_read(n, cx);
                self.phase = Phase::AwaitRequest { got: got + n };
                if got + n >= cx.config.partial_bytes {
                    self.queue_one_shot(cx)
                } else {
                    Flow::Continue
                }
            }
            // Something was read and nothing more is there now: answer with what we
            // have rather than wait for the rest.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && got > 0 => self.queue_one_shot(cx),
            Err(e) => io_flow(e),
        }
    }

    fn queue_one_shot(&mut self, cx: &mut Cx<'_>) -> Flow {
        let mut r = Response::pattern(cx.config.status, cx.config.framing, 0);
        r.body = cx.body.to_vec();
        self.queue_response(r, cx);
        self.phase = Phase::Writing(After::Close(Cause::OneShotMode));
        Flow::Continue
    }

    /// Peek for the end of the head, then consume exactly the head.
    fn read_head(&mut self, cx: &mut Cx<'_>) -> Flow {
        let limits = &cx.config.limits;
        let cap = (limits.max_head + 1)
            .saturating_sub(self.head.len())
            .clamp(1, cx.scratch.len());
        let n = match self.stream.peek(&mut cx.scratch[..cap]) {
            Ok(0) if self.head.is_empty() => {
                return Flow::Ended(Ending::PeerFin, Cause::PeerClosed);
            }
            Ok(0) => return Flow::Ended(Ending::PeerFin, Cause::PeerClosedMidRequest),
            Ok(n) => n,
            Err(e) => return io_flow(e),
        };
        if self.head.is_empty() && self.seq > 0 {
            // The first byte of a later request starts its header timer (the first
            // request's started at accept).
            self.timer = Some((cx.now + cx.config.header_timeout, Timer::Header));
        }
        let base = self.head.len();
        self.head.extend_from_slice(&cx.scratch[..n]);
        match check_request(&self.head, limits) {
            Ok(Check::Incomplete) => {
                // Every peeked byte belongs to the head: consume them all.
                let done = self.consume(n, cx);
                self.head.truncate(base + done);
                Flow::Continue
            }
            Ok(Check::Complete(len)) => {
                let done = self.consume(len - base, cx);
                self.head.truncate(base + done);
                if base + done < len {
                    return Flow::Continue;
                }
                let head = std::mem::take(&mut self.head);
                match RequestHead::parse(&head) {
                    Ok(req) => self.on_request(req, cx),
                    Err(e) => self.reject(&e, cx),
                }
            }
            Err(e) => {
                self.head.truncate(base);
                self.reject(&e, cx)
            }
        }
    }

    fn on_request(&mut self, req: RequestHead, cx: &mut Cx<'_>) -> Flow {
        self.seq += 1;
        cx.stats.requests += 1;
        self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
        self.log(
            cx,
            Event::Request {
                seq: self.seq,
                method: req.method,
                target: req.target.clone(),
                version: req.version,
                body: req.body,
                persistent: req.persistent,
            },
        );
        self.current = Some(Current {
            head_only: req.method == Method::Head,
            http10: req.version == Version::Http10,
            persistent: req.persistent,
            target: req.target,
        });
        let body = match req.body {
            BodyFraming::None | BodyFraming::Length(0) => return self.queue_answer(None, cx),
            BodyFraming::Length(n) if n > cx.config.max_body => {
                let limit = cx.config.max_body;
                return self.reject(&ParseError::BodyTooLarge { limit }, cx);
            }
            BodyFraming::Length(n) => Body::Length(n),
            BodyFraming::Chunked => Body::Chunked(ChunkedDecoder::new(cx.config.max_body)),
        };
        if cx.config.respond_before_body {
            // RFC 9112 §9.3: a server that does not read the whole body must close
            // after responding. The close then finds the body unread.
            return self.queue_answer(Some(Cause::RespondedBeforeBody), cx);
        }
        if req.expect_continue {
            encode_continue(&mut self.out);
            self.log(cx, Event::Continue);
            self.phase = Phase::Writing(After::ReadBody(body));
        } else {
            self.phase = Phase::Body(body);
        }
        Flow::Continue
    }

    fn read_body(&mut self, cx: &mut Cx<'_>) -> Flow {
        let Phase::Body(body) = &mut self.phase else {
            return Flow::Continue;
        };
        let (consumed, done) = match body {
            Body::Length(remaining) => {
                let cap = (*remaining).min(cx.scratch.len() as u64) as usize;
                match self.stream.read(&mut cx.scratch[..cap]) {
                    Ok(0) => return Flow::Ended(Ending::PeerFin, Cause::PeerClosedMidRequest),
                    Ok(n) => {
                        *remaining -= n as u64;
                        (n, *remaining == 0)
                    }
                    Err(e) => return io_flow(e),
                }
            }
            Body::Chunked(decoder) => {
                let n = match self.stream.peek(cx.scratch) {
                    Ok(0) => return Flow::Ended(Ending::PeerFin, Cause::PeerClosedMidRequest),
                    Ok(n) => n,
                    Err(e) => return io_flow(e),
                };
                let feed = match decoder.feed(&cx.scratch[..n], |_| {}) {
                    Ok(feed) => feed,
                    Err(e) => return self.reject(&e, cx),
                };
                let done = self.consume(feed.consumed, cx);
                if done < feed.consumed {
                    // Cannot happen (the bytes were peeked), but the decoder has
                    // advanced: the body framing is now unknown, so refuse it.
                    return self.reject(&ParseError::BadChunkFraming, cx);
                }
                self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
                return if feed.done {
                    self.queue_answer(None, cx)
                } else {
                    Flow::Continue
                };
            }
        };
        self.count_read(consumed, cx);
        self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
        if done {
            self.queue_answer(None, cx)
        } else {
            Flow::Continue
        }
    }

    /// Queues the normal response to the current request. `forced` closes after it.
    fn queue_answer(&mut self, forced: Option<Cause>, cx: &mut Cx<'_>) -> Flow {
        let config = cx.config;
        let (head_only, http10, persistent, target) = match &self.current {
            Some(c) => (c.head_only, c.http10, c.persistent, c.target.clone()),
            None => (false, false, false, String::new()),
        };
        let close = forced.or(if !config.keep_alive {
            Some(Cause::KeepAliveOff)
        } else if !persistent {
            Some(Cause::NotPersistent)
        } else if config.framing == crate::http::Framing::Close
            || (config.framing == crate::http::Framing::Chunked && http10)
        {
            Some(Cause::CloseFraming)
        } else {
            None
        });
        let mut r = Response::pattern(config.status, config.framing, 0);
        r.body = cx.body.to_vec();
        r.head_only = head_only;
        r.http10_client = http10;
        r.keep_alive = close.is_none();
        r.extra = vec![
            ("X-Wirelab-Seq".into(), self.seq.to_string()),
            ("X-Wirelab-Target".into(), target),
        ];
        self.queue_response(r, cx);
        self.phase = Phase::Writing(match close {
            Some(cause) => After::Close(cause),
            None => After::NextRequest,
        });
        Flow::Continue
    }

    /// Refuses the request with the error's status and closes after the answer.
    fn reject(&mut self, err: &ParseError, cx: &mut Cx<'_>) -> Flow {
        let status = err.status();
        cx.stats.rejected += 1;
        self.log(
            cx,
            Event::Rejected {
                status,
                reason: err.to_string(),
            },
        );
        self.queue_text(status, &err.to_string(), cx);
        self.phase = Phase::Writing(After::Close(Cause::Rejected(status)));
        Flow::Continue
    }

    fn queue_text(&mut self, status: u16, text: &str, cx: &mut Cx<'_>) {
        let mut r = Response::text(status, text);
        r.head_only = self.current.as_ref().is_some_and(|c| c.head_only);
        self.queue_response(r, cx);
    }

    fn queue_response(&mut self, r: Response, _cx: &mut Cx<'_>) {
        self.sending = Some(Sending {
            status: r.status,
            body_bytes: if r.head_only { 0 } else { r.body.len() },
            keep_alive: r.keep_alive,
        });
        r.encode(&mut self.out);
    }

    /// Writes `out` until done or `WouldBlock` (mio: buffer short writes and wait
    /// for WRITABLE, which is always registered).
    fn write_out(&mut self, cx: &mut Cx<'_>) -> Flow {
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => return Flow::Close(Cause::SocketError),
                Ok(n) => {
                    self.out_pos += n;
                    self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
                }
                Err(e) => return io_flow(e),
            }
        }
        let bytes = self.out.len();
        self.out.clear();
        self.out_pos = 0;
        if let Some(s) = self.sending.take() {
            cx.stats.responses += 1;
            let framing = cx.config.framing;
            let event = Event::Response {
                status: s.status,
                framing,
                body_bytes: s.body_bytes,
                bytes,
                keep_alive: s.keep_alive,
            };
            self.log(cx, event);
        }
        let Phase::Writing(after) = std::mem::replace(&mut self.phase, Phase::Head) else {
            return Flow::Continue;
        };
        match after {
            After::NextRequest => {
                self.current = None;
                self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
                Flow::Continue
            }
            After::ReadBody(body) => {
                self.phase = Phase::Body(body);
                Flow::Continue
            }
            After::Close(cause) => Flow::Close(cause),
        }
    }

    /// `drain`: read and discard until the peer's FIN (RFC 9112 §9.6).
    fn linger(&mut self, cx: &mut Cx<'_>) -> Flow {
        match self.stream.read(cx.scratch) {
            Ok(0) => {
                self.log_drained(cx);
                Flow::Ended(Ending::WeSentFin, Cause::DrainedToPeerFin)
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
        if let Err(e) = self.stream.shutdown(Shutdown::Write) {
            if is_reset(&e) {
                let unread = self.unread(cx);
                let (end, cause) = (Ending::PeerRst, Cause::PeerReset);
                return Some(Next::Finished { end, cause, unread });
            }
            return Some(self.finish_our_close(Cause::SocketError, cx, false));
        }
        self.log(cx, Event::HalfClosed { cause });
        self.timer = None;
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
        let end = if abort {
            // RFC 9293 §3.6 ABORT: a zero linger time makes close() send RST
            // (Linux: tcp_disconnect, counted as TcpExtTCPAbortOnData).
            match socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO)) {
                Ok(()) => Ending::WeProvokedRst,
                Err(_) if unread > 0 => Ending::WeProvokedRst,
                Err(_) => Ending::WeSentFin,
            }
        } else if unread > 0 {
            Ending::WeProvokedRst
        } else {
            Ending::WeSentFin
        };
        Next::Finished { end, cause, unread }
    }

    /// Bytes waiting in the receive queue (up to the scratch size), by peeking.
    fn unread(&mut self, cx: &mut Cx<'_>) -> usize {
        self.stream.peek(cx.scratch).unwrap_or(0)
    }

    /// Reads exactly `n` bytes that a peek has shown are queued; returns how many
    /// were read (fewer only if the socket failed in between).
    fn consume(&mut self, n: usize, cx: &mut Cx<'_>) -> usize {
        let mut done = 0;
        while done < n {
            let want = (n - done).min(cx.scratch.len());
            match self.stream.read(&mut cx.scratch[..want]) {
                Ok(0) => break,
                Ok(k) => done += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        self.count_read(done, cx);
        done
    }

    fn count_read(&mut self, n: usize, cx: &mut Cx<'_>) {
        if n == 0 {
            return;
        }
        self.total_read += n as u64;
        let total = self.total_read;
        self.log(cx, Event::Read { bytes: n, total });
    }

    fn log_drained(&mut self, cx: &mut Cx<'_>) {
        if let Phase::Lingering { drained, .. } = self.phase {
            self.log(cx, Event::Drained { bytes: drained });
        }
    }

    fn log(&self, cx: &mut Cx<'_>, event: Event) {
        cx.events.push((self.id, event));
    }
}

/// A socket error as a step result: WouldBlock waits, Interrupted retries (mio's
/// rules), a reset ends the connection, anything else makes us close it.
fn io_flow(e: io::Error) -> Flow {
    match e.kind() {
        io::ErrorKind::WouldBlock => Flow::Wait,
        io::ErrorKind::Interrupted => Flow::Continue,
        _ if is_reset(&e) => Flow::Ended(Ending::PeerRst, Cause::PeerReset),
        _ => Flow::Close(Cause::SocketError),
    }
}

/// ECONNRESET is the peer's RST. EPIPE and ENOTCONN on Linux TCP follow a RST
/// already reported (we never write after our own shutdown), so they are one too.
fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected
    )
}
