//! The teaching server: a single-threaded mio event loop speaking HTTP/1.0 and
//! HTTP/1.1, whose [`ReadMode`] decides how much of each request it reads and so
//! whether the kernel ends each connection with FIN or with RST.
//!
//! It sits beside the analyzer pipeline, not in it: labs start it in-process with
//! [`spawn`] on `127.0.0.1:0`, drive it with the [`client`](crate::client) or curl,
//! read its [event log](log), and stop it with [`ServerHandle::shutdown`].
//!
//! # The loop and mio's rules
//!
//! mio is edge-triggered on Linux (epoll with `EPOLLET`): an event says "something
//! changed", once. The loop follows mio's documented rules:
//!
//! - **Drain**: accept until `WouldBlock`; a connection is driven forward until its
//!   next operation would block, whatever event woke it (`h1/`). Events are
//!   hints: spurious ones are harmless because every operation is simply tried.
//! - **Fairness**: a drive is bounded (a turn of 64 steps, 32 pipelined requests);
//!   a connection that used its turn with work left is remembered and driven again
//!   after the others, because no new edge will announce bytes already queued.
//! - **Interrupted** is retried; **unknown tokens** are ignored (a connection closed
//!   earlier in the same batch).
//! - **Interest** is `READABLE | WRITABLE`, registered once at accept: short writes
//!   stay buffered and resume on WRITABLE, and since interest never changes no
//!   `reregister` is needed.
//! - **Deregister before drop**, so no event refers to a closed socket.
//! - **Shutdown** comes through a [`mio::Waker`] ([`Stopper`]).
//! - Read and write closed / error readiness are only hints; the truth is what
//!   `read`, `peek` and `write` return: `Ok(0)` is the peer's FIN, ECONNRESET its RST.
//!
//! Two modes break the drain rule on purpose: `no-read` and `partial` leave the
//! request in the receive queue, because that is the lesson. `full` reads exactly the
//! request and leaves what follows queued (it peeks to find the end of the head);
//! it still sees pipelined requests because it parses the queue again right after
//! each response instead of waiting for an event.
//!
//! With TLS ([`tls`]) a second listener (or the only one) hands connections
//! to a handshake first; ALPN's choice then runs the same HTTP/1.x or
//! HTTP/2 code over decrypted bytes ([`transport`]).
//!
//! A production server would add a timer wheel instead of scanning
//! connections for deadlines, and accept backoff; this one favours clarity.

mod config;
mod conn;
mod error;
mod h1;
pub mod h2;
pub mod h3;
mod handle;
mod listeners;
pub mod log;
mod read_mode;
mod stats;
pub mod tls;
mod transport;

pub use config::{Config, ConfigError, Http2};
pub use error::Error;
pub use h3::{H3Close, H3Settings};
pub use handle::{ServerHandle, Stopper, spawn};
pub use log::TlsVersion;
pub use log::{
    By, Cause, CloseEnding, CloseLayer, Dir, Event, H2Start, LogFormat, LogSink, PeerClose,
    QuicEvent, Record, SettingValue,
};
pub use read_mode::ReadMode;
pub use stats::Stats;
pub use tls::{Alpn, AlpnError, Identity, TlsListen, TlsSettings, TlsSetupError, TlsVersions};

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::http::{Response, pattern_byte};
use conn::{Conn, Cx, Next};
use listeners::{LISTENER, Listeners, TLS_LISTENER};
use transport::plain;

const WAKER: Token = Token(1);
/// Scratch buffer for peeks and discarded reads (nginx lingers with 4 KiB; a larger
/// buffer lets one peek see a whole head and its pipelined neighbours).
const SCRATCH: usize = 64 * 1024;

/// A bound server, ready to [`run`](Server::run).
pub struct Server {
    config: Config,
    poll: Poll,
    listeners: Listeners,
    waker: Arc<Waker>,
    stop: Arc<AtomicBool>,
    log: log::Emitter,
    /// The HTTP/3 endpoint's socket, until [`run`](Server::run) starts it.
    #[cfg(feature = "h3")]
    h3: Option<h3::Bound>,
}

