//! pcapng blocks built in memory, in a section's byte order: the section
//! header and interface description a pcap copy starts with, packet blocks
//! with comment options, and the option list itself (§3.5: code, length,
//! value padded to 32 bits, ended by `opt_endofopt`).

use std::io::Write;

use super::AnnotateError;
use crate::capture::pcapng::{EPB, IDB, MAX_BLOCK, SHB};

/// `opt_endofopt` (§3.5).
const OPT_END: u16 = 0;
/// `opt_comment` (§3.5): UTF-8 text, not zero-terminated.
const OPT_COMMENT: u16 = 1;
/// `shb_userappl` (§4.1): the application that wrote the section.
const SHB_USERAPPL: u16 = 4;
/// `if_tsresol` (§4.2): timestamp units; absent means microseconds.
const IF_TSRESOL: u16 = 9;

/// A block being built: type, a length to patch, the body.
pub(super) struct Block {
    bytes: Vec<u8>,
    big: bool,
}

impl Block {
    /// Starts a block of `block_type` in the given byte order.
    pub(super) fn new(block_type: u32, big: bool) -> Self {
        let mut b = Block {
            bytes: Vec::with_capacity(128),
            big,
        };
        b.u32(block_type);
        b.u32(0);
        b
    }

    pub(super) fn u16(&mut self, v: u16) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }

    pub(super) fn u32(&mut self, v: u32) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }

    /// Raw bytes, then zeros up to a multiple of 4.
    pub(super) fn padded(&mut self, raw: &[u8]) {
        self.bytes.extend_from_slice(raw);
        let pad = raw.len().next_multiple_of(4) - raw.len();
        self.bytes.extend_from_slice(&[0; 3][..pad]);
    }

    /// One option; callers keep `value` under 64 KiB.
    pub(super) fn option(&mut self, code: u16, value: &[u8]) {
        self.u16(code);
        self.u16(u16::try_from(value.len()).unwrap_or(u16::MAX));
        self.padded(&value[..value.len().min(usize::from(u16::MAX))]);
    }

    /// Each comment as its own `opt_comment`.
    pub(super) fn comments(&mut self, comments: &[String]) {
        for c in comments {
            self.option(OPT_COMMENT, c.as_bytes());
        }
    }

    /// `opt_endofopt`.
    pub(super) fn end_of_options(&mut self) {
        self.u16(OPT_END);
        self.u16(0);
    }

    /// Patches both lengths and writes the block; `frame` names the packet
    /// when the block is one (for the size error).
    pub(super) fn write(mut self, out: &mut impl Write, frame: u64) -> Result<(), AnnotateError> {
        let len = self.bytes.len() + 4;
        if len > MAX_BLOCK {
            return Err(AnnotateError::BlockTooLarge { frame });
        }
        let len = len as u32;
        self.u32(len);
        let b = if self.big {
            len.to_be_bytes()
        } else {
            len.to_le_bytes()
        };
        self.bytes[4..8].copy_from_slice(&b);
        out.write_all(&self.bytes).map_err(AnnotateError::Write)
    }
}

/// A Section Header Block (§4.1) of version 1.0 whose length is not
/// specified (-1), naming this tool as the writer.
pub(super) fn section_header(big: bool) -> Block {
    let mut b = Block::new(SHB, big);
    b.u32(0x1a2b_3c4d);
    b.u16(1);
    b.u16(0);
    b.u32(u32::MAX);
    b.u32(u32::MAX);
    let app = concat!("wirelab ", env!("CARGO_PKG_VERSION"));
    b.option(SHB_USERAPPL, app.as_bytes());
    b.end_of_options();
    b
}

/// An Interface Description Block (§4.2); `nanos` sets `if_tsresol` to 9
/// (10^-9 s), otherwise the default microseconds stand.
pub(super) fn interface(link: u16, snaplen: u32, nanos: bool, big: bool) -> Block {
    let mut b = Block::new(IDB, big);
    b.u16(link);
    b.u16(0);
    b.u32(snaplen);
    if nanos {
        b.option(IF_TSRESOL, &[9]);
        b.end_of_options();
    }
    b
}

/// The fixed fields of an Enhanced Packet Block (§4.3) on interface 0,
/// and its data; options follow.
pub(super) fn enhanced_packet(units: u64, data: &[u8], orig_len: u32, big: bool) -> Block {
    let mut b = Block::new(EPB, big);
    b.u32(0);
    b.u32((units >> 32) as u32);
    b.u32(units as u32);
    b.u32(data.len() as u32);
    b.u32(orig_len);
    b.padded(data);
    b
}

/// A block copied up to its options (`head`: the body before them) whose
/// options are `kept` followed by `comments`.
pub(super) fn with_comments(
    block_type: u32,
    head: &[u8],
    kept: &[u8],
    comments: &[String],
    big: bool,
) -> Block {
    let mut b = Block::new(block_type, big);
    b.bytes.extend_from_slice(head);
    b.bytes.extend_from_slice(kept);
    b.comments(comments);
    b.end_of_options();
    b
}
