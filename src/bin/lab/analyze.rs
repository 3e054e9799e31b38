//! `lab analyze`: classify every TCP connection's teardown in a capture file,
//! standard input, or a live interface.

mod each;
mod inputs;
mod log_clock;
pub(crate) mod pictures;

use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use wirelab::analyze::{self, AnalyzeOptions, Scope};
use wirelab::app::AppOptions;
use wirelab::capture::{self, LiveCapture, LiveOptions, Spanned, Timed};
use wirelab::report::expect::{Checker, Expectation};
use wirelab::report::output::{LogTimes, Output, Settings};
use wirelab::report::{self, Summary};
use wirelab::wire::DecodeOptions;

use crate::resolve::HostArg;
use crate::term::ColorChoice;
use crate::{flags, progress, term, warn};
use inputs::Inputs;
use log_clock::LogClock;
use pictures::{Extras, PictureArgs};

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
    lab analyze rotated/ --format zeek          a directory of rotated files, as one capture\n  \
    lab analyze --each --jobs 2 a.pcap b.pcap   each file on its own, two at a time\n  \
    lab analyze trace.pcap --expect fin         exit 1 unless every connection ended in FIN\n  \
    lab analyze trace.pcap --ladder svg --ladder-out ladder.svg   the ladders as a picture (TCP and QUIC)\n  \
    lab analyze trace.pcap --annotate trace-annotated.pcapng      verdicts as Wireshark comments")]
pub struct Args {
    /// Capture file (pcap or pcapng); `-` reads standard input. Several
    /// files, or one directory of them (a rotated set), are read as one
    /// capture in timestamp order, as `mergecap` merges them.
    #[arg(
        value_name = "FILE",
        required_unless_present_any = ["interface", "read"],
        conflicts_with_all = ["interface", "read"]
    )]
    files: Vec<PathBuf>,
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
    /// Only connections (TCP and QUIC) and DNS exchanges with this port on
    /// either side (repeatable).
    #[arg(long = "port", value_name = "N")]
    ports: Vec<u16>,
    /// Only connections (TCP and QUIC) and DNS exchanges with this address
    /// on either side (repeatable); a name (`localhost`) stands for every
    /// address it resolves to.
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
    /// carry (a ladder), QUIC's packets too (Initials, handshake, HTTP/3
    /// with --keylog, the ending); in JSON, a `ladder` array per TCP
    /// connection.
    #[arg(long)]
    frames: bool,
    /// Decrypt TLS with this NSS key log (the file SSLKEYLOGFILE names for
    /// curl, browsers and `lab serve --tls --keylog`): TLS 1.3's ALPN
    /// choice, and each connection's `keys` (ok, missing, mismatch). Only
    /// this flag gives keys: SSLKEYLOGFILE is not read by the analyzer.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Analyze each file on its own instead of as one capture: the outputs
    /// one after another in the order given, each as `lab analyze FILE`
    /// alone writes it (the table with a `==> FILE <==` line before it).
    #[arg(long, conflicts_with_all = ["interface", "ladder", "annotate"])]
    each: bool,
    /// Threads of analysis: with --each, files analyzed at once; otherwise
    /// the threads QUIC connections are spread over (at most 4), and 1 keeps
    /// the whole analysis on one thread (default: the cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    #[command(flatten)]
    pictures: PictureArgs,
}

impl From<Format> for report::output::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Table => report::output::Format::Table,
            Format::Json => report::output::Format::Json,
            Format::Jsonl => report::output::Format::Jsonl,
            Format::Zeek => report::output::Format::Zeek,
        }
    }
}

/// Writes the report's end, prints the stderr summary and says whether the
/// expectations held.
fn finish(
    output: Output<BufWriter<io::Stdout>>,
    summary: Summary,
    progress: &mut progress::Progress,
) -> anyhow::Result<ExitCode> {
    progress.drawing(summary.connections);
    if let Some(line) = output.side_summary(&summary) {
        crate::say(&line);
    }
    let outcome = output.finish(summary, || progress.clear());
    progress.clear();
    // The process ends soon after this: the records and reports the output
    // held are left to the system rather than freed one by one (a third of
    // a second of a key-logged QUIC capture's run, `bench/quic`).
    std::mem::forget(outcome.spent);
    // A reader that went away (`| head`) ends the output quietly: main
    // recognises the broken pipe under this context.
    outcome.written.context("writing the report")?;
    match outcome.expectation {
        None | Some(Ok(_)) => Ok(ExitCode::SUCCESS),
        Some(Err(why)) => {
            crate::say(&format!("expectation failed: {why}"));
            Ok(ExitCode::from(1))
        }
    }
}

