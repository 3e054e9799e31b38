//! The connection event log: one structured record per event, to a sink the
//! caller chooses (the library never prints).
//!
//! Text lines are `key=value` pairs (logfmt), one per event:
//!
//! ```text
//! t=0.000412 conn=1 event=accepted peer=127.0.0.1:40718
//! t=0.000530 conn=1 event=closed end="we provoked RST" cause=one-shot-mode unread=78
//! ```
//!
//! JSON lines carry the same fields (`--log json`). The `closed` record says how the
//! connection ended with exactly one of the [`CloseEnding`]s, and FIN is never called a
//! reset: an EOF is the peer's FIN, ECONNRESET is the peer's RST.

use std::net::SocketAddr;

use crate::http::{BodyFraming, Framing, Method, Version};
use crate::proto::h2::ErrorCode;

use super::ReadMode;
use super::h2::StreamState;
use super::tls::{Alpn, TlsVersions};

/// How a connection ended, from the server's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseEnding {
    /// We closed (or half-closed) with nothing unread: the kernel sent FIN
    /// (RFC 9293 §3.6 CLOSE).
    WeSentFin,
    /// We closed with unread bytes in the receive queue: the kernel sent RST
    /// (RFC 1122 §4.2.2.13, RFC 2525 §2.17).
    WeProvokedRst,
    /// We set `SO_LINGER {on, 0}` and closed (`abort` mode): the kernel sent
    /// RST whatever was read (RFC 9293 §3.6 ABORT).
    WeAborted,
    /// We answered before reading a request body, and at our last look, just
    /// before close(), none of the body had arrived. Whether the kernel sent
    /// FIN or RST is decided after that look: FIN if the client holds the body
    /// back, RST if any of it arrives before the close (counted as
    /// TcpExtTCPAbortOnClose) or after it (TcpExtTCPAbortOnData). The server
    /// cannot see which; the packets can.
    WeClosedBodyDue,
    /// The peer closed first: a read returned 0 (EOF), the peer's FIN.
    PeerFin,
    /// The peer aborted: a read or write failed with ECONNRESET, the peer's RST.
    PeerRst,
}

impl std::fmt::Display for CloseEnding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CloseEnding::WeSentFin => "we sent FIN",
            CloseEnding::WeProvokedRst => "we provoked RST",
            CloseEnding::WeAborted => "we aborted, SO_LINGER 0",
            CloseEnding::WeClosedBodyDue => "we closed, body still due",
            CloseEnding::PeerFin => "peer FIN (EOF)",
            CloseEnding::PeerRst => "peer RST (ECONNRESET)",
        })
    }
}

/// Why the server closed (or found closed) a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "status")]
pub enum Cause {
    /// `no-read` and `partial` answer once and close.
    OneShotMode,
    /// `--keep-alive off`.
    KeepAliveOff,
    /// The request asked to close, or HTTP/1.0 without keep-alive (RFC 9112 §9.3).
    NotPersistent,
    /// Close-delimited framing: the close ends the body (RFC 9112 §6.3).
    CloseFraming,
    /// `--respond-before-body`: the body was left unread.
    RespondedBeforeBody,
    /// A request was refused with this status.
    Rejected(u16),
    /// The head did not arrive within the header timeout (408).
    HeaderTimeout,
    /// No activity within the idle timeout (RFC 9112 §9.5).
    IdleTimeout,
    /// `drain`: the peer's FIN arrived after ours.
    DrainedToPeerFin,
    /// `drain`: the peer was silent for `linger_idle`.
    LingerIdleTimeout,
    /// `drain`: `linger_total` passed.
    LingerTotalTimeout,
    /// The peer closed between requests (or before the first).
    PeerClosed,
    /// The peer closed in the middle of a request.
    PeerClosedMidRequest,
    /// A read or write failed with ECONNRESET or EPIPE.
    PeerReset,
    /// Another socket error.
    SocketError,
    /// Over `max_conns`: answered 503 without reading.
    MaxConns,
    /// The server is stopping.
    ServerStopping,
    /// HTTP/2: a connection error (RFC 9113 §5.4.1); the `goaway` record
    /// before it names the code.
    H2ConnectionError,
    /// HTTP/2 `drain`: the graceful shutdown of RFC 9113 §6.8 is complete
    /// (final GOAWAY sent, no stream left).
    GracefulShutdown,
    /// HTTP/2: the client's GOAWAY said it is done (§6.8) and no stream is
    /// left.
    PeerGoAway,
    /// TLS: the handshake or a record failed; the `tls-failed` record
    /// before it says why.
    TlsFailed,
    /// TLS `drain`: the client's close_notify arrived after ours
    /// (RFC 8446 §6.1).
    DrainedToPeerCloseNotify,
}

