//! `lab reset`: flags → [`wirelab::labs::reset::ResetOptions`] → run → print.

use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::ValueEnum;
use signal_hook::consts::{SIGINT, SIGTERM};
use wirelab::http::Version;
use wirelab::labs::reset::proxy::{Leg, Proxy};
use wirelab::labs::reset::run::ResetRun;
use wirelab::labs::reset::series::{Expect, names};
use wirelab::labs::reset::tls::TlsLab;
use wirelab::labs::reset::{self, ClientKind, Proto, ResetOptions, Series, document, render};
use wirelab::server::Alpn;
use wirelab::teardown::{Ending, Role};

use crate::serve::{FramingArg, Http2Arg, Mode};

/// Cause a teardown, capture it, classify it and explain it, in one command.
///
/// Starts the teaching server on a loopback port in the chosen read mode,
/// captures the port with libpcap, runs a client, waits for the teardown and
/// prints the verdict (FIN or RST, who, which frame, why, with the RFC), a
/// ladder diagram of the packets, and three witnesses side by side: the
/// packets, the client (clean EOF vs ECONNRESET, curl's exit code), and the
/// kernel's TcpExtTCPAbortOnClose / TcpExtTCPAbortOnData / TcpOutRsts deltas.
/// Needs root (capture, and a private network namespace for exact counters).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    lab reset --mode no-read                 RST: the request is never read\n  \
    lab reset --mode no-read --client curl   curl: (56) Recv failure\n  \
    lab reset --mode no-read --client curl --framing length --body-size 4000000 --client-pause 200ms\n  \
    lab reset --mode full                    FIN both ways\n  \
    lab reset --mode full --late-bytes 10    RST for data after close\n  \
    lab reset --mode drain --pipeline 3      FIN both ways, the rest drained\n  \
    lab reset --mode full --keepalive-race --client curl\n  \
    lab reset --mode drain --expect fin --repeat 200\n  \
    lab reset --proto h2c-upgrade --mode no-read --client curl   RST after stream 1\n  \
    lab reset --proto h2-prior --mode drain --client nghttp      GOAWAY, then FIN\n  \
    lab reset --tls --mode full              close_notify, then FIN (or the client's own alert races the close: RST)\n  \
    lab reset --tls --mode drain --expect close-notify    close_notify both ways, FIN both ways\n  \
    lab reset --tls --no-close-notify --expect truncation  a bare FIN: truncation\n  \
    lab reset --tls --client openssl --tls-versions 1.2    ALPN in the clear ServerHello\n  \
    lab reset --tls --proto h2 --mode drain    HTTP/2 by ALPN: GOAWAY, close_notify, FIN\n  \
    lab reset --via nginx --mode no-read --client curl   the RST upstream, what nginx made of it\n  \
    lab reset --via nginx --mode full --keepalive-race --client curl   nginx retries: 200, and recv() failed (104)\n  \
    lab reset --via nginx --mode full --keepalive-race --request-body 100 --client curl --expect status:502,upstream:rst-by-server\n  \
                                               a POST is not resent: the 502\n\n\
Clients per protocol: h1 with own or curl; h2c-upgrade and h2-prior with own\n\
(the raw client speaking HTTP/2 to the end of RFC 9113 §6.8), curl (--http2,\n\
--http2-prior-knowledge) or nghttp (-u, prior knowledge). With --tls: HTTP/1.1\n\
with own (rustls), curl (--cacert, --http1.1) or openssl (s_client -alpn);\n\
--proto h2 (ALPN) with own (rustls, offers h2) or curl (--http2).")]
pub struct Args {
    /// The server's read mode (`no-read`: the classic reset).
    #[arg(long, value_enum, default_value_t = Mode::NoRead)]
    mode: Mode,
    /// Bytes `partial` reads.
    #[arg(long, default_value_t = 10)]
    partial_bytes: usize,
    /// Which client: wirelab's raw client, real curl, or real nghttp (HTTP/2 only).
    #[arg(long, value_enum, default_value_t = ClientArg::Own)]
    client: ClientArg,
    /// The protocol the client speaks: HTTP/1.x, HTTP/2 by `Upgrade: h2c`,
    /// HTTP/2 by prior knowledge, or (with --tls) HTTP/2 by ALPN.
    #[arg(long, value_enum, default_value_t = ProtoArg::H1)]
    proto: ProtoArg,
    /// Which ways into HTTP/2 the server accepts (as `lab serve --http2`);
    /// `off` is a server without HTTP/2.
    #[arg(long, value_enum, default_value_t = Http2Arg::Both)]
    server_http2: Http2Arg,
    /// Response framing; `close` (no length, as in the Go story; the default
    /// except with --keepalive-race, which uses `length`) makes the client depend
    /// on a FIN to know the body ended.
    #[arg(long, value_enum)]
    framing: Option<FramingArg>,
    /// The HTTP version the client speaks (curl: `--http1.0`).
    #[arg(long, value_enum, default_value_t = HttpVersionArg::V1_1)]
    http_version: HttpVersionArg,
    /// Response body size in bytes (large bodies show the RST cutting them short).
    #[arg(long, default_value_t = 128)]
    body_size: usize,
    /// Response status code.
    #[arg(long, default_value_t = 200)]
    status: u16,
    /// Request body size: sends a POST with this many bytes.
    #[arg(long, default_value_t = 0)]
    request_body: usize,
    /// Junk bytes the client sends after the response arrived (own client).
    #[arg(long, default_value_t = 0)]
    late_bytes: usize,
    /// Requests sent in one write (own client); the server answers the first.
    #[arg(long, default_value_t = 1)]
    pipeline: usize,
    /// The keep-alive race (as `lab serve --keepalive-race`): two requests on
    /// one persistent connection while the server closes it as idle; curl
    /// retries silently.
    #[arg(long, alias = "keep-alive")]
    keepalive_race: bool,
    /// The server answers as soon as the head is parsed, leaving the body
    /// unread (the early 413; use with --request-body and --status 413).
    #[arg(long)]
    respond_before_body: bool,
    /// The client stops reading for this long after sending (a slow reader,
    /// e.g. 200ms): with a large --body-size the response backs up in the
    /// server's send queue and the server's RST discards that unsent tail.
    #[arg(long, value_parser = crate::serve::parse_duration)]
    client_pause: Option<std::time::Duration>,
    /// Assert the outcome: exit 0 when every expectation holds, 1 with one
    /// line when one does not. Comma-separated or repeated: `fin`, `rst`
    /// (the server's connection; the upstream leg's first through --via),
    /// `close-notify`, `truncation` (--tls), `status:N` (the status the
    /// client read), and with --via a leg's ending: `client:` or
    /// `upstream:` followed by `fin`, `rst`, `rst-by-client` or
    /// `rst-by-server` (each leg's TCP roles: nginx is the server of the
    /// client's leg and the client of the upstream leg).
    #[arg(long, value_name = "WORD", value_delimiter = ',', value_parser = parse_expect)]
    expect: Vec<Expect>,
    /// Run N times and report how many matched --expect (or the first run's verdict).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Save the capture (pcap) here.
    #[arg(long)]
    save_pcap: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Stay in the machine's network namespace (counters may then include
    /// other traffic).
    #[arg(long)]
    no_netns: bool,
    /// Put a real reverse proxy in front of the server (nginx from Debian,
    /// a generated configuration, one process): the capture holds both
    /// legs, each gets its verdict, and the proxy's error log is a fourth
    /// witness. HTTP/1.1 in cleartext, with --client curl or own.
    #[arg(long, value_enum)]
    via: Option<ViaArg>,
    #[command(flatten)]
    tls: TlsArgs,
}

/// TLS: the server over rustls with a key log, the capture read with it.
#[derive(clap::Args)]
#[command(next_help_heading = "TLS")]
pub struct TlsArgs {
    /// Serve HTTP/1.1 over TLS: the server writes a key log, the capture is
    /// read with it, and the verdict adds the TLS ending (close_notify by
    /// whom, or truncation). With --save-pcap the key log is kept beside the
    /// capture (run.pcap → run.keylog).
    #[arg(long)]
    tls: bool,
    /// The server's ALPN list, in its order of preference (h2, http/1.1).
    /// A list that shares nothing with the client's offer draws the
    /// no_application_protocol alert (RFC 7301 §3.2).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = crate::serve_tls::parse_alpn, requires = "tls")]
    alpn: Vec<Alpn>,
    /// TLS versions the server accepts (1.2: the chosen ALPN is in the clear
    /// ServerHello; 1.3: in EncryptedExtensions).
    #[arg(long, value_enum, default_value_t = crate::serve_tls::VersionsArg::Both)]
    tls_versions: crate::serve_tls::VersionsArg,
    /// The server closes with a bare FIN, no close_notify first: the
    /// truncation a client must notice (RFC 8446 §6.1).
    #[arg(long, requires = "tls")]
    no_close_notify: bool,
}

impl TlsArgs {
    /// --tls was given.
    pub fn enabled(&self) -> bool {
        self.tls
    }

    /// The lab's TLS settings, or `None` without --tls.
    pub fn lab(&self, offer: Vec<String>) -> anyhow::Result<Option<TlsLab>> {
        if !self.tls {
            if !matches!(self.tls_versions, crate::serve_tls::VersionsArg::Both) {
                anyhow::bail!("--tls-versions needs --tls");
            }
            return Ok(None);
        }
        let defaults = TlsLab::default();
        Ok(Some(TlsLab {
            alpn: if self.alpn.is_empty() {
                defaults.alpn
            } else {
                self.alpn.clone()
            },
            versions: self.tls_versions.versions(),
            close_notify: !self.no_close_notify,
            offer,
        }))
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ClientArg {
    /// wirelab's scripted raw client.
    Own,
    /// Real curl.
    Curl,
    /// Real nghttp (HTTP/2 only).
    Nghttp,
    /// Real `openssl s_client` (--tls only).
    Openssl,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProtoArg {
    /// HTTP/1.x (see --http-version).
    H1,
    /// HTTP/2 by `Upgrade: h2c` (RFC 7540 §3.2).
    H2cUpgrade,
    /// HTTP/2 by prior knowledge (RFC 9113 §3.3).
    H2Prior,
    /// HTTP/2 over TLS, chosen by ALPN `h2` (RFC 9113 §3.2): with --tls.
    H2,
}

#[derive(Clone, Copy, ValueEnum)]
enum HttpVersionArg {
    /// HTTP/1.0.
    #[value(name = "1.0")]
    V1_0,
    /// HTTP/1.1.
    #[value(name = "1.1")]
    V1_1,
}

#[derive(Clone, Copy, ValueEnum)]
enum ViaArg {
    /// nginx as a reverse proxy (proxy_pass, one worker).
    Nginx,
}

/// One `--expect` word (see the flag's help).
fn parse_expect(word: &str) -> Result<Expect, String> {
    let ending = |w: &str| match w {
        "fin" => Some((Ending::Fin, None)),
        "rst" => Some((Ending::Rst, None)),
        "rst-by-client" => Some((Ending::Rst, Some(Role::Client))),
        "rst-by-server" => Some((Ending::Rst, Some(Role::Server))),
        _ => None,
    };
    let leg = |leg: Leg, w: &str| {
        ending(w)
            .map(|(ending, by)| Expect::Leg { leg, ending, by })
            .ok_or_else(|| {
                format!("a leg's ending is fin, rst, rst-by-client or rst-by-server, not `{w}`")
            })
    };
    match word.split_once(':') {
        None => match word {
            "fin" => Ok(Expect::Ending(Ending::Fin)),
            "rst" => Ok(Expect::Ending(Ending::Rst)),
            "close-notify" => Ok(Expect::CloseNotify),
            "truncation" => Ok(Expect::Truncation),
            _ => Err(
                "expected fin, rst, close-notify, truncation, status:N, client:ENDING or \
                 upstream:ENDING"
                    .into(),
            ),
        },
        Some(("status", n)) => n
            .parse::<u16>()
            .ok()
            .filter(|n| (100..=599).contains(n))
            .map(Expect::Status)
            .ok_or_else(|| format!("a status is a number from 100 to 599, not `{n}`")),
        Some(("client", w)) => leg(Leg::Client, w),
        Some(("upstream", w)) => leg(Leg::Upstream, w),
        Some((what, _)) => Err(format!(
            "`{what}:` is not an expectation: status:, client: or upstream:"
        )),
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Verdict, ladder diagram and witnesses for a terminal.
    Table,
    /// One JSON document.
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = ResetOptions {
        mode: args.mode.into(),
        partial_bytes: args.partial_bytes,
        client: match args.client {
            ClientArg::Own => ClientKind::Own,
            ClientArg::Curl => ClientKind::Curl,
            ClientArg::Nghttp => ClientKind::Nghttp,
            ClientArg::Openssl => ClientKind::Openssl,
        },
        proto: match args.proto {
            ProtoArg::H1 => Proto::H1,
            ProtoArg::H2cUpgrade => Proto::H2cUpgrade,
            ProtoArg::H2Prior => Proto::H2Prior,
            ProtoArg::H2 => Proto::H2,
        },
        server_http2: args.server_http2.into(),
        framing: args
            .framing
            .unwrap_or(if args.keepalive_race {
                FramingArg::Length
            } else {
                FramingArg::Close
            })
            .into(),
        http_version: match args.http_version {
            HttpVersionArg::V1_0 => Version::Http10,
            HttpVersionArg::V1_1 => Version::Http11,
        },
        body_size: args.body_size,
        status: args.status,
        request_body: args.request_body,
        late_bytes: args.late_bytes,
        pipeline: args.pipeline,
        keepalive_race: args.keepalive_race,
        respond_before_body: args.respond_before_body,
        client_pause: args.client_pause,
        save_pcap: args.save_pcap,
        isolate: !args.no_netns,
        // Each client offers what it will speak after the handshake:
        // http/1.1, or for HTTP/2 the raw client `h2` alone and curl
        // `--http2`'s `h2,http/1.1`.
        tls: args.tls.lab(match (args.proto, args.client) {
            (ProtoArg::H2, ClientArg::Own) => vec!["h2".into()],
            (ProtoArg::H2, _) => vec!["h2".into(), "http/1.1".into()],
            _ => vec!["http/1.1".into()],
        })?,
        via: args.via.map(|v| match v {
            ViaArg::Nginx => Proxy::Nginx,
        }),
    };
    if args
        .expect
        .iter()
        .any(|e| matches!(e, Expect::CloseNotify | Expect::Truncation))
        && opts.tls.is_none()
    {
        anyhow::bail!("--expect close-notify and truncation are TLS endings: add --tls");
    }
    if args.expect.iter().any(|e| matches!(e, Expect::Leg { .. })) && opts.via.is_none() {
        anyhow::bail!("--expect client: and upstream: are the legs through a proxy: add --via");
    }
    if args.repeat == 0 {
        anyhow::bail!("--repeat must be at least 1");
    }
    if args.repeat > 1 && opts.save_pcap.is_some() {
        anyhow::bail!("--save-pcap keeps one capture: use it without --repeat");
    }
    // Ctrl-C (or SIGTERM) ends the series after the run in progress, which
    // is dropped: its client may have been interrupted too. A second signal
    // exits at once, as a user pressing Ctrl-C twice expects.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .context("installing the Ctrl-C handler")?;
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("installing the Ctrl-C handler")?;
    }
    let mut series = Series::new(args.expect.clone());
    for _ in 0..args.repeat {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let result = reset::run(&opts);
        if stop.load(Ordering::Relaxed) {
            break;
        }
        series.add(result.map_err(crate::flags::reset_error)?);
    }
    let against = |first: Option<&ResetRun>| {
        if series.expect().is_empty() {
            first.map_or_else(
                || "the first run's verdict".to_string(),
                |f| format!("the first run's verdict ({})", f.verdict.ending_name()),
            )
        } else {
            format!("--expect {}", names(series.expect()))
        }
    };
    if stop.load(Ordering::Relaxed) {
        crate::say(&format!(
            "interrupted after {} of {} runs: {}/{} matched {} so far; {} had disagreeing witnesses",
            series.runs(),
            args.repeat,
            series.matched(),
            series.runs(),
            against(series.first()),
            series.disagreed()
        ));
        return Ok(ExitCode::from(130));
    }
    let (Some(first), Some(shown)) = (series.first(), series.shown()) else {
        anyhow::bail!("no run was made");
    };
    match args.format {
        FormatArg::Table => crate::print(&render::text(shown))?,
        FormatArg::Json => {
            let doc = document::json(shown, &series.document(args.repeat));
            crate::print(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        }
    }
    let counts = format!(
        "{}/{} runs matched {}; {} had disagreeing witnesses",
        series.matched(),
        args.repeat,
        against(Some(first)),
        series.disagreed()
    );
    if let Some(&first_expect) = series.expect().first()
        && series.expectation_failed(args.repeat)
    {
        // The expectation the shown run missed (the first, should it have
        // missed none: a series cut short).
        let expect = series.missed(shown).unwrap_or(first_expect);
        // One line, as `lab analyze --expect` fails: what was expected, what
        // was seen and why, and with --repeat how often.
        let seen = if args.repeat > 1 {
            format!(" ({counts})")
        } else {
            String::new()
        };
        crate::say(&format!(
            "expected {} but saw {}{seen}: {}",
            expect.name(),
            expect.seen(shown),
            expect.reason(shown)
        ));
        return Ok(ExitCode::from(1));
    }
    if args.repeat > 1 {
        crate::say(&counts);
    }
    Ok(ExitCode::SUCCESS)
}
