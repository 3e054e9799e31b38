//! The pcapng format (draft-ietf-opsawg-pcapng): a sequence of blocks, each
//! `type, total length, body, total length`.
//!
//! A Section Header Block sets the byte order of its section and forgets the
//! interfaces of the one before; Interface Description Blocks each bring their
//! own link type, snap length, timestamp resolution (`if_tsresol`) and offset
//! (`if_tsoffset`). Packets come in Enhanced, Simple and (obsolete) Packet
//! Blocks. Other known blocks are passed over; unknown ones are passed over
//! and counted. A block whose two length fields disagree is damage: it is
//! counted and the reader searches forward for the next plausible block.

use std::io::{self, Read};

use super::input::Input;
use super::{CaptureAnomalies, DamageKind, Frame, LinkType, Timestamp, read_u16, read_u32};

/// The Section Header Block type; a palindrome, so byte order cannot hide it.
pub(super) const SHB_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// The byte-order magic inside a Section Header Block.
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

pub(super) const IDB: u32 = 1;
pub(super) const PB: u32 = 2;
pub(super) const SPB: u32 = 3;
const NRB: u32 = 4;
const ISB: u32 = 5;
pub(super) const EPB: u32 = 6;
const SYSTEMD_JOURNAL: u32 = 9;
const DSB: u32 = 0x0a;
const CUSTOM: u32 = 0x0bad;
pub(super) const CUSTOM_NO_COPY: u32 = 0x4000_0bad;
pub(super) const SHB: u32 = 0x0a0d_0d0a;

/// The largest block believed (Wireshark uses the same bound).
pub(super) const MAX_BLOCK: usize = 16 * 1024 * 1024;
/// type + length + trailing length.
pub(super) const BLOCK_OVERHEAD: usize = 12;

/// How an interface's timestamp units become nanoseconds.
#[derive(Clone, Copy)]
enum Scale {
    /// Units of 10^-k s with k ≤ 9: multiply.
    Mul(i128),
    /// Units of 10^-k s with k > 9: divide.
    Div(i128),
    /// Units of 2^-k s.
    Shift(u32),
}

/// What an Interface Description Block said.
#[derive(Clone, Copy)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    scale: Scale,
    offset_ns: i128,
}

impl Interface {
    /// A 64-bit timestamp in this interface's units, as nanoseconds.
    fn timestamp(&self, high: u32, low: u32) -> Timestamp {
        let units = (i128::from(high) << 32) | i128::from(low);
        let ns = match self.scale {
            Scale::Mul(m) => units * m,
            Scale::Div(d) => units / d,
            Scale::Shift(k) => (units * 1_000_000_000) >> k,
        };
        let ns = ns + self.offset_ns;
        Timestamp(ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }
}

/// State carried from block to block.
pub(super) struct PcapNg {
    big_endian: bool,
    interfaces: Vec<Interface>,
    /// Simple Packet Blocks carry no timestamp; they get the previous one so
    /// that time never jumps to 1970 in the middle of a capture.
    last_ts: Timestamp,
    /// Damage inside a block that is still used (an option that overruns
    /// it), for the caller to count.
    side_damage: Option<DamageKind>,
}

/// What one well-framed block turned out to be.
enum Block {
    /// A packet: interface index, timestamp units, where the data lies in the block.
    Packet {
        interface: u32,
        time: Option<(u32, u32)>,
        data: (usize, usize),
        orig_len: u32,
    },
    /// Section header or interface description: state changed.
    Control,
    /// A block this reader passes over.
    Skipped,
    /// A block of a type it does not know.
    Unknown,
    /// Well framed but inconsistent inside.
    Damaged(DamageKind),
}

/// Whether a block type is one this reader knows.
fn known(block_type: u32) -> bool {
    matches!(
        block_type,
        SHB | IDB | PB | SPB | NRB | ISB | EPB | SYSTEMD_JOURNAL | DSB | CUSTOM | CUSTOM_NO_COPY
    )
}

/// The byte order named by a Section Header Block's byte-order magic.
pub(super) fn section_byte_order(bom: [u8; 4]) -> Option<bool> {
    if u32::from_be_bytes(bom) == BYTE_ORDER_MAGIC {
        Some(true)
    } else if u32::from_le_bytes(bom) == BYTE_ORDER_MAGIC {
        Some(false)
    } else {
        None
    }
}

impl PcapNg {
    pub(super) fn new() -> Self {
        PcapNg {
            big_endian: false,
            interfaces: Vec::new(),
            last_ts: Timestamp(0),
            side_damage: None,
        }
    }

    /// Type, length and byte order of the block starting at `h` (12 bytes),
    /// if its header is believable.
    fn block_header(&self, h: &[u8]) -> Option<(u32, usize, bool)> {
        self.checked_header(h).ok()
    }

