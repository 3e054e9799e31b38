//! A classic pcap file copied to pcapng: the same records read by the same
//! reader as the analyzer's (so the same frame numbers), each written as an
//! Enhanced Packet Block in the pcap file's byte order and time units.

use std::io::{Read, Write};

use super::blocks::{self, Block};
use super::{AnnotateError, Annotated, Comments};
use crate::capture::classic::Pcap;
use crate::capture::input::Input;
use crate::capture::{CaptureAnomalies, Damage};

pub(super) fn copy<R: Read, W: Write>(
    mut pcap: Pcap,
    input: &mut Input<R>,
    out: &mut W,
    comments: &Comments,
) -> Result<Annotated, AnnotateError> {
    let big = pcap.big_endian();
    let (link, snaplen, nanos) = pcap.header_fields();
    blocks::section_header(big).write(out, 0)?;
    // The reader keeps the low 16 bits (the LINKTYPE_ value); the upper ones
    // carry FCS hints that pcapng would state differently (`if_fcslen`,
    // whose unit the specification leaves open), so they are not carried.
    blocks::interface(link.0 as u16, snaplen, nanos, big).write(out, 0)?;
    let mut anomalies = CaptureAnomalies::default();
    let mut number = 0;
    let mut done = Annotated::default();
    loop {
        let offset = input.offset();
        let frame = pcap
            .next(input, &mut anomalies, &mut number)
            .map_err(|source| AnnotateError::Read { offset, source })?;
        // The reader skips a damaged record and goes on; a copy may not.
        if let Some(Damage { offset, kind }) = anomalies.first_damage {
            return Err(AnnotateError::Damaged { offset, kind });
        }
        let Some(frame) = frame else { break };
        // Timestamps are whole units of the file's resolution, and the
        // reader's nanoseconds hold them exactly (seconds are unsigned).
        let ns = frame.ts.0.max(0) as u64;
        let units = if nanos { ns } else { ns / 1_000 };
        let mut block: Block = blocks::enhanced_packet(units, frame.data, frame.orig_len, big);
        let notes = comments.of(frame.number);
        if !notes.is_empty() {
            block.comments(notes);
            block.end_of_options();
            done.comments += notes.len() as u64;
        }
        block.write(out, frame.number)?;
        done.frames = frame.number;
    }
    done.truncated_bytes = anomalies.truncated_bytes;
    Ok(done)
}
