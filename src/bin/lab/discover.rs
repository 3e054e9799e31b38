//! `lab discover`: flags → [`wirelab::labs::discover::DiscoverOptions`] →
//! run → print; `--expect` turns the run into a check.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::ValueEnum;
use wirelab::labs::discover::{self, DiscoverClient, DiscoverOptions, Expect, document, render};
use wirelab::server::H3Close;

/// Find HTTP/3 as a browser does, on loopback: the DNS HTTPS record, the
/// Alt-Svc header over TCP+TLS, then QUIC, and how each connection ended.
///
/// Starts the DNS responder for wirelab.test (A, AAAA and `HTTPS 1 .
/// alpn=h3,h2 port=PORT`), the server with TLS on TCP PORT and HTTP/3 on
/// UDP PORT (it advertises `Alt-Svc: h3=":PORT"`), a capture of both, and
/// one client. Then prints the timeline read from the capture with the
/// server's key log, each connection's ending (TCP's FIN or RST, QUIC's
/// CONNECTION_CLOSE, stateless reset or idle timeout) and the witnesses:
/// the client's output, the server's and the responder's event logs. In a
/// network namespace of its own when run as root.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    lab discover                                  the project's client: DNS, TCP+TLS (Alt-Svc), HTTP/3\n  \
    lab discover --client gtlsclient --h3-close abrupt\n  \
    lab discover --client aioquic --expect h3-used\n  \
    lab discover --client curl                    TCP only: the Alt-Svc entry in curl's cache file\n  \
    lab discover --client dig --expect https-record\n  \
    lab discover --expect h3-used --expect quic-close=graceful --out run/\n  \
    lab discover --client aioquic --format json | jq .verdict\n\n\
Expectations (repeatable): h3-used, quic-close=graceful|abrupt|idle|stateless-reset,\n\
alt-svc-seen, https-record. Exit status 1 with one line per unmet one.")]
pub struct Args {
    /// The client that looks for HTTP/3.
    #[arg(long, value_enum, default_value_t = ClientArg::Own)]
    client: ClientArg,
    /// How the server ends each QUIC connection after its response.
    #[arg(long, value_enum, default_value_t = CloseArg::Graceful)]
    h3_close: CloseArg,
    /// The max_idle_timeout the server announces; `idle` takes this long.
    #[arg(long, default_value = "1s", value_parser = crate::serve::parse_duration)]
    h3_idle_timeout: Duration,
    /// The server's TCP and UDP port (the HTTPS record's `port`).
    #[arg(long, default_value_t = 8443)]
    port: u16,
    /// The DNS responder's port.
    #[arg(long, default_value_t = 5300)]
    dns_port: u16,
    /// Hold the run to this (repeatable).
    #[arg(long, value_parser = parse_expect)]
    expect: Vec<Expect>,
    /// Keep the capture (discover.pcap), the key log (discover.keylog),
    /// the CA and the event logs in DIR.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run in the current network namespace even as root.
    #[arg(long)]
    no_netns: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Timeline, verdict and witnesses for a terminal.
    Text,
    /// One JSON document: the same facts, typed, and each --expect's result.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ClientArg {
    /// wirelab's own: its DNS code, rustls over TCP, quinn and h3 over UDP.
    Own,
    /// Debian's ngtcp2 HTTP/3 client, given the address the records name.
    Gtlsclient,
    /// Python's aioquic (the venv scripts/setup makes), given the address
    /// the records name.
    Aioquic,
    /// curl over TCP, with an --alt-svc cache file.
    Curl,
    /// dig for the HTTPS record.
    Dig,
}

#[derive(Clone, Copy, ValueEnum)]
enum CloseArg {
    /// GOAWAY, then CONNECTION_CLOSE H3_NO_ERROR (0x100).
    Graceful,
    /// CONNECTION_CLOSE H3_INTERNAL_ERROR (0x102), no GOAWAY.
    Abrupt,
    /// Nothing: the idle timeout ends it.
    Idle,
    /// The endpoint forgets: the client's next packet gets a stateless reset.
    StatelessReset,
}

fn parse_expect(s: &str) -> Result<Expect, String> {
    Expect::parse(s).ok_or_else(|| {
        format!(
            "`{s}` is not an expectation: h3-used, quic-close=graceful|abrupt|idle|stateless-reset, \
             alt-svc-seen or https-record"
        )
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = DiscoverOptions {
        client: match args.client {
            ClientArg::Own => DiscoverClient::Own,
            ClientArg::Gtlsclient => DiscoverClient::Gtlsclient,
            ClientArg::Aioquic => DiscoverClient::Aioquic,
            ClientArg::Curl => DiscoverClient::Curl,
            ClientArg::Dig => DiscoverClient::Dig,
        },
        h3_close: match args.h3_close {
            CloseArg::Graceful => H3Close::Graceful,
            CloseArg::Abrupt => H3Close::Abrupt,
            CloseArg::Idle => H3Close::Idle,
            CloseArg::StatelessReset => H3Close::StatelessReset,
        },
        h3_idle_timeout: args.h3_idle_timeout,
        port: args.port,
        dns_port: args.dns_port,
        out: args.out,
        isolate: !args.no_netns,
    };
    if opts.port == 0 || opts.dns_port == 0 {
        anyhow::bail!(
            "--port and --dns-port must be fixed: the HTTPS record and Alt-Svc name the port"
        );
    }
    if opts.port == opts.dns_port {
        anyhow::bail!("--port and --dns-port must differ");
    }
    let r = discover::run(&opts)?;
    match args.format {
        FormatArg::Text => crate::print(&render::text(&r))?,
        FormatArg::Json => {
            let doc = document::document(&r, &args.expect);
            crate::print(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        }
    }
    let mut failed = false;
    for e in &args.expect {
        if let Some(seen) = e.check(&r) {
            crate::say(&format!("expected {} but saw {seen}", e.name()));
            failed = true;
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
