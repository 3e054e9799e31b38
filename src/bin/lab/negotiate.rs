//! `lab negotiate`: flags → [`wirelab::labs::reset::ResetOptions`] → the
//! reset lab's run → the negotiation view → print.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use wirelab::labs::negotiate::{self, document, render};
use wirelab::labs::reset::{ClientKind, Proto, ResetOptions};

use crate::serve::{Http2Arg, Mode};

/// Show how a client and the teaching server chose HTTP/2, from a capture.
///
/// Runs the reset lab's loop (server, capture, client, witnesses) and prints
/// its beginning instead of its end, read from the capture by the analyzer's
/// decoders: the `Upgrade: h2c` request with its HTTP2-Settings decoded into
/// named settings, the 101, both prefaces and SETTINGS frames, the stream
/// that carried the first response; or the preface on a fresh connection;
/// or, against `--server-http2 off`, what a server without HTTP/2 answered
/// instead. Needs root (capture, a private network namespace), and curl or
/// nghttp.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    lab negotiate                                       Upgrade: h2c, 101, stream 1\n  \
    lab negotiate --proto h2-prior --client nghttp      the preface on a fresh connection\n  \
    lab negotiate --server-http2 off                    the upgrade ignored: HTTP/1.1 200\n  \
    lab negotiate --proto h2-prior --server-http2 off   the preface refused: 505\n  \
    lab negotiate --request-body 100000                 the body is read before the 101")]
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
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// The steps with their frames, the ending and the client.
    Table,
    /// One JSON document.
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = ResetOptions {
        mode: args.mode.into(),
        client: match args.client {
            ClientArg::Curl => ClientKind::Curl,
            ClientArg::Own => ClientKind::Own,
            ClientArg::Nghttp => ClientKind::Nghttp,
        },
        proto: match args.proto {
            ProtoArg::H2cUpgrade => Proto::H2cUpgrade,
            ProtoArg::H2Prior => Proto::H2Prior,
        },
        server_http2: args.server_http2.into(),
        request_body: args.request_body,
        save_pcap: args.save_pcap,
        isolate: !args.no_netns,
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
