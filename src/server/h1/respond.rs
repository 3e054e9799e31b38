//! Answering: building responses into the output buffer and writing it out.

use super::{After, Conn, Flow, Phase, Sending, io_flow};
use crate::http::{Framing, ParseError, Response};
use crate::server::ReadMode;
use crate::server::conn::Cx;
use crate::server::log::{Cause, Event, Timer};
use crate::server::transport::Stream;

impl Conn {
    pub(super) fn queue_one_shot(&mut self, cx: &mut Cx<'_>) -> Flow {
        let mut r = Response::pattern(cx.config.status, cx.config.framing, 0);
        self.add_alt_svc(&mut r, cx);
        self.queue_response_with_body(r, cx.body);
        self.phase = Phase::Writing(After::Close(Cause::OneShotMode));
        Flow::Continue
    }

    /// Queues the normal response to the current request. `forced` closes after it.
    pub(super) fn queue_answer(&mut self, forced: Option<Cause>, cx: &mut Cx<'_>) -> Flow {
        let config = cx.config;
        let (head_only, http10, persistent, target) = match &self.current {
            Some(c) => (c.head_only, c.http10, c.persistent, c.target.clone()),
            None => (false, false, false, String::new()),
        };
        let close = forced.or(if !config.keep_alive {
            Some(Cause::KeepAliveOff)
        } else if !persistent {
            Some(Cause::NotPersistent)
        } else if matches!(config.framing, Framing::Close | Framing::Bare)
            || (config.framing == Framing::Chunked && http10)
        {
            Some(Cause::CloseFraming)
        } else {
            None
        });
        let mut r = Response::pattern(config.status, config.framing, 0);
        r.head_only = head_only;
        r.http10_client = http10;
        r.keep_alive = close.is_none();
        r.extra = vec![
            ("X-Wirelab-Seq".into(), self.seq.to_string()),
            ("X-Wirelab-Target".into(), target),
        ];
        self.add_alt_svc(&mut r, cx);
        self.queue_response_with_body(r, cx.body);
        self.phase = Phase::Writing(match close {
            Some(cause) => After::Close(cause),
            None => After::NextRequest,
        });
        Flow::Continue
    }

    /// `Alt-Svc` on the normal responses of a listener that advertises
    /// one (RFC 7838 §3).
    fn add_alt_svc(&self, r: &mut Response, cx: &Cx<'_>) {
        let tls = matches!(self.stream, Stream::Tls(_));
        if let Some(v) = cx.config.alt_svc(tls) {
            r.extra.push(("Alt-Svc".into(), v.to_string()));
        }
    }

    /// Refuses the request with the error's status and closes after the answer.
    pub(super) fn reject(&mut self, err: &ParseError, cx: &mut Cx<'_>) -> Flow {
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

    pub(super) fn queue_text(&mut self, status: u16, text: &str, cx: &mut Cx<'_>) {
        let mut r = Response::text(status, text);
        r.head_only = self.current.as_ref().is_some_and(|c| c.head_only);
        self.queue_response(r, cx);
    }

    pub(super) fn queue_response(&mut self, mut r: Response, _cx: &mut Cx<'_>) {
        let body = std::mem::take(&mut r.body);
        self.queue_response_with_body(r, &body);
    }

    /// Queues `r` with `body` as its body (the server's fixed body is shared,
    /// not copied into every response).
    pub(super) fn queue_response_with_body(&mut self, r: Response, body: &[u8]) {
        self.sending = Some(Sending {
            status: r.status,
            body_bytes: if r.head_only { 0 } else { body.len() },
            keep_alive: r.keep_alive,
        });
        // One allocation for a typical head, not a growth step per field.
        self.out.reserve(256 + body.len());
        r.encode_with_body(body, &mut self.out);
    }

    /// Writes `out` until done or `WouldBlock` (mio: buffer short writes and wait
    /// for WRITABLE, which is always registered).
    pub(super) fn write_out(&mut self, cx: &mut Cx<'_>) -> Flow {
        if matches!(self.phase, Phase::Writing(After::Close(_)))
            && cx.config.mode != ReadMode::Abort
        {
            self.stream.close_after_write();
        }
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
        // Over TLS the last records may still wait for room in the socket.
        if let Err(e) = self.stream.flush() {
            return io_flow(e);
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
            self.transport_notes(cx);
        }
        let Phase::Writing(after) = std::mem::replace(&mut self.phase, Phase::Head) else {
            return Flow::Continue;
        };
        match after {
            After::NextRequest => {
                self.current = None;
                self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
                if cx.config.keepalive_race {
                    self.phase = Phase::IdleNoRead;
                }
                // In this drive, the head's peek found the receive queue
                // empty behind the request, and the event that woke us
                // reported no FIN: a peek now would only say EAGAIN. Every
                // later arrival, FIN included, raises a new edge-triggered
                // event (the socket's data_ready callback queues it on the
                // epoll ready list), so waiting loses nothing and saves one
                // syscall per keep-alive request. Over TLS the peek decrypts
                // records epoll no longer reports, so TLS always looks.
                if std::mem::take(&mut self.queue_empty) && cx.quiet && self.stream.is_plain() {
                    return Flow::Wait;
                }
                Flow::Continue
            }
            After::ReadBody(body) => {
                self.phase = Phase::Body(body);
                Flow::Continue
            }
            After::Close(cause) => Flow::Close(cause),
        }
    }
}