impl Cause {
    /// The cause's name in the text log.
    fn name(self) -> &'static str {
        match self {
            Cause::OneShotMode => "one-shot-mode",
            Cause::KeepAliveOff => "keep-alive-off",
            Cause::NotPersistent => "not-persistent",
            Cause::CloseFraming => "close-framing",
            Cause::RespondedBeforeBody => "responded-before-body",
            Cause::Rejected(_) => "rejected",
            Cause::HeaderTimeout => "header-timeout",
            Cause::IdleTimeout => "idle-timeout",
            Cause::DrainedToPeerFin => "drained-to-peer-fin",
            Cause::LingerIdleTimeout => "linger-idle-timeout",
            Cause::LingerTotalTimeout => "linger-total-timeout",
            Cause::PeerClosed => "peer-closed",
            Cause::PeerClosedMidRequest => "peer-closed-mid-request",
            Cause::PeerReset => "peer-reset",
            Cause::SocketError => "socket-error",
            Cause::MaxConns => "max-conns",
            Cause::ServerStopping => "server-stopping",
            Cause::H2ConnectionError => "h2-connection-error",
            Cause::GracefulShutdown => "graceful-shutdown",
            Cause::PeerGoAway => "peer-goaway",
            Cause::TlsFailed => "tls-failed",
            Cause::DrainedToPeerCloseNotify => "drained-to-peer-close-notify",
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Rejected(status) => write!(f, "rejected-{status}"),
            other => f.write_str(other.name()),
        }
    }
}

/// A timer that fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timer {
    /// Header timeout.
    Header,
    /// Idle timeout.
    Idle,
    /// Lingering close: idle.
    LingerIdle,
    /// Lingering close: total.
    LingerTotal,
    /// HTTP/2: our SETTINGS still unacknowledged (RFC 9113 §6.5.3).
    SettingsAck,
}

impl std::fmt::Display for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Timer::Header => "header",
            Timer::Idle => "idle",
            Timer::LingerIdle => "linger-idle",
            Timer::LingerTotal => "linger-total",
            Timer::SettingsAck => "settings-ack",
        })
    }
}

