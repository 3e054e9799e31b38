//! Generates the QUIC benchmark's labelled capture: N HTTP/3 connections
//! made with the library's client (`wirelab::client::h3`) against its own
//! server (`lab serve --tls --h3`, in this process), recorded with libpcap
//! on `lo` into `DIR/quic.pcap`, with the servers' key log `DIR/quic.keys`
//! and the truth `DIR/quic-truth.tsv`: for each connection (its client
//! address alone names it: every connection sends from its own 127.20.x.y)
//! the ending it was made to have, as its client saw it.
//!
//! The mix, by connection number modulo 16: the server closes gracefully
//! (6 of 16: GOAWAY, CONNECTION_CLOSE H3_NO_ERROR) or abruptly (4:
//! H3_INTERNAL_ERROR), the client closes with H3_NO_ERROR (3), the idle
//! timeout (2: a server announcing 300 ms, a client sending no PING), a
//! stateless reset (1: the endpoint forgets; those are made one at a time
//! per endpoint, since a restart forgets every connection of it). Each
//! connection sends 1 to 3 GETs, all at once. Needs root or
//! CAP_NET_RAW/CAP_NET_ADMIN.
//!
//!     cargo run --release --example quic_capture -- --connections 50000 --out bench/out

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use wirelab::capture::{LiveCapture, LiveOptions};
use wirelab::client::h3::{self, Ending, Options};
use wirelab::server::{self, Config, H3Close, H3Settings, LogSink, ServerHandle, TlsSettings};

#[derive(Parser)]
struct Args {
    /// Connections to make.
    #[arg(long, default_value_t = 50_000)]
    connections: usize,
    /// Connections in flight at once (one thread each).
    #[arg(long, default_value_t = 48)]
    workers: usize,
    /// Directory for quic.pcap, quic.keys and quic-truth.tsv.
    #[arg(long, default_value = "bench/out")]
    out: PathBuf,
}

/// What a connection is made to do, and the ending the analyzer must find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Graceful,
    Abrupt,
    ClientCloses,
    Idle,
    StatelessReset,
}

impl Kind {
    /// Connection `i` of `n` (the last is graceful: see `main`).
    fn of(i: usize, n: usize) -> Kind {
        if i + 1 == n {
            return Kind::Graceful;
        }
        match i % 16 {
            0..=5 => Kind::Graceful,
            6..=9 => Kind::Abrupt,
            10..=12 => Kind::ClientCloses,
            13 | 14 => Kind::Idle,
            _ => Kind::StatelessReset,
        }
    }

    /// The truth row's ending, who closed, and the code (`-` for none).
    fn truth(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Kind::Graceful => ("connection_close", "server", "0x100"),
            Kind::Abrupt => ("connection_close", "server", "0x102"),
            Kind::ClientCloses => ("connection_close", "client", "0x100"),
            Kind::Idle => ("idle_timeout", "-", "-"),
            Kind::StatelessReset => ("stateless_reset", "server", "-"),
        }
    }

    /// The ending the client saw, as one of ours.
    fn seen(e: &Ending) -> Option<Kind> {
        match e {
            Ending::ServerClosed { code: 0x100, .. } => Some(Kind::Graceful),
            Ending::ServerClosed { code: 0x102, .. } => Some(Kind::Abrupt),
            Ending::WeClosed => Some(Kind::ClientCloses),
            Ending::IdleTimeout => Some(Kind::Idle),
            Ending::StatelessReset => Some(Kind::StatelessReset),
            _ => None,
        }
    }
}

/// The server idle timeout of the `idle` endpoint.
const IDLE: Duration = Duration::from_millis(300);
/// Endpoints that forget (each makes its resets one connection at a time).
const RESETTERS: usize = 4;

struct Endpoint {
    handle: ServerHandle,
    addr: SocketAddr,
    ca: PathBuf,
    /// Held by the one connection of a forgetting endpoint.
    one_at_a_time: Mutex<()>,
}

