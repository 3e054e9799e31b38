//! Several capture files read as one capture: a rotated set (tcpdump's
//! `-C`, `-G` and `-W` output), or captures of different interfaces made
//! at the same time.
//!
//! The files' records are merged by timestamp, as `mergecap` merges them,
//! so that analyzing the set gives what analyzing `mergecap`'s merged file
//! gives, frame numbers included:
//!
//! - each file's records keep their order, even where its own timestamps
//!   go back (only the files' next records are compared);
//! - the earliest next record goes first; of equal timestamps, the record
//!   of the file named **later** goes first. That is Wireshark 4.0's
//!   `merge.c`, which scans the files in order and lets a later file take
//!   the place of an equal one (checked with mergecap 4.0.17: two files
//!   with equal timestamps merge as the second file's record first).
//!
//! Each frame keeps its own file's link type, as a pcapng file with one
//! interface per link type does; mergecap writes such a file by default.
//!
//! A file is opened once to learn its first record's time, closed, and
//! opened again only when the merge reaches that time: a set of hundreds
//! of rotated files holds one or two of them open at once, not all.
//! The frame handed out is a copy (one per frame) so that the files' next
//! records can be read while it is in use.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::file::{FileReader, open_input};
use super::{CaptureAnomalies, Error, Frame, FrameSource, LinkType, Timestamp};

type Reader = FileReader<Box<dyn Read>>;

/// A frame's fields, with its bytes in a buffer of its own.
struct Held {
    ts: Timestamp,
    link: LinkType,
    orig_len: u32,
    data: Vec<u8>,
}

impl Held {
    fn new() -> Self {
        Held {
            ts: Timestamp(0),
            link: LinkType::ETHERNET,
            orig_len: 0,
            data: Vec::new(),
        }
    }

    fn copy(&mut self, f: &Frame<'_>) {
        self.ts = f.ts;
        self.link = f.link;
        self.orig_len = f.orig_len;
        self.data.clear();
        self.data.extend_from_slice(f.data);
    }
}

/// Where one file of the set is.
enum State {
    /// Closed; its first record's time is in the queue.
    Waiting,
    /// Open; its next record is held and its time is in the queue.
    Open(Box<Reader>, Held),
    /// Read to the end (or holding no record at all).
    Done,
}

struct Member {
    path: PathBuf,
    state: State,
    /// Counted once the file is read to its end.
    anomalies: CaptureAnomalies,
}

/// A file left out of a directory's set, and why.
#[derive(Debug)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// What its first bytes are instead of a capture.
    pub reason: Error,
}

/// Several capture files read as one, in timestamp order (see the module
/// documentation for the order of equal times).
pub struct CaptureSet {
    members: Vec<Member>,
    /// The files' next records: the earliest time first, then the file
    /// named later.
    queue: BinaryHeap<Reverse<(Timestamp, Reverse<usize>)>>,
    /// The frame last handed out.
    out: Held,
    number: u64,
    /// The files' counts added up, as each file ends.
    total: CaptureAnomalies,
    skipped: Vec<Skipped>,
}

