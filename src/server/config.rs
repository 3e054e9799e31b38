//! Every knob of the teaching server, with the default and the reason for it.

use std::net::SocketAddr;
use std::time::Duration;

use crate::http::{Framing, Limits};

use super::ReadMode;
use super::h3::H3Settings;
use super::tls::TlsSettings;

/// Which ways into HTTP/2 the server accepts on its cleartext port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Http2 {
    /// HTTP/1.x only: the preface is answered as a bad HTTP/1 request and
    /// `Upgrade: h2c` is ignored, as a server without HTTP/2 does.
    Off,
    /// Only `Upgrade: h2c` (RFC 7540 §3.2).
    Upgrade,
    /// Only the preface on a fresh connection (RFC 9113 §3.3).
    PriorKnowledge,
    /// Both.
    Both,
}

impl Http2 {
    /// The flag's spelling (`--http2 off`).
    pub fn as_str(self) -> &'static str {
        match self {
            Http2::Off => "off",
            Http2::Upgrade => "upgrade",
            Http2::PriorKnowledge => "prior-knowledge",
            Http2::Both => "both",
        }
    }

    /// New connections are peeked at for the preface.
    pub fn prior_knowledge(self) -> bool {
        matches!(self, Http2::PriorKnowledge | Http2::Both)
    }

    /// `Upgrade: h2c` is accepted.
    pub fn upgrade(self) -> bool {
        matches!(self, Http2::Upgrade | Http2::Both)
    }
}

/// Server configuration. `Config::default()` is what `lab serve` uses when no flag
/// is given, except that it binds an ephemeral port for tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on. Port 0 picks a free port ([`ServerHandle::local_addr`]
    /// says which).
    ///
    /// [`ServerHandle::local_addr`]: super::ServerHandle::local_addr
    pub bind: SocketAddr,
    /// How much of each request is read before closing: the lab's main knob.
    pub mode: ReadMode,
    /// Bytes `partial` reads (default 10).
    pub partial_bytes: usize,
    /// Response body framing (default Content-Length).
    pub framing: Framing,
    /// Response body size in bytes; the bytes are deterministic (default 128).
    pub body_size: usize,
    /// Status of normal responses (default 200; 200-599 except 204 and 304, which
    /// cannot carry the body).
    pub status: u16,
    /// Honour persistence per RFC 9112 §9.3 (default true); false closes after every
    /// response with `Connection: close`.
    pub keep_alive: bool,
    /// Answer as soon as a head with a body is parsed, without reading the body, then
    /// close: the early-413 pattern whose close leaves the body unread (RST) unless
    /// the mode drains.
    pub respond_before_body: bool,
    /// Between keep-alive requests, do not read: close when the idle timeout
    /// fires, whatever arrived meanwhile. This stages the keep-alive race of RFC
    /// 9112 §9.5 deterministically: the client's next request is already queued
    /// when the server closes the "idle" connection, so the close sends RST.
    pub keepalive_race: bool,
    /// SO_SNDBUF for each connection; `None` leaves Linux's autotuning. A
    /// buffer that holds the whole response makes `write()` return at once, so
    /// the close follows while most of a large body is still unsent, and a RST
    /// then discards that tail (RFC 9293 §3.6: ABORT flushes the send queue).
    pub send_buffer: Option<usize>,
    /// Largest request body accepted; larger ones get 413 (default 1 MiB, nginx's
    /// `client_max_body_size`).
    pub max_body: u64,
    /// Head size limits (414, 431).
    pub limits: Limits,
    /// Time allowed to receive a whole request head, from accept or from the first
    /// byte of a later request; then 408 and close (slowloris; nginx's
    /// `client_header_timeout`). Default 10 s.
    pub header_timeout: Duration,
    /// Inactivity allowed between keep-alive requests, inside a body, or while a
    /// response waits to be written; then close (RFC 9112 §9.5). Default 15 s.
    pub idle_timeout: Duration,
    /// `drain`: close when the peer sends nothing for this long (nginx
    /// `lingering_timeout`, 5 s).
    pub linger_idle: Duration,
    /// `drain`: close at the latest this long after the half-close (nginx
    /// `lingering_time`, 30 s).
    pub linger_total: Duration,
    /// Most connections open at once; one more is answered 503 at accept and closed.
    pub max_conns: usize,
    /// Listen backlog (clamped by the kernel to `net.core.somaxconn`).
    pub backlog: i32,
    /// HTTP/2 in cleartext: by upgrade, by prior knowledge, both (default)
    /// or off.
    pub http2: Http2,
    /// HTTP/2: SETTINGS_MAX_CONCURRENT_STREAMS, announced and enforced per
    /// connection (default 100, the RFC's recommended minimum, §6.5.2).
    pub max_streams: u32,
    /// HTTP/2: time the client has to acknowledge our SETTINGS, then a
    /// connection error SETTINGS_TIMEOUT (RFC 9113 §6.5.3). Default 10 s.
    pub settings_timeout: Duration,
    /// TLS with ALPN, on the server's address or beside it (default none).
    pub tls: Option<TlsSettings>,
    /// `Alt-Svc` on the cleartext listener's responses too, for the
    /// demonstration that clients ignore it there: an `http://` origin
    /// cannot be served over HTTP/3 (RFC 9114 §3.1.2), so a real server
    /// never sends this. Default none.
    pub cleartext_alt_svc_demo: Option<crate::http::AltSvc>,
    /// HTTP/3 on UDP beside the TLS listener, same port number (default
    /// none; needs `tls` and the `h3` feature).
    pub h3: Option<H3Settings>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            mode: ReadMode::Full,
            partial_bytes: 10,
            framing: Framing::Length,
            body_size: 128,
            status: 200,
            keep_alive: true,
            respond_before_body: false,
            keepalive_race: false,
            send_buffer: None,
            max_body: 1024 * 1024,
            limits: Limits::default(),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(15),
            linger_idle: Duration::from_secs(5),
            linger_total: Duration::from_secs(30),
            max_conns: 1024,
            backlog: 1024,
            http2: Http2::Both,
            max_streams: 100,
            settings_timeout: Duration::from_secs(10),
            tls: None,
            cleartext_alt_svc_demo: None,
            h3: None,
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The status is not a final status that can carry a body.
    #[error("status {0} is not supported: use 200-599 except 204 and 304")]
    Status(u16),
    /// `partial` with 0 bytes would be `no-read`.
    #[error("partial must read at least 1 byte (0 is what no-read does)")]
    PartialBytes,
    /// A zero limit or timeout.
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    /// Nothing left to offer in ALPN (h2 alone, with HTTP/2 off).
    #[error("the ALPN list is empty (h2 is not offered when HTTP/2 is off)")]
    NoAlpn,
    /// HTTP/3 without TLS: an `http://` origin cannot use it (RFC 9114
    /// §3.1), and the endpoint takes its certificate and port from TLS.
    #[error(
        "HTTP/3 needs TLS (--tls or --tls-port): its port and certificate are the TLS listener's"
    )]
    H3NeedsTls,
    /// HTTP/3 asked of a build without the `h3` feature.
    #[error("this build has no HTTP/3: rebuild with the `h3` cargo feature (on by default)")]
    H3NotBuilt,
}

