//! What the raw HTTP/2 client's frames travel on: TCP, or TLS over it
//! (rustls, ALPN `h2`, RFC 9113 §3.2), behind the same send, read and
//! half-close.
//!
//! Over TLS the client ends as it does in cleartext, with one more step
//! (RFC 8446 §6.1: each side sends close_notify before closing its write
//! side): GOAWAY, close_notify, FIN, then it reads on. After the server's
//! close_notify it keeps reading the socket itself, so that it sees
//! whether TCP then ended with FIN or RST, and never closes with bytes
//! unread.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};

use rustls::ClientConnection;
use rustls::pki_types::ServerName;

use crate::client::tls::{TlsEnd, client_config};

/// The TLS settings of an HTTP/2 run over TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H2Tls {
    /// The CA that signed the server's certificate (PEM).
    pub ca_pem: String,
    /// The name checked against the certificate (and sent as SNI).
    pub server_name: String,
}

/// What the client saw of TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H2TlsSeen {
    /// The version agreed (`1.2`, `1.3`), once the handshake completed.
    pub version: Option<&'static str>,
    /// The protocol ALPN chose.
    pub alpn: Option<String>,
    /// How TLS ended.
    pub end: TlsEnd,
    /// The client sent its own close_notify.
    pub sent_close_notify: bool,
}

pub(super) enum Wire {
    Plain(TcpStream),
    Tls(Box<TlsWire>),
}

pub(super) struct TlsWire {
    tcp: TcpStream,
    tls: ClientConnection,
    end: TlsEnd,
    sent_close_notify: bool,
    close_notify_tried: bool,
    tcp_eof: bool,
}

impl Wire {
    /// TLS over `tcp`, offering `h2` alone: a server without it refuses
    /// with `no_application_protocol` (RFC 7301 §3.2) rather than answer
    /// in a protocol this client does not speak.
    pub fn tls(tcp: TcpStream, t: &H2Tls) -> Result<Wire, String> {
        let config = client_config(&t.ca_pem, &["h2".to_string()])?;
        let name = ServerName::try_from(t.server_name.clone()).map_err(|e| e.to_string())?;
        let tls = ClientConnection::new(config, name).map_err(|e| e.to_string())?;
        Ok(Wire::Tls(Box::new(TlsWire {
            tcp,
            tls,
            end: TlsEnd::None,
            sent_close_notify: false,
            close_notify_tried: false,
            tcp_eof: false,
        })))
    }

    pub fn tcp(&self) -> &TcpStream {
        match self {
            Wire::Plain(s) => s,
            Wire::Tls(t) => &t.tcp,
        }
    }

    /// Sends `bytes` (over TLS: before the handshake is done, rustls holds
    /// them and sends them right after it).
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Wire::Plain(s) => s.write_all(bytes),
            Wire::Tls(t) => {
                t.tls.writer().write_all(bytes)?;
                t.flush()
            }
        }
    }

    /// Reads what the peer sent. `Ok(0)` is TCP's end (FIN); over TLS the
    /// TLS ending is kept apart ([`Wire::seen`]).
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Wire::Plain(s) => s.read(buf),
            Wire::Tls(t) => t.read(buf),
        }
    }

    /// §6.8's half-close: over TLS close_notify first, then our FIN.
    pub fn half_close(&mut self) -> io::Result<()> {
        if let Wire::Tls(t) = self {
            t.close_notify()?;
        }
        self.tcp().shutdown(Shutdown::Write)
    }

    /// What TLS did, `None` in cleartext.
    pub fn seen(&self) -> Option<H2TlsSeen> {
        let Wire::Tls(t) = self else {
            return None;
        };
        Some(H2TlsSeen {
            version: t.tls.protocol_version().map(|v| match v {
                rustls::ProtocolVersion::TLSv1_2 => "1.2",
                rustls::ProtocolVersion::TLSv1_3 => "1.3",
                _ => "other",
            }),
            alpn: t
                .tls
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            end: t.end.clone(),
            sent_close_notify: t.sent_close_notify,
        })
    }
}

impl TlsWire {
    fn flush(&mut self) -> io::Result<()> {
        while self.tls.wants_write() {
            self.tls.write_tls(&mut self.tcp)?;
        }
        Ok(())
    }

    /// Sends close_notify once; `sent_close_notify` only if it reached
    /// the socket (a reset connection takes nothing).
    fn close_notify(&mut self) -> io::Result<()> {
        if self.close_notify_tried {
            return Ok(());
        }
        self.close_notify_tried = true;
        self.tls.send_close_notify();
        self.flush()?;
        self.sent_close_notify = true;
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.end != TlsEnd::None {
                // TLS is over: what TCP does next (FIN, RST) is read from
                // the socket itself; a byte here would be data after the
                // peer's end, which RFC 8446 §6.1 says to ignore.
                return self.tcp.read(buf);
            }
            match self.tls.reader().read(buf) {
                Ok(0) => {
                    // The server's close_notify: answer it (§6.1) unless
                    // ours went first, then read on to TCP's end.
                    self.end = TlsEnd::CloseNotify;
                    // A failed answer shows in the TCP read that follows.
                    let _ = self.close_notify();
                    continue;
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    // A FIN with no close_notify before it.
                    self.end = TlsEnd::Truncated;
                    return Ok(0);
                }
                Err(e) => return Err(e),
            }
            let got = self.tls.read_tls(&mut self.tcp)?;
            if let Err(e) = self.tls.process_new_packets() {
                self.end = TlsEnd::Failed(e.to_string());
                // rustls queues its own alert for what it refused.
                let _ = self.flush();
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            self.flush()?;
            // TCP's end: rustls's reader says next whether close_notify
            // came; a second end means it had nothing more to say.
            if got == 0 && self.tcp_eof {
                self.end = TlsEnd::Truncated;
                return Ok(0);
            }
            self.tcp_eof |= got == 0;
        }
    }
}
