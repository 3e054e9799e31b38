//! Labs: runs that join the server, a capture, a client and the analyzer, and
//! gather independent witnesses of what happened on the wire.

pub mod counters;
pub mod curl;
#[cfg(feature = "h3")]
pub mod discover;
pub mod negotiate;
pub mod netns;
pub mod nghttp;
pub mod nginx;
pub mod openssl;
pub mod peer;
pub mod reset;

/// How a lab client chooses HTTP/2 on a cleartext connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum H2Way {
    /// An HTTP/1.1 request with `Upgrade: h2c` (RFC 7540 §3.2, deprecated by
    /// RFC 9113 §3.1): `curl --http2`, `nghttp -u`.
    Upgrade,
    /// The preface on a fresh connection (RFC 9113 §3.3):
    /// `curl --http2-prior-knowledge`, `nghttp`.
    PriorKnowledge,
}