pub fn run(mut args: Args) -> anyhow::Result<ExitCode> {
    let live = args.interface.is_some();
    let format = report::output::Format::from(args.format);
    let keylog = match &args.keylog {
        None => None,
        Some(path) => Some(Arc::new(read_keylog(path)?)),
    };
    let mut opts = AnalyzeOptions {
        decode: DecodeOptions {
            validate_checksums: args.validate_checksums,
        },
        scope: Scope {
            ports: args.ports,
            hosts: args.hosts.into_iter().flat_map(|h| h.0).collect(),
        },
        app: match args.decode {
            Decode::None => None,
            Decode::Auto if !format.decodes_by_default() => None,
            _ => Some(AppOptions {
                window: args.reassembly_window,
                // QUIC's ladder record also gives `--annotate` an idle
                // timeout's last packet.
                ladder: args.frames
                    || args.pictures.ladder.is_some()
                    || args.pictures.annotate.is_some(),
                keylog,
                ip_trail: false,
            }),
        },
        ..AnalyzeOptions::default()
    };
    let mut extras = Extras::new(args.pictures.clone(), args.frames);
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let inputs = match (&args.interface, args.read.clone()) {
        (Some(_), _) => None,
        (None, Some(read)) => Some(Inputs::resolve(vec![read])?),
        (None, None) if args.files.is_empty() => Some(Inputs::One(PathBuf::from("-"))),
        (None, None) => Some(Inputs::resolve(std::mem::take(&mut args.files))?),
    };
    let copy_from = match &inputs {
        None => args.write.clone(),
        Some(Inputs::One(path)) => Some(path.clone()),
        Some(_) if args.pictures.annotate.is_some() => anyhow::bail!(
            "--annotate copies one capture file: merge the set first (mergecap -w merged.pcapng FILES) and annotate that"
        ),
        Some(_) => None,
    };
    extras.check(copy_from.as_deref())?;
    let style = term::stdout_style(args.color);
    let expect = args.expect.clone();
    let checker = Checker::new(args.expect);
    // conn.log's `#open`/`#close` times (see `LogClock`); other formats
    // have none.
    let log_times = |fallback| -> anyhow::Result<Option<Box<dyn LogTimes>>> {
        if format != report::output::Format::Zeek {
            return Ok(None);
        }
        Ok(Some(Box::new(LogClock::from_env(fallback)?)))
    };
    let mut progress = progress::Progress::default();
    let times;
    let (output, summary) = if let Some(interface) = &args.interface {
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
        let settings = Settings {
            live,
            style,
            checker,
            log_times: log_times(LogClock::Wall)?,
        };
        let mut output = Output::new(BufWriter::new(io::stdout()), format, settings);
        // Live, the header goes out at once rather than with the first row.
        output.start();
        let (mut timed, live_times) = Timed::new(&mut capture, extras.wants_ladder());
        let mut summary = analyze::analyze_live(&mut timed, &opts, &stop, |f| {
            let app = extras.see(f.connection, f.app);
            output.connection(f.connection, app);
        })?;
        times = live_times;
        extras.quic(&mut summary);
        capture.flush()?;
        // libpcap's own counters: a drop means the analysis missed packets.
        let stats = capture.stats()?;
        crate::say(&format!(
            "libpcap received {} packets, dropped {} (buffer full), {} by the interface",
            stats.received, stats.dropped, stats.if_dropped
        ));
        (output, summary)
    } else {
        opts.filter = args.filter;
        let inputs = inputs.context("no input")?;
        if args.each {
            let plan = each::Plan {
                opts: &opts,
                format,
                style,
                expect,
                jobs,
                lenient: matches!(inputs, Inputs::Directory(..)),
            };
            return each::run(&inputs.files(), &plan);
        }
        let Inputs::One(path) = inputs else {
            let mut set = inputs.open_set()?;
            let (mut timed, set_times) = Timed::new(&mut set, extras.wants_ladder());
            times = set_times;
            let (mut reader, span) = Spanned::new(&mut timed);
            let settings = Settings {
                live,
                style,
                checker,
                log_times: log_times(LogClock::Capture(span))?,
            };
            let mut output = Output::new(BufWriter::new(io::stdout()), format, settings);
            let mut summary = analyze_into(&mut reader, &opts, jobs, &mut output, &mut extras)?;
            extras.quic(&mut summary);
            drop(reader);
            drop(timed);
            let warnings = set_warnings(&summary, &set);
            let code = finish(output, summary, &mut progress);
            warn::print(&warnings);
            extras.finish(&times, None)?;
            return code;
        };
        // Table and JSON print once the whole capture is read.
        let streams = format.streams(live);
        let hint = (!streams).then_some(
            "this format waits for the end of the capture; `--format zeek` or `jsonl` streams each connection as it ends",
        );
        let input = capture::open_input(&path)?;
        let utf8 = term::locale_is_utf8();
        let (input, wrapped) = progress::wrap(input, &path, streams, hint, utf8);
        progress = wrapped;
        let mut reader = capture::FileReader::new(input)?;
        let (mut timed, file_times) = Timed::new(&mut reader, extras.wants_ladder());
        times = file_times;
        let (mut reader, span) = Spanned::new(&mut timed);
        let settings = Settings {
            live,
            style,
            checker,
            log_times: log_times(LogClock::Capture(span))?,
        };
        let mut output = Output::new(BufWriter::new(io::stdout()), format, settings);
        let mut summary = analyze_into(&mut reader, &opts, jobs, &mut output, &mut extras)?;
        extras.quic(&mut summary);
        (output, summary)
    };
    // What the library found worth saying besides the report, one line each,
    // after the report so that a long table does not scroll it away.
    // Said in words now: the typed warnings borrow the summary the output takes.
    let warnings: Vec<String> = summary
        .warnings()
        .iter()
        .map(|w| w.naming(flags::setting).to_string())
        .collect();
    let code = finish(output, summary, &mut progress);
    warn::print(&warnings);
    extras.finish(&times, copy_from.as_deref())?;
    code
}

