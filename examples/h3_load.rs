//! An HTTP/3 load generator on the library's client
//! (`wirelab::client::h3::get_all`): `--connections` connections at once,
//! each on its own thread, each sending `--requests` GETs at once (quinn
//! holds back those beyond the server's stream limit, 100 by default,
//! until it raises it: RFC 9000 §4.6), and one line of figures: requests
//! answered, the wall time from the first handshake to the last response,
//! requests per second. What bench/h3 sets against h2load over TLS.
//!
//!     cargo run --release --example h3_load -- https://localhost:8443/ --cacert ca.pem \
//!       --connections 4 --requests 2000

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use wirelab::client::h3::{self, Options};

#[derive(Parser)]
struct Args {
    /// The https:// URL.
    url: String,
    /// CA file (PEM) to trust.
    #[arg(long)]
    cacert: PathBuf,
    /// Connections at once.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Requests on each connection.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let authority = args
        .url
        .strip_prefix("https://")
        .and_then(|r| r.split('/').next())
        .context("an https:// URL is needed")?;
    let addr: SocketAddr = authority
        .to_socket_addrs()
        .with_context(|| format!("resolving {authority}"))?
        .next()
        .with_context(|| format!("{authority} does not resolve"))?;
    let mut options = Options::new(&args.cacert);
    // Close as soon as the last response is in; send no PINGs.
    options.wait_end = Duration::ZERO;
    options.keep_alive = None;
    let urls = vec![args.url.as_str(); args.requests];
    let started = Instant::now();
    let results: Vec<_> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..args.connections)
            .map(|_| s.spawn(|| h3::get_all(&urls, addr, &options)))
            .collect();
        threads
            .into_iter()
            .map(|t| {
                t.join()
                    .map_err(|_| anyhow::anyhow!("a connection's thread panicked"))
            })
            .collect()
    });
    let mut answered = 0usize;
    let mut last = started;
    for r in results {
        let all = r??;
        answered += all.responses.iter().filter(|r| r.status == 200).count();
        last = last.max(all.answered);
    }
    let wall = last.duration_since(started).as_secs_f64();
    let asked = args.connections * args.requests;
    println!(
        "h3_load: {answered} of {asked} requests answered 200 on {} connections in {wall:.3} s: {:.0} requests/s",
        args.connections,
        answered as f64 / wall
    );
    if answered != asked {
        bail!("{} requests were not answered 200", asked - answered);
    }
    Ok(())
}
