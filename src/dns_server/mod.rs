//! `lab dns`: a loopback DNS responder for HTTP/3 discovery. It answers
//! for one test origin with `A`, `AAAA` and the `HTTPS` record of RFC 9460
//! ([`zone`] decides what), over UDP and over TCP with RFC 1035 §4.2.2's
//! two-byte length prefix (RFC 7766), on the same port.
//!
//! Plain threads, one per transport and one per TCP connection: a test
//! responder answers a handful of queries, and blocking reads keep it
//! simple. A bad query gets FORMERR or nothing and the responder keeps
//! answering; one event per query goes to the [`DnsLog`].

pub mod zone;

#[cfg(test)]
mod tests;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::proto::dns::{Name, Question, Rcode};

pub use zone::{Answered, Transport, Zone};

/// What to serve.
#[derive(Debug, Clone)]
pub struct DnsConfig {
    /// Where to listen (UDP and TCP, the same port; port 0 picks one).
    pub bind: SocketAddr,
    /// The origin's host name.
    pub name: Name,
    /// The origin's port, and the HTTPS record's `port`.
    pub https_port: u16,
    /// The HTTPS record's `alpn` ids (none: no `alpn` param).
    pub alpn: Vec<Vec<u8>>,
    /// Add `no-default-alpn`: the endpoint does not speak `http/1.1`.
    pub no_default_alpn: bool,
    /// AliasMode: the origin's HTTPS record points here.
    pub alias: Option<Name>,
    /// Seconds each record may be cached.
    pub ttl: u32,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 5353)),
            // The test name below the `.test` TLD RFC 6761 §6.2 reserves.
            name: Name::parse("wirelab.test").unwrap_or_default(),
            https_port: 8443,
            alpn: vec![b"h3".to_vec(), b"h2".to_vec()],
            no_default_alpn: false,
            alias: None,
            ttl: 300,
        }
    }
}

/// Why the responder cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DnsServerError {
    /// A socket could not be bound.
    #[error("cannot listen on {transport} {addr}: {source}")]
    Bind {
        /// Which transport.
        transport: Transport,
        /// Where.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The configuration makes a record that cannot be written.
    #[error("the HTTPS record cannot be written: {0}")]
    Record(#[from] crate::proto::dns::DnsError),
    /// An ALPN id of 0 or over 255 octets (RFC 7301 §3.1).
    #[error("ALPN id {0:?} must be 1 to 255 octets")]
    Alpn(String),
}

/// One event of the responder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsEvent {
    /// Listening on both transports.
    Listening {
        /// The address, port included.
        addr: SocketAddr,
        /// The records served, in presentation form.
        records: Vec<String>,
    },
    /// A query and its answer.
    Query {
        /// Over which transport.
        transport: Transport,
        /// From whom.
        peer: SocketAddr,
        /// The query's id.
        id: Option<u16>,
        /// Its question.
        question: Option<Question>,
        /// The response code, `None` if nothing was sent.
        rcode: Option<Rcode>,
        /// Answer records sent.
        answers: usize,
        /// Cut to fit UDP.
        truncated: bool,
        /// Why it was malformed.
        malformed: Option<String>,
    },
    /// A TCP connection ended badly (a length prefix and no message, a
    /// reset, a timeout).
    TcpError {
        /// From whom.
        peer: SocketAddr,
        /// What happened.
        error: String,
    },
}

/// A timed event.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsRecord {
    /// Seconds since the responder started.
    pub t: f64,
    /// The event.
    pub event: DnsEvent,
}

