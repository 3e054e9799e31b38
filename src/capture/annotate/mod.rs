//! Comments written back into a capture: a pcap or pcapng file copied to
//! pcapng with text on chosen frames, as the `opt_comment` option (code 1,
//! draft-ietf-opsawg-pcapng §3.5) of their packet blocks. Wireshark shows
//! them under "Packet comments" and as the `frame.comment` field.
//!
//! The copy is made in one streaming pass from any [`Read`] to any
//! [`Write`]; nothing but the block at hand is held. Frame numbers are the
//! ones the analyzer gives (the file reader's, which are Wireshark's), so a
//! verdict's frame number finds its frame.
//!
//! - From **pcap**: one Section Header Block and one Interface Description
//!   Block (the file's link type, snap length and timestamp resolution),
//!   then one Enhanced Packet Block per record with its timestamp and bytes.
//! - From **pcapng**: every block is copied in its section's byte order;
//!   packet blocks that get comments keep their own options (comments
//!   included) and gain ours after them. Only two things change besides:
//!   a section header's length becomes "not specified" (our comments make
//!   the old one wrong), and custom blocks marked "do not copy" (type
//!   0x40000BAD, §4.7: their contents may depend on the rest of the file)
//!   are left out and counted.
//!
//! Damage the reader would skip over is an error here: a copy cannot hold
//! it, and numbering frames past it would guess. A record cut off by the
//! end of the input ends the copy (the analyzer stops there too) and is
//! counted.

mod blocks;
mod from_pcap;
mod from_pcapng;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::{Read, Write};

use super::file::{Reader, recognise};
use super::input::Input;
use super::{DamageKind, Error};

/// The longest comment an option can hold (its length field is 16 bits).
pub const MAX_COMMENT: usize = u16::MAX as usize;

/// What to write on which frame: for each 1-based frame number, its lines,
/// each written as one comment (Wireshark lists them one under another).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comments {
    by_frame: BTreeMap<u64, Vec<String>>,
}

/// A comment that cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    /// Frames are numbered from 1.
    #[error("frame numbers start at 1; there is no frame 0")]
    FrameZero,
    /// Longer than an option holds.
    #[error(
        "the comment for frame {frame} is {len} bytes; a pcapng comment holds at most {MAX_COMMENT}"
    )]
    TooLong {
        /// The frame.
        frame: u64,
        /// Its length in bytes.
        len: usize,
    },
}

impl Comments {
    /// No comments.
    pub fn new() -> Self {
        Comments::default()
    }

    /// Adds one comment to `frame`, after those it already has.
    ///
    /// # Errors
    ///
    /// Frame 0, or a comment longer than [`MAX_COMMENT`] bytes.
    pub fn add(&mut self, frame: u64, text: impl Into<String>) -> Result<(), CommentError> {
        let text = text.into();
        if frame == 0 {
            return Err(CommentError::FrameZero);
        }
        if text.len() > MAX_COMMENT {
            return Err(CommentError::TooLong {
                frame,
                len: text.len(),
            });
        }
        self.by_frame.entry(frame).or_default().push(text);
        Ok(())
    }

    /// The comments of `frame`, in order.
    pub fn of(&self, frame: u64) -> &[String] {
        self.by_frame.get(&frame).map_or(&[], Vec::as_slice)
    }

    /// Frames with comments, in order, with their comments.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &[String])> {
        self.by_frame.iter().map(|(f, c)| (*f, c.as_slice()))
    }

    /// Number of frames with comments.
    pub fn frames(&self) -> usize {
        self.by_frame.len()
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.by_frame.is_empty()
    }
}

/// A frame whose comments were not written, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unplaced {
    /// The frame number.
    pub frame: u64,
    /// Why.
    pub why: UnplacedWhy,
}

/// Why comments found no place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnplacedWhy {
    /// The input has fewer frames.
    NoSuchFrame,
    /// The frame is in a Simple Packet Block, which has no options (§4.4).
    SimplePacketBlock,
}

impl std::fmt::Display for UnplacedWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnplacedWhy::NoSuchFrame => "the capture has no such frame",
            UnplacedWhy::SimplePacketBlock => {
                "it is a pcapng Simple Packet Block, which cannot carry options"
            }
        })
    }
}

/// What a copy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotated {
    /// Frames copied.
    pub frames: u64,
    /// Comments written.
    pub comments: u64,
    /// Frames whose comments were not written.
    pub unplaced: Vec<Unplaced>,
    /// "Do not copy" custom blocks left out.
    pub dropped_blocks: u64,
    /// Bytes of a record cut off by the end of the input, not copied.
    pub truncated_bytes: u64,
}

/// Why a copy failed. The output holds what was written before.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    /// The input is no capture this tool reads.
    #[error(transparent)]
    Input(#[from] Error),
    /// Reading failed.
    #[error("read error after byte {offset} of the capture: {source}")]
    Read {
        /// Input offset of the record being read.
        offset: u64,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Writing failed.
    #[error("cannot write the annotated copy: {0}")]
    Write(#[source] std::io::Error),
    /// The input is damaged where the reader would skip: no faithful copy.
    #[error("damaged capture at byte {offset}: {kind}; an annotated copy would have to drop it")]
    Damaged {
        /// Input offset of the record or block.
        offset: u64,
        /// What is wrong.
        kind: DamageKind,
    },
    /// A pcapng packet names an interface its section did not describe.
    #[error(
        "the pcapng packet block at byte {offset} names interface {interface}, which its section does not describe"
    )]
    UnknownInterface {
        /// Input offset of the block.
        offset: u64,
        /// The interface index.
        interface: u32,
    },
    /// With our comments, a block would pass pcapng's 16 MiB block limit.
    #[error("frame {frame} with its comments would exceed pcapng's block size limit")]
    BlockTooLarge {
        /// The frame.
        frame: u64,
    },
}

/// Copies the capture read from `input` to pcapng on `output`, writing
/// `comments` on their frames.
///
/// # Errors
///
/// An input that is not a capture (the file reader's one-line errors),
/// damage inside it, a read or write failure; see [`AnnotateError`].
///
/// # Examples
///
/// ```no_run
/// use wirelab::capture::annotate::{Comments, annotate};
///
/// let mut comments = Comments::new();
/// comments.add(11, "server RST: the client's request was never read")?;
/// let input = std::fs::File::open("trace.pcap")?;
/// let output = std::io::BufWriter::new(std::fs::File::create("trace-annotated.pcapng")?);
/// let done = annotate(input, output, &comments)?;
/// println!("{} frames, {} comments", done.frames, done.comments);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn annotate<R: Read, W: Write>(
    input: R,
    mut output: W,
    comments: &Comments,
) -> Result<Annotated, AnnotateError> {
    let mut input = Input::new(input);
    let (reader, _) = recognise(&mut input)?;
    let mut done = match reader {
        Reader::Pcap(pcap) => from_pcap::copy(pcap, &mut input, &mut output, comments)?,
        Reader::PcapNg(_) => from_pcapng::copy(&mut input, &mut output, comments)?,
    };
    output.flush().map_err(AnnotateError::Write)?;
    let last = done.frames;
    done.unplaced.extend(
        comments
            .iter()
            .filter(|(f, _)| *f > last)
            .map(|(frame, _)| Unplaced {
                frame,
                why: UnplacedWhy::NoSuchFrame,
            }),
    );
    Ok(done)
}
