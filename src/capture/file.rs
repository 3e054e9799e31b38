//! Capture files: pcap and pcapng, recognised by their first bytes and read
//! in one streaming pass from any [`Read`] (a file, stdin, a pipe).
//!
//! Own code rather than libpcap: one reusable buffer, no per-packet
//! allocation, pcapng sections whose interfaces have different link types,
//! and damage that is counted and skipped instead of ending the read.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::classic::{self, Pcap};
use super::input::Input;
use super::pcapng::{self, PcapNg};
use super::{CaptureAnomalies, Error, Frame, FrameSource, hex};

/// The two file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Classic pcap (libpcap's savefile format).
    Pcap,
    /// pcapng.
    PcapNg,
}

/// The parser a file's first bytes chose.
pub(super) enum Reader {
    Pcap(Pcap),
    PcapNg(PcapNg),
}

/// A streaming reader of a pcap or pcapng capture.
///
/// # Examples
///
/// ```no_run
/// use wirelab::capture::{open_file, FrameSource};
///
/// let mut reader = open_file("trace.pcapng".as_ref())?;
/// while let Some(frame) = reader.next_frame()? {
///     println!("frame {} at {}: {} bytes", frame.number, frame.ts.zeek(), frame.data.len());
/// }
/// println!("{:?}", reader.anomalies());
/// # Ok::<(), wirelab::capture::Error>(())
/// ```
pub struct FileReader<R: Read> {
    input: Input<R>,
    reader: Reader,
    format: Format,
    number: u64,
    anomalies: CaptureAnomalies,
}

/// Opens a capture file; `-` reads standard input.
///
/// # Errors
///
/// [`Error::Open`] when the file cannot be opened, or any error of
/// [`FileReader::new`].
pub fn open_file(path: &Path) -> Result<FileReader<Box<dyn Read>>, Error> {
    FileReader::new(open_input(path)?)
}

/// The bytes of a capture file, not yet read; `-` is standard input. For a
/// caller that wraps the reader (to count the bytes read, say) before
/// [`FileReader::new`]; [`open_file`] does both.
///
/// # Errors
///
/// [`Error::Open`] when the file cannot be opened or is a directory.
pub fn open_input(path: &Path) -> Result<Box<dyn Read>, Error> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdin()));
    }
    let open_error = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(open_error)?;
    // Linux opens a directory for reading; only the first read fails,
    // and that error would not name the path.
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(open_error(io::Error::from(io::ErrorKind::IsADirectory)));
    }
    Ok(Box::new(file))
}

/// Compressed inputs that are worth naming instead of "not a capture".
fn compression(head: &[u8]) -> Option<(&'static str, &'static str)> {
    const KINDS: [(&[u8], &str, &str); 4] = [
        (&[0x1f, 0x8b], "gzip", "gzip"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], "xz", "xz"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd", "zstd"),
        (b"BZh", "bzip2", "bzip2"),
    ];
    KINDS
        .iter()
        .find(|(magic, _, _)| head.starts_with(magic))
        .map(|&(_, kind, tool)| (kind, tool))
}

impl<R: Read> FileReader<R> {
    /// Recognises the format from the first bytes and reads the file header.
    ///
    /// # Errors
    ///
    /// A one-line error when nothing can be read at all: empty input, bytes
    /// that are not a capture (the message shows them), a compressed file, a
    /// cut or damaged file header, an unsupported version, or a read error.
    pub fn new(reader: R) -> Result<Self, Error> {
        let mut input = Input::new(reader);
        let (reader, format) = recognise(&mut input)?;
        Ok(FileReader {
            input,
            reader,
            format,
            number: 0,
            anomalies: CaptureAnomalies::default(),
        })
    }

    /// Which format the input is in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The next frame, or `None` at the end of the input.
    ///
    /// Damage inside the file is counted in [`Self::anomalies`] and skipped;
    /// a record cut off by the end of the input ends the stream.
    ///
    /// # Errors
    ///
    /// [`Error::Read`] when the underlying reader fails.
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error> {
        let offset = self.input.offset();
        let result = match &mut self.reader {
            Reader::Pcap(p) => p.next(&mut self.input, &mut self.anomalies, &mut self.number),
            Reader::PcapNg(p) => p.next(&mut self.input, &mut self.anomalies, &mut self.number),
        };
        result.map_err(|source| Error::Read { offset, source })
    }

    /// What was counted instead of read so far.
    pub fn anomalies(&self) -> &CaptureAnomalies {
        &self.anomalies
    }
}

impl<R: Read> FrameSource for FileReader<R> {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error> {
        FileReader::next_frame(self)
    }

    fn anomalies(&self) -> &CaptureAnomalies {
        FileReader::anomalies(self)
    }
}

/// Recognises the format from the first bytes and reads the file header:
/// a pcap header is consumed, a pcapng section header is left for the
/// block reader. Shared by [`FileReader::new`] and the annotator
/// (`super::annotate`), so that both refuse the same inputs in the same words.
pub(super) fn recognise<R: Read>(input: &mut Input<R>) -> Result<(Reader, Format), Error> {
    let read_err = |source| Error::Read { offset: 0, source };
    let got = input.fill(classic::FILE_HEADER).map_err(read_err)?;
    let head = input.bytes();
    if got == 0 {
        return Err(Error::Empty);
    }
    if let Some((kind, tool)) = compression(head) {
        return Err(Error::Compressed { kind, tool });
    }
    if got < 4 {
        return Err(Error::NotACapture { magic: hex(head) });
    }
    let magic = [head[0], head[1], head[2], head[3]];
    let (reader, format) = if magic == pcapng::SHB_MAGIC {
        if got < 16 {
            return Err(Error::TruncatedHeader {
                format: "pcapng",
                len: got,
                need: 16,
            });
        }
        let Some(big) = pcapng::section_byte_order([head[8], head[9], head[10], head[11]]) else {
            return Err(Error::BadSectionHeader {
                offset: 8,
                reason: "its byte-order magic is neither 1a2b3c4d nor 4d3c2b1a",
            });
        };
        let (major, minor) = (
            super::read_u16(head, 12, big),
            super::read_u16(head, 14, big),
        );
        if major != 1 {
            return Err(Error::UnsupportedVersion {
                format: "pcapng",
                major,
                minor,
            });
        }
        (Reader::PcapNg(PcapNg::new()), Format::PcapNg)
    } else if classic::recognise(magic).is_some() {
        if got < classic::FILE_HEADER {
            return Err(Error::TruncatedHeader {
                format: "pcap",
                len: got,
                need: classic::FILE_HEADER,
            });
        }
        let pcap = Pcap::from_header(head)?;
        input.consume(classic::FILE_HEADER);
        (Reader::Pcap(pcap), Format::Pcap)
    } else {
        return Err(Error::NotACapture { magic: hex(&magic) });
    };
    Ok((reader, format))
}
