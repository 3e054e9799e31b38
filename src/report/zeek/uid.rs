//! Connection uids in Zeek's style, derived from the connection itself.
//!
//! Zeek names each connection with "C" and 96 random bits in base 62
//! (`UID::Base62`: the 32-bit high word, then the 64-bit low word, each
//! written least significant digit first in the alphabet `0-9a-zA-Z`), so
//! its uids change from run to run. Here the 96 bits are a hash of what the
//! conn.log row itself shows: `ts` in microseconds, the originator's and
//! responder's address and port, and the IP protocol (6). The same
//! connection gets the same uid in every run, with any `--filter` or scope,
//! and a reader can recompute it from the row.

use std::net::IpAddr;

use crate::capture::Timestamp;
use crate::wire::{Endpoint, TunnelId};

/// Zeek's base-62 digits (`util::uitoa_n`).
const DIGITS: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The longest uid: "C", 6 digits for 32 bits, 11 for 64.
pub const MAX_LEN: usize = 18;

/// A connection uid: 96 bits, written as Zeek writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Uid {
    hi: u32,
    lo: u64,
}

/// FNV-1a, 64 bits: a fixed, documented byte hash (std's hasher may change
/// between Rust releases, which would change every uid).
struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 = (self.0 ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// SplitMix64's finalizer: spreads FNV's weak high bits over the word.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An address as 16 bytes: IPv4 in its IPv4-mapped IPv6 form (RFC 4291
/// §2.5.5.2), as Zeek stores every address.
fn addr16(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

impl Uid {
    /// The uid of the row with this `ts` (microseconds count, as printed),
    /// originator, responder and IP protocol.
    pub fn of(ts: Timestamp, orig: Endpoint, resp: Endpoint, proto: u8) -> Self {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        // Truncated toward zero, as the row's `%.6f` prints it.
        h.bytes(&(ts.0 / 1_000).to_be_bytes());
        h.bytes(&addr16(orig.addr));
        h.bytes(&orig.port.to_be_bytes());
        h.bytes(&addr16(resp.addr));
        h.bytes(&resp.port.to_be_bytes());
        h.bytes(&[proto]);
        Uid {
            hi: (mix(h.0 ^ 0x9e37_79b9_7f4a_7c15) >> 32) as u32,
            lo: mix(h.0),
        }
    }

    /// The uid of a tunnel, for `tunnel_parents`: from its identity (the
    /// outer addresses and ports, either way round; see [`TunnelId`]).
    /// Zeek names the outer UDP connection or IP tunnel; neither is
    /// reported here, so this uid is shared by the connections of one
    /// tunnel and appears in no row of its own.
    pub fn of_tunnel(id: TunnelId) -> Self {
        let h = id.get();
        Uid {
            hi: (mix(h ^ 0x9e37_79b9_7f4a_7c15) >> 32) as u32,
            lo: mix(h),
        }
    }

    /// Writes the uid into `buf`; returns its length (12 to [`MAX_LEN`]).
    pub fn write(self, buf: &mut [u8; MAX_LEN]) -> usize {
        buf[0] = b'C';
        let mut n = 1;
        for mut v in [u64::from(self.hi), self.lo] {
            // `do … while`: a zero word still writes one digit.
            loop {
                buf[n] = DIGITS[(v % 62) as usize];
                n += 1;
                v /= 62;
                if v == 0 {
                    break;
                }
            }
        }
        n
    }
}

impl std::fmt::Display for Uid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0; MAX_LEN];
        let n = self.write(&mut buf);
        // Only base-62 digits and "C" are written.
        f.write_str(std::str::from_utf8(&buf[..n]).unwrap_or("C"))
    }
}

#[cfg(test)]
mod tests;