impl DnsRecord {
    /// One logfmt line, in the style of `lab serve`'s event log.
    pub fn to_text(&self) -> String {
        let kv = match &self.event {
            DnsEvent::Listening { addr, records } => {
                let mut s = format!("event=listening addr={addr} transport=udp,tcp");
                for r in records {
                    s += &format!(" record={r:?}");
                }
                s
            }
            DnsEvent::Query {
                transport,
                peer,
                id,
                question,
                rcode,
                answers,
                truncated,
                malformed,
            } => {
                let mut s = format!("event=query transport={transport} peer={peer}");
                if let Some(id) = id {
                    s += &format!(" id={id}");
                }
                if let Some(q) = question {
                    s += &format!(" qname={} qtype={}", q.name, q.qtype);
                }
                match rcode {
                    Some(r) => s += &format!(" rcode={r} answers={answers}"),
                    None => s += " rcode=- (no reply)",
                }
                if *truncated {
                    s += " truncated=true";
                }
                if let Some(m) = malformed {
                    s += &format!(" malformed={m:?}");
                }
                s
            }
            DnsEvent::TcpError { peer, error } => {
                format!("event=tcp-error peer={peer} error={error:?}")
            }
        };
        format!("t={:.6} {kv}", self.t)
    }
}

/// Where events go.
pub enum DnsLog {
    /// Nowhere.
    Discard,
    /// Lines to a writer (the binary passes stderr); write errors are
    /// ignored, a closed log must not stop the responder.
    Writer(Box<dyn Write + Send>),
    /// Records to a channel (tests read them as data).
    Channel(Sender<DnsRecord>),
}

struct Shared {
    zone: Zone,
    log: Mutex<DnsLog>,
    start: Instant,
    stop: AtomicBool,
    tcp_open: AtomicUsize,
}

impl Shared {
    fn emit(&self, event: DnsEvent) {
        let record = DnsRecord {
            t: self.start.elapsed().as_secs_f64(),
            event,
        };
        // A poisoned lock only means another thread panicked mid-write.
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *log {
            DnsLog::Discard => {}
            DnsLog::Writer(w) => {
                let _ = writeln!(w, "{}", record.to_text());
                let _ = w.flush();
            }
            DnsLog::Channel(tx) => {
                let _ = tx.send(record);
            }
        }
    }

    fn answer(&self, query: &[u8], transport: Transport, peer: SocketAddr) -> Option<Vec<u8>> {
        let a = self.zone.answer(query, transport);
        self.emit(DnsEvent::Query {
            transport,
            peer,
            id: a.id,
            question: a.question,
            rcode: a.rcode,
            answers: a.answers,
            truncated: a.truncated,
            malformed: a.malformed,
        });
        a.reply
    }
}

/// How often the threads look at the stop flag.
const TICK: Duration = Duration::from_millis(100);
/// A TCP client silent this long is dropped (RFC 7766 §6.2.3 suggests
/// seconds, not minutes, for an idle connection).
const TCP_IDLE: Duration = Duration::from_secs(10);
/// Most TCP connections served at once; more are closed on accept.
const MAX_TCP: usize = 64;

/// A bound responder.
pub struct DnsServer {
    udp: UdpSocket,
    tcp: TcpListener,
    shared: Arc<Shared>,
}

/// Stops a running responder from another thread.
#[derive(Clone)]
pub struct DnsStopper(Arc<Shared>);

impl DnsStopper {
    /// Asks the threads to stop; [`DnsServer::run`] returns within a tick.
    pub fn stop(&self) {
        self.0.stop.store(true, Ordering::SeqCst);
    }
}

impl DnsServer {
    /// Binds UDP then TCP on the same port.
    pub fn bind(config: DnsConfig, log: DnsLog) -> Result<DnsServer, DnsServerError> {
        if let Some(id) = config.alpn.iter().find(|i| i.is_empty() || i.len() > 255) {
            return Err(DnsServerError::Alpn(String::from_utf8_lossy(id).into()));
        }
        let zone = Zone::new(&config);
        // Written once here, so that an answer can never fail to encode.
        crate::proto::dns::Message {
            answers: zone.records().cloned().collect(),
            ..Default::default()
        }
        .encode()?;
        let bind_err = |transport, addr| {
            move |source| DnsServerError::Bind {
                transport,
                addr,
                source,
            }
        };
        let udp = UdpSocket::bind(config.bind).map_err(bind_err(Transport::Udp, config.bind))?;
        let addr = udp
            .local_addr()
            .map_err(bind_err(Transport::Udp, config.bind))?;
        let tcp = TcpListener::bind(addr).map_err(bind_err(Transport::Tcp, addr))?;
        udp.set_read_timeout(Some(TICK))
            .and_then(|_| tcp.set_nonblocking(true))
            .map_err(bind_err(Transport::Tcp, addr))?;
        Ok(DnsServer {
            udp,
            tcp,
            shared: Arc::new(Shared {
                zone,
                log: Mutex::new(log),
                start: Instant::now(),
                stop: AtomicBool::new(false),
                tcp_open: AtomicUsize::new(0),
            }),
        })
    }

