//! Which protocol a connection speaks, decided from its first bytes, never
//! from its ports: a teaching server runs on any port, and a capture of an
//! incident rarely uses the standard ones.
//!
//! The rules, in the order they are tried:
//! - the client's first 24 bytes are the HTTP/2 connection preface (RFC 9113
//!   §3.4): HTTP/2 with prior knowledge;
//! - either side starts with `SSH-` (RFC 4253 §4.2, the identification
//!   string): SSH;
//! - the client starts with a TLS handshake record (content type 22, RFC 8446
//!   §5.1, legacy version 3.x): TLS;
//! - the client starts with a method token and a space (RFC 9112 §3), or the
//!   server with `HTTP/1.`: HTTP/1.x (and then the version and any switch
//!   refine it, see [`super::conversation`]);
//! - anything else: unknown.

use super::interactive::SSH_PREFIX;
use crate::proto::h2::PREFACE;

/// A connection's application protocol, as its JSON and table name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// HTTP/1.0 requests (or responses) only.
    Http10,
    /// HTTP/1.1.
    Http11,
    /// HTTP/1.1 that switched to HTTP/2 with `Upgrade: h2c` (RFC 7540 §3.2).
    H2cUpgrade,
    /// HTTP/2 from the first byte (RFC 9113 §3.3).
    H2PriorKnowledge,
    /// The client sent the HTTP/2 preface and the server answered in
    /// HTTP/1.x: a server without HTTP/2 read `PRI * HTTP/2.0` as a request
    /// line (RFC 9113 §3.3 leaves the client no fallback on that connection).
    H2PrefaceRefused,
    /// A TLS handshake.
    Tls,
    /// SSH.
    Ssh,
    /// Bytes none of the rules recognise.
    Unknown,
}

impl Protocol {
    /// The stable name (JSON `protocol`).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http10 => "http/1.0",
            Protocol::Http11 => "http/1.1",
            Protocol::H2cUpgrade => "h2c-upgrade",
            Protocol::H2PriorKnowledge => "h2-prior-knowledge",
            Protocol::H2PrefaceRefused => "h2-preface-refused",
            Protocol::Tls => "tls",
            Protocol::Ssh => "ssh",
            Protocol::Unknown => "unknown",
        }
    }
}

/// What the first bytes say so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// Decided: HTTP/1.x (version still open).
    Http1,
    /// Decided: one of the protocols that need no HTTP/1 decoder.
    Is(Protocol),
    /// Too few bytes to tell.
    NeedMore,
}

/// The longest method token accepted as the start of a request: longer
/// ones exist in theory, but a capture's unknown protocol should not be
/// taken for HTTP because it starts with a long word and a space.
const MAX_METHOD: usize = 24;

/// Bytes that may appear in a method token (RFC 9110 §5.6.2 `tchar`).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Decides from the first bytes each side sent (either may be empty).
pub fn guess(client: &[u8], server: &[u8]) -> Guess {
    if client.starts_with(SSH_PREFIX) || server.starts_with(SSH_PREFIX) {
        return Guess::Is(Protocol::Ssh);
    }
    if !client.is_empty() {
        let n = client.len().min(PREFACE.len());
        if client[..n] == PREFACE[..n] {
            return if n == PREFACE.len() {
                Guess::Is(Protocol::H2PriorKnowledge)
            } else {
                Guess::NeedMore
            };
        }
        if client[0] == 0x16 {
            return match client.get(1) {
                None => Guess::NeedMore,
                Some(3) => Guess::Is(Protocol::Tls),
                Some(_) => Guess::Is(Protocol::Unknown),
            };
        }
        if client.len() < SSH_PREFIX.len() && SSH_PREFIX.starts_with(client) {
            return Guess::NeedMore;
        }
        return match client.iter().position(|&b| !is_tchar(b)) {
            Some(0) => Guess::Is(Protocol::Unknown),
            Some(i) if client[i] == b' ' && i <= MAX_METHOD => Guess::Http1,
            Some(_) => Guess::Is(Protocol::Unknown),
            None if client.len() <= MAX_METHOD => Guess::NeedMore,
            None => Guess::Is(Protocol::Unknown),
        };
    }
    if server.is_empty() {
        return Guess::NeedMore;
    }
    // The server spoke first: an HTTP/1 answer to no request (a 408 on an
    // idle connection), or a greeting (SMTP, FTP) that is not HTTP.
    let probe = b"HTTP/1.";
    let n = server.len().min(probe.len());
    match (server[..n] == probe[..n], n == probe.len()) {
        (true, true) => Guess::Http1,
        (true, false) => Guess::NeedMore,
        _ if server.len() < SSH_PREFIX.len() && SSH_PREFIX.starts_with(server) => Guess::NeedMore,
        _ => Guess::Is(Protocol::Unknown),
    }
}

#[cfg(test)]
mod tests;