    /// [`Self::block_header`], naming what is wrong when it is not believable.
    fn checked_header(&self, h: &[u8]) -> Result<(u32, usize, bool), DamageKind> {
        let big = if h[0..4] == SHB_MAGIC {
            section_byte_order([h[8], h[9], h[10], h[11]]).ok_or(DamageKind::ContentsOverrun)?
        } else {
            self.big_endian
        };
        let block_type = read_u32(h, 0, big);
        let len = read_u32(h, 4, big) as usize;
        if len > MAX_BLOCK {
            return Err(DamageKind::TooLong {
                claimed: len as u64,
            });
        }
        if len < BLOCK_OVERHEAD || !len.is_multiple_of(4) {
            return Err(DamageKind::LengthsDisagree);
        }
        Ok((block_type, len, big))
    }

    /// Reads blocks until the next packet.
    // Once per frame: without the hint, whether it is inlined into
    // `FileReader::next_frame` depends on how the caller's crate happens to
    // be split into codegen units (about 1% of a conn.log run).
    #[inline]
    pub(super) fn next<'a, R: Read>(
        &mut self,
        input: &'a mut Input<R>,
        anomalies: &mut CaptureAnomalies,
        number: &mut u64,
    ) -> io::Result<Option<Frame<'a>>> {
        loop {
            let got = input.fill(BLOCK_OVERHEAD)?;
            if got == 0 {
                return Ok(None);
            }
            if got < BLOCK_OVERHEAD {
                anomalies.truncated_records += 1;
                anomalies.truncated_bytes += got as u64;
                input.consume(got);
                return Ok(None);
            }
            let offset = input.offset();
            let (block_type, len, big) = match self.checked_header(input.bytes()) {
                Ok(header) => header,
                Err(kind) => {
                    anomalies.damaged(offset, kind);
                    self.resync(input, anomalies)?;
                    continue;
                }
            };
            let got = input.fill(len)?;
            if got < len {
                anomalies.truncated_records += 1;
                anomalies.truncated_bytes += got as u64;
                input.consume(got);
                return Ok(None);
            }
            let block = &input.bytes()[..len];
            if read_u32(block, len - 4, big) as usize != len {
                anomalies.damaged(offset, DamageKind::LengthsDisagree);
                self.resync(input, anomalies)?;
                continue;
            }
            let block = self.block(block_type, &block[8..len - 4], big);
            if let Some(kind) = self.side_damage.take() {
                anomalies.damaged(offset, kind);
            }
            match block {
                Block::Packet {
                    interface,
                    time,
                    data,
                    orig_len,
                } => {
                    let Some(iface) = self.interfaces.get(interface as usize).copied() else {
                        anomalies.unknown_interface += 1;
                        input.consume(len);
                        continue;
                    };
                    let ts = match time {
                        Some((high, low)) => iface.timestamp(high, low),
                        None => self.last_ts,
                    };
                    self.last_ts = ts;
                    *number += 1;
                    let block = input.take(len);
                    return Ok(Some(Frame {
                        number: *number,
                        ts,
                        link: iface.link,
                        data: &block[8 + data.0..8 + data.1],
                        orig_len,
                    }));
                }
                Block::Control | Block::Skipped => {}
                Block::Unknown => anomalies.unknown_blocks += 1,
                Block::Damaged(kind) => anomalies.damaged(offset, kind),
            }
            input.consume(len);
        }
    }

    /// Interprets one block body (without type, lengths).
    fn block(&mut self, block_type: u32, body: &[u8], big: bool) -> Block {
        let u32_at = |o: usize| read_u32(body, o, big);
        match block_type {
            SHB => {
                // byte-order magic (4), major (2), minor (2), section length (8)
                if body.len() < 16 {
                    return Block::Damaged(DamageKind::ContentsOverrun);
                }
                let (major, minor) = (read_u16(body, 4, big), read_u16(body, 6, big));
                if major != 1 {
                    return Block::Damaged(DamageKind::SectionVersion { major, minor });
                }
                if options_overrun(&body[16..], big) {
                    self.side_damage = Some(DamageKind::OptionOverrun);
                }
                self.big_endian = big;
                self.interfaces.clear();
                Block::Control
            }
            IDB => {
                if body.len() < 8 {
                    return Block::Damaged(DamageKind::ContentsOverrun);
                }
                let iface = interface(body, big);
                if options_overrun(&body[8..], big) {
                    self.side_damage = Some(DamageKind::OptionOverrun);
                }
                self.interfaces.push(iface);
                Block::Control
            }
            EPB | PB => {
                // EPB: interface (4); PB: interface (2) + drops (2); then
                // timestamp high, low, captured length, original length.
                if body.len() < 20 {
                    return Block::Damaged(DamageKind::ContentsOverrun);
                }
                let interface = if block_type == EPB {
                    u32_at(0)
                } else {
                    u32::from(read_u16(body, 0, big))
                };
                let caplen = u32_at(12) as usize;
                if caplen > body.len() - 20 {
                    return Block::Damaged(DamageKind::ContentsOverrun);
                }
                // Options follow the data, padded to 4 bytes; most packets
                // have none, and then nothing is walked.
                let options = (20 + caplen).next_multiple_of(4);
                if options < body.len() && options_overrun(&body[options..], big) {
                    self.side_damage = Some(DamageKind::OptionOverrun);
                }
                Block::Packet {
                    interface,
                    time: Some((u32_at(4), u32_at(8))),
                    data: (20, 20 + caplen),
                    orig_len: u32_at(16),
                }
            }
            SPB => {
                if body.len() < 4 {
                    return Block::Damaged(DamageKind::ContentsOverrun);
                }
                // The captured length is implied: the original length, cut
                // by the block size and interface 0's snap length.
                let orig_len = u32_at(0);
                let mut caplen = (orig_len as usize).min(body.len() - 4);
                if let Some(iface) = self.interfaces.first().filter(|i| i.snaplen > 0) {
                    caplen = caplen.min(iface.snaplen as usize);
                }
                Block::Packet {
                    interface: 0,
                    time: None,
                    data: (4, 4 + caplen),
                    orig_len,
                }
            }
            other if known(other) => Block::Skipped,
            _ => Block::Unknown,
        }
    }

    /// Skips forward byte by byte until a known block type with a believable
    /// length whose trailing length field matches.
    fn resync<R: Read>(
        &self,
        input: &mut Input<R>,
        anomalies: &mut CaptureAnomalies,
    ) -> io::Result<()> {
        loop {
            input.consume(1);
            anomalies.skipped_bytes += 1;
            let got = input.fill(BLOCK_OVERHEAD)?;
            if got < BLOCK_OVERHEAD {
                anomalies.skipped_bytes += got as u64;
                input.consume(got);
                return Ok(());
            }
            let Some((block_type, len, big)) = self.block_header(input.bytes()) else {
                continue;
            };
            if !known(block_type) {
                continue;
            }
            if input.fill(len)? == len && read_u32(input.bytes(), len - 4, big) as usize == len {
                return Ok(());
            }
        }
    }
}