fn endpoint(close: H3Close, idle: Duration, out: &Path, n: usize) -> anyhow::Result<Endpoint> {
    let keylog = out.join(format!("quic-{close}-{n}.keys"));
    let _ = std::fs::remove_file(&keylog);
    let config = Config {
        tls: Some(TlsSettings {
            keylog: Some(keylog),
            ..TlsSettings::default()
        }),
        h3: Some(H3Settings {
            close,
            idle_timeout: idle,
            advertise: false,
        }),
        ..Config::default()
    };
    let handle = server::spawn(config, LogSink::Discard).context("starting a server")?;
    let addr = handle.h3_addr().context("the h3 endpoint is bound")?;
    let ca = out.join(format!("quic-{close}-{n}.ca.pem"));
    std::fs::write(&ca, handle.ca_pem().context("a generated CA")?)?;
    Ok(Endpoint {
        handle,
        addr,
        ca,
        one_at_a_time: Mutex::new(()),
    })
}

struct Endpoints<'a> {
    graceful: &'a Endpoint,
    abrupt: &'a Endpoint,
    idle: &'a Endpoint,
    resetters: &'a [Endpoint],
}

/// Makes connection `i` of `n`; the ending its client saw, or why it
/// failed (no response, or an ending none of ours).
fn connect(eps: &Endpoints<'_>, i: usize, n: usize) -> Result<Kind, String> {
    let kind = Kind::of(i, n);
    let (ep, _one) = match kind {
        Kind::Graceful => (eps.graceful, None),
        Kind::Abrupt => (eps.abrupt, None),
        Kind::ClientCloses | Kind::Idle => (eps.idle, None),
        Kind::StatelessReset => {
            let ep = &eps.resetters[i / 16 % RESETTERS];
            (ep, Some(ep.one_at_a_time.lock()))
        }
    };
    let mut o = Options::new(&ep.ca);
    o.local = Some(IpAddr::V4(client_ip(i)));
    match kind {
        Kind::ClientCloses => o.wait_end = Duration::ZERO,
        // RFC 9000 §10.1: the timeout is at least three probe timeouts,
        // longer than IDLE on a loaded machine; the default wait (5 s) covers it.
        Kind::Idle => o.keep_alive = None,
        _ => {}
    }
    let url = format!("https://localhost:{}/c{i}", ep.addr.port());
    let urls = vec![url.as_str(); 1 + i % 3];
    let what = match h3::get_all(&urls, ep.addr, &o) {
        Ok(all) => match Kind::seen(&all.ending) {
            Some(seen) => return Ok(seen),
            None => format!("ended {:?}", all.ending),
        },
        Err(e) => e.to_string(),
    };
    Err(format!("{} ({kind:?}): {what}", client_ip(i)))
}

