//! What the server did over its life, counted.

#[cfg(doc)]
use super::CloseEnding;

/// Counters over the server's life, returned when it stops.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Connections accepted (refused ones included).
    pub accepted: u64,
    /// Connections answered 503 because of `max_conns`.
    pub refused: u64,
    /// Request heads parsed.
    pub requests: u64,
    /// Final responses written completely.
    pub responses: u64,
    /// Requests refused with 4xx/5xx.
    pub rejected: u64,
    /// Connections that ended with our FIN.
    pub we_sent_fin: u64,
    /// Connections that ended with a RST we provoked (unread bytes or an abort).
    pub we_provoked_rst: u64,
    /// Connections we closed before a request body arrived: FIN or RST,
    /// which the server cannot see (see [`CloseEnding::WeClosedBodyDue`]).
    pub we_closed_body_due: u64,
    /// Connections the peer closed with FIN first.
    pub peer_fin: u64,
    /// Connections the peer reset.
    pub peer_rst: u64,
}
