//! The benchmark's traffic: the ground-truth scenarios at scale, on loopback,
//! optionally recorded with libpcap.
//!
//! [`crate::groundtruth::scenarios`] drives one connection per call; this module
//! drives hundreds of thousands in a realistic mix ([`MIX`]: mostly graceful
//! closes from either side, resets of each kind, refused ports, unanswered
//! SYNs, some connections left open) from several worker threads, each with
//! its own server address (`127.77.W.1`) and client addresses
//! (`127.78.W.1`–`127.78.W.32`), so client and server never share an address
//! and the 4-tuple space is large. About one connection in twenty
//! deliberately reuses the 4-tuple of an earlier one that ended with RST or
//! was refused (the client binds the same port again): the analyzer must
//! split them the way Zeek does (`docs/zeek-conn-state.md` §7.2).
//!
//! Resources that stay open on purpose are bounded: left-open and half-closed
//! connections hold two descriptors each until the capture ends; the
//! unanswered SYNs all go to one listener per worker whose accept queue is
//! kept full, and each probe socket is closed well before the kernel would
//! retransmit its SYN (1 s, RFC 6298 §2), so every probe is exactly one SYN.

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::socket::{setsockopt, sockopt};
use socket2::{Domain, Socket, Type};

use super::scenarios::{Held, Labelled, Scenario, finish_pair, keep_alive_rounds};
use crate::capture::{self, LiveCapture, LiveOptions, LiveStats};

/// libpcap filter that keeps exactly the generated traffic: every packet has
/// a server of `127.77.0.0/16` at one end.
pub const BPF_FILTER: &str = "tcp and net 127.77.0.0/16";

/// How often each scenario is picked, per 10 000 connections (the fillers
/// that keep the unanswered listeners full come on top, labelled left-open).
/// Graceful closes 73.5 %, resets 18 % (unread data 6, client abort 5,
/// server abort 4, data after close 3), refused 4 %, unanswered 2 %, left
/// open 1.5 %, half-closed 1 %.
pub const MIX: [(Scenario, u32); 10] = [
    (Scenario::GracefulClientFirst, 3_800),
    (Scenario::GracefulServerFirst, 3_550),
    (Scenario::ServerRstUnread, 600),
    (Scenario::ClientAbort, 500),
    (Scenario::ServerAbort, 400),
    (Scenario::DataAfterClose, 300),
    (Scenario::Refused, 400),
    (Scenario::Unanswered, 200),
    (Scenario::LeftOpen, 150),
    (Scenario::HalfClose, 100),
];

/// Chance, per 10 000, that a connection reuses an earlier 4-tuple when one
/// is available.
const REUSE_PER_10K: u64 = 600;

/// Client addresses per worker.
const CLIENT_ADDRS: u8 = 32;

/// A probe socket is closed this long after its SYN: well inside the 1 s
/// initial retransmission timeout, so no second SYN is ever sent.
const PROBE_LIFETIME: Duration = Duration::from_millis(200);

/// Capture ring for [`record`]: big enough to hold a long burst should the
/// writer fall behind, so the kernel drops nothing.
const RING_BYTES: i32 = 512 * 1024 * 1024;

/// Bytes kept per packet: the generated packets are all far shorter, so the
/// file holds them whole, and the ring's fixed-size slots stay small (see
/// [`LiveOptions`]).
const SNAPLEN: i32 = 2048;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Labelled connections to make in all (the fillers come on top).
    pub connections: usize,
    /// Worker threads, each with its own addresses.
    pub workers: usize,
    /// Seed of the scenario choice, so a run can be repeated.
    pub seed: u64,
    /// Extra keep-alive request/response rounds on every established
    /// connection before its scenario (0: none): more packets per connection
    /// for the same verdicts, as a load for live captures.
    pub extra_rounds: usize,
}

/// Why generating failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A socket call a scenario relies on failed.
    #[error("worker {worker}, connection {n} ({scenario:?}): {source}")]
    Scenario {
        /// Worker index.
        worker: usize,
        /// Connection number within the worker.
        n: usize,
        /// What it was doing.
        scenario: Scenario,
        /// The socket error.
        source: io::Error,
    },
    /// Setting a worker up (binding its addresses) failed.
    #[error("worker {worker} setup: {source}")]
    Setup {
        /// Worker index.
        worker: usize,
        /// The socket error.
        source: io::Error,
    },
    /// The capture could not be opened, read or written.
    #[error(transparent)]
    Capture(#[from] capture::Error),
    /// The process may not open enough descriptors for the connections held.
    #[error(
        "the plan holds about {needed} sockets open but the descriptor limit is {limit}: raise it (ulimit -n) or make fewer connections"
    )]
    Descriptors {
        /// Descriptors the plan needs.
        needed: u64,
        /// The limit that could be reached.
        limit: u64,
    },
    /// A worker thread panicked.
    #[error("a generator thread panicked")]
    Panicked,
}

