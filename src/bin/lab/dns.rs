//! `lab dns`: flags → [`wirelab::dns_server::DnsConfig`] → answer until
//! Ctrl-C or SIGTERM.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use wirelab::dns_server::{DnsConfig, DnsLog, DnsServer};
use wirelab::proto::dns::Name;

/// Answer DNS on loopback for one test origin: A, AAAA and its HTTPS record.
///
/// The HTTPS record (RFC 9460) tells a client, before it connects, which
/// protocols the origin speaks (`alpn`, plus the implicit `http/1.1`
/// unless --no-default-alpn) and on which port. For an origin on a port
/// other than 443 the record is also at `_PORT._https.NAME` (RFC 9460
/// §9.1). Other names get NXDOMAIN, a malformed query FORMERR, another
/// opcode NOTIMP. UDP and TCP on the same port; one event line per query
/// on stderr. Ctrl-C or SIGTERM stops it.
#[derive(clap::Args)]
#[command(after_help = "Example: lab dns --port 5300, then \
    `dig @127.0.0.1 -p 5300 _8443._https.wirelab.test HTTPS` shows \
    `HTTPS 1 wirelab.test. alpn=\"h3,h2\" port=8443`")]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_parser = crate::resolve::one_address)]
    bind: IpAddr,
    /// UDP and TCP port (0 picks a free one; the `listening` line says which).
    #[arg(long, default_value_t = 5300)]
    port: u16,
    /// The origin's host name.
    #[arg(long, default_value = "wirelab.test", value_parser = parse_name)]
    name: Name,
    /// The origin's port, the record's `port`; not 443 also answers
    /// `_PORT._https.NAME`.
    #[arg(long, default_value_t = 8443)]
    https_port: u16,
    /// ALPN ids of the record's `alpn`, comma-separated (`h3,h2`).
    #[arg(long, default_value = "h3,h2", value_delimiter = ',')]
    alpn: Vec<String>,
    /// Add `no-default-alpn`: the endpoint does not offer http/1.1.
    #[arg(long)]
    no_default_alpn: bool,
    /// AliasMode: the origin's HTTPS record is `0 TARGET.`, and TARGET
    /// gets the addresses and the ServiceMode record.
    #[arg(long, value_name = "TARGET", value_parser = parse_name)]
    alias: Option<Name>,
    /// Seconds each record may be cached.
    #[arg(long, default_value_t = 300)]
    ttl: u32,
    /// Event log on stderr (`off`: none).
    #[arg(long, value_enum, default_value_t = LogArg::Text)]
    log: LogArg,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogArg {
    /// key=value lines.
    Text,
    /// No event log.
    Off,
}

fn parse_name(s: &str) -> Result<Name, String> {
    Name::parse(s).map_err(|e| format!("`{s}` is not a domain name: {e}"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = DnsConfig {
        bind: SocketAddr::new(args.bind, args.port),
        name: args.name,
        https_port: args.https_port,
        alpn: args
            .alpn
            .iter()
            .filter(|a| !a.is_empty())
            .map(|a| a.as_bytes().to_vec())
            .collect(),
        no_default_alpn: args.no_default_alpn,
        alias: args.alias,
        ttl: args.ttl,
    };
    let log = match args.log {
        LogArg::Text => DnsLog::Writer(Box::new(std::io::stderr())),
        LogArg::Off => DnsLog::Discard,
    };
    let server = DnsServer::bind(config, log)?;
    let stopper = server.stopper();
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            stopper.stop();
        }
    });
    server.run().context("receiving queries")?;
    Ok(ExitCode::SUCCESS)
}
