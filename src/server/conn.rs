//! What the loop and a connection handler (`h1/`, `h2/`) say to each other:
//! the state the loop lends while driving a connection ([`Cx`]) and what it
//! must do afterwards ([`Next`]).

use std::sync::Arc;
use std::time::Instant;

use mio::net::TcpStream;

use super::h2::Request;
use super::log::{Cause, CloseEnding, Event, SettingValue};
use super::tls::Alpn;
use super::tls::handshake::{Handshake, Outcome};
use super::transport::Stream;
use super::{Config, Stats, h1, h2};
use crate::proto::h2::{PrefaceMatch, match_preface};

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
    /// Someone reads the events (the log is not discarded).
    pub log: bool,
    pub now: Instant,
    /// A readiness event woke this drive and reported neither the peer's
    /// FIN nor an error (false for timers, yields and stopping). With a
    /// peek in the same drive that found the queue empty, a second look
    /// can only say EAGAIN.
    pub quiet: bool,
}

/// Which lingering-close limit (RFC 9112 §9.6's "linger" after a
/// half-close) has passed at `now`: the total one first, then the idle one.
pub(super) fn linger_expired(
    now: Instant,
    idle: Instant,
    total: Instant,
) -> Option<(super::log::Timer, Cause)> {
    if now >= total {
        Some((super::log::Timer::LingerTotal, Cause::LingerTotalTimeout))
    } else if now >= idle {
        Some((super::log::Timer::LingerIdle, Cause::LingerIdleTimeout))
    } else {
        None
    }
}

/// What the loop must do after driving a connection.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Wait for the next event or timer.
    Wait,
    /// The turn is used up with work left: drive again soon. Edge-triggered
    /// readiness will not report bytes that are already queued, so the loop must
    /// remember this connection itself.
    Yield,
    /// The connection changes protocol: hand its socket to HTTP/2.
    Switch(Switch),
    /// Deregister and drop the socket; log how it ended.
    Finished {
        end: CloseEnding,
        cause: Cause,
        unread: usize,
    },
}

/// Why a connection leaves HTTP/1.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Switch {
    /// Its first bytes are the HTTP/2 preface (RFC 9113 §3.3), still unread.
    PriorKnowledge,
    /// An HTTP/1.1 request asked for h2c and was read completely.
    Upgrade(Box<Upgrade>),
}

/// What an accepted h2c upgrade carries into HTTP/2 (RFC 7540 §3.2).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Upgrade {
    /// The upgrading request's number on the connection.
    pub seq: u64,
    /// The decoded HTTP2-Settings.
    pub settings: Vec<SettingValue>,
    /// The request, answered on stream 1.
    pub request: Request,
}

/// One connection, in whichever protocol it speaks now.
// HTTP/1 stays inline: it is every connection's first protocol, and boxing
// it would cost an allocation per accept.
#[allow(clippy::large_enum_variant)]
pub(super) enum Conn {
    /// TLS, until the handshake is done and ALPN has chosen.
    Handshake(Box<Handshake>),
    /// HTTP/1.x; `sniff` while the first bytes may still be the preface.
    H1 { conn: h1::Conn, sniff: bool },
    /// HTTP/2 (boxed: its session is larger than an HTTP/1 connection, and
    /// most connections never switch).
    H2(Box<h2::conn::Conn>),
    /// Only while switching.
    Switching,
}

impl Conn {
    pub fn new(id: u64, stream: TcpStream, config: &Config, now: Instant) -> Conn {
        Conn::H1 {
            conn: h1::Conn::new(id, Stream::Plain(stream), config, now),
            sniff: config.http2.prior_knowledge(),
        }
    }

    /// A connection accepted on the TLS port.
    pub fn tls(
        id: u64,
        stream: TcpStream,
        tls: Arc<rustls::ServerConfig>,
        config: &Config,
        now: Instant,
    ) -> Conn {
        let close_notify = config.tls.as_ref().is_none_or(|t| t.close_notify);
        Conn::Handshake(Box::new(Handshake::new(
            id,
            stream,
            tls,
            close_notify,
            now,
            config.header_timeout,
        )))
    }

    pub fn id(&self) -> u64 {
        match self {
            Conn::Handshake(h) => h.id,
            Conn::H1 { conn, .. } => conn.id,
            Conn::H2(c) => c.id,
            Conn::Switching => 0,
        }
    }

    pub fn stream_mut(&mut self) -> Option<&mut TcpStream> {
        match self {
            Conn::Handshake(h) => Some(&mut h.tcp),
            Conn::H1 { conn, .. } => Some(conn.stream.tcp_mut()),
            Conn::H2(c) => Some(c.stream.tcp_mut()),
            Conn::Switching => None,
        }
    }

    /// The client closed first: the transport answers its end before the
    /// loop drops the socket (over TLS, our close_notify).
    fn answer_peer_close(&mut self, next: &Next) {
        if !matches!(
            next,
            Next::Finished {
                end: CloseEnding::PeerFin,
                ..
            }
        ) {
            return;
        }
        match self {
            Conn::H1 { conn, .. } => conn.stream.answer_peer_close(),
            Conn::H2(c) => c.stream.answer_peer_close(),
            // A handshake cut short has no session to close.
            Conn::Handshake(_) | Conn::Switching => {}
        }
    }

