//! `lab analyze`: classify every TCP connection's teardown in a capture file,
//! standard input, or a live interface.

mod log_clock;

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use wirelab::analyze::Finished;
use wirelab::analyze::{self, AnalyzeOptions, Scope};
use wirelab::app::AppOptions;
use wirelab::capture::{self, LiveCapture, LiveOptions, Spanned};
use wirelab::report::expect::{Checker, Expectation};
use wirelab::report::table::Style;
use wirelab::report::{ConnectionReport, Report, Summary, json, table, zeek};
use wirelab::wire::DecodeOptions;

use crate::resolve::HostArg;
use crate::term::ColorChoice;
use crate::{progress, term, warn};
use log_clock::LogClock;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One table row per connection and a summary line.
    Table,
    /// One JSON document (live: one JSON object per line, as jsonl).
    Json,
    /// JSON Lines: one object per connection as it ends, then the summary.
    Jsonl,
    /// Zeek conn.log TSV (the summary goes to standard error).
    Zeek,
}

/// What of the payload to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Decode {
    /// On for table and JSON, off for the Zeek log.
    Auto,
    /// Reassemble streams and decode HTTP/1.x and HTTP/2.
    Http,
    /// Headers only: no reassembly, no application fields.
    None,
}

/// Flags of `lab analyze`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    lab analyze trace.pcap                      one row per connection: FIN or RST, who, when\n  \
    lab analyze -r trace.pcapng --port 443      only connections to or from port 443\n  \
    tcpdump -i eth0 -w - | lab analyze -        from a running tcpdump\n  \
    lab analyze -i lo --filter 'tcp port 8080'  live; each row about 5 s after the close\n  \
    lab analyze trace.pcap --format zeek        Zeek's conn.log, streamed\n  \
    lab analyze trace.pcap --expect fin         exit 1 unless every connection ended in FIN")]
pub struct Args {
    /// Capture file (pcap or pcapng); `-` reads standard input.
    #[arg(
        required_unless_present_any = ["interface", "read"],
        conflicts_with_all = ["interface", "read"]
    )]
    file: Option<PathBuf>,
    /// The capture file, as tcpdump and tshark take it (`-r FILE`).
    #[arg(
        short = 'r',
        long = "read",
        value_name = "FILE",
        conflicts_with = "interface"
    )]
    read: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Check TCP (and IPv4 header) checksums; by default they are ignored, as
    /// with `zeek -C`, because loopback and offloading NICs capture packets
    /// before the checksum is filled in.
    #[arg(long)]
    validate_checksums: bool,
    /// Capture live on this interface instead of reading a file; each
    /// connection is printed when Zeek's timers end it, the rest at Ctrl-C.
    #[arg(long, short = 'i')]
    interface: Option<String>,
    /// BPF filter (tcpdump syntax) on packets, for files and live captures.
    #[arg(long)]
    filter: Option<String>,
    /// Save the live capture to this pcap file.
    #[arg(long, requires = "interface")]
    write: Option<PathBuf>,
    /// Exit 0 only if every connection in scope matches: fin, rst, refused,
    /// half-closed, open, unanswered, conn_state=STATE or history=LETTERS
    /// (repeatable; all must hold).
    #[arg(long, value_name = "EXPECTATION")]
    expect: Vec<Expectation>,
    /// Only connections with this port on either side (repeatable).
    #[arg(long = "port", value_name = "N")]
    ports: Vec<u16>,
    /// Only connections with this address on either side (repeatable); a
    /// name (`localhost`) stands for every address it resolves to.
    #[arg(long = "host", value_name = "ADDR", value_parser = crate::resolve::host_arg)]
    hosts: Vec<HostArg>,
    /// Colour RST and FIN in the table: auto (on a terminal, unless
    /// NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Reassemble each connection's bytes and decode HTTP/1.x and HTTP/2
    /// (protocol, exchanges, what a RST destroyed): auto is on for table,
    /// json and jsonl, off for zeek.
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = Decode::Auto)]
    decode: Decode,
    /// Out-of-order bytes held per direction while reassembling; a
    /// connection needing more stops being decoded in that direction.
    #[arg(long, value_name = "BYTES", default_value_t = wirelab::stream::DEFAULT_WINDOW)]
    reassembly_window: usize,
    /// Print each connection's frames labelled with the messages they
    /// carry (a ladder); in JSON, a `ladder` array per connection.
    #[arg(long)]
    frames: bool,
}