/// The warnings of a set's analysis: damage and cut records named per file
/// (the summary's own words give an offset without the file), the rest as
/// for one file.
fn set_warnings(summary: &Summary, set: &capture::CaptureSet) -> Vec<String> {
    use wirelab::report::Warning;
    let mut lines: Vec<String> = summary
        .warnings()
        .iter()
        .filter(|w| {
            !matches!(
                w,
                Warning::TruncatedCapture { .. } | Warning::Damaged { .. }
            )
        })
        .map(|w| w.naming(flags::setting).to_string())
        .collect();
    for (path, anomalies) in set.file_anomalies() {
        let alone = Summary {
            capture_anomalies: anomalies.clone(),
            ..Summary::default()
        };
        lines.extend(
            alone
                .warnings()
                .iter()
                .map(|w| format!("{}: {}", path.display(), w.naming(flags::setting))),
        );
    }
    lines
}

/// The key log, with a word on stderr for the lines it could not use
/// (a wrong file given as a key log shows up here, not as silent misses).
pub(crate) fn read_keylog(path: &std::path::Path) -> anyhow::Result<wirelab::tls_decrypt::KeyLog> {
    let text = std::fs::read(path)
        .with_context(|| format!("cannot read the key log {}", path.display()))?;
    let keylog = wirelab::tls_decrypt::KeyLog::parse(&text);
    let counts = keylog.counts();
    // A file with nothing to decrypt with is the wrong file, not a key
    // log that happens to miss some connections.
    if counts.secrets == 0 {
        let first = keylog
            .malformed()
            .first()
            .map(|m| format!("; the first unusable, line {}: {}", m.line, m.problem))
            .unwrap_or_default();
        anyhow::bail!(
            "key log {}: no usable line ({} lines: {} malformed, {} comments or blank, \
             {} with labels not used for decryption{first}); an NSS key log has lines \
             such as `CLIENT_RANDOM <64 hex> <96 hex>`",
            path.display(),
            counts.lines,
            counts.malformed,
            counts.comments,
            counts.ignored
        );
    }
    if let Some(first) = keylog.malformed().first() {
        crate::say(&format!(
            "key log {}: {} line(s) not used, the first (line {}): {}",
            path.display(),
            counts.malformed,
            first.line,
            first.problem
        ));
    }
    Ok(keylog)
}

/// Analyzes one frame source (a file or a set of files read as one), each
/// finished connection written as it ends; `--jobs 1` keeps the whole
/// analysis on this thread.
fn analyze_into<S: capture::FrameSource + ?Sized>(
    reader: &mut S,
    opts: &AnalyzeOptions,
    jobs: usize,
    output: &mut Output<BufWriter<io::Stdout>>,
    extras: &mut Extras,
) -> anyhow::Result<Summary> {
    let on = |f: analyze::Finished<'_>| {
        let app = extras.see(f.connection, f.app);
        output.connection(f.connection, app);
    };
    Ok(if jobs == 1 {
        analyze::analyze_each_alone(reader, opts, on)?
    } else {
        analyze::analyze_each_spread(reader, opts, jobs, on)?
    })
}