    /// The bound address (both transports).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.udp.local_addr()
    }

    /// A handle that stops [`DnsServer::run`].
    pub fn stopper(&self) -> DnsStopper {
        DnsStopper(self.shared.clone())
    }

    /// Answers until stopped.
    pub fn run(self) -> io::Result<()> {
        let addr = self.local_addr()?;
        self.shared.emit(DnsEvent::Listening {
            addr,
            records: self.shared.zone.records().map(|r| r.to_string()).collect(),
        });
        let shared = self.shared.clone();
        let tcp = self.tcp;
        let tcp_thread = thread::spawn(move || serve_tcp(tcp, shared));
        let mut buf = [0u8; 65535];
        while !self.shared.stop.load(Ordering::SeqCst) {
            match self.udp.recv_from(&mut buf) {
                Ok((n, peer)) => {
                    if let Some(reply) = self.shared.answer(&buf[..n], Transport::Udp, peer) {
                        // A lost reply is the client's to retry, as any UDP loss.
                        let _ = self.udp.send_to(&reply, peer);
                    }
                }
                Err(e) if is_tick(&e) => {}
                // ICMP port unreachable from an earlier reply's peer shows up
                // here on Linux as ECONNREFUSED: not ours to stop for.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(e) => return Err(e),
            }
        }
        let _ = tcp_thread.join();
        Ok(())
    }
}

fn is_tick(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

fn serve_tcp(listener: TcpListener, shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                if shared.tcp_open.fetch_add(1, Ordering::SeqCst) >= MAX_TCP {
                    shared.tcp_open.fetch_sub(1, Ordering::SeqCst);
                    continue;
                }
                let shared = shared.clone();
                thread::spawn(move || {
                    if let Err(e) = serve_connection(stream, peer, &shared) {
                        shared.emit(DnsEvent::TcpError {
                            peer,
                            error: e.to_string(),
                        });
                    }
                    shared.tcp_open.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(e) if is_tick(&e) => thread::sleep(TICK / 4),
            Err(_) => thread::sleep(TICK),
        }
    }
}

/// Queries on one TCP connection, each after its two-byte length, until
/// the client's FIN (RFC 7766 §6.2.1: a client may send several).
fn serve_connection(mut s: TcpStream, peer: SocketAddr, shared: &Shared) -> io::Result<()> {
    s.set_nonblocking(false)?;
    s.set_read_timeout(Some(TICK))?;
    let mut idle = Duration::ZERO;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        while buf.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
            if buf.len() < 2 + len {
                break;
            }
            let query: Vec<u8> = buf.drain(..2 + len).skip(2).collect();
            if let Some(reply) = shared.answer(&query, Transport::Tcp, peer) {
                // A TCP reply always fits its length: replies are built
                // from one question and one name's records.
                let len = u16::try_from(reply.len()).unwrap_or(u16::MAX);
                s.write_all(&len.to_be_bytes())?;
                s.write_all(&reply)?;
            }
        }
        match s.read(&mut chunk) {
            // The client's FIN: done, unless it stopped inside a message.
            Ok(0) if buf.is_empty() => return Ok(()),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("EOF (peer FIN) with {} bytes of a message", buf.len()),
                ));
            }
            Ok(n) => {
                idle = Duration::ZERO;
                buf.extend_from_slice(&chunk[..n]);
            }
            Err(e) if is_tick(&e) => {
                idle += TICK;
                if idle >= TCP_IDLE {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "idle timeout"));
                }
            }
            Err(e) => return Err(e),
        }
    }
}
