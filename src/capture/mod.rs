//! Frames in: capture files (pcap, pcapng) and live interfaces.
//!
//! The first stage of the analyzer pipeline (**capture** → wire → flow →
//! teardown → report). A [`Frame`] borrows the captured bytes and keeps its
//! provenance: the 1-based frame number Wireshark shows ("Go to packet"), the
//! timestamp, the link type, and both lengths, so snap-length cuts are visible.

/// A capture timestamp in nanoseconds since the Unix epoch.
///
/// Integer nanoseconds keep pcapng's finer resolutions exact and make timer
/// arithmetic (Zeek's 5 s close delay and the like) free of rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// One second.
    pub const SECOND: i64 = 1_000_000_000;

    /// From seconds and microseconds.
    pub fn from_micros(secs: i64, micros: i64) -> Self {
        Timestamp(secs * Self::SECOND + micros * 1_000)
    }

    /// Seconds as a float (for printing only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::SECOND as f64
    }

    /// Formats as Zeek does (`%.6f` seconds), without going through a float.
    pub fn zeek(self) -> String {
        let micros = self.0.div_euclid(1_000);
        format!(
            "{}.{:06}",
            micros.div_euclid(1_000_000),
            micros.rem_euclid(1_000_000)
        )
    }
}

/// A link-layer header type, as numbered by tcpdump.org's LINKTYPE_ registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (and 802.3).
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (IPv4 or IPv6 by version nibble).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like NULL but in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured frame, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// 1-based position in the capture, as Wireshark numbers frames.
    pub number: u64,
    /// When it was captured.
    pub ts: Timestamp,
    /// How to decode `data`.
    pub link: LinkType,
    /// The captured bytes (`data.len()` is the captured length).
    pub data: &'a [u8],
    /// The length the frame had on the wire.
    pub orig_len: u32,
}
