//! Ground truth for the analyzer: real loopback connections driven through
//! known teardowns.
//!
//! Each [`Scenario`] opens real sockets on 127.0.0.1 and ends the connection in
//! one deliberate way, and [`Scenario::expected`] says what the analyzer must
//! conclude from the packets: the teaching verdict and Zeek's `conn_state`. A
//! capture taken around [`run`] is the test input; the returned [`Labelled`]
//! records are the answer key. Tests run a few of each; the benchmark runs
//! hundreds of thousands.
//!
//! The kernel does the work: every FIN and RST here is one Linux sends for a
//! documented reason (RFC 9293 §3.6 close, RFC 1122 §4.2.2.13 and RFC 2525
//! §2.17 close with unread data, SO_LINGER {on, 0}, RFC 9293 §3.5.2 reset for a
//! closed port).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use socket2::SockRef;

use crate::flow::ConnState;
use crate::teardown::{Ending, Role};

/// One way for a TCP connection to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Request, response, the client closes first, the server follows: FIN both ways.
    GracefulClientFirst,
    /// Request, response, the server closes first, the client follows: FIN both ways.
    GracefulServerFirst,
    /// The client half-closes (FIN) and the server never closes before the capture ends.
    HalfClose,
    /// The server answers and closes without reading the request: RST from the
    /// server (unread data, RFC 2525 §2.17).
    ServerRstUnread,
    /// The client sets SO_LINGER {on, 0} and closes: RST from the client.
    ClientAbort,
    /// The server sets SO_LINGER {on, 0} and closes: RST from the server.
    ServerAbort,
    /// The server reads everything and closes (FIN); the client then sends more:
    /// RST from the server for data after close (RFC 1122 §4.2.2.13).
    DataAfterClose,
    /// A SYN to a port nobody listens on: the kernel answers with RST (RFC 9293 §3.5.2).
    Refused,
    /// A SYN that a full accept queue drops: no answer at all.
    Unanswered,
    /// Request and response, and nobody closes before the capture ends.
    LeftOpen,
}

impl Scenario {
    /// Every scenario, in a fixed order.
    pub const ALL: [Scenario; 10] = [
        Scenario::GracefulClientFirst,
        Scenario::GracefulServerFirst,
        Scenario::HalfClose,
        Scenario::ServerRstUnread,
        Scenario::ClientAbort,
        Scenario::ServerAbort,
        Scenario::DataAfterClose,
        Scenario::Refused,
        Scenario::Unanswered,
        Scenario::LeftOpen,
    ];

    /// The kebab-case name (as serialized).
    pub fn name(self) -> &'static str {
        use Scenario::*;
        match self {
            GracefulClientFirst => "graceful-client-first",
            GracefulServerFirst => "graceful-server-first",
            HalfClose => "half-close",
            ServerRstUnread => "server-rst-unread",
            ClientAbort => "client-abort",
            ServerAbort => "server-abort",
            DataAfterClose => "data-after-close",
            Refused => "refused",
            Unanswered => "unanswered",
            LeftOpen => "left-open",
        }
    }

    /// Parses [`Scenario::name`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.name() == s)
    }

    /// What the packets must show for this scenario.
    pub fn expected(self) -> Expected {
        use Role::{Client, Server};
        use Scenario::*;
        let (ended, first_closer, rst_sender, conn_state) = match self {
            GracefulClientFirst => (Ending::Fin, Some(Client), None, ConnState::SF),
            GracefulServerFirst => (Ending::Fin, Some(Server), None, ConnState::SF),
            // RFC 9293 §3.6: FIN from the originator only; the responder stays open.
            HalfClose => (Ending::HalfClosed, Some(Client), None, ConnState::S2),
            ServerRstUnread => (Ending::Rst, None, Some(Server), ConnState::RSTR),
            ClientAbort => (Ending::Rst, None, Some(Client), ConnState::RSTO),
            ServerAbort => (Ending::Rst, None, Some(Server), ConnState::RSTR),
            // The server's FIN comes first, then its RST for the late data.
            DataAfterClose => (Ending::Rst, Some(Server), Some(Server), ConnState::RSTR),
            Refused => (Ending::Refused, None, Some(Server), ConnState::REJ),
            Unanswered => (Ending::Unanswered, None, None, ConnState::S0),
            LeftOpen => (Ending::Open, None, None, ConnState::S1),
        };
        Expected {
            ended,
            first_closer,
            rst_sender,
            conn_state,
        }
    }
}

/// What the analyzer must report for one scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Expected {
    /// The teaching verdict.
    pub ended: Ending,
    /// Who sent the first FIN, if anyone did.
    pub first_closer: Option<Role>,
    /// Who sent the RST, if anyone did.
    pub rst_sender: Option<Role>,
    /// Zeek's `conn_state`.
    pub conn_state: ConnState,
}