/// Whether an option list (code, length, value padded to 4 bytes; RFC
/// draft-ietf-opsawg-pcapng §3.5) has an option whose value runs past the
/// block. tcpdump and tshark refuse such a block; here the options before
/// it still count.
fn options_overrun(mut opts: &[u8], big: bool) -> bool {
    while opts.len() >= 4 {
        let code = read_u16(opts, 0, big);
        let len = usize::from(read_u16(opts, 2, big));
        if code == 0 {
            return false;
        }
        if 4 + len > opts.len() {
            return true;
        }
        let padded = (4 + len).next_multiple_of(4).min(opts.len());
        opts = &opts[padded..];
    }
    false
}

/// Parses an Interface Description Block body: link type (2), reserved (2),
/// snap length (4), then options (code, length, value padded to 4 bytes).
fn interface(body: &[u8], big: bool) -> Interface {
    let mut iface = Interface {
        link: LinkType(u32::from(read_u16(body, 0, big))),
        snaplen: read_u32(body, 4, big),
        // The default resolution is microseconds.
        scale: Scale::Mul(1_000),
        offset_ns: 0,
    };
    let mut opts = &body[8..];
    while opts.len() >= 4 {
        let code = read_u16(opts, 0, big);
        let len = usize::from(read_u16(opts, 2, big));
        if code == 0 || 4 + len > opts.len() {
            break;
        }
        let value = &opts[4..4 + len];
        match (code, len) {
            // if_tsresol: MSB clear = 10^-v, set = 2^-v seconds per unit.
            (9, 1..) => iface.scale = scale(value[0]),
            // if_tsoffset: seconds added to every timestamp.
            (14, 8..) => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&value[..8]);
                let secs = if big {
                    i64::from_be_bytes(b)
                } else {
                    i64::from_le_bytes(b)
                };
                iface.offset_ns = i128::from(secs) * 1_000_000_000;
            }
            _ => {}
        }
        let padded = (4 + len).next_multiple_of(4).min(opts.len());
        opts = &opts[padded..];
    }
    iface
}

/// The unit conversion for an `if_tsresol` value.
fn scale(v: u8) -> Scale {
    if v & 0x80 != 0 {
        Scale::Shift(u32::from(v & 0x7f))
    } else if v <= 9 {
        Scale::Mul(10i128.pow(9 - u32::from(v)))
    } else {
        // 10^38 is the largest power of ten an i128 holds; finer units than
        // that round every timestamp to zero anyway.
        Scale::Div(10i128.pow(u32::from(v - 9).min(38)))
    }
}