impl Config {
    /// The `Alt-Svc` value for responses on a TLS or a cleartext
    /// connection.
    pub(crate) fn alt_svc(&self, tls: bool) -> Option<&crate::http::AltSvc> {
        if tls {
            self.tls.as_ref()?.alt_svc.as_ref()
        } else {
            self.cleartext_alt_svc_demo.as_ref()
        }
    }

    /// Checks the values that cannot work together.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(200..=599).contains(&self.status) || self.status == 204 || self.status == 304 {
            return Err(ConfigError::Status(self.status));
        }
        if self.partial_bytes == 0 {
            return Err(ConfigError::PartialBytes);
        }
        let durations = [
            ("header timeout", self.header_timeout),
            ("idle timeout", self.idle_timeout),
            ("linger idle", self.linger_idle),
            ("linger total", self.linger_total),
            ("settings timeout", self.settings_timeout),
        ];
        if let Some((name, _)) = durations.iter().find(|(_, d)| d.is_zero()) {
            return Err(ConfigError::Zero(name));
        }
        let l = &self.limits;
        let sizes = [
            ("max conns", self.max_conns),
            ("max request line", l.max_start_line),
            ("max field line", l.max_field_line),
            ("max head", l.max_head),
            ("max streams", self.max_streams as usize),
        ];
        if let Some((name, _)) = sizes.iter().find(|(_, n)| *n == 0) {
            return Err(ConfigError::Zero(name));
        }
        if let Some(tls) = &self.tls
            && tls.offered(self.http2).is_empty()
        {
            return Err(ConfigError::NoAlpn);
        }
        if let Some(h3) = &self.h3 {
            if !cfg!(feature = "h3") {
                return Err(ConfigError::H3NotBuilt);
            }
            if self.tls.is_none() {
                return Err(ConfigError::H3NeedsTls);
            }
            if h3.idle_timeout.is_zero() {
                return Err(ConfigError::Zero("HTTP/3 idle timeout"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        assert_eq!(Config::default().validate(), Ok(()));
    }

    #[test]
    fn bodiless_and_interim_statuses_are_refused() {
        for status in [100, 204, 304, 600] {
            let c = Config {
                status,
                ..Config::default()
            };
            assert_eq!(c.validate(), Err(ConfigError::Status(status)));
        }
    }

    #[test]
    fn zero_partial_bytes_and_zero_timeouts_are_refused() {
        let c = Config {
            partial_bytes: 0,
            ..Config::default()
        };
        assert_eq!(c.validate(), Err(ConfigError::PartialBytes));
        let c = Config {
            idle_timeout: Duration::ZERO,
            ..Config::default()
        };
        assert_eq!(c.validate(), Err(ConfigError::Zero("idle timeout")));
    }
}
