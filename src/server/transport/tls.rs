//! TLS on the socket: rustls's `ServerConnection` fed by hand from mio, one
//! TLS record at a time.
//!
//! Reading whole records, never past the end of the current one, keeps the
//! read modes' lesson intact over TLS: a record the server has not asked
//! for stays in the kernel's receive queue, where it turns the close into
//! a RST exactly as unread cleartext does (RFC 1122 §4.2.2.13). The
//! protocols above (`h1/`, `h2/`) see decrypted bytes through the same
//! peek/read/consume calls as on plain TCP ([`super::Stream`]).
//!
//! TLS adds a third ending besides FIN and RST: the `close_notify` alert
//! (RFC 8446 §6.1). A FIN without it is a truncation the application must
//! notice; the log says which way each connection ended.

use std::io::{self, Read, Write};

use mio::net::TcpStream;
use rustls::ServerConnection;

use crate::server::log::{Dir, Event, PeerClose};

/// TLS record header: content type, legacy version, length (RFC 8446 §5.1).
const HEADER: usize = 5;

/// The largest record a client may send: 2^14 bytes of plaintext plus
/// 2048 of expansion in TLS 1.2 (RFC 5246 §6.2.3; TLS 1.3 allows 256,
/// RFC 8446 §5.2), plus the header.
const MAX_RECORD: usize = HEADER + (1 << 14) + 2048;

/// Where the reader stands in the client's record stream.
#[derive(Debug, Default)]
pub(in crate::server) struct Records {
    header: [u8; HEADER],
    have: usize,
    /// Bytes of the current record's body still in the kernel.
    left: usize,
}

impl Records {
    /// How many bytes the next read may take without crossing a record.
    fn want(&self) -> usize {
        if self.left > 0 {
            self.left
        } else {
            HEADER - self.have
        }
    }

    /// Accounts for `bytes` just read (never more than [`Records::want`]).
    fn advance(&mut self, bytes: &[u8]) {
        if self.left > 0 {
            self.left -= bytes.len();
            return;
        }
        self.header[self.have..self.have + bytes.len()].copy_from_slice(bytes);
        self.have += bytes.len();
        if self.have == HEADER {
            self.have = 0;
            self.left = u16::from_be_bytes([self.header[3], self.header[4]]) as usize;
        }
    }
}

/// What rustls reads records into: the `Acceptor` before the ClientHello
/// is whole, the `ServerConnection` after.
pub(in crate::server) trait TlsInput {
    fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize>;
}

impl TlsInput for ServerConnection {
    fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
        // ConnectionCommon's read_tls, through ServerConnection's Deref.
        std::ops::DerefMut::deref_mut(self).read_tls(rd)
    }
}

impl TlsInput for rustls::server::Acceptor {
    fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
        rustls::server::Acceptor::read_tls(self, rd)
    }
}

/// Reads from the socket what is queued of the current record (never
/// beyond it) and hands it to rustls. `Ok(0)` is the peer's FIN.
pub(in crate::server) fn pull(
    mut tcp: &TcpStream,
    records: &mut Records,
    input: &mut dyn TlsInput,
    scratch: &mut [u8],
) -> io::Result<usize> {
    let want = records.want().min(scratch.len());
    let n = tcp.read(&mut scratch[..want])?;
    if n == 0 {
        return Ok(0);
    }
    records.advance(&scratch[..n]);
    let mut rest = &scratch[..n];
    while !rest.is_empty() {
        if input.read_tls(&mut rest)? == 0 {
            return Err(io::Error::other("TLS input refused bytes"));
        }
    }
    Ok(n)
}

/// An established TLS connection.
pub(in crate::server) struct TlsStream {
    pub tcp: TcpStream,
    tls: ServerConnection,
    records: Records,
    /// Encrypted bytes on their way from the socket to rustls.
    inbuf: Vec<u8>,
    /// Decrypted bytes the protocol has not taken yet.
    plain: Vec<u8>,
    plain_pos: usize,
    peer_end: Option<PeerClose>,
    /// rustls failed: its alert is sent, nothing more may be.
    failed: bool,
    close_notify_sent: bool,
    /// Our close sends close_notify (off: the truncation lab).
    send_close_notify: bool,
    /// The connection closes after what is being written: the close_notify
    /// joins its last records.
    last_write: bool,
    /// Events for the log, collected by the connection after each drive.
    pub notes: Vec<Event>,
}

impl TlsStream {
    pub fn new(
        tcp: TcpStream,
        tls: ServerConnection,
        records: Records,
        send_close_notify: bool,
    ) -> TlsStream {
        TlsStream {
            tcp,
            tls,
            records,
            inbuf: vec![0; MAX_RECORD],
            plain: Vec::new(),
            plain_pos: 0,
            peer_end: None,
            failed: false,
            close_notify_sent: false,
            send_close_notify,
            last_write: false,
            notes: Vec::new(),
        }
    }

