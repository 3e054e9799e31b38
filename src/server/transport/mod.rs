//! The byte stream a protocol runs on: plain TCP ([`plain`]) or TLS
//! ([`tls`]), behind one [`Stream`] so that `h1/` and `h2/` ask the same
//! questions whatever carries their bytes: is anything unread, did the peer
//! reset, close gently or abortively.
//!
//! A read mode is a decision about the *transport*: what is left in the
//! kernel's receive queue when the socket is closed decides FIN or RST
//! (RFC 2525 §2.17). Each protocol states which of its bytes that is
//! ([`ReadMode`](super::ReadMode)); over TLS the unit left unread is a
//! record.

pub(super) mod plain;
pub(super) mod tls;

use std::io::{self, Read, Write};
use std::net::Shutdown;

use mio::net::TcpStream;

use super::log::{CloseEnding, Event};
use tls::TlsStream;

/// A connection's byte stream.
pub(super) enum Stream {
    Plain(TcpStream),
    /// Boxed: rustls's connection state is large.
    Tls(Box<TlsStream>),
}

impl Stream {
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => &t.tcp,
        }
    }

    pub fn tcp_mut(&mut self) -> &mut TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => &mut t.tcp,
        }
    }

    /// Cleartext, where h2c (Upgrade, prior knowledge) may be spoken:
    /// never over TLS (RFC 9113 §3.3).
    pub fn is_plain(&self) -> bool {
        matches!(self, Stream::Plain(_))
    }

    /// Application bytes available without consuming them (TLS: decrypted,
    /// which reads whole records from the kernel).
    pub fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.peek(buf),
            Stream::Tls(t) => t.peek(buf),
        }
    }

    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(t) => t.read(buf),
        }
    }

    /// Whether the client's next bytes have reached the kernel, without
    /// reading them: what `no-read` waits for. Over TLS these are records,
    /// left encrypted and unread. `Ok(0)` is the peer's FIN.
    pub fn arrived(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp().peek(buf)
    }

    /// Consumes exactly `n` bytes a peek has shown; returns how many.
    pub fn consume(&mut self, n: usize, scratch: &mut [u8]) -> usize {
        match self {
            Stream::Plain(s) => plain::consume(s, n, scratch),
            Stream::Tls(t) => t.consume(n),
        }
    }

    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(t) => t.write(buf),
        }
    }

    /// The connection closes gracefully after what is being written: over
    /// TLS the close_notify leaves with the last records.
    pub fn close_after_write(&mut self) {
        if let Stream::Tls(t) = self {
            t.close_after_write();
        }
    }

    /// Everything written so far is on the socket (TLS keeps records
    /// while the socket is full); WouldBlock otherwise.
    pub fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(_) => Ok(()),
            Stream::Tls(t) => t.flush(),
        }
    }

    /// Bytes waiting in the kernel's receive queue: what a close now would
    /// leave unread, and so turn into a RST.
    pub fn unread(&self, scratch: &mut [u8]) -> usize {
        plain::unread(self.tcp(), scratch)
    }

    /// `drain`'s half-close: over TLS close_notify first, then our FIN.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        if let Stream::Tls(t) = self {
            t.begin_close(false);
        }
        self.tcp().shutdown(Shutdown::Write)
    }

    /// Our close: over TLS the close_notify (or its deliberate absence),
    /// then [`plain::our_close`]'s one rule for FIN or RST.
    pub fn our_close(&mut self, unread: usize, abort: bool, body_due: bool) -> CloseEnding {
        if let Stream::Tls(t) = self {
            t.begin_close(abort);
            if unread > 0 && !abort {
                // This close will be a RST, which discards whatever is still
                // in the send queue (RFC 9293 §3.6). Linux may be holding our
                // last small write back while earlier data is unacknowledged
                // (autocorking); turning TCP_NODELAY on pushes pending
                // segments out now, so the answer and the close_notify the
                // log reports are on the wire before the RST.
                let _ = socket2::SockRef::from(self.tcp()).set_tcp_nodelay(true);
            }
        }
        plain::our_close(self.tcp(), unread, abort, body_due)
    }

    /// The client closed first and we close too: over TLS our close_notify
    /// answers its end before our FIN ([`tls::TlsStream::answer_peer_close`]
    /// says what that costs and why RFC 8446 §6.1 asks it anyway).
    pub fn answer_peer_close(&mut self) {
        if let Stream::Tls(t) = self {
            t.answer_peer_close();
        }
    }

    /// The client's close_notify was read (TLS), as opposed to a bare FIN.
    pub fn peer_closed_cleanly(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(t) => t.peer_closed_cleanly(),
        }
    }

    /// Events the transport has to report (TLS alerts, truncation).
    pub fn take_notes(&mut self) -> Vec<Event> {
        match self {
            Stream::Plain(_) => Vec::new(),
            Stream::Tls(t) => std::mem::take(&mut t.notes),
        }
    }
}
