//! The `--port`/`--host` scope applied to what the UDP datagrams held.
//!
//! A TCP connection is judged by [`Scope::matches`] as the flow table hands
//! it out; QUIC connections and DNS exchanges come all at once at the end
//! of the input, and are judged here by the same rule on their two
//! endpoints ([`Scope::matches_ends`]: in scope when either side has one of
//! the ports and either side one of the addresses). Those left out are
//! counted, and those kept keep their number in the whole capture.

use crate::report::{Summary, UdpScope};

use super::app_stage::UdpReports;
use super::options::Scope;

/// Puts the reports in `scope` into the summary, and what it left out
/// into its counts.
pub(super) fn keep_in_scope(scope: &Scope, udp: UdpReports, summary: &mut Summary) {
    let UdpReports { quic, dns } = udp;
    if scope == &Scope::default() {
        summary.quic = quic;
        summary.dns = dns;
        return;
    }
    let mut counts = UdpScope::default();
    let (quic, numbers) = split(
        quic,
        |q| scope.matches_ends(q.client, q.server),
        |q| {
            counts.quic_out_of_scope += 1;
            counts.quic_datagrams_out_of_scope += q.datagrams;
        },
    );
    summary.quic = quic;
    counts.quic_numbers = numbers;
    let (dns, numbers) = split(
        dns,
        |x| scope.matches_ends(x.client, x.server),
        |x| {
            counts.dns_out_of_scope += 1;
            counts.dns_datagrams_out_of_scope += u64::from(x.datagrams);
        },
    );
    summary.dns = dns;
    counts.dns_numbers = numbers;
    summary.udp_scope = counts;
}

/// The items `keep` accepts, with their numbers (from 1) in `all`; each
/// other one goes to `left_out`.
fn split<T>(
    all: Vec<T>,
    keep: impl Fn(&T) -> bool,
    mut left_out: impl FnMut(&T),
) -> (Vec<T>, Vec<usize>) {
    let mut kept = Vec::new();
    let mut numbers = Vec::new();
    for (i, x) in all.into_iter().enumerate() {
        if keep(&x) {
            kept.push(x);
            numbers.push(i + 1);
        } else {
            left_out(&x);
        }
    }
    (kept, numbers)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn kept_items_keep_their_numbers() {
        let mut left = Vec::new();
        let (kept, numbers) = split(vec![10, 11, 12, 13], |x| x % 2 == 1, |x| left.push(*x));
        assert_eq!(kept, [11, 13]);
        assert_eq!(numbers, [2, 4]);
        assert_eq!(left, [10, 12]);
    }
}