    /// Makes decrypted bytes available; `Ok(false)` once the client has
    /// ended its side and everything before was taken.
    fn fill(&mut self) -> io::Result<bool> {
        loop {
            if self.plain_pos < self.plain.len() {
                return Ok(true);
            }
            self.plain.resize(1 << 14, 0);
            self.plain_pos = 0;
            let got = self.tls.reader().read(&mut self.plain);
            self.plain.truncate(*got.as_ref().unwrap_or(&0));
            match got {
                Ok(0) => {
                    self.peer_ended(PeerClose::CloseNotify);
                    return Ok(false);
                }
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.peer_ended(PeerClose::Fin);
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
            if self.peer_end.is_some() {
                return Ok(false);
            }
            if pull(&self.tcp, &mut self.records, &mut self.tls, &mut self.inbuf)? == 0 {
                self.peer_ended(PeerClose::Fin);
                return Ok(false);
            }
            if let Err(e) = self.tls.process_new_packets() {
                self.fail(&e);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            // A KeyUpdate or an alert may want an answer.
            let _ = self.flush();
        }
    }

    fn peer_ended(&mut self, how: PeerClose) {
        if self.peer_end.is_some() {
            return;
        }
        self.peer_end = Some(how);
        self.notes.push(match how {
            PeerClose::CloseNotify => Event::CloseNotify {
                dir: Dir::Received,
                answering: None,
            },
            PeerClose::Fin => Event::Truncation { dir: Dir::Received },
        });
    }

    /// rustls refused what it read: send its alert and say why.
    fn fail(&mut self, e: &rustls::Error) {
        self.failed = true;
        self.notes.push(Event::TlsFailed {
            reason: e.to_string(),
        });
        let _ = self.flush();
    }

    /// The client's close_notify has been read.
    pub fn peer_closed_cleanly(&self) -> bool {
        self.peer_end == Some(PeerClose::CloseNotify)
    }

    pub fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.fill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.plain.len() - self.plain_pos);
        buf[..n].copy_from_slice(&self.plain[self.plain_pos..self.plain_pos + n]);
        Ok(n)
    }

    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.peek(buf)?;
        self.plain_pos += n;
        Ok(n)
    }

    /// Takes `n` decrypted bytes a peek has shown.
    pub fn consume(&mut self, n: usize) -> usize {
        let n = n.min(self.plain.len() - self.plain_pos);
        self.plain_pos += n;
        n
    }

    /// Encrypts what rustls accepts of `buf` and sends what the socket
    /// takes. WouldBlock when the socket is full and rustls's buffer too.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.flush() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        let n = self.tls.writer().write(buf)?;
        if self.last_write && n == buf.len() {
            self.begin_close(false);
        }
        match self.flush() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
            _ if n == 0 && !buf.is_empty() => Err(io::ErrorKind::WouldBlock.into()),
            _ => Ok(n),
        }
    }

    /// Sends the records rustls holds; WouldBlock if the socket is full.
    pub fn flush(&mut self) -> io::Result<()> {
        while self.tls.wants_write() {
            if self.tls.write_tls(&mut self.tcp)? == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }

    /// What is being written is the last: its final records and the
    /// close_notify go to the socket in one write. Written apart, the alert
    /// can still sit in the send queue (Linux holds a small write back
    /// while earlier data is unacknowledged: autocorking) when a close that
    /// finds unread records turns into a RST, and a RST discards the queue
    /// (RFC 9293 §3.6 ABORT): the alert would be logged but never sent.
    pub fn close_after_write(&mut self) {
        self.last_write = true;
    }

    /// Our close begins: close_notify (RFC 8446 §6.1) unless the close is
    /// abortive, rustls has failed, or the server is told to truncate.
    pub fn begin_close(&mut self, abort: bool) {
        if !abort {
            self.close_notify(None);
        }
    }

    /// The client ended its side first (its close_notify, or a FIN alone)
    /// and we close ours: close_notify before our FIN all the same.
    ///
    /// RFC 8446 §6.1: "Each party MUST send a close_notify alert before
    /// closing its write side of the connection, unless it has already
    /// sent some error alert" (TLS 1.2 asked for the answer outright, RFC
    /// 5246 §7.2.1). The answer has a cost: a client that has already
    /// `close()`d its socket cannot read it, so its kernel answers the
    /// 24 bytes with RST (RFC 1122 §4.2.2.13), where staying silent would
    /// have ended FIN both ways. The MUST wins because the alert is the
    /// only authenticated end of our data: a client that half-closed and
    /// reads on (Python's `ssl` unwrap, this project's clients) can tell
    /// our complete close from a FIN forged or cut on the path only by
    /// it, and the RST it costs the other clients comes after both
    /// alerts, when no application data is left to lose (the analyzer's
    /// "RST after close_notify (benign)").
    pub fn answer_peer_close(&mut self) {
        // A FIN seen by a raw peek (`no-read`) never reached rustls.
        let peer = *self.peer_end.get_or_insert_with(|| {
            self.notes.push(Event::Truncation { dir: Dir::Received });
            PeerClose::Fin
        });
        self.close_notify(Some(peer));
    }

    fn close_notify(&mut self, answering: Option<PeerClose>) {
        if self.failed || self.close_notify_sent {
            return;
        }
        self.close_notify_sent = true;
        if !self.send_close_notify {
            self.notes.push(Event::Truncation { dir: Dir::Sent });
            return;
        }
        self.tls.send_close_notify();
        // Best effort: an alert is 24 bytes (TLS 1.3) and the socket has
        // room unless the client stopped reading; then it is lost with
        // the rest of what we could not send. A socket the client already
        // reset takes nothing: the log must not claim the alert then.
        match self.flush() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => {}
            _ => self.notes.push(Event::CloseNotify {
                dir: Dir::Sent,
                answering,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_to_their_end_and_no_further() {
        let mut r = Records::default();
        assert_eq!(r.want(), 5);
        r.advance(&[0x16, 0x03]);
        assert_eq!(r.want(), 3);
        r.advance(&[0x01, 0x01, 0x00]);
        assert_eq!(r.want(), 256);
        r.advance(&[0; 200]);
        assert_eq!(r.want(), 56);
        r.advance(&[0; 56]);
        assert_eq!(r.want(), 5);
    }

    #[test]
    fn an_empty_record_is_followed_by_the_next_header() {
        let mut r = Records::default();
        r.advance(&[0x17, 0x03, 0x03, 0x00, 0x00]);
        assert_eq!(r.want(), 5);
    }
}
