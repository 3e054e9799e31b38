//! `lab serve`: flags → [`wirelab::server::Config`] → run until Ctrl-C or SIGTERM.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::ValueEnum;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use wirelab::http::{Framing, Limits};
use wirelab::server::{Config, Http2, LogFormat, LogSink, ReadMode, Server};

/// Run the teaching HTTP/1.x and HTTP/2 (cleartext) server in one read mode.
///
/// Every connection logs one line per event to stderr (accepted, read, request,
/// response, and how it ended: we sent FIN / we provoked RST / we aborted,
/// SO_LINGER 0 / we closed, body still due / peer FIN (EOF) / peer RST
/// (ECONNRESET)). Ctrl-C or SIGTERM stops it.
#[derive(clap::Args)]
#[command(
    after_help = "Example: lab serve --mode no-read --framing close, then \
    `curl -sS http://127.0.0.1:8080/` prints (56) Recv failure: Connection reset by peer"
)]
pub struct Args {
    /// Address to listen on: an IP address or a host name (`localhost`),
    /// resolved once at start (an IPv4 address first, as most clients try).
    #[arg(long, default_value = "127.0.0.1", value_parser = crate::resolve::one_address)]
    bind: IpAddr,
    /// Port to listen on (0 picks a free one; the `listening` log line says which).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// How much of each request to read before closing (`full`: a well-behaved
    /// server; the other modes show how a close turns into RST).
    #[arg(long, value_enum, default_value_t = Mode::Full)]
    mode: Mode,
    /// Bytes `partial` reads.
    #[arg(long, default_value_t = 10)]
    partial_bytes: usize,
    /// Response body framing.
    #[arg(long, value_enum, default_value_t = FramingArg::Length)]
    framing: FramingArg,
    /// Response body size in bytes (deterministic letters, 64-byte lines).
    #[arg(long, default_value_t = 128)]
    body_size: usize,
    /// Status code of normal responses (200-599 except 204 and 304).
    #[arg(long, default_value_t = 200)]
    status: u16,
    /// Persistent connections per RFC 9112 §9.3 (HTTP/1.1 by default, HTTP/1.0 with
    /// Connection: keep-alive, Connection: close honoured); off closes after each
    /// response.
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    keep_alive: OnOff,
    /// Answer as soon as a head with a body is parsed, leave the body unread, close
    /// (the early-413 reset; use with --status 413).
    #[arg(long)]
    respond_before_body: bool,
    /// Between keep-alive requests read nothing, and close when --idle-timeout
    /// fires: a next request sent meanwhile is left unread, so the close is a
    /// RST (the keep-alive race, RFC 9112 §9.5; curl retries silently).
    #[arg(long)]
    keepalive_race: bool,
    /// Largest request body accepted; larger gets 413.
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body: u64,
    /// Longest request line; longer gets 414.
    #[arg(long, default_value_t = 8192)]
    max_request_line: usize,
    /// Longest header field line; longer gets 431.
    #[arg(long, default_value_t = 8192)]
    max_field_line: usize,
    /// Most header fields; more gets 431.
    #[arg(long, default_value_t = 100)]
    max_headers: usize,
    /// Largest request head; larger gets 431.
    #[arg(long, default_value_t = 16384)]
    max_head: usize,
    /// Time to receive a whole request head, then 408 and close (slowloris).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// Inactivity allowed between keep-alive requests, inside a body or while a
    /// response waits to be written, then close.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// `drain`: close when the client is silent this long (nginx lingering_timeout).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    linger_idle: Duration,
    /// `drain`: close at the latest this long after our FIN (nginx lingering_time).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    linger_total: Duration,
    /// Most open connections; one more is answered 503 and closed.
    #[arg(long, default_value_t = 1024)]
    max_conns: usize,
    /// HTTP/2 in cleartext on the same port: by `Upgrade: h2c`, by prior
    /// knowledge (the client's preface first), both, or off (what a server
    /// without HTTP/2 answers).
    #[arg(long, value_enum, default_value_t = Http2Arg::Both)]
    http2: Http2Arg,
    /// HTTP/2: most concurrent streams per connection
    /// (SETTINGS_MAX_CONCURRENT_STREAMS); one more is refused with
    /// RST_STREAM REFUSED_STREAM.
    #[arg(long, default_value_t = 100)]
    max_streams: u32,
    /// HTTP/2: time the client has to acknowledge our SETTINGS, then GOAWAY
    /// SETTINGS_TIMEOUT and close.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    settings_timeout: Duration,
    /// Event log format on stderr (`off`: no log, as for benchmarks).
    #[arg(long, value_enum, default_value_t = LogArg::Text)]
    log: LogArg,
    #[command(flatten)]
    tls: crate::serve_tls::TlsArgs,
    #[command(flatten)]
    h3: crate::serve_h3::H3Args,
}

