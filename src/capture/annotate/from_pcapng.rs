//! A pcapng file copied block by block. Packets are numbered as the file
//! reader numbers them (Enhanced, obsolete and Simple Packet Blocks of a
//! described interface); a packet block with comments to add is rebuilt
//! with its own options kept and ours after them, in its section's byte
//! order. Everything else is copied byte for byte, except the section
//! header's length (see the module above).

use std::io::{Read, Write};

use super::blocks;
use super::{AnnotateError, Annotated, Comments, Unplaced, UnplacedWhy};
use crate::capture::input::Input;
use crate::capture::pcapng::{
    BLOCK_OVERHEAD, CUSTOM_NO_COPY, EPB, IDB, MAX_BLOCK, PB, SHB, SHB_MAGIC, SPB,
    section_byte_order,
};
use crate::capture::{DamageKind, read_u16, read_u32};

/// Offset of the section length in a Section Header Block's body (after
/// the byte-order magic and the two version numbers).
const SECTION_LENGTH: usize = 8;

/// Per-section state.
struct Section {
    big: bool,
    interfaces: u32,
}

pub(super) fn copy<R: Read, W: Write>(
    input: &mut Input<R>,
    out: &mut W,
    comments: &Comments,
) -> Result<Annotated, AnnotateError> {
    let mut section = Section {
        big: false,
        interfaces: 0,
    };
    let mut done = Annotated::default();
    let mut number = 0u64;
    loop {
        let offset = input.offset();
        let read = |source| AnnotateError::Read { offset, source };
        let damaged = |kind| AnnotateError::Damaged { offset, kind };
        let got = input.fill(BLOCK_OVERHEAD).map_err(read)?;
        if got == 0 {
            break;
        }
        if got < BLOCK_OVERHEAD {
            done.truncated_bytes = got as u64;
            break;
        }
        let h = input.bytes();
        let big = if h[0..4] == SHB_MAGIC {
            section_byte_order([h[8], h[9], h[10], h[11]])
                .ok_or(damaged(DamageKind::ContentsOverrun))?
        } else {
            section.big
        };
        let block_type = read_u32(h, 0, big);
        let len = read_u32(h, 4, big) as usize;
        if len > MAX_BLOCK {
            return Err(damaged(DamageKind::TooLong {
                claimed: len as u64,
            }));
        }
        if len < BLOCK_OVERHEAD || !len.is_multiple_of(4) {
            return Err(damaged(DamageKind::LengthsDisagree));
        }
        let got = input.fill(len).map_err(read)?;
        if got < len {
            done.truncated_bytes = got as u64;
            break;
        }
        let block = &input.bytes()[..len];
        if read_u32(block, len - 4, big) as usize != len {
            return Err(damaged(DamageKind::LengthsDisagree));
        }
        let body = &block[8..len - 4];
        match block_type {
            SHB => {
                if body.len() < 16 {
                    return Err(damaged(DamageKind::ContentsOverrun));
                }
                let (major, minor) = (read_u16(body, 4, big), read_u16(body, 6, big));
                if major != 1 {
                    return Err(damaged(DamageKind::SectionVersion { major, minor }));
                }
                section = Section { big, interfaces: 0 };
                // Our comments change the section's size: say "not
                // specified" (-1, §4.1) rather than leave a wrong length.
                let mut copy = block.to_vec();
                copy[8 + SECTION_LENGTH..8 + SECTION_LENGTH + 8].fill(0xff);
                out.write_all(&copy).map_err(AnnotateError::Write)?;
            }
            IDB => {
                if body.len() < 8 {
                    return Err(damaged(DamageKind::ContentsOverrun));
                }
                section.interfaces = section.interfaces.saturating_add(1);
                out.write_all(block).map_err(AnnotateError::Write)?;
            }
            EPB | PB => {
                if body.len() < 20 {
                    return Err(damaged(DamageKind::ContentsOverrun));
                }
                let interface = if block_type == EPB {
                    read_u32(body, 0, big)
                } else {
                    u32::from(read_u16(body, 0, big))
                };
                let caplen = read_u32(body, 12, big) as usize;
                if caplen > body.len() - 20 {
                    return Err(damaged(DamageKind::ContentsOverrun));
                }
                if interface >= section.interfaces {
                    return Err(AnnotateError::UnknownInterface { offset, interface });
                }
                number += 1;
                let notes = comments.of(number);
                if notes.is_empty() {
                    out.write_all(block).map_err(AnnotateError::Write)?;
                } else {
                    let head = (20 + caplen).next_multiple_of(4);
                    let kept = kept_options(&body[head..], big)
                        .ok_or(damaged(DamageKind::OptionOverrun))?;
                    blocks::with_comments(
                        block_type,
                        &body[..head],
                        &body[head..head + kept],
                        notes,
                        big,
                    )
                    .write(out, number)?;
                    done.comments += notes.len() as u64;
                }
            }
            SPB => {
                if body.len() < 4 {
                    return Err(damaged(DamageKind::ContentsOverrun));
                }
                if section.interfaces == 0 {
                    return Err(AnnotateError::UnknownInterface {
                        offset,
                        interface: 0,
                    });
                }
                number += 1;
                if !comments.of(number).is_empty() {
                    done.unplaced.push(Unplaced {
                        frame: number,
                        why: UnplacedWhy::SimplePacketBlock,
                    });
                }
                out.write_all(block).map_err(AnnotateError::Write)?;
            }
            CUSTOM_NO_COPY => done.dropped_blocks += 1,
            // Every other block, known or not, is copied as it is (§4:
            // a reader skips the types it does not know).
            _ => out.write_all(block).map_err(AnnotateError::Write)?,
        }
        input.consume(len);
    }
    done.frames = number;
    Ok(done)
}

/// How many bytes of an option list to keep: every option up to
/// `opt_endofopt` or the end, or `None` when one runs past the block.
fn kept_options(opts: &[u8], big: bool) -> Option<usize> {
    let mut at = 0;
    while opts.len() - at >= 4 {
        let code = read_u16(opts, at, big);
        let len = usize::from(read_u16(opts, at + 2, big));
        if code == 0 {
            break;
        }
        if 4 + len > opts.len() - at {
            return None;
        }
        at += (4 + len).next_multiple_of(4).min(opts.len() - at);
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::kept_options;

    #[test]
    fn options_are_kept_up_to_the_end_marker() {
        // A 5-byte comment (padded to 8), then opt_endofopt, then junk.
        let mut opts = vec![1, 0, 5, 0];
        opts.extend_from_slice(b"hello\0\0\0");
        opts.extend_from_slice(&[0, 0, 0, 0, 9, 9, 9, 9]);
        assert_eq!(kept_options(&opts, false), Some(12));
        assert_eq!(kept_options(&opts[..12], false), Some(12), "no end marker");
        assert_eq!(kept_options(&[], false), Some(0));
    }

    #[test]
    fn an_option_past_the_block_is_refused() {
        let opts = [1, 0, 200, 0, b'a', b'b', 0, 0];
        assert_eq!(kept_options(&opts, false), None);
        let big = [0, 1, 0, 2, b'a', b'b', 0, 0];
        assert_eq!(kept_options(&big, true), Some(8));
    }
}
