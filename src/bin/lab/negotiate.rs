//! `lab negotiate`: flags → [`wirelab::labs::reset::ResetOptions`] → the
//! reset lab's run → the negotiation view → print.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use wirelab::labs::negotiate::{self, document, render};
use wirelab::labs::reset::{ClientKind, Proto, ResetOptions};

use crate::serve::{Http2Arg, Mode};

/// Show how a client and the teaching server chose HTTP/2 (or, over TLS,
/// the protocol ALPN chose), from a capture.
///
/// Runs the reset lab's loop (server, capture, client, witnesses) and prints
/// its beginning instead of its end, read from the capture by the analyzer's
/// decoders: the `Upgrade: h2c` request with its HTTP2-Settings decoded into
/// named settings, the 101, both prefaces and SETTINGS frames, the stream
/// that carried the first response; or the preface on a fresh connection;
/// or, against `--server-http2 off`, what a server without HTTP/2 answered
/// instead. With --tls: the ALPN list in the clear ClientHello, the
/// server's choice in the ServerHello (TLS 1.2) or in EncryptedExtensions
/// (TLS 1.3, read with the run's key log), or its no_application_protocol
/// alert (120) when nothing overlaps. Needs root (capture, a private network
/// namespace), and curl, nghttp or openssl.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    lab negotiate                                       Upgrade: h2c, 101, stream 1\n  \
    lab negotiate --proto h2-prior --client nghttp      the preface on a fresh connection\n  \
    lab negotiate --server-http2 off                    the upgrade ignored: HTTP/1.1 200\n  \
    lab negotiate --proto h2-prior --server-http2 off   the preface refused: 505\n  \
    lab negotiate --request-body 100000                 the body is read before the 101\n  \
    lab negotiate --tls                                 curl offers h2,http/1.1: h2, in EncryptedExtensions\n  \
    lab negotiate --tls --tls-versions 1.2              the choice in the clear ServerHello\n  \
    lab negotiate --tls --alpn http/1.1 --client openssl --offer h2   alert 120\n  \
    lab negotiate --tls --client openssl --offer h2c    h2c is refused over TLS (RFC 9113 §3.3)")]
pub struct Args {
    /// How the client tries HTTP/2.
    #[arg(long, value_enum, default_value_t = ProtoArg::H2cUpgrade)]
    proto: ProtoArg,
    /// Which client: curl (--http2, --http2-prior-knowledge), nghttp (-u,
    /// prior knowledge) or wirelab's raw client.
    #[arg(long, value_enum, default_value_t = ClientArg::Curl)]
    client: ClientArg,
    /// Which ways into HTTP/2 the server accepts (as `lab serve --http2`);
    /// `off` is a server without HTTP/2.
    #[arg(long, value_enum, default_value_t = Http2Arg::Both)]
    server_http2: Http2Arg,
    /// The server's read mode, which decides how the connection ends.
    #[arg(long, value_enum, default_value_t = Mode::Full)]
    mode: Mode,
    /// Request body size: sends a POST with this many bytes (curl).
    #[arg(long, default_value_t = 0)]
    request_body: usize,
    /// Save the capture (pcap) here.
    #[arg(long)]
    save_pcap: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Stay in the machine's network namespace.
    #[arg(long)]
    no_netns: bool,
    #[command(flatten)]
    tls: crate::reset::TlsArgs,
    /// With --tls: the client's ALPN list, in its order (default: h2,http/1.1
    /// for curl and openssl, http/1.1 for own). curl offers only http/1.1,
    /// h2,http/1.1, or nothing (an empty value).
    #[arg(long, value_name = "LIST", value_delimiter = ',', requires = "tls")]
    offer: Option<Vec<String>>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProtoArg {
    /// HTTP/2 by `Upgrade: h2c` (RFC 7540 §3.2).
    H2cUpgrade,
    /// HTTP/2 by prior knowledge (RFC 9113 §3.3).
    H2Prior,
}

#[derive(Clone, Copy, ValueEnum)]
enum ClientArg {
    /// Real curl.
    Curl,
    /// wirelab's raw client (HTTP/2 with the library's frames and HPACK).
    Own,
    /// Real nghttp.
    Nghttp,
    /// Real `openssl s_client` (--tls only).
    Openssl,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// The steps with their frames, the ending and the client.
    Table,
    /// One JSON document.
    Json,
}

/// The client's ALPN offer: what each client offers by default over https.
fn offer(given: Option<Vec<String>>, client: ClientArg) -> Vec<String> {
    let list = |l: &[&str]| l.iter().map(|p| p.to_string()).collect();
    match (given, client) {
        // `--offer ''`: no ALPN extension at all.
        (Some(l), _) => l.into_iter().filter(|p| !p.is_empty()).collect(),
        (None, ClientArg::Own) => list(&["http/1.1"]),
        (None, _) => list(&["h2", "http/1.1"]),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = ResetOptions {
        mode: args.mode.into(),
        client: match args.client {
            ClientArg::Curl => ClientKind::Curl,
            ClientArg::Own => ClientKind::Own,
            ClientArg::Nghttp => ClientKind::Nghttp,
            ClientArg::Openssl => ClientKind::Openssl,
        },
        // Over TLS, ALPN chooses: the request that follows is HTTP/1.1 or
        // HTTP/2 as the handshake decided, not by --proto.
        proto: match (args.tls.enabled(), args.proto) {
            (true, _) => Proto::H1,
            (false, ProtoArg::H2cUpgrade) => Proto::H2cUpgrade,
            (false, ProtoArg::H2Prior) => Proto::H2Prior,
        },
        server_http2: args.server_http2.into(),
        request_body: args.request_body,
        save_pcap: args.save_pcap,
        isolate: !args.no_netns,
        tls: args.tls.lab(offer(args.offer, args.client))?,
        ..ResetOptions::default()
    };
    let n = negotiate::run(&opts).map_err(crate::flags::reset_error)?;
    match args.format {
        FormatArg::Table => crate::print(&render::text(&n))?,
        FormatArg::Json => crate::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&document::json(&n))?
        ))?,
    }
    Ok(ExitCode::SUCCESS)
}
