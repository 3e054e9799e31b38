//! Reading a request: exactly the request, never a byte beyond it (`full`,
//! `drain`, `abort`), or on purpose not all of it (`no-read`, `partial`).

use std::io;

use super::{After, Body, Conn, Current, Flow, Phase, io_flow};
use crate::http::{
    BodyFraming, Check, ChunkedDecoder, Method, ParseError, RequestHead, Version, check_request,
    encode_continue,
};
use crate::server::ReadMode;
use crate::server::conn::{Cx, Upgrade};
use crate::server::h2::Request;
use crate::server::h2::upgrade::h2c_settings;
use crate::server::log::{Cause, CloseEnding, Event, Timer};

impl Conn {
    /// `no-read` and `partial`. These modes break mio's rule "read until WouldBlock"
    /// on purpose: leaving the request unread is the lesson. They see new bytes
    /// anyway because Linux signals every arrival to an edge-triggered epoll.
    pub(super) fn await_request(&mut self, got: usize, cx: &mut Cx<'_>) -> Flow {
        if got == 0
            && self.stream.is_plain()
            && cx.config.http2.upgrade()
            && self.peeks_h2c_upgrade(cx)
        {
            // The one-shot modes read nothing of HTTP/1, but an h2c upgrade
            // is read as in `full`: the mode applies to HTTP/2 frames.
            self.phase = Phase::Head;
            return Flow::Continue;
        }
        if cx.config.mode == ReadMode::NoRead {
            // Peek, never read: we only want to know that the request has
            // arrived (over TLS: its records, left encrypted and unread).
            return match self.stream.arrived(&mut cx.scratch[..1]) {
                Ok(0) => Flow::Ended(CloseEnding::PeerFin, Cause::PeerClosed),
                Ok(_) => self.queue_one_shot(cx),
                Err(e) => io_flow(e),
            };
        }
        let want = cx.config.partial_bytes - got;
        let cap = want.min(cx.scratch.len());
        match self.stream.read(&mut cx.scratch[..cap]) {
            Ok(0) if got == 0 => Flow::Ended(CloseEnding::PeerFin, Cause::PeerClosed),
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

    /// The queued bytes hold a whole request head asking for h2c.
    fn peeks_h2c_upgrade(&mut self, cx: &mut Cx<'_>) -> bool {
        let Ok(n) = self.stream.peek(cx.scratch) else {
            return false;
        };
        let buf = &cx.scratch[..n];
        match check_request(buf, &cx.config.limits) {
            Ok(Check::Complete(len)) => {
                RequestHead::parse(&buf[..len]).is_ok_and(|req| h2c_settings(&req).is_some())
            }
            _ => false,
        }
    }

    /// Peek for the end of the head, then consume exactly the head.
    pub(super) fn read_head(&mut self, cx: &mut Cx<'_>) -> Flow {
        let limits = &cx.config.limits;
        let cap = (limits.max_head + 1)
            .saturating_sub(self.head.len())
            .clamp(1, cx.scratch.len());
        let n = match self.stream.peek(&mut cx.scratch[..cap]) {
            Ok(0) if self.head.is_empty() => {
                return Flow::Ended(CloseEnding::PeerFin, Cause::PeerClosed);
            }
            Ok(0) => return Flow::Ended(CloseEnding::PeerFin, Cause::PeerClosedMidRequest),
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
                self.queue_empty = n < cap && base + n == len;
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

    pub(super) fn on_request(&mut self, req: RequestHead, cx: &mut Cx<'_>) -> Flow {
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
        if cx.config.http2.upgrade()
            && self.stream.is_plain()
            && let Some(settings) = h2c_settings(&req)
        {
            self.upgrade = Some(Upgrade {
                seq: self.seq,
                settings,
                request: Request {
                    method: req.method.as_str().to_string(),
                    path: req.target.clone(),
                    body_bytes: match req.body {
                        BodyFraming::Length(n) => n,
                        _ => 0,
                    },
                    content_length: None,
                },
            });
        }
        self.current = Some(Current {
            head_only: req.method == Method::Head,
            http10: req.version == Version::Http10,
            persistent: req.persistent,
            target: req.target,
        });
        let body = match req.body {
            BodyFraming::None | BodyFraming::Length(0) => return self.answer(cx),
            BodyFraming::Length(n) if n > cx.config.max_body => {
                self.body_due = true;
                let limit = cx.config.max_body;
                return self.reject(&ParseError::BodyTooLarge { limit }, cx);
            }
            BodyFraming::Length(n) => Body::Length(n),
            BodyFraming::Chunked => Body::Chunked(ChunkedDecoder::new(cx.config.max_body)),
        };
        if cx.config.respond_before_body {
            // RFC 9112 §9.3: a server that does not read the whole body must close
            // after responding. The close then finds the body unread, or the
            // body is still on its way (see `CloseEnding::WeClosedBodyDue`).
            self.body_due = true;
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

    pub(super) fn read_body(&mut self, cx: &mut Cx<'_>) -> Flow {
        // The head's peek said nothing of what follows the body.
        self.queue_empty = false;
        let Phase::Body(body) = &mut self.phase else {
            return Flow::Continue;
        };
        let (consumed, done) = match body {
            Body::Length(remaining) => {
                let cap = (*remaining).min(cx.scratch.len() as u64) as usize;
                match self.stream.read(&mut cx.scratch[..cap]) {
                    Ok(0) => return Flow::Ended(CloseEnding::PeerFin, Cause::PeerClosedMidRequest),
                    Ok(n) => {
                        *remaining -= n as u64;
                        (n, *remaining == 0)
                    }
                    Err(e) => return io_flow(e),
                }
            }
            Body::Chunked(decoder) => {
                let n = match self.stream.peek(cx.scratch) {
                    Ok(0) => return Flow::Ended(CloseEnding::PeerFin, Cause::PeerClosedMidRequest),
                    Ok(n) => n,
                    Err(e) => return io_flow(e),
                };
                let feed = match decoder.feed(&cx.scratch[..n], |_| {}) {
                    Ok(feed) => feed,
                    Err(e) => return self.reject(&e, cx),
                };
                let payload = decoder.payload();
                let done = self.consume(feed.consumed, cx);
                if done < feed.consumed {
                    // Cannot happen (the bytes were peeked), but the decoder has
                    // advanced: the body framing is now unknown, so refuse it.
                    return self.reject(&ParseError::BadChunkFraming, cx);
                }
                self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
                if let (true, Some(up)) = (feed.done, &mut self.upgrade) {
                    up.request.body_bytes = payload;
                }
                return if feed.done {
                    self.answer(cx)
                } else {
                    Flow::Continue
                };
            }
        };
        self.count_read(consumed, cx);
        self.timer = Some((cx.now + cx.config.idle_timeout, Timer::Idle));
        if done {
            self.answer(cx)
        } else {
            Flow::Continue
        }
    }

    /// The request is read: answer it, or switch to HTTP/2 if it asked for
    /// h2c. The body is read completely first, as RFC 7540 §3.2 requires
    /// and as Go's h2c and Helidon once failed to do.
    fn answer(&mut self, cx: &mut Cx<'_>) -> Flow {
        if self.upgrade.is_some() {
            return Flow::Upgrade;
        }
        self.queue_answer(None, cx)
    }

    /// Reads exactly `n` bytes that a peek has shown are queued; returns how many
    /// were read (fewer only if the socket failed in between).
    pub(super) fn consume(&mut self, n: usize, cx: &mut Cx<'_>) -> usize {
        let done = self.stream.consume(n, cx.scratch);
        self.count_read(done, cx);
        done
    }

    pub(super) fn count_read(&mut self, n: usize, cx: &mut Cx<'_>) {
        if n == 0 {
            return;
        }
        self.total_read += n as u64;
        let total = self.total_read;
        self.log(cx, Event::Read { bytes: n, total });
    }
}
