//! `--ladder`, `--ladder-out` and `--annotate`: what the analysis leaves
//! besides its report, a picture of the ladders and an annotated copy of
//! the capture. Their flags are one `clap::Args` so that another command
//! (`lab diagnose`) can take the same ones.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use wirelab::app;
use wirelab::app::quic::QuicReport;
use wirelab::capture::FrameTimes;
use wirelab::capture::annotate::{self, Comments};
use wirelab::flow::Connection;
use wirelab::report::picture::{self, Ladder};
use wirelab::report::{ConnectionReport, Summary, annotation, quic_steps};

/// The picture formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LadderFormat {
    /// A Mermaid sequenceDiagram (GitHub renders it in a ```mermaid block).
    Mermaid,
    /// A self-contained SVG image.
    Svg,
}

/// The flags.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct PictureArgs {
    /// Draw the connections in scope as a ladder: SYN, the messages each
    /// frame completed, FIN and RST, and each verdict; QUIC connections
    /// beside them (Initial, handshake, HTTP/3 with --keylog, and
    /// CONNECTION_CLOSE, stateless reset, ICMP error or idle timeout);
    /// mermaid (a sequenceDiagram) or svg. Written to --ladder-out.
    #[arg(long, value_enum, value_name = "FORMAT", requires = "ladder_out")]
    pub ladder: Option<LadderFormat>,
    /// The file --ladder writes; a name ending in .md gets the diagram in a
    /// ```mermaid block, ready for a GitHub page.
    #[arg(long, value_name = "FILE", requires = "ladder")]
    pub ladder_out: Option<PathBuf>,
    /// Copy the capture to this pcapng file with each connection's verdict
    /// as a comment on its FIN and RST frames (Wireshark: frame.comment),
    /// and each QUIC connection's on its CONNECTION_CLOSE, stateless reset
    /// or ICMP error (for an idle timeout, its last packet).
    /// The capture is read a second time, so not from standard input; live,
    /// the copy is made from the --write file.
    #[arg(long, value_name = "OUT.pcapng")]
    pub annotate: Option<PathBuf>,
}

/// What is gathered while the analysis runs.
pub struct Extras {
    args: PictureArgs,
    /// The table's ladder lines were asked for (`--frames`).
    frames: bool,
    kept: Vec<ConnectionReport>,
    /// QUIC connections to draw, with their number in the QUIC section.
    kept_quic: Vec<(usize, QuicReport)>,
    omitted: u64,
    comments: Comments,
    /// Words another command adds to a connection's note in the ladder.
    notes: HashMap<u64, String>,
}

impl Extras {
    pub fn new(args: PictureArgs, frames: bool) -> Self {
        Extras {
            args,
            frames,
            kept: Vec::new(),
            kept_quic: Vec::new(),
            omitted: 0,
            comments: Comments::new(),
            notes: HashMap::new(),
        }
    }

    /// Adds a comment on frame `frame` of the annotated copy (besides the
    /// verdict's): what `lab diagnose` says of its deciding frames.
    pub fn comment(&mut self, frame: u64, line: String) {
        if self.args.annotate.is_some() {
            // Kept to one line of a few hundred bytes: never too long.
            let _ = self.comments.add(frame, line);
        }
    }

    /// Adds words to connection `id`'s note in the ladder, after its
    /// verdict.
    pub fn note(&mut self, id: u64, text: String) {
        if self.args.ladder.is_some() {
            self.notes.insert(id, text);
        }
    }

    /// True when the analyzer must keep ladders.
    pub fn wants_ladder(&self) -> bool {
        self.args.ladder.is_some()
    }

    /// Notes the QUIC connections at the end of the analysis (the library
    /// kept those in scope, each with its number in the capture): they are
    /// drawn and annotated. Takes away the ladder records the table did not
    /// ask for (`--frames`).
    pub fn quic(&mut self, summary: &mut Summary) {
        if self.args.annotate.is_some() || self.args.ladder.is_some() {
            for (n, q) in summary.quic_numbered() {
                if self.args.annotate.is_some() {
                    for (frame, line) in quic_steps::frame_comments(n, q) {
                        // One line of a few hundred bytes: never too long.
                        let _ = self.comments.add(frame, line);
                    }
                }
                if self.args.ladder.is_some() {
                    if self.kept.len() + self.kept_quic.len() < picture::MAX_CONNECTIONS {
                        self.kept_quic.push((n, q.clone()));
                    } else {
                        self.omitted += 1;
                    }
                }
            }
        }
        if !self.frames {
            for q in &mut summary.quic {
                q.ladder = None;
            }
        }
    }

    /// True when the analyzer must keep ladder records: for the picture,
    /// and for `--annotate`'s sake (QUIC's record gives an idle timeout's
    /// last packet).
    pub fn wants_records(&self) -> bool {
        self.args.ladder.is_some() || self.args.annotate.is_some()
    }

