//! `lab diagnose`: why each RST in a capture happened, and whether it
//! mattered. The input plumbing is `lab analyze`'s; decoding is always on.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use wirelab::analyze::{self, AnalyzeOptions, Finished, Scope};
use wirelab::app::AppOptions;
use wirelab::capture::{self, LiveCapture, LiveOptions, Timed};
use wirelab::diagnose::{Diagnosis, Impact, Tally};
use wirelab::report::diagnosis;
use wirelab::wire::DecodeOptions;

use crate::analyze::pictures::{Extras, PictureArgs};
use crate::resolve::HostArg;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A paragraph per harmful (and uncertain) RST, the benign ones counted.
    Table,
    /// One JSON document: every diagnosis and the counts.
    Json,
}

/// What must hold for exit status 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Expect {
    /// No RST the packets show harmful (uncertain and benign ones pass).
    NoHarmfulRst,
}

/// Flags of `lab diagnose`.
#[derive(clap::Args)]
#[command(
    after_help = "Each RST gets a cause from the packets alone (closed-with-unread-data, \
    data-after-close, no-socket, refused, linger-zero-abort, after-both-fins, \
    after-close-notify, keep-alive-race, unknown) and an impact: harmful (the packets show \
    application bytes lost), benign (both sides had finished) or uncertain.\n\n\
    Examples:\n  \
    lab diagnose trace.pcap                         why each RST happened\n  \
    lab diagnose trace.pcap --format json           every diagnosis, with its deciding frames\n  \
    lab diagnose -i lo --port 8080                  live, until Ctrl-C\n  \
    lab diagnose trace.pcap --expect no-harmful-rst exit 1 if any RST lost application bytes"
)]
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
    /// Capture live on this interface; the diagnosis is printed at Ctrl-C.
    #[arg(long, short = 'i')]
    interface: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Exit 1 unless this holds (exit 2 on errors), as `lab analyze --expect`.
    #[arg(long, value_enum, value_name = "EXPECTATION")]
    expect: Option<Expect>,
    /// BPF filter (tcpdump syntax) on packets, for files and live captures.
    #[arg(long)]
    filter: Option<String>,
    /// Only connections with this port on either side (repeatable).
    #[arg(long = "port", value_name = "N")]
    ports: Vec<u16>,
    /// Only connections with this address on either side (repeatable).
    #[arg(long = "host", value_name = "ADDR", value_parser = crate::resolve::host_arg)]
    hosts: Vec<HostArg>,
    /// Check TCP (and IPv4 header) checksums (off by default, as `zeek -C`).
    #[arg(long)]
    validate_checksums: bool,
    /// Out-of-order bytes held per direction while reassembling.
    #[arg(long, value_name = "BYTES", default_value_t = wirelab::stream::DEFAULT_WINDOW)]
    reassembly_window: usize,
    /// Decrypt TLS with this NSS key log: a RST after close_notify is then
    /// told benign (without keys, TLS's ending is not guessed).
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// `--annotate` and `--ladder`, as `lab analyze` takes them: the
    /// diagnosis goes on its deciding frames and in the ladder's notes.
    #[command(flatten)]
    pictures: PictureArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let keylog = match &args.keylog {
        None => None,
        Some(path) => Some(Arc::new(crate::analyze::read_keylog(path)?)),
    };
    let mut opts = AnalyzeOptions {
        decode: DecodeOptions {
            validate_checksums: args.validate_checksums,
        },
        scope: Scope {
            ports: args.ports,
            hosts: args.hosts.into_iter().flat_map(|h| h.0).collect(),
        },
        app: Some(AppOptions {
            window: args.reassembly_window,
            keylog,
            ..wirelab::diagnose::app_options()
        }),
        ..AnalyzeOptions::default()
    };
    let mut extras = Extras::new(args.pictures.clone(), false);
    let copy_from = match &args.interface {
        Some(_) => None,
        None => Some(
            args.read
                .clone()
                .or(args.file.clone())
                .unwrap_or_else(|| PathBuf::from("-")),
        ),
    };
    extras.check(copy_from.as_deref())?;
    let want_times = extras.wants_ladder();
    if let Some(app) = &mut opts.app {
        app.ladder = extras.wants_records();
    }
    let mut diagnoses = Vec::new();
    // The terminal report tells every harmful RST and the first
    // UNCERTAIN_SHOWN uncertain ones by id, and only counts the rest: it
    // keeps no more, so memory does not grow with the benign RSTs. (JSON
    // is one document of them all.)
    let mut uncertain = std::collections::BTreeMap::new();
    let keep_all = !matches!(args.format, Format::Table);
    let mut tally = Tally::default();
    let mut on = |f: Finished<'_>| {
        // The diagnosis reads the report: it is made here, once, and
        // handed on made.
        let app = f.app.map(|a| a.into_boxed());
        let d = Diagnosis::of(&f.teardown, f.connection, app.as_deref());
        if let Some(d) = &d {
            for (frame, line) in diagnosis::frame_comments(d) {
                extras.comment(frame, line);
            }
            extras.note(d.id, diagnosis::ladder_note(d));
        }
        extras.see(f.connection, app.map(wirelab::app::Finished::from));
        match d {
            Some(d) => {
                tally.add(&d);
                if keep_all || d.impact.is_harmful() {
                    diagnoses.push(d);
                } else if matches!(d.impact, Impact::Uncertain(_)) {
                    uncertain.insert(d.id, d);
                    if uncertain.len() > diagnosis::UNCERTAIN_SHOWN {
                        uncertain.pop_last();
                    }
                }
            }
            None => tally.clean(),
        }
    };
    let times;
    if let Some(interface) = &args.interface {
        let mut capture = LiveCapture::open_with(
            interface,
            args.filter.as_deref(),
            None,
            LiveOptions::WHOLE_PACKETS,
        )?;
        let stop = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(signal, Arc::clone(&stop))
                .context("installing the Ctrl-C handler")?;
        }
        crate::say(&format!(
            "capturing on {interface}; the diagnosis comes at Ctrl-C"
        ));
        let (mut timed, live_times) = Timed::new(&mut capture, want_times);
        let mut summary = analyze::analyze_live(&mut timed, &opts, &stop, &mut on)?;
        times = live_times;
        // No diagnosis for QUIC (its endings are not FIN or RST), but the
        // pictures draw and annotate it as `lab analyze`'s do.
        extras.quic(&mut summary);
    } else {
        opts.filter = args.filter;
        let path = args
            .read
            .or(args.file)
            .unwrap_or_else(|| PathBuf::from("-"));
        let input = capture::open_input(&path)?;
        let mut reader = capture::FileReader::new(input)?;
        let (mut timed, file_times) = Timed::new(&mut reader, want_times);
        let mut summary = analyze::analyze_each(&mut timed, &opts, &mut on)?;
        times = file_times;
        extras.quic(&mut summary);
    }
    diagnoses.extend(uncertain.into_values());
    diagnoses.sort_by_key(|d| d.id);
    let text = match args.format {
        Format::Table => diagnosis::render(&diagnoses, &tally),
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(&diagnosis::json::document(&diagnoses, &tally))
                    .context("writing JSON")?;
            s.push('\n');
            s
        }
    };
    crate::print(&text).context("writing the diagnosis")?;
    extras.finish(&times, copy_from.as_deref())?;
    match args.expect {
        Some(Expect::NoHarmfulRst) if tally.harmful > 0 => {
            crate::say(&format!(
                "expectation failed: {} harmful RST(s)",
                tally.harmful
            ));
            Ok(ExitCode::from(1))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
