//! Frames in: capture files (pcap, pcapng) and live interfaces.
//!
//! The first stage of the analyzer pipeline (**capture** → wire → flow →
//! teardown → report). A [`Frame`] borrows the captured bytes and keeps its
//! provenance: the 1-based frame number Wireshark shows ("Go to packet"), the
//! timestamp, the link type, and both lengths, so snap-length cuts are visible.
//!
//! Three sources produce frames through [`FrameSource`]: [`FileReader`] (pcap
//! and pcapng, own streaming code, any [`std::io::Read`]), [`CaptureSet`]
//! (several files merged by timestamp, as mergecap merges them) and
//! [`LiveCapture`] (libpcap on an interface). What a source cannot read it counts in
//! [`CaptureAnomalies`] and goes on; only what makes reading impossible is an
//! [`Error`].

pub mod annotate;
mod classic;
mod file;
mod input;
mod live;
mod pcapng;
mod set;
mod span;
#[cfg(test)]
mod tests;
mod times;

pub use file::{FileReader, Format, open_file, open_input};
pub use live::{LiveCapture, LiveOptions, LiveStats};
pub use set::{CaptureSet, Skipped, directory_files};
pub use span::{FrameSpan, Spanned};
pub use times::{FrameTimes, Timed};

use std::path::PathBuf;

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
    /// A time before the epoch (a pcapng `if_tsoffset` can make one) prints
    /// as `%.6f` prints a negative number: the sign, then the magnitude.
    pub fn zeek(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let m = self.0.unsigned_abs() / 1_000;
        format!("{sign}{}.{:06}", m / 1_000_000, m % 1_000_000)
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

/// Anything that yields frames one at a time.
pub trait FrameSource {
    /// The next frame. For a file, `None` means the end; for a live capture
    /// it means nothing arrived within the read timeout (see [`Self::is_live`]).
    ///
    /// # Errors
    ///
    /// Read failures of the underlying file or interface.
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error>;

    /// What was counted instead of read so far.
    fn anomalies(&self) -> &CaptureAnomalies;

    /// True for a live capture, whose `None` is a timeout and not the end.
    fn is_live(&self) -> bool {
        false
    }
}

/// Damage found in a capture and passed over; each count is a place where
/// the rest of the input was still read.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CaptureAnomalies {
    /// A record or block cut off by the end of the input (it ends the stream).
    pub truncated_records: u64,
    /// The bytes of that cut-off record or block, present but not read.
    /// Not in the JSON summary, whose fields are a published contract; the
    /// `lab` binary states it in its warning.
    #[serde(skip)]
    pub truncated_bytes: u64,
    /// Record or block headers that cannot be right (a captured length above
    /// any snap length, pcapng length fields that disagree, a block whose
    /// contents overrun it).
    pub damaged_records: u64,
    /// Bytes passed over while searching for the next good record after damage.
    pub skipped_bytes: u64,
    /// pcapng blocks of a type this reader does not know, skipped.
    pub unknown_blocks: u64,
    /// pcapng packets that name an interface no description block introduced.
    pub unknown_interface: u64,
    /// The first damaged record, named: tcpdump and tshark stop reading at
    /// such damage, so it is worth a warning (the count is `damaged_records`).
    #[serde(skip)]
    pub first_damage: Option<Damage>,
}

/// Where a damaged record was found and what was wrong with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Input offset of the record or block.
    pub offset: u64,
    /// What was wrong.
    pub kind: DamageKind,
}

/// The ways a record or block header can be impossible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DamageKind {
    /// A record or block claims more bytes than any capture holds (pcap: a
    /// captured length above every snap length; pcapng: a block length
    /// outside 12 bytes to 16 MiB or not a multiple of 4).
    TooLong {
        /// The length claimed.
        claimed: u64,
    },
    /// A pcapng block whose two length fields disagree.
    LengthsDisagree,
    /// A pcapng block whose contents (packet data, fixed fields) overrun it.
    ContentsOverrun,
    /// A pcapng option that runs past the end of its block.
    OptionOverrun,
    /// A pcapng section header of a version other than 1.x.
    SectionVersion {
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
}

