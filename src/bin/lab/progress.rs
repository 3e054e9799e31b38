//! A progress bar on standard error while a long capture file is read, and
//! a spinner while its report is drawn.
//!
//! The bar counts the bytes handed to the capture reader, which asks for
//! 256 KiB at a time: one counter update per chunk, nothing per packet. It
//! stays hidden for the first second (a helper thread reveals it), so quick
//! runs print nothing. No bar is made, and the reader is not wrapped at
//! all, when standard error is not a terminal, when the size is unknown
//! (standard input), or when rows stream to the same terminal (they show
//! the progress themselves).

use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Runs shorter than this show nothing.
const DELAY: Duration = Duration::from_secs(1);

/// The delay: [`DELAY`], or `LAB_PROGRESS_DELAY` seconds (as git's
/// `GIT_PROGRESS_DELAY`; 0 shows the bar at once, which the tests use).
fn delay() -> Duration {
    std::env::var("LAB_PROGRESS_DELAY")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .unwrap_or(DELAY)
}

/// Shows the bar (and says the hint first).
fn reveal(bar: &ProgressBar, hint: Option<&str>) {
    if let Some(hint) = hint {
        crate::say(&format!("hint: {hint}"));
    }
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.enable_steady_tick(Duration::from_millis(120));
}

/// Counts the bytes read into the bar.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// The bar and the thread that reveals it; cleared from the terminal by
/// [`Progress::clear`] or when dropped (also on an error).
#[derive(Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Dropping it tells the reveal thread the run is over.
    cancel: Option<Sender<()>>,
    reveal: Option<JoinHandle<()>>,
    /// Whether the terminal shows UTF-8 (else ASCII bar and spinner).
    utf8: bool,
}

impl Progress {
    /// The read is over and the report is being drawn: a spinner instead
    /// of the bar (drawing a large table takes longer than reading).
    pub fn drawing(&self, connections: u64) {
        if let Some(bar) = &self.bar {
            if let Ok(style) = ProgressStyle::with_template("lab: {spinner} {msg}") {
                bar.set_style(if self.utf8 {
                    style
                } else {
                    style.tick_chars("|/-\\ ")
                });
            }
            let s = if connections == 1 { "" } else { "s" };
            bar.set_message(format!("drawing the report of {connections} connection{s}"));
        }
    }

    /// Removes the bar before the report is written.
    pub fn clear(&mut self) {
        // The reveal thread first, so it cannot show the bar again.
        drop(self.cancel.take());
        if let Some(t) = self.reveal.take() {
            let _ = t.join();
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Wraps `input`, the bytes of the file at `path`, with a progress bar when
/// it helps (see the module comment). `streams_to_stdout`: rows are written
/// while reading. `hint` is said once, when the bar appears.
pub fn wrap(
    input: Box<dyn Read>,
    path: &Path,
    streams_to_stdout: bool,
    hint: Option<&'static str>,
    utf8: bool,
) -> (Box<dyn Read>, Progress) {
    let size = (path.as_os_str() != "-")
        .then(|| std::fs::metadata(path).ok())
        .flatten()
        .filter(|m| m.is_file() && m.len() > 0)
        .map(|m| m.len());
    let rows_on_terminal = streams_to_stdout && io::stdout().is_terminal();
    let (Some(size), true, false) = (size, io::stderr().is_terminal(), rows_on_terminal) else {
        return (input, Progress::default());
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
    let (cancel, cancelled) = mpsc::channel::<()>();
    let delay = delay();
    let shown = bar.clone();
    let thread = if delay.is_zero() {
        reveal(&bar, hint);
        None
    } else {
        std::thread::Builder::new()
            .name("lab-progress".into())
            .spawn(move || {
                // Only a timeout reveals: a message or a hang-up means
                // the run is over.
                if cancelled.recv_timeout(delay) == Err(RecvTimeoutError::Timeout) {
                    reveal(&shown, hint);
                }
            })
            .ok()
    };
    let counting = Counting {
        inner: input,
        bar: bar.clone(),
    };
    let progress = Progress {
        bar: Some(bar),
        cancel: Some(cancel),
        reveal: thread,
        utf8,
    };
    (Box::new(counting), progress)
}