/// One connection the generator made, with its answer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Labelled {
    /// The scenario it followed.
    pub scenario: Scenario,
    /// The client's address and port.
    pub client: SocketAddr,
    /// The server's address and port.
    pub server: SocketAddr,
}

/// Things left open on purpose (left-open, half-closed and unanswered
/// connections) that must live until the capture has stopped.
#[derive(Default)]
pub struct Held {
    streams: Vec<TcpStream>,
    listeners: Vec<TcpListener>,
    sockets: Vec<socket2::Socket>,
}

impl Held {
    /// Keeps a socket open until [`Held::release`].
    pub(crate) fn keep_socket(&mut self, sock: socket2::Socket) {
        self.sockets.push(sock);
    }

    /// Closes everything held, after the capture is over.
    pub fn release(self) {
        drop(self.streams);
        drop(self.listeners);
        drop(self.sockets);
    }
}

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: wirelab\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// Drives one connection through `scenario` on `host` (a loopback address).
///
/// Anything that must stay open until the capture ends is put in `held`.
///
/// # Errors
///
/// When a socket call the scenario relies on fails.
pub fn run(
    scenario: Scenario,
    host: std::net::IpAddr,
    held: &mut Held,
) -> io::Result<Vec<Labelled>> {
    use Scenario::*;
    let listener = TcpListener::bind((host, 0))?;
    let server = listener.local_addr()?;
    if scenario == Refused {
        // Nobody listens once the listener is gone; the port stays ours to name.
        drop(listener);
        return refused(server);
    }
    if scenario == Unanswered {
        return unanswered(listener, held);
    }
    let client = TcpStream::connect(server)?;
    let (conn, _) = listener.accept()?;
    let labelled = Labelled {
        scenario,
        client: client.local_addr()?,
        server,
    };
    finish_pair(scenario, client, conn, held)?;
    Ok(vec![labelled])
}

/// Drives an established pair (`client` connected, `conn` its accepted
/// peer) through `scenario`; `Refused` and `Unanswered` never get one and
/// are an error here. Streams that must outlive the capture go to `held`.
pub(crate) fn finish_pair(
    scenario: Scenario,
    mut client: TcpStream,
    mut conn: TcpStream,
    held: &mut Held,
) -> io::Result<()> {
    use Scenario::*;
    client.set_read_timeout(Some(Duration::from_secs(5)))?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    client.write_all(REQUEST)?;
    match scenario {
        GracefulClientFirst => {
            read_exact_len(&mut conn, REQUEST.len())?;
            conn.write_all(RESPONSE)?;
            read_exact_len(&mut client, RESPONSE.len())?;
            client.shutdown(Shutdown::Write)?;
            expect_eof(&mut conn)?;
            drop(conn);
            expect_eof(&mut client)?;
        }
        GracefulServerFirst => {
            read_exact_len(&mut conn, REQUEST.len())?;
            conn.write_all(RESPONSE)?;
            conn.shutdown(Shutdown::Write)?;
            read_exact_len(&mut client, RESPONSE.len())?;
            expect_eof(&mut client)?;
            drop(client);
            expect_eof(&mut conn)?;
        }
        HalfClose => {
            read_exact_len(&mut conn, REQUEST.len())?;
            client.shutdown(Shutdown::Write)?;
            expect_eof(&mut conn)?;
            conn.write_all(RESPONSE)?;
            read_exact_len(&mut client, RESPONSE.len())?;
            held.streams.extend([client, conn]);
        }
        ServerRstUnread => {
            // Wait until the request is queued at the server, then close unread.
            wait_readable(&conn)?;
            conn.write_all(RESPONSE)?;
            drop(conn);
            drain_until_end(&mut client);
        }
        ClientAbort => {
            read_exact_len(&mut conn, REQUEST.len())?;
            conn.write_all(RESPONSE)?;
            read_exact_len(&mut client, RESPONSE.len())?;
            SockRef::from(&client).set_linger(Some(Duration::ZERO))?;
            drop(client);
            drain_until_end(&mut conn);
        }
        ServerAbort => {
            read_exact_len(&mut conn, REQUEST.len())?;
            conn.write_all(RESPONSE)?;
            read_exact_len(&mut client, RESPONSE.len())?;
            SockRef::from(&conn).set_linger(Some(Duration::ZERO))?;
            drop(conn);
            drain_until_end(&mut client);
        }
        DataAfterClose => {
            read_exact_len(&mut conn, REQUEST.len())?;
            conn.write_all(RESPONSE)?;
            drop(conn);
            read_exact_len(&mut client, RESPONSE.len())?;
            expect_eof(&mut client)?;
            // The server socket is gone; these bytes draw its kernel's RST.
            client.write_all(b"late")?;
            drain_until_end(&mut client);
        }
        LeftOpen => {
            read_exact_len(&mut conn, REQUEST.len())?;
            conn.write_all(RESPONSE)?;
            read_exact_len(&mut client, RESPONSE.len())?;
            held.streams.extend([client, conn]);
        }
        Refused | Unanswered => {
            return Err(io::Error::other("scenario needs no established connection"));
        }
    }
    Ok(())
}

