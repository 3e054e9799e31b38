//! `lab analyze --each`: every file analyzed on its own, up to `--jobs` at
//! once on std threads, the outputs written in the order the files were
//! given.
//!
//! Each file's standard output is what `lab analyze FILE` alone writes,
//! byte for byte; it is kept in memory until the files before it are
//! written. The table format puts a `==> FILE <==` line before each file's
//! table (as head(1) does for several files); the machine formats do not,
//! so that each document, log or line stream stays as the single analysis
//! writes it. Lines for standard error are prefixed with the file's name.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::Context;
use wirelab::analyze::{self, AnalyzeOptions};
use wirelab::capture::{self, Error as CaptureError, FileReader, Spanned};
use wirelab::report::expect::{Checker, Expectation};
use wirelab::report::output::{Format, LogTimes, Output, Settings};
use wirelab::report::table::Style;

use super::log_clock::LogClock;
use crate::flags;

/// What is the same for every file.
pub struct Plan<'a> {
    pub opts: &'a AnalyzeOptions,
    pub format: Format,
    pub style: Style,
    pub expect: Vec<Expectation>,
    /// Analyses at once.
    pub jobs: usize,
    /// Files that are no captures are left out with a warning (a
    /// directory's), rather than reported as errors.
    pub lenient: bool,
}

/// One file's analysis, ready to be written.
struct Done {
    stdout: Vec<u8>,
    /// For standard error, in order, without the file's name.
    lines: Vec<String>,
    /// Whether its expectations held (`None`: none were given).
    expectation: Option<Result<u64, String>>,
    /// Set when the file could not be analyzed: the error, in words.
    failed: Option<String>,
    /// A directory's file that is no capture, left out.
    skipped: Option<String>,
}

/// Analyzes `files`, writes each output in order, and says how it went:
/// 2 if a file could not be analyzed, else 1 if an expectation failed.
pub fn run(files: &[PathBuf], plan: &Plan<'_>) -> anyhow::Result<ExitCode> {
    let workers = plan.jobs.clamp(1, files.len().max(1));
    // Spare cores (more jobs than files) go to each analysis's own second
    // thread; otherwise each analysis keeps to one thread, and the files
    // share the cores.
    let pipelined = workers * 2 <= plan.jobs;
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Done)>();
    let mut code = ExitCode::SUCCESS;
    let mut failed = false;
    std::thread::scope(|s| -> anyhow::Result<()> {
        for _ in 0..workers {
            let tx = tx.clone();
            let next = &next;
            std::thread::Builder::new()
                .name("lab-each".into())
                .spawn_scoped(s, move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let done = one(path, plan, pipelined);
                        if tx.send((i, done)).is_err() {
                            break;
                        }
                    }
                })
                .context("starting an analysis thread")?;
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut written = 0;
        let mut stdout = io::stdout().lock();
        for (i, done) in rx {
            waiting.insert(i, done);
            while let Some(done) = waiting.remove(&written) {
                let path = &files[written];
                written += 1;
                if let Some(why) = &done.skipped {
                    crate::say(&format!("warning: left out {}: {why}", path.display()));
                    continue;
                }
                if let Some(why) = &done.failed {
                    crate::say(&format!("{}: {why}", path.display()));
                    failed = true;
                    continue;
                }
                if plan.format == Format::Table {
                    let gap = if written > 1 { "\n" } else { "" };
                    writeln!(stdout, "{gap}==> {} <==", path.display())
                        .context("writing the report")?;
                }
                stdout
                    .write_all(&done.stdout)
                    .and_then(|()| stdout.flush())
                    .context("writing the report")?;
                for line in &done.lines {
                    crate::say(&format!("{}: {line}", path.display()));
                }
                if let Some(Err(why)) = &done.expectation {
                    crate::say(&format!("{}: expectation failed: {why}", path.display()));
                    code = ExitCode::from(1);
                }
            }
        }
        Ok(())
    })?;
    Ok(if failed { ExitCode::from(2) } else { code })
}

/// One file, analyzed as `lab analyze FILE` would analyze it.
fn one(path: &Path, plan: &Plan<'_>, pipelined: bool) -> Done {
    let mut done = Done {
        stdout: Vec::new(),
        lines: Vec::new(),
        expectation: None,
        failed: None,
        skipped: None,
    };
    let mut reader = match capture::open_input(path).and_then(FileReader::new) {
        Ok(r) => r,
        Err(e @ (CaptureError::NotACapture { .. } | CaptureError::Empty)) if plan.lenient => {
            done.skipped = Some(e.to_string());
            return done;
        }
        Err(e) => {
            done.failed = Some(e.to_string());
            return done;
        }
    };
    let (mut reader, span) = Spanned::new(&mut reader);
    let log_times: Option<Box<dyn LogTimes>> = if plan.format == Format::Zeek {
        match LogClock::from_env(LogClock::Capture(span)) {
            Ok(clock) => Some(Box::new(clock)),
            Err(e) => {
                done.failed = Some(format!("{e:#}"));
                return done;
            }
        }
    } else {
        None
    };
    let settings = Settings {
        live: false,
        style: plan.style,
        checker: Checker::new(plan.expect.clone()),
        log_times,
    };
    let mut stdout = Vec::new();
    let mut output = Output::new(&mut stdout, plan.format, settings);
    let on = |f: analyze::Finished<'_>| output.connection(f.connection, f.app);
    let result = if pipelined {
        analyze::analyze_each(&mut reader, plan.opts, on)
    } else {
        analyze::analyze_each_alone(&mut reader, plan.opts, on)
    };
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            done.failed = Some(e.to_string());
            return done;
        }
    };
    done.lines.extend(output.side_summary(&summary));
    let warnings: Vec<String> = summary
        .warnings()
        .iter()
        .map(|w| format!("warning: {}", w.naming(flags::setting)))
        .collect();
    let outcome = output.finish(summary, || {});
    done.lines.extend(warnings);
    done.expectation = outcome.expectation;
    if let Err(e) = outcome.written {
        done.failed = Some(format!("writing the report: {e}"));
    }
    done.stdout = stdout;
    done
}