    /// Refuses what cannot work before any reading: a copy of standard
    /// input, a live copy without `--write`, a copy over its own input.
    pub fn check(&self, input: Option<&Path>) -> anyhow::Result<()> {
        let Some(out) = &self.args.annotate else {
            return Ok(());
        };
        let Some(input) = input else {
            bail!(
                "--annotate copies the capture after the analysis: with -i, add --write FILE (the copy is made from it)"
            );
        };
        if input.as_os_str() == "-" {
            bail!(
                "--annotate reads the capture a second time: give a capture file, not standard input"
            );
        }
        let same = match (input.canonicalize(), out.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            bail!(
                "--annotate {} would overwrite the capture it copies: name another file",
                out.display()
            );
        }
        Ok(())
    }

    /// Notes a finished connection; returns its application layer for
    /// the output, without the ladder the table did not ask for. Without
    /// a picture or an annotated copy asked for, the application layer
    /// goes on as it came; otherwise its report is made here.
    pub fn see(
        &mut self,
        connection: &Connection,
        app: Option<app::Finished>,
    ) -> Option<app::Finished> {
        if self.args.ladder.is_none() && self.args.annotate.is_none() {
            return app;
        }
        let mut app = app.map(app::Finished::into_boxed);
        let mut report = ConnectionReport::of(connection);
        if self.args.annotate.is_some() {
            for (frame, line) in annotation::frame_comments(&report) {
                // Comments are one line of a few dozen bytes: never too long.
                let _ = self.comments.add(frame, line);
            }
        }
        if self.args.ladder.is_some() {
            if self.kept.len() < picture::MAX_CONNECTIONS {
                report.app = app.clone();
                self.kept.push(report);
            } else {
                self.omitted += 1;
            }
        }
        // `--annotate` alone keeps ladders for QUIC's sake: the table
        // shows TCP's only with `--frames`.
        if !self.frames
            && let Some(a) = app.as_deref_mut()
        {
            a.ladder = None;
        }
        app.map(app::Finished::from)
    }

    /// Writes the picture and the annotated copy; `input` is the capture
    /// file to copy.
    pub fn finish(self, times: &FrameTimes, input: Option<&Path>) -> anyhow::Result<()> {
        if let (Some(format), Some(path)) = (self.args.ladder, &self.args.ladder_out) {
            let mut ladder = Ladder::new();
            for c in &self.kept {
                ladder.add(c, |n| times.get(n));
                if let (Some(note), Some(drawn)) =
                    (self.notes.get(&c.id), ladder.connections.last_mut())
                    && drawn.id == picture::ConnId::Tcp(c.id)
                {
                    drawn.verdict = format!("{}. {note}", drawn.verdict);
                }
            }
            for (n, q) in &self.kept_quic {
                ladder.add_quic(*n, q, |f| times.get(f));
            }
            ladder.omitted += self.omitted;
            let text = match format {
                LadderFormat::Svg => picture::svg::render(&ladder),
                LadderFormat::Mermaid if path.extension().is_some_and(|e| e == "md") => {
                    format!("```mermaid\n{}```\n", picture::mermaid::render(&ladder))
                }
                LadderFormat::Mermaid => picture::mermaid::render(&ladder),
            };
            std::fs::write(path, text)
                .with_context(|| format!("cannot write the ladder to {}", path.display()))?;
            let drawn = ladder.connections.len();
            crate::say(&format!(
                "ladder of {drawn} connection{} written to {}{}",
                if drawn == 1 { "" } else { "s" },
                path.display(),
                if ladder.omitted > 0 {
                    format!(
                        " ({} more not drawn: narrow with --port or --host)",
                        ladder.omitted
                    )
                } else {
                    String::new()
                }
            ));
        }
        if let (Some(out), Some(input)) = (&self.args.annotate, input) {
            copy(input, out, &self.comments)?;
        }
        Ok(())
    }
}

/// Makes the annotated copy; a failed copy is removed, not left half made.
fn copy(input: &Path, out: &Path, comments: &Comments) -> anyhow::Result<()> {
    let reader = wirelab::capture::open_input(input)?;
    let file = File::create(out)
        .with_context(|| format!("cannot create the annotated copy {}", out.display()))?;
    let mut writer = BufWriter::new(file);
    let done = match annotate::annotate(reader, &mut writer, comments)
        .map_err(anyhow::Error::from)
        .and_then(|d| writer.flush().map(|()| d).map_err(anyhow::Error::from))
    {
        Ok(done) => done,
        Err(e) => {
            drop(writer);
            let _ = std::fs::remove_file(out);
            return Err(e.context(format!("no annotated copy written to {}", out.display())));
        }
    };
    crate::say(&format!(
        "annotated copy written to {}: {} frames, {} comments on {} frames",
        out.display(),
        done.frames,
        done.comments,
        comments.frames() - done.unplaced.len()
    ));
    if let Some(first) = done.unplaced.first() {
        crate::say(&format!(
            "warning: comments for {} frame(s) not written; frame {}: {}",
            done.unplaced.len(),
            first.frame,
            first.why
        ));
    }
    if done.dropped_blocks > 0 {
        crate::say(&format!(
            "warning: {} custom block(s) marked \"do not copy\" left out of the copy",
            done.dropped_blocks
        ));
    }
    if done.truncated_bytes > 0 {
        crate::say(&format!(
            "warning: the capture ends in a cut-off record ({} bytes), not copied",
            done.truncated_bytes
        ));
    }
    Ok(())
}