    /// Moves what the transport has to report (TLS alerts) to the log.
    fn notes(&mut self, cx: &mut Cx<'_>) {
        let (id, stream) = match self {
            Conn::H1 { conn, .. } => (conn.id, &mut conn.stream),
            Conn::H2(c) => (c.id, &mut c.stream),
            Conn::Handshake(_) | Conn::Switching => return,
        };
        for e in stream.take_notes() {
            cx.events.push((id, e));
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        match self {
            Conn::Handshake(h) => h.deadline(),
            Conn::H1 { conn, .. } => conn.deadline(),
            Conn::H2(c) => c.deadline(),
            Conn::Switching => None,
        }
    }

    pub fn drive(&mut self, cx: &mut Cx<'_>) -> Next {
        let next = match self {
            Conn::Handshake(h) => match h.drive(cx) {
                Outcome::Established(alpn) => return self.established(alpn, cx),
                other => outcome(other),
            },
            Conn::H1 { conn, sniff } => {
                if *sniff {
                    match sniff_preface(conn, cx) {
                        Some(PrefaceMatch::Yes) => Next::Switch(Switch::PriorKnowledge),
                        Some(PrefaceMatch::Incomplete) => return Next::Wait,
                        _ => {
                            *sniff = false;
                            conn.drive(cx)
                        }
                    }
                } else {
                    conn.drive(cx)
                }
            }
            Conn::H2(c) => c.drive(cx),
            Conn::Switching => Next::Wait,
        };
        let next = self.follow(next, cx);
        self.answer_peer_close(&next);
        self.notes(cx);
        next
    }

    pub fn on_timer(&mut self, cx: &mut Cx<'_>) -> Next {
        let next = match self {
            Conn::Handshake(h) => outcome(h.on_timer(cx)),
            Conn::H1 { conn, .. } => conn.on_timer(cx),
            Conn::H2(c) => c.on_timer(cx),
            Conn::Switching => Next::Wait,
        };
        let next = self.follow(next, cx);
        self.answer_peer_close(&next);
        self.notes(cx);
        next
    }

    pub fn stop(&mut self, cx: &mut Cx<'_>) -> Next {
        let next = match self {
            Conn::Handshake(h) => outcome(h.stop(cx)),
            Conn::H1 { conn, .. } => conn.stop(cx),
            Conn::H2(c) => c.stop(cx),
            Conn::Switching => Next::Wait,
        };
        self.notes(cx);
        next
    }

    /// The TLS handshake is done: ALPN's choice (none: HTTP/1.1, RFC 7301
    /// §3.2) takes the connection, which is driven at once (the client's
    /// request may already be queued).
    fn established(&mut self, alpn: Option<Alpn>, cx: &mut Cx<'_>) -> Next {
        let Conn::Handshake(h) = std::mem::replace(self, Conn::Switching) else {
            return Next::Wait;
        };
        let id = h.id;
        let Some(tls) = h.into_stream() else {
            return Next::Wait;
        };
        let stream = Stream::Tls(Box::new(tls));
        *self = match alpn {
            Some(Alpn::H2) => Conn::H2(Box::new(h2::conn::Conn::over_tls(id, stream, cx))),
            Some(Alpn::Http11) | None => Conn::H1 {
                conn: h1::Conn::new(id, stream, cx.config, cx.now),
                sniff: false,
            },
        };
        self.drive(cx)
    }

    /// Carries out a switch, then drives the connection in its new protocol.
    fn follow(&mut self, next: Next, cx: &mut Cx<'_>) -> Next {
        let Next::Switch(switch) = next else {
            return next;
        };
        let Conn::H1 { conn, .. } = std::mem::replace(self, Conn::Switching) else {
            return Next::Wait;
        };
        let (id, stream, read) = conn.into_socket();
        let mut h2 = match switch {
            Switch::PriorKnowledge => h2::conn::Conn::prior_knowledge(id, stream, cx),
            Switch::Upgrade(up) => h2::conn::Conn::upgraded(id, stream, *up, cx),
        };
        h2.total_read = read;
        *self = Conn::H2(Box::new(h2));
        self.drive(cx)
    }
}

/// A handshake's outcome as the loop's next step.
fn outcome(o: Outcome) -> Next {
    match o {
        Outcome::Wait | Outcome::Established(_) => Next::Wait,
        Outcome::Yield => Next::Yield,
        Outcome::Finished { end, cause, unread } => Next::Finished { end, cause, unread },
    }
}

/// Peeks at the first bytes: the preface (RFC 9113 §3.4), not it, or too
/// few to tell (nothing has arrived yet: the first event is often
/// WRITABLE). `None` when the peek fails or finds the peer's FIN: HTTP/1
/// reports those.
fn sniff_preface(conn: &h1::Conn, cx: &mut Cx<'_>) -> Option<PrefaceMatch> {
    let n = crate::proto::h2::PREFACE.len();
    match conn.stream.tcp().peek(&mut cx.scratch[..n]) {
        Ok(0) => None,
        Ok(got) => Some(match_preface(&cx.scratch[..got])),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Some(PrefaceMatch::Incomplete),
        Err(_) => None,
    }
}