/// Where finished connections go: printed at once (zeek, jsonl, live) or
/// kept for one sorted rendering at the end (table and JSON from a file).
/// JSON keeps the connection records themselves (224 bytes each) and writes
/// the document one connection at a time; the table needs every row's text
/// to size its columns.
struct Sink {
    format: Format,
    live: bool,
    out: BufWriter<io::Stdout>,
    kept: Vec<ConnectionReport>,
    kept_records: Vec<json::Kept>,
    /// Reused for each conn.log row.
    row: Vec<u8>,
    /// Zeek's `#open`/`#close` times, and whether the header is out.
    zeek_log: Option<(LogClock, bool)>,
    checker: Checker,
    error: Option<io::Error>,
    /// How the table is drawn (width, colour, ASCII).
    style: Style,
    /// Cleared before the report is written.
    progress: progress::Progress,
}

impl Sink {
    /// The conn.log header, before the first row (the `#open` time of a
    /// file is its first frame's, known once a frame was read).
    fn open_zeek_log(&mut self) {
        if let Some((clock, opened @ false)) = &mut self.zeek_log {
            *opened = true;
            let header = zeek::header(clock.open());
            if let Err(e) = self.out.write_all(header.as_bytes()) {
                self.error.get_or_insert(e);
            }
        }
    }

    fn take(&mut self, f: Finished<'_>) {
        let c = f.connection;
        self.open_zeek_log();
        // The streaming fast path: a conn.log row straight from the record,
        // with no owned report to build when nothing is checked.
        if self.format == Format::Zeek && self.checker.is_empty() {
            self.row.clear();
            zeek::append_connection(&mut self.row, c);
            let written = self.out.write_all(&self.row);
            let flushed = if self.live { self.out.flush() } else { Ok(()) };
            if let Err(e) = written.and(flushed) {
                self.error.get_or_insert(e);
            }
            return;
        }
        if self.format == Format::Json && !self.live {
            if !self.checker.is_empty() {
                self.checker.check(&ConnectionReport::of(c));
            }
            self.kept_records.push((c.clone(), f.app));
            return;
        }
        let report = ConnectionReport::of(c).with_app(f.app);
        self.checker.check(&report);
        let line = match (self.format, self.live) {
            (Format::Zeek, _) => Some(zeek::row(&report.zeek)),
            (Format::Table, true) if self.style.ascii => Some(table::ascii(&table::line(&report))),
            (Format::Table, true) => Some(table::line(&report)),
            (Format::Json, true) | (Format::Jsonl, _) => Some(json::line(&report)),
            (_, false) => None,
        };
        match line {
            Some(line) => {
                let written = writeln!(self.out, "{line}");
                let flushed = if self.live { self.out.flush() } else { Ok(()) };
                if let Err(e) = written.and(flushed) {
                    self.error.get_or_insert(e);
                }
            }
            None => self.kept.push(report),
        }
    }

