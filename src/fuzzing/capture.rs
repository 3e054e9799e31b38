//! The fuzz targets that read whole capture files and frames: the pcap and
//! pcapng readers (whole and through short reads), the wire decoder per link
//! type, and the whole analyzer with its three renderings.

use std::io::{self, Cursor, Read};

use crate::analyze::{AnalyzeOptions, analyze};
use crate::capture::{CaptureAnomalies, FileReader, Frame, LinkType, Timestamp};
use crate::report::{Report, json, table, zeek};
use crate::wire::{DecodeOptions, Decoded, Skip, decode};

/// A reader that hands out its bytes in short reads of varying sizes.
pub struct ShortReads<'a> {
    data: &'a [u8],
    sizes: &'a [usize],
    turn: usize,
}

impl<'a> ShortReads<'a> {
    /// Reads `data` in pieces of `sizes[0]`, `sizes[1]`, ... bytes, cycling.
    pub fn new(data: &'a [u8], sizes: &'a [usize]) -> Self {
        ShortReads {
            data,
            sizes,
            turn: 0,
        }
    }
}

impl Read for ShortReads<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes.get(self.turn % self.sizes.len().max(1)).copied();
        self.turn += 1;
        let n = size
            .unwrap_or(usize::MAX)
            .max(1)
            .min(out.len())
            .min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// What a frame was, kept to compare two reads of the same file.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    number: u64,
    ts: Timestamp,
    link: LinkType,
    len: usize,
    orig_len: u32,
    first: Option<u8>,
    last: Option<u8>,
}

/// Reads a capture to the end, decoding every frame; the error is a message.
fn read_capture(
    reader: impl Read,
    input_len: usize,
) -> Result<(Vec<Seen>, CaptureAnomalies), String> {
    let mut reader = FileReader::new(reader).map_err(|e| e.to_string())?;
    let mut seen = Vec::new();
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) => return Err(e.to_string()),
        };
        assert_eq!(
            frame.number,
            seen.len() as u64 + 1,
            "frames are numbered 1, 2, ..."
        );
        assert!(
            frame.data.len() <= input_len,
            "a frame larger than the file"
        );
        check_decode(&frame);
        seen.push(Seen {
            number: frame.number,
            ts: frame.ts,
            link: frame.link,
            len: frame.data.len(),
            orig_len: frame.orig_len,
            first: frame.data.first().copied(),
            last: frame.data.last().copied(),
        });
    }
    // Every record or block has a header of at least 12 bytes.
    assert!(seen.len() <= input_len / 12 + 1);
    Ok((seen, reader.anomalies().clone()))
}

/// A whole capture file: read to the end (every frame decoded, with and without
/// checksum validation), once from memory and once through short reads, which must
/// agree frame by frame; errors are one line.
pub fn capture_file(data: &[u8]) {
    let whole = read_capture(Cursor::new(data), data.len());
    let sizes = [1, 13, 4096, 7, 65_536, 2];
    let short = read_capture(ShortReads::new(data, &sizes), data.len());
    assert_eq!(whole, short, "short reads changed what was read");
    if let Err(message) = whole {
        assert!(!message.contains('\n'), "{message}");
    }
}

/// Link types the wire decoder knows, and two it does not.
const LINKS: [u32; 12] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 0xffff];

