//! One run of the discovery lab, from the DNS responder to the timeline.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use super::cert::{self, CertError};
use super::clients::{self, ClientSaw, Setup};
use super::timeline::{self, Timeline};
use super::{DiscoverOptions, ORIGIN_HOST};
use crate::capture::{self, LiveCapture};
use crate::dns_server::{DnsConfig, DnsLog, DnsRecord, DnsServer, DnsServerError};
use crate::labs::netns::{self, Isolation};
use crate::labs::peer::PeerError;
use crate::proto::dns::Name;
use crate::server::{
    self, Config, H3Close, H3Settings, Identity, LogSink, ReadMode, Record, TlsSettings,
};
use crate::tls_decrypt::KeyLog;

/// The discard port (RFC 863): the lab's last datagram goes there, so that
/// the capture shows it went on after the last packet of the run, which
/// is how a reader of the file tells an idle timeout from a capture that
/// simply stopped (RFC 9000 §10.1).
const MARKER_PORT: u16 = 9;
/// How long the wire must stay quiet, beyond the idle timeout, before
/// the capture stops.
const QUIET_MARGIN: Duration = Duration::from_millis(300);
/// The longest the capture waits for the wire to go quiet.
const QUIET_BOUND: Duration = Duration::from_secs(20);

/// Why a run could not be made (a run whose client failed is not an
/// error: it is reported).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The run's directory or one of its files.
    #[error("cannot write the run's files in {dir}: {source}")]
    Files {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The certificate.
    #[error(transparent)]
    Cert(#[from] CertError),
    /// The DNS responder did not start.
    #[error(transparent)]
    Dns(#[from] DnsServerError),
    /// The server did not start.
    #[error(transparent)]
    Server(#[from] server::Error),
    /// Capturing failed.
    #[error(transparent)]
    Capture(#[from] capture::Error),
    /// Reading the capture back failed.
    #[error(transparent)]
    Analyze(#[from] crate::analyze::Error),
    /// The client could not be run.
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// The lab's own thread failed.
    #[error("the lab thread panicked")]
    Panicked,
}

/// The files a run kept (`--out DIR`).
#[derive(Clone, Debug)]
pub struct Kept {
    /// The directory.
    pub dir: PathBuf,
    /// The capture (UDP and TCP).
    pub pcap: PathBuf,
    /// The server's key log: TLS over TCP and QUIC alike.
    pub keylog: PathBuf,
}

/// Everything one run found.
#[derive(Clone, Debug)]
pub struct DiscoverRun {
    /// What was asked.
    pub options: DiscoverOptions,
    /// The server's TCP and UDP address.
    pub server: SocketAddr,
    /// The DNS responder's address.
    pub dns: SocketAddr,
    /// Where the run's sockets lived.
    pub isolation: Isolation,
    /// Why not in a namespace of its own.
    pub isolation_note: Option<String>,
    /// What the client saw.
    pub client: ClientSaw,
    /// What the capture shows.
    pub timeline: Timeline,
    /// The server's event log.
    pub server_log: Vec<Record>,
    /// The DNS responder's event log.
    pub dns_log: Vec<DnsRecord>,
    /// Frames libpcap dropped.
    pub dropped: u32,
    /// The files kept, if asked.
    pub kept: Option<Kept>,
    /// Wall time of the run.
    pub elapsed_ms: f64,
}

/// Runs the lab once, in its own thread so that the thread alone (and the
/// servers and client it starts) can move into a private namespace.
///
/// # Errors
///
/// When the lab cannot be run at all: see [`Error`].
pub fn run(opts: &DiscoverOptions) -> Result<DiscoverRun, Error> {
    let opts = opts.clone();
    std::thread::Builder::new()
        .name("wirelab-discover".into())
        .spawn(move || run_here(&opts))
        .map_err(|_| Error::Panicked)?
        .join()
        .map_err(|_| Error::Panicked)?
}

/// The run's directory: the user's, kept, or a temporary one.
enum Dir {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl Dir {
    fn path(&self) -> &Path {
        match self {
            Dir::Kept(p) => p,
            Dir::Temporary(t) => t.path(),
        }
    }
}

fn run_here(opts: &DiscoverOptions) -> Result<DiscoverRun, Error> {
    let start = Instant::now();
    let (isolation, isolation_note) = if opts.isolate {
        netns::enter_private()
    } else {
        (Isolation::Shared, Some("isolation turned off".into()))
    };
    let files_err = |dir: &Path| {
        let dir = dir.to_path_buf();
        move |source| Error::Files { dir, source }
    };
    let dir = match &opts.out {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(files_err(d))?;
            Dir::Kept(d.clone())
        }
        None => Dir::Temporary(
            tempfile::Builder::new()
                .prefix("wirelab-discover-")
                .tempdir()
                .map_err(files_err(Path::new("/tmp")))?,
        ),
    };
    let d = dir.path();
    let pcap = d.join("discover.pcap");
    let keylog = d.join("discover.keylog");
    let alt_svc_file = d.join("curl-alt-svc.txt");
    // Fresh files: an earlier run's key log or curl cache would mix in.
    for f in [&keylog, &alt_svc_file] {
        std::fs::write(f, "").map_err(files_err(d))?;
    }
    let origin = cert::make(d, ORIGIN_HOST)?;

    let (dns_tx, dns_rx) = channel();
    let dns_server = DnsServer::bind(
        DnsConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], opts.dns_port)),
            name: Name::parse(ORIGIN_HOST).unwrap_or_default(),
            https_port: opts.port,
            ..DnsConfig::default()
        },
        DnsLog::Channel(dns_tx),
    )?;
    let dns_addr = dns_server.local_addr().map_err(|source| Error::Files {
        dir: d.to_path_buf(),
        source,
    })?;
    let dns_stop = dns_server.stopper();
    let dns_thread = std::thread::spawn(move || dns_server.run());

    let (tx, rx) = channel();
    let server = server::spawn(
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], opts.port)),
            // Drain: the server's FIN, then the client's; no RST from
            // unread bytes to distract from the lesson.
            mode: ReadMode::Drain,
            linger_idle: Duration::from_secs(2),
            linger_total: Duration::from_secs(5),
            tls: Some(TlsSettings {
                identity: Identity::Files {
                    cert: origin.chain.clone(),
                    key: origin.key.clone(),
                },
                keylog: Some(keylog.clone()),
                ..TlsSettings::default()
            }),
            h3: Some(H3Settings {
                close: opts.h3_close,
                idle_timeout: opts.h3_idle_timeout,
                advertise: true,
            }),
            ..Config::default()
        },
        LogSink::Channel(tx),
    )?;
    let addr = server.local_addr();

    /// Larger than any loopback frame.
    const WHOLE_FRAME: i32 = 262_144;
    let filter = format!(
        "port {} or port {} or udp port {MARKER_PORT}",
        addr.port(),
        dns_addr.port()
    );
    let mut cap = LiveCapture::open_with_snaplen("lo", Some(&filter), Some(&pcap), WHOLE_FRAME)?;
    let setup = Setup {
        dir: d,
        dns: dns_addr,
        ca_file: &origin.ca,
        ca_pem: &origin.ca_pem,
        alt_svc_file: &alt_svc_file,
        idle_timeout: opts.h3_idle_timeout,
        pings: opts.h3_close != H3Close::Idle,
    };
    // The client's own failure (a missing tool) is returned only once
    // the servers and the capture are stopped.
    let client = std::thread::scope(|s| {
        let client = s.spawn(|| clients::drive(opts.client, &setup));
        while !client.is_finished() {
            pump(&mut cap, Duration::from_millis(10))?;
        }
        client.join().map_err(|_| Error::Panicked)
    });
    // Wait for the wire to stay quiet past the idle timeout: an `idle`
    // ending is that silence, and a late close must not be cut off.
    let quiet = opts.h3_idle_timeout + QUIET_MARGIN;
    let bound = Instant::now() + QUIET_BOUND;
    let mut last = Instant::now();
    while last.elapsed() < quiet && Instant::now() < bound {
        if pump(&mut cap, Duration::from_millis(20))? {
            last = Instant::now();
        }
    }
    if let Ok(s) = UdpSocket::bind("127.0.0.1:0") {
        let _ = s.send_to(
            b"wirelab discover: end of capture",
            ("127.0.0.1", MARKER_PORT),
        );
    }
    pump(&mut cap, Duration::from_millis(100))?;
    let dropped = cap.stats().map(|s| s.dropped).unwrap_or(0);
    cap.flush()?;
    drop(cap);
    let _ = server.shutdown();
    dns_stop.stop();
    let _ = dns_thread.join();
    let server_log: Vec<Record> = drain(&rx);
    let dns_log: Vec<DnsRecord> = drain(&dns_rx);
    let client = client??;

    let keys = std::fs::read(&keylog).map_err(files_err(d))?;
    let timeline = timeline::read(
        &pcap,
        Some(Arc::new(KeyLog::parse(&keys))),
        addr.port(),
        dns_addr.port(),
    )?;
    let kept = match &dir {
        Dir::Kept(p) => {
            write_logs(p, &server_log, &dns_log).map_err(files_err(p))?;
            Some(Kept {
                dir: p.clone(),
                pcap,
                keylog,
            })
        }
        Dir::Temporary(_) => None,
    };
    Ok(DiscoverRun {
        options: opts.clone(),
        server: addr,
        dns: dns_addr,
        isolation,
        isolation_note,
        client,
        timeline,
        server_log,
        dns_log,
        dropped,
        kept,
        elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
    })
}

/// Reads what has been captured, waiting at most `wait` for the first
/// frame; the capture writes each frame to the file as it is read.
/// Returns whether any came.
fn pump(cap: &mut LiveCapture, wait: Duration) -> Result<bool, capture::Error> {
    cap.set_wait(wait);
    let mut any = false;
    while cap.next_frame()?.is_some() {
        any = true;
    }
    Ok(any)
}

fn drain<T>(rx: &Receiver<T>) -> Vec<T> {
    rx.try_iter().collect()
}

/// The event logs beside the capture, one line per event as `lab serve`
/// and `lab dns` write them.
fn write_logs(dir: &Path, server: &[Record], dns: &[DnsRecord]) -> std::io::Result<()> {
    let lines = |v: Vec<String>| v.into_iter().map(|l| l + "\n").collect::<String>();
    std::fs::write(
        dir.join("server.log"),
        lines(server.iter().map(Record::to_text).collect()),
    )?;
    std::fs::write(
        dir.join("dns.log"),
        lines(dns.iter().map(DnsRecord::to_text).collect()),
    )
}