/// The read modes (see `wirelab::server::ReadMode`).
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Mode {
    /// Answer without reading the request, close: the unread request makes Linux send RST.
    NoRead,
    /// Read --partial-bytes of the request, answer, close: the rest is unread, RST.
    Partial,
    /// Read exactly the request, answer, close: FIN; RST if bytes were queued behind
    /// it or arrive after the close.
    Full,
    /// Full, then shutdown(write) and read until the client's FIN (lingering close,
    /// RFC 9112 §9.6): FIN both ways even with late or pipelined bytes.
    Drain,
    /// Full, answer, then SO_LINGER {on, 0} and close: RST even though all was read,
    /// whenever the server closes first (a client that closes first gets FIN).
    Abort,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FramingArg {
    /// Content-Length: the client knows where the body ends.
    Length,
    /// No length, the close ends the body: a RST instead of FIN is a client error.
    Close,
    /// Transfer-Encoding: chunked (close-delimited for HTTP/1.0 clients).
    Chunked,
    /// `HTTP/1.0 200 OK`, no header fields, the close ends the body: what a first
    /// hand-written server sends.
    Bare,
}

impl From<Mode> for ReadMode {
    fn from(m: Mode) -> ReadMode {
        match m {
            Mode::NoRead => ReadMode::NoRead,
            Mode::Partial => ReadMode::Partial,
            Mode::Full => ReadMode::Full,
            Mode::Drain => ReadMode::Drain,
            Mode::Abort => ReadMode::Abort,
        }
    }
}

impl From<FramingArg> for Framing {
    fn from(f: FramingArg) -> Framing {
        match f {
            FramingArg::Length => Framing::Length,
            FramingArg::Close => Framing::Close,
            FramingArg::Chunked => Framing::Chunked,
            FramingArg::Bare => Framing::Bare,
        }
    }
}

/// `--http2` (see `wirelab::server::Http2`).
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Http2Arg {
    /// HTTP/1.x only.
    Off,
    /// Only `Upgrade: h2c` (RFC 7540 §3.2, deprecated by RFC 9113).
    Upgrade,
    /// Only the preface on a fresh connection (RFC 9113 §3.3).
    PriorKnowledge,
    /// Both.
    Both,
}

impl From<Http2Arg> for Http2 {
    fn from(h: Http2Arg) -> Http2 {
        match h {
            Http2Arg::Off => Http2::Off,
            Http2Arg::Upgrade => Http2::Upgrade,
            Http2Arg::PriorKnowledge => Http2::PriorKnowledge,
            Http2Arg::Both => Http2::Both,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogArg {
    /// key=value lines.
    Text,
    /// One JSON object per line.
    Json,
    /// No event log.
    Off,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    args.tls.check()?;
    let h3 = args.h3.settings(&args.tls)?;
    let config = Config {
        bind: SocketAddr::new(args.bind, args.port),
        mode: args.mode.into(),
        partial_bytes: args.partial_bytes,
        framing: args.framing.into(),
        body_size: args.body_size,
        status: args.status,
        keep_alive: matches!(args.keep_alive, OnOff::On),
        respond_before_body: args.respond_before_body,
        keepalive_race: args.keepalive_race,
        max_body: args.max_body,
        limits: Limits {
            max_start_line: args.max_request_line,
            max_field_line: args.max_field_line,
            max_fields: args.max_headers,
            max_head: args.max_head,
        },
        header_timeout: args.header_timeout,
        idle_timeout: args.idle_timeout,
        linger_idle: args.linger_idle,
        linger_total: args.linger_total,
        max_conns: args.max_conns,
        http2: args.http2.into(),
        max_streams: args.max_streams,
        settings_timeout: args.settings_timeout,
        tls: args.tls.settings(args.bind),
        cleartext_alt_svc_demo: args.tls.cleartext_alt_svc_demo(),
        h3,
        ..Config::default()
    };
    let sink = match args.log {
        LogArg::Text => LogSink::Writer(LogFormat::Text, Box::new(std::io::stderr())),
        LogArg::Json => LogSink::Writer(LogFormat::Json, Box::new(std::io::stderr())),
        LogArg::Off => LogSink::Discard,
    };
    let server = Server::bind(config, sink).map_err(crate::flags::server_error)?;
    let stopper = server.stopper();
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            // If the wake fails the loop is already gone; nothing left to stop.
            let _ = stopper.stop();
        }
    });
    server.run()?;
    Ok(ExitCode::SUCCESS)
}

/// `500ms`, `5s`, `2m`, or a bare number of seconds (`1.5`).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 500ms, 5s or 2m"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit in `{s}`: use ms, s or m")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{s}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_with_and_without_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