impl Server {
    /// Validates `config`, binds and listens. Records go to `sink`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`], [`Error::Tls`], [`Error::Bind`], or [`Error::Poll`]
    /// if epoll cannot start.
    pub fn bind(mut config: Config, sink: LogSink) -> Result<Server, Error> {
        config.validate()?;
        let poll = Poll::new().map_err(Error::Poll)?;
        let listeners = Listeners::open(&config, &poll)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(Error::Poll)?);
        #[cfg(feature = "h3")]
        let h3 = match (&config.h3, &listeners.tls) {
            (Some(settings), Some(tls)) => {
                let addr = listeners.tls_addr().ok_or_else(|| Error::Bind {
                    addr: config.bind,
                    source: io::ErrorKind::NotConnected.into(),
                })?;
                let quic = tls.quic.clone().ok_or(ConfigError::H3NeedsTls)?;
                let bound = h3::Bound::bind(addr, quic, *settings)
                    .map_err(|source| Error::BindUdp { addr, source })?;
                Some(bound)
            }
            _ => None,
        };
        // RFC 7838 §3: the TLS listener names the endpoint, `h3` on the
        // same port, unless the user chose its Alt-Svc.
        #[cfg(feature = "h3")]
        if let (Some(b), Some(settings), Some(tls)) = (&h3, config.h3, config.tls.as_mut())
            && settings.advertise
            && tls.alt_svc.is_none()
        {
            let port = b.local_addr().port();
            tls.alt_svc = crate::http::AltSvc::parse(&format!("h3=\":{port}\"; ma=86400")).ok();
        }
        Ok(Server {
            config,
            poll,
            listeners,
            waker,
            stop: Arc::new(AtomicBool::new(false)),
            log: log::Emitter::new(sink).holding(),
            #[cfg(feature = "h3")]
            h3,
        })
    }

    /// The HTTP/3 endpoint's UDP address, if `--h3` is on.
    pub fn h3_addr(&self) -> Option<SocketAddr> {
        #[cfg(feature = "h3")]
        return self.h3.as_ref().map(h3::Bound::local_addr);
        #[cfg(not(feature = "h3"))]
        None
    }

    /// The bound address (with the real port when the config asked for port 0):
    /// the cleartext listener's, or the TLS one's with TLS only.
    ///
    /// # Errors
    ///
    /// The socket's error, if it has one.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listeners.local_addr()
    }

    /// The TLS listener's address, if TLS is on.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.listeners.tls_addr()
    }

    /// The generated CA certificate (PEM) that signed the server's
    /// certificate, for a client's trust store (`curl --cacert`); `None`
    /// without TLS or with the user's own certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.listeners
            .tls
            .as_ref()
            .and_then(|t| t.ca_pem.as_deref())
    }

    /// A handle that stops [`run`](Server::run) from another thread or a signal
    /// handler thread.
    pub fn stopper(&self) -> Stopper {
        Stopper::new(self.waker.clone(), self.stop.clone())
    }

    /// Runs the event loop until stopped; closes every connection and returns the
    /// counters.
    ///
    /// # Errors
    ///
    /// [`Error::Poll`] if epoll fails.
    pub fn run(mut self) -> Result<Stats, Error> {
        let mut state = LoopState {
            conns: HashMap::new(),
            scratch: vec![0; SCRATCH],
            body: (0..self.config.body_size as u64)
                .map(pattern_byte)
                .collect(),
            stats: Stats::default(),
            events: Vec::new(),
            accept_paused: false,
            yielded: Vec::new(),
        };
        for event in self.listeners.announce(&self.config) {
            self.emit(None, event);
        }
        #[cfg(feature = "h3")]
        let h3 = match self.h3.take() {
            Some(bound) => Some(
                bound
                    .start(self.log.immediate(), self.config.status, &state.body)
                    .map_err(Error::Poll)?,
            ),
            None => None,
        };
        let mut events = Events::with_capacity(1024);
        let result = loop {
            let wait_start = Instant::now();
            // Held log lines go out before the loop can sleep.
            self.log.flush();
            let timeout = if state.yielded.is_empty() {
                state
                    .conns
                    .values()
                    .filter_map(Conn::deadline)
                    .min()
                    .map(|d| d.saturating_duration_since(wait_start))
            } else {
                // Connections with work left: look for events without waiting.
                Some(Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break Err(Error::Poll(e));
            }
            let mut stopping = false;
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(&mut state, false),
                    TLS_LISTENER => self.accept_all(&mut state, true),
                    WAKER => stopping = self.stop.load(Ordering::SeqCst),
                    token => {
                        // EPOLLRDHUP/EPOLLHUP/EPOLLERR as reported now: h1
                        // may skip a peek only when none is set.
                        let quiet = !(event.is_read_closed() || event.is_error());
                        self.drive(&mut state, token, Conn::drive, quiet)
                    }
                }
            }
            if stopping {
                break Ok(());
            }
            let now = Instant::now();
            // Only scan for due timers when the earliest deadline known
            // before the wait has passed (connections accepted since have
            // later ones), not after every batch of events.
            if timeout.is_some_and(|t| now >= wait_start + t) {
                let due: Vec<Token> = state
                    .conns
                    .iter()
                    .filter(|(_, c)| c.deadline().is_some_and(|d| d <= now))
                    .map(|(t, _)| *t)
                    .collect();
                for token in due {
                    self.drive(&mut state, token, Conn::on_timer, false);
                }
            }
            // The connections that used up their turn go again, after everyone
            // with an event in this round has had theirs.
            for token in std::mem::take(&mut state.yielded) {
                self.drive(&mut state, token, Conn::drive, false);
            }
            if state.accept_paused && state.conns.len() < self.config.max_conns {
                self.accept_all(&mut state, false);
                self.accept_all(&mut state, true);
            }
        };
        let mut tokens: Vec<Token> = state.conns.keys().copied().collect();
        tokens.sort();
        for token in tokens {
            self.drive(&mut state, token, Conn::stop, false);
        }
        #[cfg(feature = "h3")]
        if let Some(h3) = h3 {
            h3.stop();
        }
        self.emit(None, Event::Stopped);
        self.log.flush();
        result.map(|()| state.stats)
    }

    /// Accepts until `WouldBlock` (mio's drain rule for listeners), on the
    /// TLS listener or the cleartext one.
    fn accept_all(&mut self, state: &mut LoopState, tls: bool) {
        state.accept_paused = false;
        loop {
            let Some(listener) = self.listeners.get(tls) else {
                return;
            };
            match listener.accept() {
                Ok((stream, peer)) => self.admit(state, stream, peer, tls),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    // EMFILE and friends: the connection stays in the backlog; try
                    // again when one of ours closes instead of spinning.
                    state.accept_paused = true;
                    self.emit(
                        None,
                        Event::AcceptError {
                            error: e.to_string(),
                        },
                    );
                    return;
                }
            }
        }
    }

    fn admit(&mut self, state: &mut LoopState, mut stream: TcpStream, peer: SocketAddr, tls: bool) {
        let id = self.log.next_conn();
        state.stats.accepted += 1;
        if state.conns.len() >= self.config.max_conns {
            self.refuse(state, id, &mut stream, peer, tls);
            return;
        }
        if let Some(size) = self.config.send_buffer {
            // Best effort: the kernel clamps it to net.core.wmem_max.
            let _ = socket2::SockRef::from(&stream).set_send_buffer_size(size);
        }
        let token = Token(id as usize + 1);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut stream, token, interest)
            .is_err()
        {
            // Registration failing means the socket is unusable; dropping it closes it.
            return;
        }
        self.emit(Some(id), Event::Accepted { peer });
        let now = Instant::now();
        let conn = match (&self.listeners.tls, tls) {
            (Some(t), true) => Conn::tls(id, stream, t.config.clone(), &self.config, now),
            _ => Conn::new(id, stream, &self.config, now),
        };
        state.conns.insert(token, conn);
    }

    /// Over `max_conns`: answer 503 at once, without reading, and close. The close
    /// usually finds the request unread, so this ends in RST; it is the cheapest
    /// clear answer a full server can give (RFC 9110 §15.6.4). On the TLS port
    /// there is no cheap answer (a 503 needs a handshake): the close alone says it.
    fn refuse(
        &mut self,
        state: &mut LoopState,
        id: u64,
        stream: &mut TcpStream,
        peer: SocketAddr,
        tls: bool,
    ) {
        state.stats.refused += 1;
        self.emit(Some(id), Event::Refused { peer });
        if !tls {
            let mut out = Vec::new();
            let mut r = Response::text(503, "too many connections");
            r.extra.push(("Retry-After".into(), "1".into()));
            r.encode(&mut out);
            let _ = io::Write::write(stream, &out);
        }
        let unread = plain::unread(stream, &mut state.scratch);
        let end = if unread > 0 {
            CloseEnding::WeProvokedRst
        } else {
            CloseEnding::WeSentFin
        };
        self.finished(state, id, end, Cause::MaxConns, unread);
    }

    /// Drives connection `token` with `step`; closes it if it finished.
    /// `quiet`: an event woke it, and reported no FIN, hang-up or error.
    fn drive(
        &mut self,
        state: &mut LoopState,
        token: Token,
        step: fn(&mut Conn, &mut Cx<'_>) -> Next,
        quiet: bool,
    ) {
        let Some(conn) = state.conns.get_mut(&token) else {
            // Unknown token: the connection was closed earlier in this batch.
            return;
        };
        let mut cx = Cx {
            config: &self.config,
            scratch: &mut state.scratch,
            body: &state.body,
            stats: &mut state.stats,
            events: &mut state.events,
            log: self.log.on(),
            now: Instant::now(),
            quiet,
        };
        let next = step(conn, &mut cx);
        if next == Next::Yield && !state.yielded.contains(&token) {
            state.yielded.push(token);
        }
        for (id, event) in std::mem::take(&mut state.events) {
            self.emit(Some(id), event);
        }
        if let Next::Finished {
            mut end,
            cause,
            mut unread,
        } = next
            && let Some(mut conn) = state.conns.remove(&token)
        {
            // Deregister before drop (mio's rule); a failure only means the socket
            // is already unusable, and the drop below closes it either way.
            if let Some(stream) = conn.stream_mut() {
                let _ = self.poll.registry().deregister(stream);
            }
            // The last look at the receive queue, as close to close() as we can
            // get: bytes that arrived since the connection decided to close turn
            // the kernel's FIN into a RST (RFC 2525 §2.17), and the log must say
            // so. Bytes arriving after this look are the one race left, which
            // `CloseEnding::WeClosedBodyDue` owns up to where the server expects them.
            if matches!(end, CloseEnding::WeSentFin | CloseEnding::WeClosedBodyDue) {
                let now = conn
                    .stream_mut()
                    .map_or(0, |s| plain::unread(s, &mut state.scratch));
                if now > 0 {
                    (end, unread) = (CloseEnding::WeProvokedRst, now);
                }
            }
            let id = conn.id();
            drop(conn);
            self.finished(state, id, end, cause, unread);
        }
    }

    fn finished(
        &mut self,
        state: &mut LoopState,
        id: u64,
        end: CloseEnding,
        cause: Cause,
        unread: usize,
    ) {
        let s = &mut state.stats;
        *match end {
            CloseEnding::WeSentFin => &mut s.we_sent_fin,
            CloseEnding::WeProvokedRst | CloseEnding::WeAborted => &mut s.we_provoked_rst,
            CloseEnding::WeClosedBodyDue => &mut s.we_closed_body_due,
            CloseEnding::PeerFin => &mut s.peer_fin,
            CloseEnding::PeerRst => &mut s.peer_rst,
        } += 1;
        self.emit(Some(id), Event::Closed { end, cause, unread });
    }

    fn emit(&mut self, conn: Option<u64>, event: Event) {
        self.log.emit(conn, event);
    }
}

/// The loop's mutable state, apart from the poller.
struct LoopState {
    conns: HashMap<Token, Conn>,
    scratch: Vec<u8>,
    body: Vec<u8>,
    stats: Stats,
    events: Vec<(u64, Event)>,
    accept_paused: bool,
    /// Connections whose last drive ended with [`Next::Yield`], in order.
    yielded: Vec<Token>,
}
