//! One HTTP/2 connection on its socket: reads feed the [`Session`], its
//! frames are written out, and the read mode decides how the connection
//! ends (see [`ReadMode`] for what each mode means in HTTP/2).
//!
//! Unlike HTTP/1, where `full` reads exactly one request, an HTTP/2 server
//! must read every frame (SETTINGS ACKs, WINDOW_UPDATEs, PINGs come at any
//! time), so reading follows mio's drain rule; the modes differ in when the
//! server stops reading and how it closes.

use std::io;
use std::time::Instant;

use super::session::{Session, SessionLimits, Shutdown as GoAway};
use super::upgrade::SWITCHING;
use crate::proto::h2::ErrorCode;
use crate::server::conn::{Cx, Next, Upgrade};
use crate::server::log::{Cause, CloseEnding, Event, Timer};
use crate::server::transport::Stream;
use crate::server::transport::plain::{self, Failure};
use crate::server::{Config, ReadMode};

/// Steps one drive may take before other connections get their turn (as
/// for HTTP/1).
const TURN: usize = 64;

/// Output waiting to be written above which the client's frames are not
/// read: a client that sends PINGs but never reads cannot grow our buffer
/// without bound.
const OUT_CAP: usize = 1 << 20;

enum Phase {
    /// Reading frames and answering.
    Serving,
    /// `no-read`, `partial`: the first stream is answered; nothing more is
    /// read, and the close comes as soon as the client's next bytes are
    /// queued (they make it a RST) or at the idle timeout.
    Holding,
    /// Writing what is left (a GOAWAY), then closing.
    Closing(Cause),
    /// `drain`: our FIN is sent; reading and discarding to the client's FIN.
    Lingering {
        idle: Instant,
        total: Instant,
        drained: u64,
    },
}

/// How a step ended inside [`Conn::drive`].
enum Step {
    Continue,
    Wait,
    Done(Next),
}

pub(in crate::server) struct Conn {
    pub id: u64,
    pub stream: Stream,
    session: Session,
    out: Vec<u8>,
    out_pos: usize,
    phase: Phase,
    timer: Option<(Instant, Timer)>,
    /// When our SETTINGS must be acknowledged by (RFC 9113 §6.5.3), while
    /// it is not; only a connection that is reading can see the ACK, so
    /// only `Serving` keeps this time.
    settings_due: Option<Instant>,
    /// Bytes read on this connection, HTTP/1 before an upgrade included.
    pub total_read: u64,
}

fn limits(config: &Config) -> SessionLimits {
    SessionLimits {
        max_streams: config.max_streams,
        max_header_list: config.limits.max_head as u32,
        status: config.status,
        shutdown_after_answer: config.mode == ReadMode::Drain,
        one_shot: !config.mode.reads_requests(),
    }
}

impl Conn {
    /// The preface was seen by peeking (it is still unread).
    pub fn prior_knowledge(id: u64, stream: Stream, cx: &mut Cx<'_>) -> Conn {
        let session = Session::prior_knowledge(limits(cx.config));
        Conn::with(id, stream, session, Vec::new(), cx)
    }

    /// ALPN chose `h2` in the TLS handshake: the client's preface comes
    /// first, as with prior knowledge (RFC 9113 §3.2).
    pub fn over_tls(id: u64, stream: Stream, cx: &mut Cx<'_>) -> Conn {
        let session = Session::over_tls(limits(cx.config));
        Conn::with(id, stream, session, Vec::new(), cx)
    }

    /// HTTP/1.1 request `up.seq` asked for h2c and its body is read: 101,
    /// then HTTP/2 (RFC 7540 §3.2).
    pub fn upgraded(id: u64, stream: Stream, up: Upgrade, cx: &mut Cx<'_>) -> Conn {
        cx.events.push((
            id,
            Event::Upgrade {
                seq: up.seq,
                settings: up.settings.clone(),
                body_bytes: up.request.body_bytes,
            },
        ));
        let limits = limits(cx.config);
        let (session, failed) = match Session::upgraded(limits, &up.settings, up.request) {
            Ok(s) => (s, false),
            Err(_) => (Session::prior_knowledge(limits), true),
        };
        let mut conn = Conn::with(id, stream, session, SWITCHING.to_vec(), cx);
        if failed {
            conn.session
                .goaway(ErrorCode::ProtocolError, Some("bad HTTP2-Settings"));
            conn.phase = Phase::Closing(Cause::H2ConnectionError);
        }
        conn
    }