/// One event.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The server is listening.
    Listening {
        /// Bound address.
        addr: SocketAddr,
        /// Read mode.
        mode: ReadMode,
        /// Response framing.
        framing: Framing,
    },
    /// A connection was accepted.
    Accepted {
        /// The client's address.
        peer: SocketAddr,
    },
    /// A connection over `max_conns` was answered 503 and closed.
    Refused {
        /// The client's address.
        peer: SocketAddr,
    },
    /// Bytes were read (consumed) from the socket.
    Read {
        /// Bytes in this read.
        bytes: usize,
        /// Bytes read on this connection so far.
        total: u64,
    },
    /// A request head was parsed.
    Request {
        /// 1-based request number on this connection.
        seq: u64,
        /// Method.
        method: Method,
        /// Target.
        target: String,
        /// Version.
        version: Version,
        /// Body framing.
        body: BodyFraming,
        /// The client asked for persistence (RFC 9112 §9.3).
        persistent: bool,
    },
    /// A request was refused.
    Rejected {
        /// Status sent.
        status: u16,
        /// Why, in words.
        reason: String,
    },
    /// `100 Continue` was queued before reading the body.
    Continue,
    /// A response was written completely to the socket.
    Response {
        /// Status.
        status: u16,
        /// Framing.
        framing: Framing,
        /// Body bytes (0 for HEAD).
        body_bytes: usize,
        /// Bytes written, head included.
        bytes: usize,
        /// The connection stays open for another request.
        keep_alive: bool,
    },
    /// `shutdown(Write)`: our FIN is sent, the lingering close begins.
    HalfClosed {
        /// Why we are closing.
        cause: Cause,
    },
    /// The lingering close discarded this many bytes.
    Drained {
        /// Bytes read and discarded after our FIN.
        bytes: u64,
    },
    /// A timer fired.
    Timeout {
        /// Which.
        timer: Timer,
    },
    /// The connection is closed: how and why.
    Closed {
        /// FIN or RST, ours or the peer's.
        end: CloseEnding,
        /// Why.
        cause: Cause,
        /// Bytes still unread in the receive queue at close (they make the RST).
        unread: usize,
    },
    /// `accept()` failed (for example out of file descriptors); accepting pauses
    /// until a connection closes.
    AcceptError {
        /// The error.
        error: String,
    },
    /// HTTP/2: the client's connection preface arrived (RFC 9113 §3.4).
    Preface {
        /// Prior knowledge or after an upgrade.
        start: H2Start,
    },
    /// HTTP/2: `101 Switching Protocols` to h2c was queued for HTTP/1.1
    /// request `seq`, its body read completely first (RFC 7540 §3.2).
    Upgrade {
        /// The upgrading request's number on the connection.
        seq: u64,
        /// The decoded HTTP2-Settings header (RFC 7540 §3.2.1).
        settings: Vec<SettingValue>,
        /// Request body bytes read before switching.
        body_bytes: u64,
    },
    /// HTTP/2: a SETTINGS frame (RFC 9113 §6.5).
    Settings {
        /// Which way.
        dir: Dir,
        /// An acknowledgement (carries no parameters).
        ack: bool,
        /// The parameters, in order.
        params: Vec<SettingValue>,
    },
    /// HTTP/2: a stream changed state (RFC 9113 §5.1).
    Stream {
        /// Stream identifier.
        id: u32,
        /// The state it is now in.
        state: StreamState,
        /// `:method`, when the request is complete.
        #[serde(skip_serializing_if = "Option::is_none")]
        method: Option<String>,
        /// `:path`, when the request is complete.
        #[serde(skip_serializing_if = "Option::is_none")]
        target: Option<String>,
        /// Request body bytes, when the request is complete.
        #[serde(skip_serializing_if = "Option::is_none")]
        request_bytes: Option<u64>,
        /// Response status, when the response is complete.
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// Response body bytes, when the response is complete.
        #[serde(skip_serializing_if = "Option::is_none")]
        body_bytes: Option<usize>,
    },
    /// HTTP/2: a GOAWAY frame (RFC 9113 §6.8).
    #[serde(rename = "goaway")]
    GoAway {
        /// Which way.
        dir: Dir,
        /// The highest stream the sender may have acted on.
        last_stream: u32,
        /// Why.
        #[serde(serialize_with = "h2::code")]
        code: ErrorCode,
        /// The broken rule, for a GOAWAY we sent for an error.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'static str>,
    },
    /// HTTP/2: a RST_STREAM frame (RFC 9113 §6.4).
    RstStream {
        /// Which way.
        dir: Dir,
        /// The stream.
        stream: u32,
        /// Why.
        #[serde(serialize_with = "h2::code")]
        code: ErrorCode,
        /// The broken rule, for a RST_STREAM we sent for an error.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'static str>,
    },
    /// TLS: the server is listening for TLS connections.
    ListeningTls {
        /// Bound address.
        addr: SocketAddr,
        /// Read mode.
        mode: ReadMode,
        /// Response framing.
        framing: Framing,
        /// ALPN protocols offered, in the server's order.
        alpn: Vec<Alpn>,
        /// Versions accepted.
        versions: TlsVersions,
    },
    /// TLS: the client's ClientHello (RFC 8446 §4.1.2).
    ClientHello {
        /// Server Name Indication, if sent (RFC 6066 §3).
        #[serde(skip_serializing_if = "Option::is_none")]
        sni: Option<String>,
        /// ALPN protocols offered, in the client's order (RFC 7301 §3.1).
        alpn: Vec<String>,
    },
    /// TLS: the handshake is complete.
    TlsEstablished {
        /// Version agreed.
        version: TlsVersion,
        /// Cipher suite agreed.
        suite: String,
        /// The protocol ALPN chose; `None` when the client offered no ALPN
        /// (then HTTP/1.1).
        alpn: Option<Alpn>,
    },
    /// TLS: the handshake or a record failed; rustls's alert is sent.
    TlsFailed {
        /// Why, in words.
        reason: String,
    },
    /// TLS: a close_notify alert (RFC 8446 §6.1), ours or the client's.
    CloseNotify {
        /// Which way.
        dir: Dir,
        /// Ours answered the client's end of data (it closed first): its
        /// close_notify, or a bare FIN. `None` when ours came first.
        #[serde(skip_serializing_if = "Option::is_none")]
        answering: Option<PeerClose>,
    },
    /// TLS: a FIN with no close_notify before it (RFC 8446 §6.1): sent by
    /// us (`--no-close-notify`) or received.
    Truncation {
        /// Which way.
        dir: Dir,
    },
    /// The server stopped.
    Stopped,
    /// The HTTP/3 endpoint's events, with their own `event` names.
    #[serde(untagged)]
    Quic(QuicEvent),
}

mod emitter;
mod h2;
mod quic;
mod sink;
#[cfg(test)]
mod tests;
mod text;
mod tls;

pub(crate) use emitter::Emitter;
pub use h2::{Dir, H2Start, SettingValue};
pub use quic::{By, CloseLayer, QuicEvent, h3_code_name};
pub use sink::{LogFormat, LogSink, Record};
pub use tls::{PeerClose, TlsVersion};
