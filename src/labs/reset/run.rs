//! One run of the reset lab, from starting the server to the witnesses.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use super::clients::drive_client;
use super::explain::{self, Verdict};
use super::ladder::{self, Conversation};
use super::proxy::{self, Leg, Proxy, ProxyRun};
use super::tls::{self, Files, TlsRun};
use super::watch::Watch;
use super::witness::{ClientWitness, KernelWitness, ServerClose, ServerH2};
use super::{Proto, ResetOptions};
use crate::analyze::{self, AnalyzeOptions};
use crate::capture::{self, LiveCapture};
use crate::client;
use crate::labs::counters::{self, Counters};
use crate::labs::netns::{self, Isolation};
use crate::labs::nginx::{Nginx, NginxError, ProxySettings};
use crate::report::ConnectionReport;
use crate::server::{self, Config, Dir, Event, LogSink, Record};

/// How long after the client is done the capture may still wait for the end.
const TEARDOWN_BOUND: Duration = Duration::from_secs(2);

/// Why a lab run could not be made (a run whose witnesses disagree is not an
/// error: it is reported).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options contradict each other.
    #[error(transparent)]
    Options(#[from] super::Conflict),
    /// The server did not start.
    #[error(transparent)]
    Server(#[from] server::Error),
    /// Capturing or reading the capture failed.
    #[error(transparent)]
    Capture(#[from] capture::Error),
    /// Analyzing the capture failed.
    #[error(transparent)]
    Analyze(#[from] analyze::Error),
    /// The kernel counters could not be read.
    #[error(transparent)]
    Counters(#[from] counters::Error),
    /// The raw client could not connect.
    #[error(transparent)]
    Client(#[from] client::ClientError),
    /// The client (curl, nghttp) could not be run.
    #[error(transparent)]
    Peer(#[from] crate::labs::peer::PeerError),
    /// The lab's own thread failed.
    #[error("the lab thread panicked")]
    Panicked,
    /// A TLS run's directory, CA or key log could not be written or read.
    #[error("cannot prepare the TLS run's files: {0}")]
    TlsFiles(#[source] std::io::Error),
    /// The proxy (`--via nginx`) is missing or would not start.
    #[error(transparent)]
    Proxy(#[from] NginxError),
}

/// Everything one run found.
#[derive(Clone, Debug)]
pub struct ResetRun {
    /// The read mode.
    pub mode: String,
    /// The response framing.
    pub framing: String,
    /// The protocol the client spoke.
    pub proto: Proto,
    /// The server's address.
    pub server: String,
    /// The verdict on the lab's (first) connection, explained.
    pub verdict: Verdict,
    /// Every connection in the capture, as the analyzer reports it.
    pub connections: Vec<ConnectionReport>,
    /// The packets of each connection, for the ladder diagram.
    pub ladder: Vec<Conversation>,
    /// What the client saw.
    pub client: ClientWitness,
    /// What the server's log says about each close.
    pub server_log: Vec<ServerClose>,
    /// What the server's log says the first connection did in HTTP/2.
    pub server_h2: ServerH2,
    /// The TLS side: ALPN, version and the TLS ending (TLS runs).
    pub tls: Option<TlsRun>,
    /// The proxy's side: each leg's verdict and its error log (`--via`).
    pub proxy: Option<ProxyRun>,
    /// The kernel's counters.
    pub kernel: KernelWitness,
    /// Where the witnesses contradict each other, in words.
    pub disagreements: Vec<String>,
    /// Frames captured.
    pub frames: u64,
    /// Frames libpcap dropped (0 unless the machine was overloaded).
    pub dropped: u32,
    /// Whether the teardown was seen before the time bound.
    pub teardown_seen: bool,
    /// Where the capture was saved, if asked.
    pub pcap: Option<PathBuf>,
    /// Wall time of the run.
    pub elapsed_ms: f64,
}

/// Runs the lab once, in its own thread so that the thread alone (and the
/// server and curl it starts) can move into a private network namespace.
///
/// # Errors
///
/// When the lab cannot be run at all: see [`Error`].
pub fn run(opts: &ResetOptions) -> Result<ResetRun, Error> {
    opts.validate()?;
    let opts = opts.clone();
    std::thread::Builder::new()
        .name("wirelab-reset".into())
        .spawn(move || run_here(&opts))
        .map_err(|_| Error::Panicked)?
        .join()
        .map_err(|_| Error::Panicked)?
}

/// Runs the lab `n` times; `on_run` sees each result as it comes.
///
/// # Errors
///
/// The first run that cannot be made stops the series.
pub fn run_repeated(
    opts: &ResetOptions,
    n: usize,
    mut on_run: impl FnMut(usize, &ResetRun),
) -> Result<(), Error> {
    for i in 0..n {
        let r = run(opts)?;
        on_run(i, &r);
    }
    Ok(())
}

fn server_config(opts: &ResetOptions) -> Config {
    Config {
        mode: opts.mode,
        partial_bytes: opts.partial_bytes,
        framing: opts.framing,
        body_size: opts.body_size,
        status: opts.status,
        keep_alive: opts.keepalive_race,
        keepalive_race: opts.keepalive_race,
        // The race: the server gives up on the "idle" connection shortly after
        // its first answer, by which time the second request is queued.
        idle_timeout: if opts.keepalive_race {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(5)
        },
        respond_before_body: opts.respond_before_body,
        http2: opts.server_http2,
        // Room for the whole response, as a server that writes and closes at
        // once: a large body is then still mostly unsent when close() runs.
        send_buffer: Some(opts.body_size + 64 * 1024),
        header_timeout: Duration::from_secs(5),
        linger_idle: Duration::from_secs(2),
        linger_total: Duration::from_secs(5),
        ..Config::default()
    }
}

fn run_here(opts: &ResetOptions) -> Result<ResetRun, Error> {
    let start = Instant::now();
    let (isolation, note) = if opts.isolate {
        netns::enter_private()
    } else {
        (Isolation::Shared, Some("isolation turned off".into()))
    };
    /// Larger than any loopback frame, offloads included (64 KiB).
    const WHOLE_FRAME: i32 = 262_144;
    let (tx, rx) = channel();
    let files = opts
        .tls
        .as_ref()
        .map(|_| Files::new(opts.save_pcap.as_deref()))
        .transpose()
        .map_err(Error::TlsFiles)?;
    let mut config = server_config(opts);
    if let (Some(lab), Some(f)) = (&opts.tls, &files) {
        config.tls = Some(f.server_settings(lab));
    }
    let server = server::spawn(config, LogSink::Channel(tx))?;
    let addr = server.local_addr();
    let ca_pem = server.ca_pem().unwrap_or_default().to_string();
    if let Some(f) = &files {
        std::fs::write(&f.ca, &ca_pem).map_err(Error::TlsFiles)?;
    }
    // The proxy starts in this thread's namespace, so both legs cross the
    // same loopback and the kernel counters count its RSTs too. Upstream
    // keep-alive only for the race, which needs a reused connection.
    let nginx = match opts.via {
        Some(Proxy::Nginx) => Some(Nginx::start(
            addr,
            ProxySettings {
                upstream_keepalive: opts.keepalive_race,
            },
        )?),
        None => None,
    };
    let target = nginx.as_ref().map_or(addr, Nginx::addr);
    let filter = match &nginx {
        Some(n) => format!("tcp port {} or tcp port {}", addr.port(), n.addr().port()),
        None => format!("tcp port {}", addr.port()),
    };
    // Whole frames: the analyzer's decoders read every byte (a snap length
    // would turn each body into gaps). The frames are read once, by the
    // watch; a file is written only when asked.
    let mut cap = LiveCapture::open_with_snaplen(
        "lo",
        Some(&filter),
        opts.save_pcap.as_deref(),
        WHOLE_FRAME,
    )?;
    let before = Counters::read()?;

    // The capture is read while the client runs, so a large response cannot
    // overflow libpcap's ring; the client thread stays in this namespace.
    // The analyzer decodes as `lab analyze` does, with a ladder: its labels
    // are the ladder's.
    let analyze = AnalyzeOptions {
        app: Some(crate::app::AppOptions {
            ladder: true,
            ..Default::default()
        }),
        ..AnalyzeOptions::default()
    };
    // Over TLS the frames wait for the finished key log (see `watch`).
    let mut watch = if files.is_some() {
        Watch::holding(&analyze)
    } else {
        Watch::new(&analyze)
    };
    let client = std::thread::scope(|s| {
        let client = s.spawn(|| drive_client(opts, target, files.as_ref(), &ca_pem));
        while !client.is_finished() {
            watch.pump(&mut cap, Duration::from_millis(10))?;
        }
        client.join().map_err(|_| Error::Panicked)?
    })?;
    let teardown_seen = watch.until_over(&mut cap, Instant::now() + TEARDOWN_BOUND)?;
    let dropped = cap.stats().map(|s| s.dropped).unwrap_or(0);
    cap.flush()?;
    let keylog = files
        .as_ref()
        .map(Files::read_keylog)
        .transpose()
        .map_err(Error::TlsFiles)?
        .map(Arc::new);
    let pass = watch.finish(&cap, keylog)?;
    drop(cap);
    let after = Counters::read()?;
    // nginx writes its error line as it gives up on the upstream, before it
    // answers the client; the teardown is over, so the log is complete.
    let proxy = nginx.map(|n| {
        let client_leg = proxy::on_port(&pass.connections, n.addr().port());
        let upstream_leg = proxy::on_port(&pass.connections, addr.port());
        ProxyRun {
            proxy: Proxy::Nginx,
            addr: n.addr().to_string(),
            client_leg: proxy::verdict(Leg::Client, &client_leg),
            upstream_leg: proxy::verdict(Leg::Upstream, &upstream_leg),
            error_log: n.errors(),
        }
    });
    let _ = server.shutdown();
    let records: Vec<Record> = drain(&rx);

    let ladder = ladder::conversations(&pass.segments, &pass.connections);
    // Through a proxy the server's log explains the upstream leg and the
    // client witness the client's leg; the packets of both are counted
    // against the kernel.
    let of_leg = |leg: &proxy::LegVerdict| -> Vec<Conversation> {
        ladder
            .iter()
            .filter(|c| leg.connections.iter().any(|l| l.id == c.id))
            .cloned()
            .collect()
    };
    let (client_convs, server_convs, server_conns) = match &proxy {
        Some(p) => (
            of_leg(&p.client_leg),
            of_leg(&p.upstream_leg),
            proxy::on_port(&pass.connections, addr.port()),
        ),
        None => (ladder.clone(), ladder.clone(), pass.connections.clone()),
    };
    let server_log = closes(&records);
    let server_h2 = h2_story(&records, server_log.first().map_or(1, |s| s.conn));
    let sent_body: u64 = records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Response { body_bytes, .. } => Some(*body_bytes as u64),
            Event::Stream {
                body_bytes: Some(n),
                ..
            } => Some(*n as u64),
            _ => None,
        })
        .sum();
    let client = client.witness(sent_body);
    let kernel = KernelWitness {
        isolation,
        note,
        deltas: after.delta_since(&before),
    };
    let verdict = explain::verdict(opts, &server_conns, &server_log, &server_h2, &kernel);
    let mut disagreements = explain::disagreements(
        explain::Sides {
            all: &ladder,
            client: &client_convs,
            server: &server_convs,
        },
        &client,
        &server_log,
        &kernel,
    );
    let first_conn = server_log.first().map_or(1, |s| s.conn);
    let tls = opts.tls.as_ref().zip(files.as_ref()).map(|(lab, f)| {
        tls::story(tls::Seen {
            lab,
            mode: opts.mode,
            first: pass.connections.first(),
            server: tls::server_story(&records, first_conn),
            server_end: server_log.first().map(|s| s.end),
            unread: server_log.first().map_or(0, |s| s.unread),
            keylog: f.kept.then(|| f.keylog.clone()),
        })
    });
    if let Some(t) = &tls {
        disagreements.extend(tls::disagreements(t, &client));
    }
    Ok(ResetRun {
        mode: opts.mode.as_str().to_string(),
        framing: opts.framing.to_string(),
        proto: opts.proto,
        server: addr.to_string(),
        verdict,
        connections: pass.connections,
        ladder,
        client,
        server_log,
        server_h2,
        tls,
        proxy,
        kernel,
        disagreements,
        frames: pass.frames,
        dropped,
        teardown_seen,
        pcap: opts.save_pcap.clone(),
        elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
    })
}

fn drain(rx: &Receiver<Record>) -> Vec<Record> {
    rx.try_iter().collect()
}

fn closes(records: &[Record]) -> Vec<ServerClose> {
    records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Closed { end, cause, unread } => Some(ServerClose {
                conn: r.conn.unwrap_or(0),
                end: *end,
                cause: *cause,
                unread: *unread,
            }),
            _ => None,
        })
        .collect()
}

/// The HTTP/2 frames of connection `conn` that explain how it ended.
fn h2_story(records: &[Record], conn: u64) -> ServerH2 {
    let mut h2 = ServerH2::default();
    for r in records.iter().filter(|r| r.conn == Some(conn)) {
        match &r.event {
            Event::Preface { start } => h2.start = Some(*start),
            Event::Upgrade { body_bytes, .. } => h2.upgrade_body = Some(*body_bytes),
            Event::Stream {
                id,
                status: Some(_),
                ..
            } => {
                h2.answered += 1;
                h2.first_stream.get_or_insert(*id);
            }
            Event::GoAway {
                dir: Dir::Sent,
                last_stream,
                ..
            } => h2.goaways_sent.push(*last_stream),
            Event::GoAway {
                dir: Dir::Received, ..
            } => h2.goaway_received = true,
            _ => {}
        }
    }
    h2
}