/// Records until every thread of `threads` has finished; the frames.
fn record<T>(
    cap: &mut LiveCapture,
    threads: &[std::thread::ScopedJoinHandle<'_, T>],
) -> anyhow::Result<u64> {
    let mut frames = 0;
    while !threads.iter().all(|h| h.is_finished()) {
        if cap.next_frame()?.is_some() {
            frames += 1;
        }
    }
    Ok(frames)
}

/// Connection `i`'s own client address: 127.20.x.y, y in 1..=250.
fn client_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(
        127,
        20 + (i / 62_500) as u8,
        (i / 250 % 250) as u8,
        (i % 250 + 1) as u8,
    )
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.connections == 0 || args.connections > 250 * 250 * 4 {
        bail!("1 to 250 000 connections (one client address each)");
    }
    std::fs::create_dir_all(&args.out)?;
    let graceful = endpoint(H3Close::Graceful, Duration::from_secs(30), &args.out, 0)?;
    let abrupt = endpoint(H3Close::Abrupt, Duration::from_secs(30), &args.out, 0)?;
    let idle = endpoint(H3Close::Idle, IDLE, &args.out, 0)?;
    let resetters = (0..RESETTERS)
        .map(|n| {
            endpoint(
                H3Close::StatelessReset,
                Duration::from_secs(30),
                &args.out,
                n,
            )
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pcap = args.out.join("quic.pcap");
    let opts = LiveOptions {
        snaplen: 2048,
        buffer_bytes: 512 * 1024 * 1024,
    };
    let mut cap =
        LiveCapture::open_with("lo", Some("udp and net 127.20.0.0/14"), Some(&pcap), opts)?;
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    let started = Instant::now();
    let mut frames = 0u64;
    let eps = Endpoints {
        graceful: &graceful,
        abrupt: &abrupt,
        idle: &idle,
        resetters: &resetters,
    };
    let n = args.connections;
    let observed = Mutex::new(vec![None; n]);
    let note = |i: usize, r: Result<Kind, String>| match r {
        Ok(kind) => {
            if let Ok(mut o) = observed.lock() {
                o[i] = Some(kind);
            }
        }
        Err(what) => {
            if let Ok(mut f) = failed.lock() {
                f.push(what);
            }
        }
    };
    std::thread::scope(|s| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..args.workers.max(1))
            .map(|_| {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i + 1 >= n {
                            return;
                        }
                        note(i, connect(&eps, i, n));
                    }
                })
            })
            .collect();
        frames += record(&mut cap, &workers)?;
        // The last connection comes once every other has been silent past
        // the idle timeout: a capture ends with its last frame, and the
        // idle ones must be seen silent for longer than the timeout.
        let last = s.spawn(|| {
            std::thread::sleep(IDLE * 2);
            note(n - 1, connect(&eps, n - 1, n));
        });
        frames += record(&mut cap, &[last])?;
        Ok(())
    })?;
    let elapsed = started.elapsed();
    let mut last = Instant::now();
    while last.elapsed() < Duration::from_millis(300) {
        if cap.next_frame()?.is_some() {
            frames += 1;
            last = Instant::now();
        }
    }
    let stats = cap.stats()?;
    cap.flush()?;
    drop(cap);
    for ep in [graceful, abrupt, idle].into_iter().chain(resetters) {
        ep.handle.shutdown().context("stopping a server")?;
    }
    let failed = failed.into_inner().unwrap_or_default();
    let observed = observed.into_inner().unwrap_or_default();
    write_outputs(&args, &observed)?;
    let secs = elapsed.as_secs_f64();
    println!(
        "{}: {frames} frames, {} connections in {secs:.1} s ({:.0} connections/s); libpcap received {} dropped {} if_dropped {}",
        pcap.display(),
        args.connections,
        args.connections as f64 / secs,
        stats.received,
        stats.dropped,
        stats.if_dropped
    );
    // A loaded machine can turn a planned ending into another (an idle
    // timer stretched to three probe timeouts, RFC 9000 §10.1, outlasts
    // the other side's, which then resets or closes): the client's view
    // is the truth, and how many strayed is said.
    let strayed: Vec<String> = observed
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let planned = Kind::of(i, n);
            o.filter(|seen| *seen != planned)
                .map(|seen| format!("{} planned {planned:?}, ended {seen:?}", client_ip(i)))
        })
        .collect();
    println!(
        "{} of {n} connections ended as planned; the others' truth is the ending their client saw",
        n - strayed.len() - failed.len()
    );
    for s in strayed.iter().take(10) {
        println!("  {s}");
    }
    if !failed.is_empty() {
        for f in failed.iter().take(10) {
            eprintln!("  {f}");
        }
        bail!(
            "{} connections failed (no response, or an ending none of the five)",
            failed.len()
        );
    }
    if stats.dropped != 0 || stats.if_dropped != 0 {
        bail!("the kernel dropped packets: the capture is incomplete");
    }
    Ok(())
}

/// The truth (the ending each client saw; a connection that failed is
/// left out, and the run fails) and the servers' key logs in one file.
fn write_outputs(args: &Args, observed: &[Option<Kind>]) -> anyhow::Result<()> {
    let tsv = args.out.join("quic-truth.tsv");
    let mut w = BufWriter::new(File::create(&tsv).with_context(|| tsv.display().to_string())?);
    writeln!(w, "client\tending\tby\tcode")?;
    for (i, seen) in observed.iter().enumerate() {
        if let Some(kind) = seen {
            let (ending, by, code) = kind.truth();
            writeln!(w, "{}\t{ending}\t{by}\t{code}", client_ip(i))?;
        }
    }
    w.flush()?;
    let keys = args.out.join("quic.keys");
    let mut all = BufWriter::new(File::create(&keys)?);
    for entry in std::fs::read_dir(&args.out)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("quic-") && name.ends_with(".keys") {
            all.write_all(&std::fs::read(&path)?)?;
        }
    }
    all.flush()?;
    Ok(())
}