    fn end(mut self, summary: Summary) -> anyhow::Result<ExitCode> {
        self.progress.drawing(summary.connections);
        self.open_zeek_log();
        if self.format == Format::Json && !self.live {
            self.progress.clear();
            let records = std::mem::take(&mut self.kept_records);
            let written = json::write_connections(&mut self.out, &records, &summary);
            if let Err(e) = written {
                self.error.get_or_insert(e);
            }
        }
        let text = match (self.format, self.live) {
            (Format::Zeek, _) => {
                // Zeek's readers take `#` lines as the header's or `#close`:
                // the summary goes to the terminal instead.
                crate::say(&table::summary(&summary, &Style::default()));
                let close = self.zeek_log.as_ref().map(|(clock, _)| clock.close());
                zeek::close(close.unwrap_or_default())
            }
            (Format::Table, true) => format!("{}\n", table::summary(&summary, &self.style)),
            (Format::Json, true) | (Format::Jsonl, _) => {
                format!("{}\n", json::summary_line(&summary))
            }
            (Format::Json, false) => "\n".to_string(),
            (Format::Table, false) => {
                self.kept.sort_by_key(|c| c.id);
                let report = Report {
                    connections: std::mem::take(&mut self.kept),
                    summary,
                };
                table::render_styled(&report, &self.style)
            }
        };
        self.progress.clear();
        let written = self.out.write_all(text.as_bytes()).and(self.out.flush());
        // A reader that went away (`| head`) ends the output quietly: main
        // recognises the broken pipe under this context.
        self.error
            .take()
            .map_or(written, Err)
            .context("writing the report")?;
        if self.checker.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        match self.checker.verdict() {
            Ok(_) => Ok(ExitCode::SUCCESS),
            Err(why) => {
                crate::say(&format!("expectation failed: {why}"));
                Ok(ExitCode::from(1))
            }
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let live = args.interface.is_some();
    let mut opts = AnalyzeOptions {
        decode: DecodeOptions {
            validate_checksums: args.validate_checksums,
        },
        scope: Scope {
            ports: args.ports,
            hosts: args.hosts.into_iter().flat_map(|h| h.0).collect(),
        },
        app: match (args.decode, args.format) {
            (Decode::None, _) | (Decode::Auto, Format::Zeek) => None,
            _ => Some(AppOptions {
                window: args.reassembly_window,
                ladder: args.frames,
            }),
        },
        ..AnalyzeOptions::default()
    };
    let mut sink = Sink {
        format: args.format,
        live,
        out: BufWriter::new(io::stdout()),
        kept: Vec::new(),
        kept_records: Vec::new(),
        row: Vec::with_capacity(256),
        zeek_log: None,
        checker: Checker::new(args.expect),
        error: None,
        style: term::stdout_style(args.color),
        progress: progress::Progress::default(),
    };
    let zeek_clock = |fallback| -> anyhow::Result<_> {
        let zeek = args.format == Format::Zeek;
        zeek.then(|| LogClock::from_env(fallback)).transpose()
    };
    let summary = if let Some(interface) = &args.interface {
        // Whole packets only where they are used: the saved copy, the
        // checksums and the decoders; the flow table reads headers.
        let live_opts = if args.write.is_some() || args.validate_checksums || opts.app.is_some() {
            LiveOptions::WHOLE_PACKETS
        } else {
            LiveOptions::HEADERS_ONLY
        };
        let mut capture = LiveCapture::open_with(
            interface,
            args.filter.as_deref(),
            args.write.as_deref(),
            live_opts,
        )?;
        let stop = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(signal, Arc::clone(&stop))
                .context("installing the Ctrl-C handler")?;
        }
        crate::say(&format!(
            "capturing on {interface} (Ctrl-C to stop); each connection is printed when \
             Zeek's timers end it, about 5 s after it closes"
        ));
        sink.zeek_log = zeek_clock(LogClock::Wall)?.map(|c| (c, false));
        // Live, the header goes out at once rather than with the first row.
        sink.open_zeek_log();
        sink.out.flush().ok();
        let summary = analyze::analyze_live(&mut capture, &opts, &stop, |f| sink.take(f))?;
        capture.flush()?;
        // libpcap's own counters: a drop means the analysis missed packets.
        let stats = capture.stats()?;
        crate::say(&format!(
            "libpcap received {} packets, dropped {} (buffer full), {} by the interface",
            stats.received, stats.dropped, stats.if_dropped
        ));
        summary
    } else {
        opts.filter = args.filter;
        let path = args
            .read
            .or(args.file)
            .unwrap_or_else(|| PathBuf::from("-"));
        // Table and JSON print once the whole capture is read.
        let hint = (args.format == Format::Table || args.format == Format::Json).then_some(
            "this format waits for the end of the capture; `--format zeek` or `jsonl` streams each connection as it ends",
        );
        let input = capture::open_input(&path)?;
        let streams = matches!(args.format, Format::Zeek | Format::Jsonl);
        let utf8 = term::locale_is_utf8();
        let (input, progress) = progress::wrap(input, &path, streams, hint, utf8);
        sink.progress = progress;
        let mut reader = capture::FileReader::new(input)?;
        let (mut reader, span) = Spanned::new(&mut reader);
        sink.zeek_log = zeek_clock(LogClock::Capture(span))?.map(|c| (c, false));
        analyze::analyze_each(&mut reader, &opts, |f| sink.take(f))?
    };
    // What the library found worth saying besides the report, one line each,
    // after the report so that a long table does not scroll it away.
    // Said in words now: the typed warnings borrow the summary the sink takes.
    let warnings: Vec<String> = summary.warnings().iter().map(ToString::to_string).collect();
    let code = sink.end(summary);
    warn::print(&warnings);
    code
}
