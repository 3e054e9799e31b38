//! One generator thread: its own server and client addresses, the scenario
//! mix drawn from a seeded generator, and the sockets it keeps open on purpose.

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::time::Instant;

use nix::sys::socket::{setsockopt, sockopt};
use socket2::{Domain, Socket, Type};

use super::super::scenarios::{Held, Labelled, Scenario, finish_pair, keep_alive_rounds};
use super::{CLIENT_ADDRS, Error, MIX, PROBE_LIFETIME, Plan, REUSE_PER_10K};

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
pub(super) struct Worker {
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
    pub(super) fn new(index: usize, plan: &Plan) -> Result<Self, Error> {
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

    pub(super) fn run(mut self) -> Result<(Vec<Labelled>, Held), Error> {
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