/// The files of a directory, sorted by name as bytes (the order of
/// `DIR/*` in the C locale; tcpdump's rotation names sort in time order
/// when their numbers have one width, as `-W` and `-G`'s strftime names
/// do). Subdirectories are not entered.
///
/// # Errors
///
/// [`Error::Open`] when the directory cannot be listed.
pub fn directory_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let open_error = |source| Error::Open {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(open_error)? {
        let entry = entry.map_err(open_error)?;
        let path = entry.path();
        if !path.is_dir() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Adds one file's counts to the set's. Every field is named, so that a
/// count added to [`CaptureAnomalies`] cannot be left out of a set's.
fn add(total: &mut CaptureAnomalies, a: &CaptureAnomalies) {
    let CaptureAnomalies {
        truncated_records,
        truncated_bytes,
        damaged_records,
        skipped_bytes,
        unknown_blocks,
        unknown_interface,
        first_damage,
    } = a;
    total.truncated_records += truncated_records;
    total.truncated_bytes += truncated_bytes;
    total.damaged_records += damaged_records;
    total.skipped_bytes += skipped_bytes;
    total.unknown_blocks += unknown_blocks;
    total.unknown_interface += unknown_interface;
    // The first in file order; the per-file counts name the file.
    if total.first_damage.is_none() {
        total.first_damage = *first_damage;
    }
}

/// An error of one file, naming it (an open error names it already).
fn naming(path: &Path, error: Error) -> Error {
    match error {
        Error::Open { .. } => error,
        other => Error::InFile {
            path: path.to_path_buf(),
            error: Box::new(other),
        },
    }
}

fn open(path: &Path) -> Result<Reader, Error> {
    FileReader::new(open_input(path)?).map_err(|e| naming(path, e))
}

impl CaptureSet {
    /// Opens every file to learn its first record's time.
    ///
    /// With `skip_foreign`, a file whose first bytes are no capture (or
    /// that is empty) is left out and listed in [`Self::skipped`]: a
    /// directory holds notes and logs beside its captures. Anything else
    /// that stops a file from being read (a compressed capture, a cut
    /// header, a version not read) stops the whole set: its frames belong
    /// to the capture.
    ///
    /// # Errors
    ///
    /// The first file that cannot be read, named.
    pub fn open(paths: Vec<PathBuf>, skip_foreign: bool) -> Result<Self, Error> {
        let mut set = CaptureSet {
            members: Vec::with_capacity(paths.len()),
            queue: BinaryHeap::with_capacity(paths.len()),
            out: Held::new(),
            number: 0,
            total: CaptureAnomalies::default(),
            skipped: Vec::new(),
        };
        for path in paths {
            let mut reader = match open(&path) {
                Ok(r) => r,
                Err(Error::InFile { error, .. })
                    if skip_foreign
                        && matches!(*error, Error::NotACapture { .. } | Error::Empty) =>
                {
                    set.skipped.push(Skipped {
                        path,
                        reason: *error,
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            let index = set.members.len();
            let first = reader.next_frame().map_err(|e| naming(&path, e))?;
            let state = match first {
                Some(f) => {
                    set.queue.push(Reverse((f.ts, Reverse(index))));
                    State::Waiting
                }
                None => {
                    add(&mut set.total, reader.anomalies());
                    State::Done
                }
            };
            let anomalies = match state {
                State::Done => reader.anomalies().clone(),
                _ => CaptureAnomalies::default(),
            };
            set.members.push(Member {
                path,
                state,
                anomalies,
            });
        }
        Ok(set)
    }

    /// The files read, in the order given.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.members.iter().map(|m| m.path.as_path())
    }

    /// Each file's counts of damage passed over, once it is read to its end.
    pub fn file_anomalies(&self) -> impl Iterator<Item = (&Path, &CaptureAnomalies)> {
        self.members
            .iter()
            .map(|m| (m.path.as_path(), &m.anomalies))
    }

    /// The files [`Self::open`] left out as no captures.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Reads the next record of file `index` into its slot, or closes it at
    /// its end.
    fn advance(&mut self, index: usize) -> Result<(), Error> {
        let member = &mut self.members[index];
        let State::Open(reader, held) = &mut member.state else {
            return Ok(());
        };
        match reader.next_frame() {
            Ok(Some(f)) => {
                held.copy(&f);
                self.queue.push(Reverse((held.ts, Reverse(index))));
            }
            Ok(None) => {
                member.anomalies = reader.anomalies().clone();
                add(&mut self.total, &member.anomalies);
                member.state = State::Done;
            }
            Err(e) => return Err(naming(&member.path, e)),
        }
        Ok(())
    }
}

impl FrameSource for CaptureSet {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error> {
        let Some(Reverse((ts, Reverse(index)))) = self.queue.pop() else {
            return Ok(None);
        };
        let member = &mut self.members[index];
        // A file is queued only while it is waiting or open.
        match &mut member.state {
            State::Waiting => {
                // Its turn: open it again; the first record is the one seen.
                let mut reader = open(&member.path)?;
                let first = reader.next_frame().map_err(|e| naming(&member.path, e))?;
                match first {
                    Some(f) if f.ts == ts => self.out.copy(&f),
                    _ => {
                        return Err(Error::InFile {
                            path: member.path.clone(),
                            error: Box::new(Error::Changed),
                        });
                    }
                }
                member.state = State::Open(Box::new(reader), Held::new());
            }
            State::Open(_, held) => std::mem::swap(&mut self.out, held),
            State::Done => return self.next_frame(),
        }
        self.advance(index)?;
        self.number += 1;
        Ok(Some(Frame {
            number: self.number,
            ts: self.out.ts,
            link: self.out.link,
            data: &self.out.data,
            orig_len: self.out.orig_len,
        }))
    }

    fn anomalies(&self) -> &CaptureAnomalies {
        &self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::tests::{pcap_file, syn_frame};

    /// Writes a µs pcap whose records are SYNs from the given ports at the
    /// given seconds.
    fn file(dir: &Path, name: &str, records: &[(u32, u16)]) -> PathBuf {
        let frames: Vec<(u32, Vec<u8>)> = records
            .iter()
            .map(|&(secs, port)| (secs, syn_frame(port)))
            .collect();
        let recs: Vec<(u32, u32, &[u8], u32)> = frames
            .iter()
            .map(|(secs, f)| (*secs, 0, f.as_slice(), f.len() as u32))
            .collect();
        let path = dir.join(name);
        std::fs::write(&path, pcap_file(false, 0xa1b2_c3d4, 1, &recs)).expect("write");
        path
    }

    /// (frame number, seconds, source port) of every frame of the set.
    fn read(set: &mut CaptureSet) -> Vec<(u64, i64, u16)> {
        let mut out = Vec::new();
        while let Some(f) = set.next_frame().expect("read") {
            let port = u16::from_be_bytes([f.data[34], f.data[35]]);
            out.push((f.number, f.ts.0 / Timestamp::SECOND, port));
        }
        out
    }

    #[test]
    fn earliest_first_later_file_first_on_equal_times_each_file_in_its_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        // File a goes back in time at its end (5 after 30): it keeps its order.
        let a = file(
            dir.path(),
            "a",
            &[(10, 1), (20, 2), (20, 3), (30, 4), (5, 5)],
        );
        let b = file(dir.path(), "b", &[(10, 11), (20, 12), (25, 13)]);
        let mut set = CaptureSet::open(vec![a.clone(), b.clone()], false).expect("open");
        let got: Vec<(i64, u16)> = read(&mut set).iter().map(|&(_, t, p)| (t, p)).collect();
        // mergecap 4.0.17 merges these two files (in this order) so.
        assert_eq!(
            got,
            [
                (10, 11),
                (10, 1),
                (20, 12),
                (20, 2),
                (20, 3),
                (25, 13),
                (30, 4),
                (5, 5)
            ]
        );
        let mut set = CaptureSet::open(vec![b, a], false).expect("open");
        let frames = read(&mut set);
        let got: Vec<(i64, u16)> = frames.iter().map(|&(_, t, p)| (t, p)).collect();
        assert_eq!(
            got,
            [
                (10, 1),
                (10, 11),
                (20, 2),
                (20, 3),
                (20, 12),
                (25, 13),
                (30, 4),
                (5, 5)
            ]
        );
        let numbers: Vec<u64> = frames.iter().map(|f| f.0).collect();
        assert_eq!(numbers, (1..=8).collect::<Vec<u64>>());
    }

    #[test]
    fn a_file_is_held_open_only_from_its_first_record_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths: Vec<PathBuf> = (0..3u32)
            .map(|i| {
                file(
                    dir.path(),
                    &format!("f{i}"),
                    &[(i * 10, 1), (i * 10 + 1, 2)],
                )
            })
            .collect();
        let mut set = CaptureSet::open(paths, false).expect("open");
        let open = |set: &CaptureSet| {
            set.members
                .iter()
                .filter(|m| matches!(m.state, State::Open(..)))
                .count()
        };
        assert_eq!(open(&set), 0);
        let mut most = 0;
        while set.next_frame().expect("read").is_some() {
            most = most.max(open(&set));
        }
        assert_eq!(most, 1, "one file open at a time for a rotated set");
    }

    #[test]
    fn a_directory_leaves_out_what_is_no_capture_and_names_each_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = file(dir.path(), "a.pcap", &[(1, 1)]);
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "not a capture").expect("write");
        let mut set = CaptureSet::open(vec![a.clone(), notes.clone()], true).expect("open");
        assert_eq!(set.skipped().len(), 1);
        assert_eq!(set.skipped()[0].path, notes);
        assert_eq!(read(&mut set).len(), 1);
        let Err(e) = CaptureSet::open(vec![a, notes.clone()], false) else {
            panic!("a file named on its own must be a capture");
        };
        assert!(
            e.to_string()
                .starts_with(&format!("{}: not a capture file", notes.display())),
            "{e}"
        );
        assert_eq!(directory_files(dir.path()).expect("list").len(), 2);
    }
}
