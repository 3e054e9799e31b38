//! One HTTP/3 GET with the library's client (`wirelab::client::h3`), and
//! how the server ended the connection. With `lab serve --tls --h3 --port
//! 8443 --write-ca ca.pem` running:
//!
//!     cargo run --release --example h3_get -- https://localhost:8443/ --cacert ca.pem
//!
//! prints the status, the header fields, the body size and the ending
//! (`ending: server closed, application code 0x100` for the default
//! `--h3-close graceful`). `--keylog F` appends the connection's secrets.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use wirelab::client::h3::{self, Ending, Options};

#[derive(Parser)]
struct Args {
    /// The https:// URL.
    url: String,
    /// CA file (PEM) to trust.
    #[arg(long)]
    cacert: PathBuf,
    /// Connect here instead of the URL's host and port.
    #[arg(long)]
    connect: Option<SocketAddr>,
    /// ALPN to offer (default h3).
    #[arg(long, default_value = "h3")]
    alpn: String,
    /// Append the NSS key log here.
    #[arg(long)]
    keylog: Option<PathBuf>,
    /// Seconds to wait for the server to end the connection.
    #[arg(long, default_value_t = 5.0)]
    wait: f64,
    /// Send no PINGs while waiting.
    #[arg(long)]
    no_keep_alive: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let addr = match args.connect {
        Some(a) => a,
        None => {
            let uri: http_authority::Uri = args.url.parse().context("parsing the URL")?;
            uri.addr()?
        }
    };
    let mut options = Options::new(&args.cacert);
    options.alpn = vec![args.alpn.into_bytes()];
    options.keylog = args.keylog;
    options.wait_end = Duration::from_secs_f64(args.wait);
    if args.no_keep_alive {
        options.keep_alive = None;
    }
    let fetched = h3::get(&args.url, addr, &options)?;
    println!("alpn: {}", fetched.alpn);
    println!("status: {}", fetched.status);
    for (k, v) in &fetched.headers {
        println!("{k}: {v}");
    }
    println!("body: {} bytes", fetched.body.len());
    println!(
        "ending: {}",
        match fetched.ending {
            Ending::ServerClosed {
                application,
                code,
                reason,
            } => format!(
                "server closed, {} code 0x{code:x}{}",
                if application {
                    "application"
                } else {
                    "transport"
                },
                if reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({reason})")
                }
            ),
            Ending::StatelessReset => "stateless reset".into(),
            Ending::IdleTimeout => "idle timeout".into(),
            Ending::WeClosed => "we closed (the server did nothing)".into(),
            Ending::Other(s) => s,
        }
    );
    Ok(())
}

/// The host and port of an https:// URL, resolved.
mod http_authority {
    use std::net::{SocketAddr, ToSocketAddrs};

    pub struct Uri(String, u16);

    impl std::str::FromStr for Uri {
        type Err = anyhow::Error;
        fn from_str(s: &str) -> anyhow::Result<Uri> {
            let rest = s
                .strip_prefix("https://")
                .ok_or_else(|| anyhow::anyhow!("an https:// URL is needed"))?;
            let authority = rest.split('/').next().unwrap_or_default();
            let (host, port) = match authority.rsplit_once(':') {
                Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p.parse()?),
                _ => (authority, 443),
            };
            Ok(Uri(host.trim_matches(['[', ']']).to_string(), port))
        }
    }

    impl Uri {
        pub fn addr(&self) -> anyhow::Result<SocketAddr> {
            (self.0.as_str(), self.1)
                .to_socket_addrs()?
                .next()
                .ok_or_else(|| anyhow::anyhow!("{} does not resolve", self.0))
        }
    }
}