/// Decodes a frame both ways and checks the decoder's promises.
fn check_decode(frame: &Frame<'_>) {
    let plain = decode(frame, &DecodeOptions::default());
    let strict = decode(
        frame,
        &DecodeOptions {
            validate_checksums: true,
        },
    );
    // A payload is a view into the frame, no longer than its stated length.
    let inside = |payload: &[u8], stated: u32| {
        assert!(payload.len() <= stated as usize);
        let (range, p) = (frame.data.as_ptr_range(), payload.as_ptr_range());
        assert!(
            range.start <= p.start && p.end <= range.end,
            "payload outside the frame"
        );
    };
    if let Decoded::Tcp(seg) = plain {
        inside(seg.payload, seg.payload_len);
        let _ = (
            seg.flags.to_string(),
            seg.src.to_string(),
            seg.dst.to_string(),
        );
    }
    if let Decoded::Udp(d) = plain {
        inside(d.payload, d.payload_len);
    }
    // Validation can only drop a packet for a checksum (or a zero IPv4 length,
    // whose checksum cannot be right either); otherwise both agree. Inside a
    // tunnel that drop shows as a tunnel not decapsulated (a bad outer UDP
    // checksum, a bad inner IPv4 header), as truncated when the snap length
    // cut the frame, or as plain UDP when only Zeek's detection had taken the
    // datagram for a tunnel.
    let cut = frame.orig_len as usize > frame.data.len();
    match (plain, strict) {
        (Decoded::Tcp(a), Decoded::Tcp(b)) => {
            assert_eq!((a.src, a.dst, a.seq, a.ack), (b.src, b.dst, b.seq, b.ack));
            assert_eq!(
                (a.payload_len, a.payload.len()),
                (b.payload_len, b.payload.len())
            );
        }
        (Decoded::TcpBadHeader { src, dst }, Decoded::TcpBadHeader { src: s, dst: d }) => {
            assert_eq!((src, dst), (s, d));
        }
        (Decoded::Udp(a), Decoded::Udp(b)) => {
            assert_eq!((a.src, a.dst, a.length), (b.src, b.dst, b.length));
            assert_eq!(
                (a.payload_len, a.payload.len()),
                (b.payload_len, b.payload.len())
            );
        }
        (Decoded::Skip(a), Decoded::Skip(b)) if a == b => {}
        (_, Decoded::Skip(Skip::BadIpChecksum | Skip::Malformed | Skip::Tunnel(_))) => {}
        (a, Decoded::Udp(_) | Decoded::Skip(Skip::NotTcp(17))) if tunneled(&a) => {}
        (a, Decoded::Skip(Skip::Truncated)) if cut && tunneled(&a) => {}
        (a, b) => panic!("validation changed {a:?} into {b:?}"),
    }
}

/// False for a TCP segment that was not inside a tunnel: validation never
/// turns one into plain UDP. (Skips and bad headers may come from inside a
/// tunnel, and a datagram may be one Zeek's detection took for a tunnel;
/// their values do not say.)
fn tunneled(d: &Decoded<'_>) -> bool {
    match d {
        Decoded::Tcp(seg) => seg.tunnel.is_some(),
        Decoded::TcpBadHeader { .. } | Decoded::Udp(_) | Decoded::Skip(_) => true,
    }
}

/// One frame of a link type picked by the first byte; the second picks the
/// on-the-wire length (equal to, below or above the captured length).
pub fn wire_frame(data: &[u8]) {
    let [link, len, bytes @ ..] = data else {
        return;
    };
    let link = LINKS[usize::from(*link) % LINKS.len()];
    let captured = bytes.len() as u32;
    let orig_len = match len {
        0..=63 => captured,
        64..=127 => captured.saturating_sub(u32::from(len - 63)),
        _ => captured.saturating_add(u32::from(*len) * 16),
    };
    let frame = Frame {
        number: 1,
        ts: Timestamp(0),
        link: LinkType(link),
        data: bytes,
        orig_len,
    };
    check_decode(&frame);
}

/// Runs the whole analyzer over capture bytes read through `reader`.
fn analyze_from(reader: impl Read) -> Result<Report, String> {
    let mut source = FileReader::new(reader).map_err(|e| e.to_string())?;
    analyze(&mut source, &AnalyzeOptions::default()).map_err(|e| e.to_string())
}

/// A whole capture file through the whole analyzer (capture → wire → flow →
/// teardown → report) and its three renderings: the report is the same through
/// short reads, every frame is accounted for, and each connection is reported once.
pub fn analyze_capture(data: &[u8]) {
    let whole = analyze_from(Cursor::new(data));
    let sizes = [7, 1, 4096, 3];
    let short = analyze_from(ShortReads::new(data, &sizes));
    assert_eq!(whole, short, "short reads changed the report");
    let report = match whole {
        Ok(report) => report,
        Err(message) => return assert!(!message.contains('\n'), "{message}"),
    };
    let s = &report.summary;
    assert!(s.tcp_segments <= s.frames);
    assert!(s.decapsulated.total <= s.tcp_segments);
    assert_eq!(s.connections, report.connections.len() as u64);
    let ids: Vec<u64> = report.connections.iter().map(|c| c.id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids unique and in order: {ids:?}"
    );
    for c in &report.connections {
        assert!(c.zeek.orig_pkts + c.zeek.resp_pkts <= s.tcp_segments);
        let _ = (table::line(c), json::line(c), zeek::row(&c.zeek));
    }
    let _ = (table::render(&report), json::render(&report));
}
