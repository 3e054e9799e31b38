//! Plain TCP: the socket calls every protocol handler shares, and what
//! their errors mean.

use std::io::{self, Read};
use std::net::SocketAddr;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};

use crate::server::log::CloseEnding;

/// What a failed socket call means for the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::server) enum Failure {
    /// Nothing to do now: wait for the next readiness event (mio's rule).
    WouldBlock,
    /// A signal interrupted the call: try again (mio's rule).
    Interrupted,
    /// The peer's RST (ECONNRESET, or what follows one).
    Reset,
    /// Anything else: the socket is unusable and we close it.
    Other,
}

/// Classifies a socket error. EPIPE and ENOTCONN on Linux TCP follow a RST
/// already reported (we never write after our own shutdown), so they are a
/// reset too.
pub(in crate::server) fn failure(e: &io::Error) -> Failure {
    match e.kind() {
        io::ErrorKind::WouldBlock => Failure::WouldBlock,
        io::ErrorKind::Interrupted => Failure::Interrupted,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::NotConnected => Failure::Reset,
        _ => Failure::Other,
    }
}

/// Bytes waiting in the receive queue (up to `scratch`'s size), by peeking:
/// what a close now would leave unread, and so turn into a RST.
pub(in crate::server) fn unread(stream: &TcpStream, scratch: &mut [u8]) -> usize {
    stream.peek(scratch).unwrap_or(0)
}

/// Reads and discards exactly `n` bytes that a peek has shown are queued;
/// returns how many were read (fewer only if the socket failed in between).
pub(in crate::server) fn consume(mut stream: &TcpStream, n: usize, scratch: &mut [u8]) -> usize {
    let mut done = 0;
    while done < n {
        let want = (n - done).min(scratch.len());
        match stream.read(&mut scratch[..want]) {
            Ok(0) => break,
            Ok(k) => done += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    done
}

/// What our own close will put on the wire, with `unread` bytes queued:
/// an abortive close (`abort`: SO_LINGER {on, 0}, RFC 9293 §3.6 ABORT)
/// or unread bytes make it a RST (RFC 1122 §4.2.2.13), otherwise a FIN —
/// noted as one sent before a request body that was still due.
pub(in crate::server) fn our_close(
    stream: &TcpStream,
    unread: usize,
    abort: bool,
    body_due: bool,
) -> CloseEnding {
    if abort {
        match set_abortive(stream) {
            Ok(()) => CloseEnding::WeAborted,
            Err(_) if unread > 0 => CloseEnding::WeProvokedRst,
            Err(_) => CloseEnding::WeSentFin,
        }
    } else if unread > 0 {
        CloseEnding::WeProvokedRst
    } else if body_due {
        CloseEnding::WeClosedBodyDue
    } else {
        CloseEnding::WeSentFin
    }
}

/// Makes the coming close abortive: RFC 9293 §3.6 ABORT. A zero linger time
/// makes close() send RST (Linux: tcp_disconnect, counted as
/// TcpExtTCPAbortOnData).
pub(in crate::server) fn set_abortive(stream: &TcpStream) -> io::Result<()> {
    socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO))
}

/// A non-blocking listener with SO_REUSEADDR and the configured backlog.
pub(in crate::server) fn listen(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    socket.set_nonblocking(true)?;
    Ok(TcpListener::from_std(socket.into()))
}
