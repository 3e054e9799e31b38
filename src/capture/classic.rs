//! The classic pcap format (draft-ietf-opsawg-pcap): a 24-byte file header,
//! then records of a 16-byte header and the captured bytes.
//!
//! Both byte orders, microsecond and nanosecond magic, and the "modified"
//! (Kuznetsov) variant with 24-byte record headers are read. A record header
//! whose captured length is impossible is damage, not data: the reader counts
//! it and searches forward for the next plausible record instead of giving up
//! on the rest of the file.

use std::io::{self, Read};

use super::input::Input;
use super::{CaptureAnomalies, DamageKind, Error, Frame, LinkType, Timestamp};

/// The magic number, as read in the file's own byte order.
const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
/// Alexey Kuznetsov's patched libpcap: records carry 8 more bytes.
const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// The file header's size.
pub(super) const FILE_HEADER: usize = 24;

/// libpcap refuses records larger than this for nearly every link type
/// (MAXIMUM_SNAPLEN); a larger captured length is a damaged header.
const MAX_SNAPLEN: u32 = 262_144;
/// The largest bound a file's own snap length may raise that to.
const MAX_RECORD: u32 = 16 * 1024 * 1024;
/// While resynchronising, a record's timestamp must lie at most this far
/// after the last good one (seconds) to be believed...
const RESYNC_WINDOW_SECS: i64 = 31 * 24 * 3600;
/// ...or at most this far before it (clocks do step back, a little).
const RESYNC_BACK_SECS: i64 = 3600;

/// What the file header said.
pub(super) struct Pcap {
    big_endian: bool,
    nanos: bool,
    record_header: usize,
    link: LinkType,
    /// The file header's snap length, as written.
    snaplen: u32,
    /// Largest captured length accepted as real.
    bound: u32,
    /// Seconds of the last good record, to judge resynchronisation candidates.
    last_secs: Option<i64>,
}

/// Which byte order and variant a magic number names, if any.
pub(super) fn recognise(magic: [u8; 4]) -> Option<(bool, u32)> {
    let le = u32::from_le_bytes(magic);
    let be = u32::from_be_bytes(magic);
    [MAGIC_MICROS, MAGIC_NANOS, MAGIC_MODIFIED]
        .into_iter()
        .find_map(|m| match m {
            _ if le == m => Some((false, m)),
            _ if be == m => Some((true, m)),
            _ => None,
        })
}

/// A record header's fields.
struct RecordHeader {
    secs: u32,
    frac: u32,
    caplen: u32,
    orig_len: u32,
}

impl Pcap {
    /// Parses the 24-byte file header.
    pub(super) fn from_header(h: &[u8]) -> Result<Pcap, Error> {
        let magic = [h[0], h[1], h[2], h[3]];
        let Some((big_endian, kind)) = recognise(magic) else {
            return Err(Error::NotACapture {
                magic: super::hex(&magic),
            });
        };
        let u16_at = |o: usize| super::read_u16(h, o, big_endian);
        let u32_at = |o: usize| super::read_u32(h, o, big_endian);
        let (major, minor) = (u16_at(4), u16_at(6));
        if major != 2 {
            return Err(Error::UnsupportedVersion {
                format: "pcap",
                major,
                minor,
            });
        }
        let snaplen = u32_at(16);
        // The low 16 bits are the LINKTYPE_ value; the upper bits carry FCS
        // information that the IP length makes irrelevant here.
        let link = LinkType(u32_at(20) & 0xffff);
        Ok(Pcap {
            big_endian,
            nanos: kind == MAGIC_NANOS,
            record_header: if kind == MAGIC_MODIFIED { 24 } else { 16 },
            link,
            snaplen,
            bound: MAX_SNAPLEN.max(snaplen.min(MAX_RECORD)),
            last_secs: None,
        })
    }

    /// The file's link type, snap length, and whether its timestamps are
    /// nanoseconds (else microseconds): what a pcapng copy's interface
    /// description must repeat.
    pub(super) fn header_fields(&self) -> (LinkType, u32, bool) {
        (self.link, self.snaplen, self.nanos)
    }

    /// True when the file is big-endian.
    pub(super) fn big_endian(&self) -> bool {
        self.big_endian
    }