    fn with(id: u64, stream: Stream, session: Session, out: Vec<u8>, cx: &mut Cx<'_>) -> Conn {
        let tls = matches!(stream, Stream::Tls(_));
        let session = session.with_alt_svc(cx.config.alt_svc(tls));
        let session = if cx.log {
            session
        } else {
            session.without_events()
        };
        let mut conn = Conn {
            id,
            stream,
            session,
            out,
            out_pos: 0,
            phase: Phase::Serving,
            timer: Some((cx.now + cx.config.idle_timeout, Timer::Idle)),
            settings_due: Some(cx.now + cx.config.settings_timeout),
            total_read: 0,
        };
        conn.collect(cx);
        conn
    }

    pub fn deadline(&self) -> Option<Instant> {
        let timer = self.timer.map(|(at, _)| at);
        match self.phase {
            Phase::Lingering { idle, total, .. } => Some(idle.min(total)),
            Phase::Serving => match (timer, self.settings_due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            _ => timer,
        }
    }

    /// Moves the session's frames to the output and its events to the log.
    fn collect(&mut self, cx: &mut Cx<'_>) {
        if self.out_pos == self.out.len() {
            // All written: take the session's frames as they are, no copy
            // (the two buffers trade places).
            self.out.clear();
            self.out_pos = 0;
            std::mem::swap(&mut self.out, &mut self.session.out);
        } else {
            self.out.append(&mut self.session.out);
        }
        for e in self.session.events.drain(..) {
            cx.events.push((self.id, e));
        }
        if !self.session.awaiting_settings_ack() {
            self.settings_due = None;
        }
    }

    pub fn drive(&mut self, cx: &mut Cx<'_>) -> Next {
        for _ in 0..TURN {
            let (answered, requests) = (self.session.answered, self.session.requests);
            let step = self.step(cx);
            cx.stats.responses += self.session.answered - answered;
            cx.stats.requests += self.session.requests - requests;
            self.collect(cx);
            match step {
                Step::Continue => {}
                Step::Wait => return Next::Wait,
                Step::Done(next) => return next,
            }
        }
        Next::Yield
    }

    fn step(&mut self, cx: &mut Cx<'_>) -> Step {
        if !cx.config.mode.reads_requests() && self.session.answered > 0 {
            // The one-shot answer is queued whole and the close follows: over
            // TLS its close_notify leaves in the same write (see
            // `Stream::close_after_write`).
            self.stream.close_after_write();
        }
        let flushed = match self.flush(cx) {
            Ok(done) => done,
            Err(next) => return Step::Done(next),
        };
        match self.phase {
            Phase::Closing(cause) if flushed => self.closing(cause, cx),
            Phase::Closing(_) => Step::Wait,
            Phase::Holding if !flushed => Step::Wait,
            // Over TLS: the client's next records, left encrypted.
            Phase::Holding => match self.stream.arrived(&mut cx.scratch[..1]) {
                Ok(0) => Step::Done(self.ended(CloseEnding::PeerFin, Cause::PeerClosed, cx)),
                Ok(_) => Step::Done(self.finish_our_close(Cause::OneShotMode, cx)),
                Err(e) => self.io_step(&e, cx),
            },
            Phase::Lingering { .. } => self.linger(cx),
            Phase::Serving => self.serve(flushed, cx),
        }
    }

    fn serve(&mut self, flushed: bool, cx: &mut Cx<'_>) -> Step {
        let mode = cx.config.mode;
        if self.session.answered > 0 {
            match mode {
                ReadMode::NoRead | ReadMode::Partial if flushed => {
                    self.phase = Phase::Holding;
                    return Step::Continue;
                }
                ReadMode::NoRead | ReadMode::Partial => return Step::Wait,
                ReadMode::Drain | ReadMode::Full | ReadMode::Abort => {}
            }
        }
        if self.session.shutdown == GoAway::Final
            && self.session.active_streams() == 0
            && flushed
            && self.out.is_empty()
        {
            return self.closing(Cause::GracefulShutdown, cx);
        }
        if self.out.len() - self.out_pos > OUT_CAP {
            return Step::Wait;
        }
        // The one-shot modes peek and then take only the frames up to the
        // first request's end; the others read all that is there.
        let one_shot = !mode.reads_requests();
        let got = if one_shot {
            self.stream.peek(cx.scratch)
        } else {
            self.stream.read(cx.scratch)
        };
        match got {
            Ok(0) => {
                let cause = if self.session.active_streams() > 0 {
                    Cause::PeerClosedMidRequest
                } else if self.session.peer_goaway {
                    Cause::PeerGoAway
                } else {
                    Cause::PeerClosed
                };
                Step::Done(self.ended(CloseEnding::PeerFin, cause, cx))
            }
            Ok(n) => {
                let taken = match self.session.receive(&cx.scratch[..n], cx.body) {
                    Ok(taken) => taken,
                    Err(_) => {
                        self.phase = Phase::Closing(Cause::H2ConnectionError);
                        n
                    }
                };
                let n = if one_shot { self.consume(taken, cx) } else { n };
                self.total_read += n as u64;
                if cx.log {
                    cx.events.push((
                        self.id,
                        Event::Read {
                            bytes: n,
                            total: self.total_read,
                        },
                    ));
                }
                self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
                Step::Continue
            }
            Err(e) => {
                if flushed
                    && self.session.out.is_empty()
                    && plain::failure(&e) == Failure::WouldBlock
                {
                    // Caught up both ways: a connection that waits holds no
                    // buffers, only its state (the memory an idle
                    // connection costs).
                    self.out = Vec::new();
                    self.session.release_idle();
                }
                self.io_step(&e, cx)
            }
        }
    }

    /// Reads exactly `n` bytes that a peek has shown are queued; returns how
    /// many were read (fewer only if the socket failed in between).
    fn consume(&mut self, n: usize, cx: &mut Cx<'_>) -> usize {
        self.stream.consume(n, cx.scratch)
    }

    /// Writes the output; `Ok(true)` when all of it is out.
    fn flush(&mut self, cx: &mut Cx<'_>) -> Result<bool, Next> {
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(self.finish_our_close(Cause::SocketError, cx)),
                Ok(n) => {
                    self.out_pos += n;
                    if !matches!(self.phase, Phase::Holding) {
                        self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
                    }
                }
                Err(e) => match plain::failure(&e) {
                    Failure::WouldBlock => return Ok(false),
                    Failure::Interrupted => {}
                    Failure::Reset => {
                        return Err(self.ended(CloseEnding::PeerRst, Cause::PeerReset, cx));
                    }
                    Failure::Other => return Err(self.finish_our_close(Cause::SocketError, cx)),
                },
            }
        }
        // Over TLS the last records may still wait for room in the socket.
        match self.stream.flush() {
            Ok(()) => {}
            Err(e) => match plain::failure(&e) {
                Failure::WouldBlock | Failure::Interrupted => return Ok(false),
                Failure::Reset => {
                    return Err(self.ended(CloseEnding::PeerRst, Cause::PeerReset, cx));
                }
                Failure::Other => return Err(self.finish_our_close(Cause::SocketError, cx)),
            },
        }
        self.out.clear();
        self.out_pos = 0;
        Ok(true)
    }

    fn io_step(&mut self, e: &io::Error, cx: &mut Cx<'_>) -> Step {
        match plain::failure(e) {
            Failure::WouldBlock => Step::Wait,
            Failure::Interrupted => Step::Continue,
            Failure::Reset => Step::Done(self.ended(CloseEnding::PeerRst, Cause::PeerReset, cx)),
            Failure::Other => Step::Done(self.finish_our_close(Cause::SocketError, cx)),
        }
    }

    /// `drain`: read and discard until the client's FIN.
    fn linger(&mut self, cx: &mut Cx<'_>) -> Step {
        match self.stream.read(cx.scratch) {
            Ok(0) => {
                self.log_drained(cx);
                let cause = if self.stream.peer_closed_cleanly() {
                    Cause::DrainedToPeerCloseNotify
                } else {
                    Cause::DrainedToPeerFin
                };
                Step::Done(self.ended(CloseEnding::WeSentFin, cause, cx))
            }
            Ok(n) => {
                if let Phase::Lingering { idle, drained, .. } = &mut self.phase {
                    *drained += n as u64;
                    *idle = cx.now + cx.config.linger_idle;
                }
                Step::Continue
            }
            Err(e) => {
                if plain::failure(&e) != Failure::WouldBlock {
                    self.log_drained(cx);
                }
                self.io_step(&e, cx)
            }
        }
    }

    pub fn on_timer(&mut self, cx: &mut Cx<'_>) -> Next {
        if let Phase::Lingering { idle, total, .. } = self.phase {
            let Some((timer, cause)) = crate::server::conn::linger_expired(cx.now, idle, total)
            else {
                return Next::Wait;
            };
            cx.events.push((self.id, Event::Timeout { timer }));
            self.log_drained(cx);
            return self.finish_our_close(cause, cx);
        }
        if let (Phase::Serving, Some(due)) = (&self.phase, self.settings_due)
            && cx.now >= due
        {
            // §6.5.3: the client never acknowledged our SETTINGS.
            self.settings_due = None;
            cx.events.push((
                self.id,
                Event::Timeout {
                    timer: Timer::SettingsAck,
                },
            ));
            self.session.settings_timeout();
            self.phase = Phase::Closing(Cause::H2ConnectionError);
            self.collect(cx);
            return self.drive(cx);
        }
        let Some((at, timer)) = self.timer else {
            return Next::Wait;
        };
        if cx.now < at {
            return Next::Wait;
        }
        self.timer = None;
        cx.events.push((self.id, Event::Timeout { timer }));
        match self.phase {
            Phase::Serving
                if cx.config.mode == ReadMode::Drain && self.session.shutdown == GoAway::No =>
            {
                // §6.8: the graceful way, even when idle.
                self.session.begin_shutdown();
                self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
            }
            Phase::Serving => {
                // Idle: say which streams were processed, then close.
                if self.session.goaway_sent.is_none() || cx.config.mode == ReadMode::Drain {
                    self.session.goaway(ErrorCode::NoError, None);
                }
                self.phase = Phase::Closing(Cause::IdleTimeout);
            }
            Phase::Holding | Phase::Closing(_) | Phase::Lingering { .. } => {
                self.collect(cx);
                return self.finish_our_close(Cause::IdleTimeout, cx);
            }
        }
        self.collect(cx);
        self.drive(cx)
    }

    /// The server is stopping: a GOAWAY if it can go out at once, then the
    /// mode's close without lingering.
    pub fn stop(&mut self, cx: &mut Cx<'_>) -> Next {
        if !self.session.failed() && self.session.goaway_sent.is_none() {
            self.session.goaway(ErrorCode::NoError, None);
            self.collect(cx);
            let _ = self.flush(cx);
        }
        self.finish_our_close(Cause::ServerStopping, cx)
    }

    fn closing(&mut self, cause: Cause, cx: &mut Cx<'_>) -> Step {
        match self.close(cause, cx) {
            // Lingering has begun: keep reading.
            Next::Wait => Step::Continue,
            next => Step::Done(next),
        }
    }

    /// Our side decided to close: `drain` half-closes and lingers, the
    /// other modes close now.
    fn close(&mut self, cause: Cause, cx: &mut Cx<'_>) -> Next {
        if cx.config.mode != ReadMode::Drain {
            return self.finish_our_close(cause, cx);
        }
        if let Err(e) = self.stream.shutdown_write() {
            if plain::failure(&e) == Failure::Reset {
                return self.ended(CloseEnding::PeerRst, Cause::PeerReset, cx);
            }
            return self.finish_our_close(Cause::SocketError, cx);
        }
        for e in self.stream.take_notes() {
            cx.events.push((self.id, e));
        }
        cx.events.push((self.id, Event::HalfClosed { cause }));
        self.timer = None;
        self.phase = Phase::Lingering {
            idle: cx.now + cx.config.linger_idle,
            total: cx.now + cx.config.linger_total,
            drained: 0,
        };
        Next::Wait
    }

    /// The final close of our own decision: RST if bytes are unread or
    /// `abort` asks for it, FIN otherwise.
    fn finish_our_close(&mut self, cause: Cause, cx: &mut Cx<'_>) -> Next {
        let unread = self.stream.unread(cx.scratch);
        let abort = cx.config.mode == ReadMode::Abort;
        let end = self.stream.our_close(unread, abort, false);
        Next::Finished { end, cause, unread }
    }

    fn ended(&mut self, end: CloseEnding, cause: Cause, cx: &mut Cx<'_>) -> Next {
        let unread = self.stream.unread(cx.scratch);
        Next::Finished { end, cause, unread }
    }

    fn log_drained(&mut self, cx: &mut Cx<'_>) {
        if let Phase::Lingering { drained, .. } = self.phase {
            cx.events.push((self.id, Event::Drained { bytes: drained }));
        }
    }
}
