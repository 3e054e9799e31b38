//! What the user chooses for the HTTP/3 endpoint: how each connection
//! ends, the idle timeout it announces, and whether the TLS listener
//! advertises it. Plain data, compiled with or without the `h3` feature,
//! so that a build without it can say so instead of not knowing the flag.

use std::fmt;
use std::time::Duration;

/// How the server ends a QUIC connection once it has answered its
/// requests and the client has gone quiet. QUIC has no FIN and no RST: these are its four endings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum H3Close {
    /// GOAWAY on the control stream (RFC 9114 §5.2), then, once the
    /// client has acknowledged it, CONNECTION_CLOSE with H3_NO_ERROR
    /// (0x100, §8.1) in a frame of type 0x1d (RFC 9000 §19.19).
    Graceful,
    /// CONNECTION_CLOSE with H3_INTERNAL_ERROR (0x102) as soon as the
    /// client has acknowledged the response, with no GOAWAY first: what a
    /// server that gives up on a connection sends (RFC 9114 §5.4).
    Abrupt,
    /// Nothing: the connection ends when the idle timeout both sides
    /// agreed on expires, silently on both sides (RFC 9000 §10.1).
    Idle,
    /// The endpoint forgets the connection without a word and answers
    /// the client's next packet with a stateless reset (RFC 9000 §10.3).
    StatelessReset,
}

impl H3Close {
    /// Every ending, in the order the help lists them.
    pub const ALL: [H3Close; 4] = [
        H3Close::Graceful,
        H3Close::Abrupt,
        H3Close::Idle,
        H3Close::StatelessReset,
    ];

    /// The flag's spelling (`--h3-close stateless-reset`).
    pub fn as_str(self) -> &'static str {
        match self {
            H3Close::Graceful => "graceful",
            H3Close::Abrupt => "abrupt",
            H3Close::Idle => "idle",
            H3Close::StatelessReset => "stateless-reset",
        }
    }
}

impl fmt::Display for H3Close {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// HTTP/3 on UDP, on the TLS listener's port number (RFC 9114 §3.1.1:
/// an `h3` alternative names a UDP port).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct H3Settings {
    /// How each connection ends once its requests are answered.
    pub close: H3Close,
    /// The max_idle_timeout transport parameter we announce (RFC 9000
    /// §18.2); the connection's is the smaller of both sides' (§10.1).
    /// Default 30 s; `idle` is easier to watch with a short one.
    pub idle_timeout: Duration,
    /// Without an explicit `Alt-Svc` on the TLS listener, advertise this
    /// endpoint as `h3=":PORT"; ma=86400` (RFC 7838 §3) on its responses.
    pub advertise: bool,
}

impl Default for H3Settings {
    fn default() -> Self {
        H3Settings {
            close: H3Close::Graceful,
            idle_timeout: Duration::from_secs(30),
            advertise: true,
        }
    }
}