/// The generated connections.
pub struct Generated {
    /// Every connection with its scenario, worker by worker, each worker's in
    /// the order they were made (so connections sharing a 4-tuple are in
    /// time order).
    pub labels: Vec<Labelled>,
    /// Sockets and listeners kept open on purpose: release them after the
    /// capture stopped.
    pub held: Vec<Held>,
    /// Wall time the workers took.
    pub elapsed: Duration,
}

impl Generated {
    /// Connections that reuse the 4-tuple of an earlier one.
    pub fn reused(&self) -> usize {
        let mut seen = std::collections::HashSet::with_capacity(self.labels.len());
        self.labels
            .iter()
            .filter(|l| !seen.insert((l.client, l.server)))
            .count()
    }
}

/// A generated capture.
pub struct Recorded {
    /// The traffic.
    pub generated: Generated,
    /// libpcap's counters at the end: `dropped` must be 0.
    pub stats: LiveStats,
    /// Frames written to the file.
    pub frames: u64,
}

/// Generates `plan`'s traffic without capturing it (someone else does).
///
/// # Errors
///
/// [`Error::Setup`] or [`Error::Scenario`] when a socket call fails.
pub fn generate(plan: &Plan) -> Result<Generated, Error> {
    ensure_descriptors(plan)?;
    let started = Instant::now();
    let results: Vec<Result<(Vec<Labelled>, Held), Error>> = thread::scope(|s| {
        let handles: Vec<_> = (0..plan.workers.max(1))
            .map(|w| s.spawn(move || Worker::new(w, plan)?.run()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(Error::Panicked)))
            .collect()
    });
    collect(results, started.elapsed())
}

fn collect(
    results: Vec<Result<(Vec<Labelled>, Held), Error>>,
    elapsed: Duration,
) -> Result<Generated, Error> {
    let mut out = Generated {
        labels: Vec::new(),
        held: Vec::new(),
        elapsed,
    };
    for r in results {
        let (labels, held) = r?;
        out.labels.extend(labels);
        out.held.push(held);
    }
    Ok(out)
}

/// Generates `plan`'s traffic while libpcap records it on `lo` into `pcap`
/// (filtered by [`BPF_FILTER`], 512 MiB ring). The capture stops 300 ms
/// after the last packet; only then are the held sockets released, so their
/// FINs are not in the file.
///
/// # Errors
///
/// As [`generate`], and [`Error::Capture`] when capturing fails (no
/// permission: the message says how to get it).
pub fn record(plan: &Plan, pcap: &Path) -> Result<Recorded, Error> {
    ensure_descriptors(plan)?;
    let opts = LiveOptions {
        snaplen: SNAPLEN,
        buffer_bytes: RING_BYTES,
    };
    let mut cap = LiveCapture::open_with("lo", Some(BPF_FILTER), Some(pcap), opts)?;
    let started = Instant::now();
    let mut frames = 0u64;
    let results = thread::scope(|s| -> Result<_, Error> {
        let handles: Vec<_> = (0..plan.workers.max(1))
            .map(|w| s.spawn(move || Worker::new(w, plan)?.run()))
            .collect();
        while !handles.iter().all(|h| h.is_finished()) {
            if cap.next_frame()?.is_some() {
                frames += 1;
            }
        }
        Ok(handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(Error::Panicked)))
            .collect::<Vec<_>>())
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
    let generated = collect(results, elapsed)?;
    Ok(Recorded {
        generated,
        stats,
        frames,
    })
}

/// Raises the soft descriptor limit (up to the hard one, or beyond when
/// privileged) if the held connections of `plan` need it: left-open and
/// half-closed connections hold two descriptors each until the end.
fn ensure_descriptors(plan: &Plan) -> Result<(), Error> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let total: u32 = MIX.iter().map(|(_, w)| w).sum();
    let held: u32 = MIX
        .iter()
        .filter(|(s, _)| matches!(s, Scenario::LeftOpen | Scenario::HalfClose))
        .map(|(_, w)| w)
        .sum();
    // 10 % over the expected share covers the random spread (a few
    // standard deviations at these counts); plus a few per worker
    // (listeners, filler, probes) and the process's own.
    let expected = plan.connections as u64 * u64::from(held) / u64::from(total);
    let needed = expected * 2 * 11 / 10 + 16 * plan.workers as u64 + 256;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return Ok(());
    };
    if soft >= needed {
        return Ok(());
    }
    if setrlimit(Resource::RLIMIT_NOFILE, needed, hard.max(needed)).is_ok() {
        return Ok(());
    }
    // Unprivileged: the hard limit is as far as it goes.
    if hard >= needed && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return Ok(());
    }
    Err(Error::Descriptors {
        needed,
        limit: hard,
    })
}