/// Request/response rounds on a fresh pair before its scenario: keep-alive
/// traffic that changes nothing the scenario decides (every byte is read,
/// and Zeek's once-only letters are already set by the scenario's own
/// exchange), only the number of packets.
pub(crate) fn keep_alive_rounds(
    client: &mut TcpStream,
    conn: &mut TcpStream,
    rounds: usize,
) -> io::Result<()> {
    let mut buf = [0u8; 64];
    for _ in 0..rounds {
        client.write_all(REQUEST)?;
        conn.read_exact(&mut buf[..REQUEST.len()])?;
        conn.write_all(RESPONSE)?;
        client.read_exact(&mut buf[..RESPONSE.len()])?;
    }
    Ok(())
}

/// Binds before connecting so the client's port is known even though the
/// connection never opens.
fn bound_socket(server: SocketAddr) -> io::Result<(socket2::Socket, SocketAddr)> {
    let sock = socket2::Socket::new(
        socket2::Domain::for_address(server),
        socket2::Type::STREAM,
        None,
    )?;
    sock.bind(&SocketAddr::new(server.ip(), 0).into())?;
    let local = sock
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("socket has no IP address"))?;
    Ok((sock, local))
}

fn refused(server: SocketAddr) -> io::Result<Vec<Labelled>> {
    let (sock, client) = bound_socket(server)?;
    match sock.connect_timeout(&server.into(), Duration::from_secs(1)) {
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(vec![Labelled {
            scenario: Scenario::Refused,
            client,
            server,
        }]),
        Err(e) => Err(e),
        Ok(()) => Err(io::Error::other("connect to a closed port succeeded")),
    }
}

/// Fills a listener's accept queue (Linux holds backlog + 1 connections), so
/// the kernel drops the next SYN without answering it.
fn unanswered(listener: TcpListener, held: &mut Held) -> io::Result<Vec<Labelled>> {
    let server = listener.local_addr()?;
    let sock = socket2::Socket::from(listener);
    sock.listen(0)?;
    let listener: TcpListener = sock.into();
    // The filler completes its handshake into the queue and stays there: a
    // connection left open, with its own label.
    let filler = TcpStream::connect(server)?;
    let filler_label = Labelled {
        scenario: Scenario::LeftOpen,
        client: filler.local_addr()?,
        server,
    };
    let (probe, client) = bound_socket(server)?;
    probe.set_nonblocking(true)?;
    match probe.connect(&server.into()) {
        Err(e) if e.raw_os_error() == Some(nix::libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
        Ok(()) => return Err(io::Error::other("a full accept queue accepted a SYN")),
    }
    held.streams.extend([filler, TcpStream::from(probe)]);
    held.listeners.push(listener);
    Ok(vec![
        filler_label,
        Labelled {
            scenario: Scenario::Unanswered,
            client,
            server,
        },
    ])
}

fn read_exact_len(s: &mut TcpStream, n: usize) -> io::Result<()> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf)
}

/// Reads until a clean EOF (the peer's FIN); anything else is an error.
fn expect_eof(s: &mut TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 64];
    match s.read(&mut buf)? {
        0 => Ok(()),
        n => Err(io::Error::other(format!("expected EOF, read {n} bytes"))),
    }
}

/// Reads until EOF or an error such as ECONNRESET: the end the scenario
/// provoked, whichever it is, so the next scenario starts after it.
fn drain_until_end(s: &mut TcpStream) {
    let mut buf = [0u8; 256];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

fn wait_readable(s: &TcpStream) -> io::Result<()> {
    let mut b = [0u8; 1];
    s.peek(&mut b).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn every_scenario_runs_on_loopback() {
        let mut held = Held::default();
        for s in Scenario::ALL {
            let got = run(s, LO, &mut held).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            assert_eq!(got.last().map(|l| l.scenario), Some(s));
            assert_ne!(got.last().map(|l| l.client.port()), Some(0));
        }
        held.release();
    }

    #[test]
    fn names_match_serde_and_round_trip() {
        for s in Scenario::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.name()));
            assert_eq!(Scenario::parse(s.name()), Some(s));
        }
    }

    #[test]
    fn unanswered_probe_gets_no_syn_ack() {
        let mut held = Held::default();
        let got = run(Scenario::Unanswered, LO, &mut held).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        // Still connecting: a connected probe would report its peer.
        assert!(held.streams[1].peer_addr().is_err(), "{got:?}");
        held.release();
    }
}