impl std::fmt::Display for DamageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DamageKind::TooLong { claimed } => {
                write!(
                    f,
                    "a record claims {claimed} bytes, more than any capture holds"
                )
            }
            DamageKind::LengthsDisagree => write!(f, "a pcapng block's two length fields disagree"),
            DamageKind::ContentsOverrun => write!(f, "a pcapng block's contents overrun it"),
            DamageKind::OptionOverrun => write!(f, "a pcapng option is longer than its block"),
            DamageKind::SectionVersion { major, minor } => {
                write!(f, "a pcapng section header of version {major}.{minor}")
            }
        }
    }
}

impl CaptureAnomalies {
    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        *self == CaptureAnomalies::default()
    }

    /// Counts a damaged record, keeping the first one's description.
    pub(crate) fn damaged(&mut self, offset: u64, kind: DamageKind) {
        self.damaged_records += 1;
        self.first_damage.get_or_insert(Damage { offset, kind });
    }
}

/// Why a capture cannot be read (or written) at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Reading failed part-way.
    #[error("read error after byte {offset} of the capture: {source}")]
    Read {
        /// Input offset of the record being read.
        offset: u64,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Zero bytes of input.
    #[error("the capture is empty (0 bytes): expected a pcap or pcapng file")]
    Empty,
    /// The first bytes are no capture magic.
    #[error(
        "not a capture file: it starts with {magic}, but pcap files start with d4 c3 b2 a1, a1 b2 c3 d4, 4d 3c b2 a1 or a1 b2 3c 4d and pcapng files with 0a 0d 0d 0a"
    )]
    NotACapture {
        /// The first bytes, in hex.
        magic: String,
    },
    /// A compressed capture.
    #[error(
        "the capture is {kind}-compressed: decompress it first, e.g. `{tool} -dc FILE | lab analyze -`"
    )]
    Compressed {
        /// The compression format.
        kind: &'static str,
        /// The tool that undoes it.
        tool: &'static str,
    },
    /// The file header itself is cut short.
    #[error("the {format} file header is cut short ({len} of {need} bytes): the file is truncated")]
    TruncatedHeader {
        /// `pcap` or `pcapng`.
        format: &'static str,
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        need: usize,
    },
    /// A format version this reader does not know.
    #[error(
        "unsupported {format} version {major}.{minor}: only pcap 2.x and pcapng 1.x can be read"
    )]
    UnsupportedVersion {
        /// `pcap` or `pcapng`.
        format: &'static str,
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// The first pcapng block is not a usable section header.
    #[error("damaged pcapng section header at byte {offset}: {reason}")]
    BadSectionHeader {
        /// Input offset of the damage.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// One file of several could not be read.
    #[error("{}: {error}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// Why.
        error: Box<Error>,
    },
    /// A file of a set read differently the second time it was opened.
    #[error("its first record changed while the set was read (is it still being written?)")]
    Changed,
    /// Capturing needs privileges this process lacks.
    #[error(
        "no permission to capture on {interface}: run as root, or give the binary the capabilities: sudo setcap cap_net_raw,cap_net_admin+eip {binary}"
    )]
    Permission {
        /// The interface.
        interface: String,
        /// The running binary's path, for the setcap command.
        binary: String,
    },
    /// The interface does not exist.
    #[error("no interface named {interface:?}: list them with `ip link`")]
    NoSuchInterface {
        /// The interface.
        interface: String,
    },
    /// The BPF filter does not compile.
    #[error("bad capture filter {filter:?}: {message}")]
    Filter {
        /// The filter expression.
        filter: String,
        /// libpcap's complaint.
        message: String,
    },
    /// Any other libpcap failure on a live interface.
    #[error("live capture on {interface} failed: {message}")]
    Live {
        /// The interface.
        interface: String,
        /// libpcap's message.
        message: String,
    },
    /// The `--write` file cannot be created or written.
    #[error("cannot write the capture to {}: {message}", path.display())]
    Write {
        /// The output path.
        path: PathBuf,
        /// libpcap's message.
        message: String,
    },
}

/// Reads a u16 in the given byte order; callers have checked the bounds.
fn read_u16(b: &[u8], off: usize, big_endian: bool) -> u16 {
    let v = [b[off], b[off + 1]];
    if big_endian {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

/// Reads a u32 in the given byte order; callers have checked the bounds.
fn read_u32(b: &[u8], off: usize, big_endian: bool) -> u32 {
    let v = [b[off], b[off + 1], b[off + 2], b[off + 3]];
    if big_endian {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

/// Bytes as spaced lower-case hex, for messages.
fn hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(" ")
}