/// xorshift64*: a small deterministic generator for the scenario choice.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        (self.next() >> 32) % n
    }

    fn scenario(&mut self) -> Scenario {
        let total: u32 = MIX.iter().map(|(_, w)| w).sum();
        let mut x = self.below(u64::from(total)) as u32;
        for (s, w) in MIX {
            if x < w {
                return s;
            }
            x -= w;
        }
        Scenario::GracefulClientFirst
    }
}

/// One generator thread: its addresses, listeners and bookkeeping.
struct Worker {
    index: usize,
    n: usize,
    rng: Rng,
    clients: Vec<Ipv4Addr>,
    listener: TcpListener,
    /// Accept queue kept full: its SYNs get no answer.
    blackhole: SocketAddr,
    /// Bound but not listening: its SYNs are refused.
    closed: SocketAddr,
    probes: VecDeque<(Instant, Socket)>,
    /// Client addresses of finished connections whose 4-tuple may be used
    /// again: to the listener (ended by RST) and to the closed port.
    reuse_listener: VecDeque<SocketAddr>,
    reuse_closed: VecDeque<SocketAddr>,
    labels: Vec<Labelled>,
    held: Held,
    extra_rounds: usize,
}

/// A client socket bound to `from`. With `defer`, port 0 leaves the port
/// choice to `connect` (IP_BIND_ADDRESS_NO_PORT), which then only needs the
/// 4-tuple to be unique; SO_REUSEADDR lets a later socket bind a port that
/// other connections to other servers share.
fn client_socket(from: SocketAddr, defer: bool) -> io::Result<Socket> {
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    sock.set_reuse_address(true)?;
    if defer && from.port() == 0 {
        setsockopt(&sock, sockopt::IpBindAddressNoPort, &true)?;
    }
    sock.bind(&from.into())?;
    Ok(sock)
}

fn local_addr(sock: &Socket) -> io::Result<SocketAddr> {
    sock.local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("socket has no IP address"))
}

