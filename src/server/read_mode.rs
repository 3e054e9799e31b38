//! The read modes: how much of the request the server reads before it closes, and
//! therefore whether the kernel ends the connection with FIN or with RST.
//!
//! The rule they all demonstrate is Linux's `__tcp_close()`: closing a socket whose
//! receive queue still holds unread bytes sends RST instead of FIN (RFC 1122
//! §4.2.2.13, RFC 2525 §2.17), and so does data that arrives after the close.
//!
//! What "the request" is depends on the protocol:
//!
//! - **HTTP/1.x** (`h1/`): a head and its body; `full` reads exactly that and
//!   leaves what follows queued.
//! - **HTTP/2** (`h2/`): frames, which a server must keep reading (SETTINGS
//!   ACKs, WINDOW_UPDATEs, PINGs arrive at any time). `no-read` and `partial`
//!   answer the first stream and read no frame past those it took to answer, so
//!   the client's next frames make the close a RST;
//!   `full` serves every stream and sends GOAWAY before its idle close; `drain`
//!   is RFC 9113 §6.8's graceful shutdown (GOAWAY 2^31−1, a PING round trip,
//!   GOAWAY with the last stream, then the lingering close); `abort` closes as
//!   `full` but with `SO_LINGER {on, 0}`.
//!
//! Both run on plain TCP today (`transport/`); TLS will add a layer whose own
//! records can be left unread the same way.

/// What the server does with a connection after accepting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// Write the response without reading anything, then close.
    ///
    /// Demonstrates: the request is still unread in the kernel's receive queue at
    /// `close()`, so Linux aborts the connection with RST (RFC 1122 §4.2.2.13, RFC
    /// 2525 §2.17). The server waits until the request's first bytes have arrived
    /// (readiness, not a read) so that the close always finds them unread.
    NoRead,
    /// Read at most `partial_bytes` of the request (default 10), respond, close.
    ///
    /// Demonstrates: reading *some* of the request is no better than reading none;
    /// the rest is unread at close, so RST.
    Partial,
    /// Read exactly the request (head, then body by Content-Length or chunked) and
    /// never a byte beyond it, respond, close (or keep the connection per RFC 9112
    /// §9.3).
    ///
    /// Demonstrates: a clean FIN when the client sent only the request, and a RST
    /// when more bytes were queued behind it or arrive after the close (pipelining,
    /// the keep-alive race: RFC 9112 §9.6 "the TCP reset problem").
    Full,
    /// `Full`, then the lingering close of RFC 9112 §9.6: `shutdown(Write)` (FIN),
    /// read and discard until the peer's FIN or a timeout, then close.
    ///
    /// Demonstrates: FIN both ways even with late or pipelined bytes, as nginx
    /// (`lingering_close`) and Apache do; `--linger-idle` and `--linger-total`
    /// bound it like nginx's `lingering_timeout` (5 s) and `lingering_time` (30 s).
    Drain,
    /// `Full`, respond, then `SO_LINGER {on, 0}` and close.
    ///
    /// Demonstrates: the abortive close of RFC 9293 §3.6 (ABORT): RST even though
    /// everything was read; Linux counts it as TcpExtTCPAbortOnData.
    Abort,
}

impl ReadMode {
    /// Every mode, in teaching order.
    pub const ALL: [ReadMode; 5] = [
        ReadMode::NoRead,
        ReadMode::Partial,
        ReadMode::Full,
        ReadMode::Drain,
        ReadMode::Abort,
    ];

    /// The mode's name on the command line and in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadMode::NoRead => "no-read",
            ReadMode::Partial => "partial",
            ReadMode::Full => "full",
            ReadMode::Drain => "drain",
            ReadMode::Abort => "abort",
        }
    }

    /// The mode parses requests and can therefore keep a connection alive. `no-read`
    /// and `partial` never look at the request, so they answer once and close.
    pub fn reads_requests(self) -> bool {
        matches!(self, ReadMode::Full | ReadMode::Drain | ReadMode::Abort)
    }
}

impl std::fmt::Display for ReadMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
