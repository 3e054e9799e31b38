//! What the `--port`/`--host` scope left out of the QUIC connections and
//! DNS exchanges, and the numbers of those it kept.
//!
//! The flow table keeps no UDP flows, so QUIC and DNS come with the
//! summary rather than one by one; the scope is applied to them there
//! (`analyze::udp_scope`). A kept QUIC connection keeps the number it has
//! in an unscoped run (`QUIC 4` stays `QUIC 4` under `--port 443`), as a
//! TCP connection keeps its id: the table, the ladder and the annotated
//! copy name the same connection the same way whatever the scope.

use crate::app::dns::DnsExchange;
use crate::app::quic::QuicReport;

use super::{Summary, is_zero};

/// The scope's part of the summary (flattened into the JSON summary, where
/// only the counts appear, and only when not zero).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct UdpScope {
    /// QUIC connections seen but outside the scope.
    #[serde(skip_serializing_if = "is_zero")]
    pub quic_out_of_scope: u64,
    /// DNS exchanges seen but outside the scope.
    #[serde(skip_serializing_if = "is_zero")]
    pub dns_out_of_scope: u64,
    /// UDP datagrams of the QUIC connections left out (the summary's
    /// "frames read" counts every frame, in scope or not, as it does TCP's).
    #[serde(skip)]
    pub quic_datagrams_out_of_scope: u64,
    /// UDP datagrams of the DNS exchanges left out.
    #[serde(skip)]
    pub dns_datagrams_out_of_scope: u64,
    /// The number (from 1, in the order of the capture) of each QUIC
    /// connection of [`Summary::quic`], when a scope left some out; empty
    /// when they are all there, numbered 1, 2, ...
    #[serde(skip)]
    pub quic_numbers: Vec<usize>,
    /// The same for [`Summary::dns`].
    #[serde(skip)]
    pub dns_numbers: Vec<usize>,
}

/// Each item with its number: `numbers[i]`, or `i + 1` when there are none.
fn numbered<'a, T>(
    items: &'a [T],
    numbers: &'a [usize],
) -> impl Iterator<Item = (usize, &'a T)> + 'a {
    items
        .iter()
        .enumerate()
        .map(move |(i, x)| (numbers.get(i).copied().unwrap_or(i + 1), x))
}

impl Summary {
    /// The QUIC connections in scope with their numbers (`QUIC n`).
    pub fn quic_numbered(&self) -> impl Iterator<Item = (usize, &QuicReport)> {
        numbered(&self.quic, &self.udp_scope.quic_numbers)
    }

    /// The DNS exchanges in scope with their numbers (`DNS n`).
    pub fn dns_numbered(&self) -> impl Iterator<Item = (usize, &DnsExchange)> {
        numbered(&self.dns, &self.udp_scope.dns_numbers)
    }

    /// QUIC connections seen, in scope or not.
    pub fn quic_seen(&self) -> u64 {
        self.quic.len() as u64 + self.udp_scope.quic_out_of_scope
    }

    /// DNS exchanges seen, in scope or not.
    pub fn dns_seen(&self) -> u64 {
        self.dns.len() as u64 + self.udp_scope.dns_out_of_scope
    }
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn numbers_default_to_the_position() {
        let items = ["a", "b"];
        let all: Vec<_> = numbered(&items, &[]).collect();
        assert_eq!(all, [(1, &"a"), (2, &"b")]);
        let kept: Vec<_> = numbered(&items, &[3, 7]).collect();
        assert_eq!(kept, [(3, &"a"), (7, &"b")]);
    }
}