    /// Reads a record header. Callers have buffered the whole header (at
    /// least its 16 bytes of fields); a shorter slice, which they never
    /// pass, reads as zeros.
    #[inline]
    fn record_header(&self, h: &[u8]) -> RecordHeader {
        let Some(b) = h.first_chunk::<16>() else {
            return RecordHeader {
                secs: 0,
                frac: 0,
                caplen: 0,
                orig_len: 0,
            };
        };
        let word = |k: usize| {
            let v = u32::from_le_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]]);
            if self.big_endian { v.swap_bytes() } else { v }
        };
        RecordHeader {
            secs: word(0),
            frac: word(4),
            caplen: word(8),
            orig_len: word(12),
        }
    }

    fn plausible(&self, r: &RecordHeader) -> bool {
        let frac_limit = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        let near = match self.last_secs {
            Some(last) => {
                (-RESYNC_BACK_SECS..=RESYNC_WINDOW_SECS).contains(&(i64::from(r.secs) - last))
            }
            None => true,
        };
        r.caplen > 0
            && r.caplen <= self.bound
            && r.caplen <= r.orig_len
            && r.orig_len <= MAX_RECORD
            && r.frac < frac_limit
            && near
    }

    /// Reads the next record.
    #[inline]
    pub(super) fn next<'a, R: Read>(
        &mut self,
        input: &'a mut Input<R>,
        anomalies: &mut CaptureAnomalies,
        number: &mut u64,
    ) -> io::Result<Option<Frame<'a>>> {
        let hl = self.record_header;
        // The common case: header and record already buffered and sound.
        let avail = input.bytes();
        if avail.len() >= hl {
            let r = self.record_header(avail);
            let total = hl + r.caplen as usize;
            if r.caplen <= self.bound && avail.len() >= total {
                return Ok(Some(self.frame(r, input.take(total), number)));
            }
        }
        self.next_slow(input, anomalies, number)
    }

    #[inline]
    fn frame<'a>(&mut self, r: RecordHeader, record: &'a [u8], number: &mut u64) -> Frame<'a> {
        self.last_secs = Some(i64::from(r.secs));
        let frac_ns = if self.nanos {
            i64::from(r.frac)
        } else {
            i64::from(r.frac) * 1_000
        };
        *number += 1;
        Frame {
            number: *number,
            ts: Timestamp(i64::from(r.secs) * Timestamp::SECOND + frac_ns),
            link: self.link,
            data: record.get(self.record_header..).unwrap_or_default(),
            orig_len: r.orig_len,
        }
    }

    /// [`Pcap::next`] when the buffer must be refilled, or the record is
    /// damaged or cut off.
    #[inline(never)]
    fn next_slow<'a, R: Read>(
        &mut self,
        input: &'a mut Input<R>,
        anomalies: &mut CaptureAnomalies,
        number: &mut u64,
    ) -> io::Result<Option<Frame<'a>>> {
        let hl = self.record_header;
        loop {
            let got = input.fill(hl)?;
            if got == 0 {
                return Ok(None);
            }
            if got < hl {
                anomalies.truncated_records += 1;
                anomalies.truncated_bytes += got as u64;
                input.consume(got);
                return Ok(None);
            }
            let r = self.record_header(input.bytes());
            if r.caplen > self.bound {
                let claimed = u64::from(r.caplen);
                anomalies.damaged(input.offset(), DamageKind::TooLong { claimed });
                self.resync(input, anomalies)?;
                continue;
            }
            let total = hl + r.caplen as usize;
            let got = input.fill(total)?;
            if got < total {
                anomalies.truncated_records += 1;
                anomalies.truncated_bytes += got as u64;
                input.consume(got);
                return Ok(None);
            }
            return Ok(Some(self.frame(r, input.take(total), number)));
        }
    }

    fn resync<R: Read>(
        &self,
        input: &mut Input<R>,
        anomalies: &mut CaptureAnomalies,
    ) -> io::Result<()> {
        let hl = self.record_header;
        loop {
            input.consume(1);
            anomalies.skipped_bytes += 1;
            let got = input.fill(hl)?;
            if got < hl {
                anomalies.skipped_bytes += got as u64;
                input.consume(got);
                return Ok(());
            }
            let r = self.record_header(input.bytes());
            if !self.plausible(&r) {
                continue;
            }
            let total = hl + r.caplen as usize;
            let got = input.fill(total + hl)?;
            if got == total {
                return Ok(());
            }
            if got == total + hl && self.plausible(&self.record_header(&input.bytes()[total..])) {
                return Ok(());
            }
        }
    }
}