impl Worker {
    fn new(index: usize, plan: &Plan) -> Result<Self, Error> {
        let setup = |source| Error::Setup {
            worker: index,
            source,
        };
        let w = u8::try_from(index).map_err(|_| setup(io::Error::other("too many workers")))?;
        let server_ip = Ipv4Addr::new(127, 77, w, 1);
        let clients: Vec<_> = (1..=CLIENT_ADDRS)
            .map(|c| Ipv4Addr::new(127, 78, w, c))
            .collect();
        let listener = TcpListener::bind((server_ip, 0)).map_err(setup)?;
        let mut held = Held::default();
        let mut labels = Vec::new();
        let blackhole = Self::blackhole(server_ip, clients[0], &mut held, &mut labels);
        let closed_sock = Socket::new(Domain::IPV4, Type::STREAM, None).map_err(setup)?;
        closed_sock
            .bind(&SocketAddr::from((server_ip, 0)).into())
            .map_err(setup)?;
        let closed = local_addr(&closed_sock).map_err(setup)?;
        held.keep_socket(closed_sock);
        let share = plan.connections / plan.workers.max(1);
        Ok(Worker {
            index,
            n: share,
            rng: Rng(plan.seed ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(index as u64 + 1)) | 1),
            clients,
            listener,
            blackhole: blackhole.map_err(setup)?,
            closed,
            probes: VecDeque::new(),
            reuse_listener: VecDeque::new(),
            reuse_closed: VecDeque::new(),
            labels,
            held,
            extra_rounds: plan.extra_rounds,
        })
    }

    /// A listener with a backlog of 0 and one connection in its accept
    /// queue (Linux queues backlog + 1): later SYNs are dropped unanswered.
    fn blackhole(
        ip: Ipv4Addr,
        client_ip: Ipv4Addr,
        held: &mut Held,
        labels: &mut Vec<Labelled>,
    ) -> io::Result<SocketAddr> {
        let sock = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        sock.bind(&SocketAddr::from((ip, 0)).into())?;
        sock.listen(0)?;
        let server = local_addr(&sock)?;
        let filler = client_socket(SocketAddr::from((client_ip, 0)), true)?;
        filler.connect(&server.into())?;
        labels.push(Labelled {
            scenario: Scenario::LeftOpen,
            client: local_addr(&filler)?,
            server,
        });
        held.keep_socket(sock);
        held.keep_socket(filler);
        Ok(server)
    }

    fn run(mut self) -> Result<(Vec<Labelled>, Held), Error> {
        for n in 0..self.n {
            self.expire_probes(false);
            let scenario = self.rng.scenario();
            self.one(scenario).map_err(|source| Error::Scenario {
                worker: self.index,
                n,
                scenario,
                source,
            })?;
        }
        self.expire_probes(true);
        Ok((self.labels, self.held))
    }

    /// Closes probes old enough (or all): a socket in SYN_SENT closes
    /// without sending anything.
    fn expire_probes(&mut self, all: bool) {
        while let Some((at, _)) = self.probes.front() {
            if !all && at.elapsed() < PROBE_LIFETIME {
                break;
            }
            self.probes.pop_front();
        }
    }

    fn fresh_source(&mut self) -> SocketAddr {
        let ip = self.clients[self.rng.below(u64::from(CLIENT_ADDRS)) as usize];
        SocketAddr::V4(SocketAddrV4::new(ip, 0))
    }

    /// A source address: now and then the client address of an earlier
    /// connection to the same server, for a deliberate 4-tuple reuse.
    fn source(&mut self, to_closed: bool) -> SocketAddr {
        let reuse = self.rng.below(10_000) < REUSE_PER_10K;
        let pool = if to_closed {
            &mut self.reuse_closed
        } else {
            &mut self.reuse_listener
        };
        match pool.pop_front() {
            Some(a) if reuse => a,
            Some(a) => {
                pool.push_front(a);
                self.fresh_source()
            }
            None => self.fresh_source(),
        }
    }

    fn remember(&mut self, to_closed: bool, client: SocketAddr) {
        let pool = if to_closed {
            &mut self.reuse_closed
        } else {
            &mut self.reuse_listener
        };
        if pool.len() >= 64 {
            pool.pop_back();
        }
        pool.push_back(client);
    }

    /// Connects from `from`, or from a fresh address when the reused
    /// 4-tuple is taken by a connection that is still open.
    fn connect(&mut self, from: SocketAddr, to: SocketAddr) -> io::Result<Socket> {
        let sock = client_socket(from, true)?;
        match sock.connect(&to.into()) {
            Err(e) if from.port() != 0 && e.kind() == io::ErrorKind::AddrNotAvailable => {
                let fresh = self.fresh_source();
                self.connect(fresh, to)
            }
            other => other.map(|()| sock),
        }
    }

    fn one(&mut self, scenario: Scenario) -> io::Result<()> {
        match scenario {
            Scenario::Refused => {
                // A refused connect does not report a port chosen at connect
                // time: the port is bound first, so it is known.
                let sock = client_socket(self.source(true), false)?;
                let client = local_addr(&sock)?;
                let server = self.closed;
                match sock.connect(&server.into()) {
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
                    Err(e) => return Err(e),
                    Ok(()) => return Err(io::Error::other("a closed port accepted")),
                }
                self.label(scenario, client, server);
                self.remember(true, client);
            }
            Scenario::Unanswered => {
                let from = self.fresh_source();
                let sock = client_socket(from, true)?;
                sock.set_nonblocking(true)?;
                match sock.connect(&self.blackhole.into()) {
                    Err(e) if e.raw_os_error() == Some(nix::libc::EINPROGRESS) => {}
                    Err(e) => return Err(e),
                    Ok(()) => return Err(io::Error::other("a full accept queue accepted")),
                }
                let client = local_addr(&sock)?;
                self.label(scenario, client, self.blackhole);
                self.probes.push_back((Instant::now(), sock));
            }
            _ => {
                let from = self.source(false);
                let server = self.listener.local_addr()?;
                let mut client: TcpStream = self.connect(from, server)?.into();
                let (mut conn, peer) = self.listener.accept()?;
                let client_addr = client.local_addr()?;
                if peer != client_addr {
                    return Err(io::Error::other(format!(
                        "accepted {peer}, expected {client_addr}"
                    )));
                }
                keep_alive_rounds(&mut client, &mut conn, self.extra_rounds)?;
                finish_pair(scenario, client, conn, &mut self.held)?;
                self.label(scenario, client_addr, server);
                if scenario.expected().rst_sender.is_some() {
                    self.remember(false, client_addr);
                }
            }
        }
        Ok(())
    }

    fn label(&mut self, scenario: Scenario, client: SocketAddr, server: SocketAddr) {
        self.labels.push(Labelled {
            scenario,
            client,
            server,
        });
    }
}
