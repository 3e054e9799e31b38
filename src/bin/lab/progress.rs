//! A progress bar on standard error while a long capture file is read.
//!
//! The bar counts bytes handed to the capture reader, which asks for
//! 256 KiB at a time: one counter update per chunk, nothing per packet. It
//! stays hidden for the first second, so short reads print nothing; it is
//! never made when standard error is not a terminal or the size is unknown
//! (standard input), and then the reader is not wrapped at all.

use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Reads shorter than this show no bar.
const DELAY: Duration = Duration::from_secs(1);

/// Counts the bytes read into a bar, and shows the bar after [`DELAY`].
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
    started: Instant,
    shown: bool,
    hint: Option<&'static str>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        if !self.shown && self.started.elapsed() >= DELAY {
            self.shown = true;
            if let Some(hint) = self.hint {
                eprintln!("lab: hint: {hint}");
            }
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        Ok(n)
    }
}

/// The bar, cleared from the terminal when dropped (at the end of the read,
/// or on an error).
pub struct Progress(Option<ProgressBar>);

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Wraps `input`, the bytes of the file at `path`, with a progress bar when
/// standard error is a terminal and the file's size is known. `hint` is
/// said once, when the bar appears.
pub fn wrap(
    input: Box<dyn Read>,
    path: &Path,
    hint: Option<&'static str>,
    utf8: bool,
) -> (Box<dyn Read>, Progress) {
    let size = (path.as_os_str() != "-")
        .then(|| std::fs::metadata(path).ok())
        .flatten()
        .filter(|m| m.is_file() && m.len() > 0)
        .map(|m| m.len());
    let (Some(size), true) = (size, io::stderr().is_terminal()) else {
        return (input, Progress(None));
    };
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::hidden());
    let chars = if utf8 {
        "█▉▊▋▌▍▎▏ "
    } else {
        "=> "
    };
    if let Ok(style) = ProgressStyle::with_template(
        "lab: reading {prefix} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars(chars));
    }
    let name = path.file_name().unwrap_or(path.as_os_str());
    bar.set_prefix(name.to_string_lossy().into_owned());
    let counting = Counting {
        inner: input,
        bar: bar.clone(),
        started: Instant::now(),
        shown: false,
        hint,
    };
    (Box::new(counting), Progress(Some(bar)))
}
