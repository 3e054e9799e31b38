//! A TLS connection until its handshake is done: the ClientHello read
//! record by record (rustls's `Acceptor`, so the offered ALPN list can be
//! logged before rustls decides), the server's flight written, the
//! client's Finished read, and then ALPN's choice hands the connection to
//! HTTP/1.x or HTTP/2.
//!
//! What goes wrong here is said in one `tls-failed` line per connection:
//! no common ALPN protocol (the fatal `no_application_protocol` alert 120,
//! RFC 7301 §3.2), a client offering only `h2c` (RFC 9113 §3.2), garbage,
//! oversized or malformed messages (rustls's alert and reason). Plain HTTP
//! sent to the TLS port gets a readable 400 in clear text.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Instant;

use mio::net::TcpStream;
use rustls::server::{AcceptedAlert, Acceptor};
use rustls::{ServerConfig, ServerConnection};

use super::Alpn;
use crate::http::Response;
use crate::server::conn::Cx;
use crate::server::log::{Cause, CloseEnding, Event, Timer, TlsVersion};
use crate::server::transport::plain::{self, Failure};
use crate::server::transport::tls::{Records, TlsStream, pull};

/// Steps one drive may take before other connections get their turn.
const TURN: usize = 64;

/// The reason in the 400 to plain HTTP, and in the log.
pub(in crate::server) const PLAIN_HTTP: &str = "plain HTTP on a TLS port";

enum State {
    /// Waiting for the whole ClientHello.
    Hello(Acceptor),
    /// The handshake proper.
    Tls(ServerConnection),
    /// Only while handing over.
    Gone,
}

/// How a handshake step ended.
pub(in crate::server) enum Outcome {
    Wait,
    Yield,
    /// Established, with the protocol ALPN chose (`None`: the client sent
    /// no ALPN, which means HTTP/1.1).
    Established(Option<Alpn>),
    /// Closed: how and why.
    Finished {
        end: CloseEnding,
        cause: Cause,
        unread: usize,
    },
}

pub(in crate::server) struct Handshake {
    pub id: u64,
    pub tcp: TcpStream,
    config: Arc<ServerConfig>,
    close_notify: bool,
    records: Records,
    state: State,
    /// The first bytes were looked at (TLS or plain HTTP?).
    sniffed: bool,
    /// The ALPN protocols the client offered, for the failure reason.
    offered: Vec<Vec<u8>>,
    deadline: Instant,
}

impl Handshake {
    pub fn new(
        id: u64,
        tcp: TcpStream,
        config: Arc<ServerConfig>,
        close_notify: bool,
        cx_now: Instant,
        timeout: std::time::Duration,
    ) -> Handshake {
        Handshake {
            id,
            tcp,
            config,
            close_notify,
            records: Records::default(),
            state: State::Hello(Acceptor::default()),
            sniffed: false,
            offered: Vec::new(),
            deadline: cx_now + timeout,
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        Some(self.deadline)
    }

    pub fn drive(&mut self, cx: &mut Cx<'_>) -> Outcome {
        for _ in 0..TURN {
            if let State::Tls(conn) = &mut self.state {
                if let Err(e) = flush(conn, &mut self.tcp) {
                    return self.io_end(&e, cx);
                }
                if !conn.is_handshaking() {
                    return self.established(cx);
                }
            }
            if !self.sniffed {
                match self.sniff(cx) {
                    Some(outcome) => return outcome,
                    None if !self.sniffed => return Outcome::Wait,
                    None => {}
                }
            }
            let input: &mut dyn crate::server::transport::tls::TlsInput = match &mut self.state {
                State::Hello(a) => a,
                State::Tls(c) => c,
                State::Gone => return Outcome::Wait,
            };
            match pull(&self.tcp, &mut self.records, input, cx.scratch) {
                Ok(0) => return self.ended(CloseEnding::PeerFin, Cause::PeerClosed, cx),
                Ok(_) => {}
                Err(e) => return self.io_end(&e, cx),
            }
            if let Some(outcome) = self.progress(cx) {
                return outcome;
            }
        }
        Outcome::Yield
    }

    /// Looks at the first bytes: a TLS handshake record starts with 22
    /// (RFC 8446 §5.1); a method name means plain HTTP. `None` with
    /// `sniffed` still false: too few bytes to tell yet.
    fn sniff(&mut self, cx: &mut Cx<'_>) -> Option<Outcome> {
        let n = match self.tcp.peek(&mut cx.scratch[..4]) {
            Ok(0) => return Some(self.ended(CloseEnding::PeerFin, Cause::PeerClosed, cx)),
            Ok(n) => n,
            Err(e) => return Some(self.io_end(&e, cx)),
        };
        let head = &cx.scratch[..n];
        if n < 4 && head[0] != 0x16 && could_be_method(head) {
            return None;
        }
        self.sniffed = true;
        if looks_like_http(head) {
            return Some(self.plain_http(cx));
        }
        None
    }

    /// Feeds what rustls has read to the handshake.
    fn progress(&mut self, cx: &mut Cx<'_>) -> Option<Outcome> {
        match std::mem::replace(&mut self.state, State::Gone) {
            State::Hello(mut acceptor) => match acceptor.accept() {
                Ok(None) => {
                    self.state = State::Hello(acceptor);
                    None
                }
                Ok(Some(accepted)) => {
                    let hello = accepted.client_hello();
                    self.offered = hello
                        .alpn()
                        .map(|list| list.map(<[u8]>::to_vec).collect())
                        .unwrap_or_default();
                    let event = Event::ClientHello {
                        sni: hello.server_name().map(str::to_string),
                        alpn: self.offered.iter().map(|p| lossy(p)).collect(),
                    };
                    cx.events.push((self.id, event));
                    match accepted.into_connection(self.config.clone()) {
                        Ok(conn) => {
                            self.state = State::Tls(conn);
                            None
                        }
                        Err((e, alert)) => Some(self.refuse(&e, alert, cx)),
                    }
                }
                Err((e, alert)) => Some(self.refuse(&e, alert, cx)),
            },
            State::Tls(mut conn) => match conn.process_new_packets() {
                Ok(_) => {
                    self.state = State::Tls(conn);
                    None
                }
                Err(e) => {
                    // rustls has queued its alert.
                    let _ = flush(&mut conn, &mut self.tcp);
                    Some(self.failed(&e, cx))
                }
            },
            State::Gone => None,
        }
    }

    /// Logs what the handshake agreed on; the loop then calls
    /// [`Handshake::into_stream`].
    fn established(&mut self, cx: &mut Cx<'_>) -> Outcome {
        let State::Tls(conn) = &self.state else {
            return Outcome::Wait;
        };
        let alpn = conn.alpn_protocol().and_then(Alpn::from_token);
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
            _ => TlsVersion::Tls13,
        };
        let suite = conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default();
        cx.events.push((
            self.id,
            Event::TlsEstablished {
                version,
                suite,
                alpn,
            },
        ));
        Outcome::Established(alpn)
    }

    /// The established connection as a stream for HTTP/1.x or HTTP/2.
    pub fn into_stream(self) -> Option<TlsStream> {
        let State::Tls(conn) = self.state else {
            return None;
        };
        Some(TlsStream::new(
            self.tcp,
            conn,
            self.records,
            self.close_notify,
        ))
    }

    /// `Acceptor` or `into_connection` refused the ClientHello: send the
    /// alert rustls made.
    fn refuse(&mut self, e: &rustls::Error, mut alert: AcceptedAlert, cx: &mut Cx<'_>) -> Outcome {
        let _ = alert.write_all(&mut self.tcp);
        self.failed(e, cx)
    }

    fn failed(&mut self, e: &rustls::Error, cx: &mut Cx<'_>) -> Outcome {
        let reason = match e {
            rustls::Error::NoApplicationProtocol => {
                let offered: Vec<String> = self.offered.iter().map(|p| lossy(p)).collect();
                let mut r = format!(
                    "no_application_protocol (alert 120, RFC 7301 §3.2): the client offered {}",
                    offered.join(",")
                );
                if offered.iter().any(|p| p == "h2c") {
                    r += "; h2c is never used over TLS (RFC 9113 §3.2)";
                }
                r
            }
            other => other.to_string(),
        };
        cx.events.push((self.id, Event::TlsFailed { reason }));
        self.close(Cause::TlsFailed, cx)
    }

    /// nginx's answer to plain HTTP on its TLS port: a 400 in clear text,
    /// which a person running `curl http://` can read; an alert would show
    /// as binary garbage or "HTTP/0.9". What arrived is read first, so the
    /// close is a FIN unless more follows.
    fn plain_http(&mut self, cx: &mut Cx<'_>) -> Outcome {
        let queued = plain::unread(&self.tcp, cx.scratch);
        plain::consume(&self.tcp, queued, cx.scratch);
        cx.stats.rejected += 1;
        cx.events.push((
            self.id,
            Event::Rejected {
                status: 400,
                reason: PLAIN_HTTP.into(),
            },
        ));
        let mut out = Vec::new();
        Response::text(400, "plain HTTP request sent to a TLS port: use https://").encode(&mut out);
        // Small enough for an empty send buffer; a short write loses only
        // this courtesy answer.
        let _ = self.tcp.write_all(&out);
        self.close(Cause::Rejected(400), cx)
    }

    pub fn on_timer(&mut self, cx: &mut Cx<'_>) -> Outcome {
        if cx.now < self.deadline {
            return Outcome::Wait;
        }
        cx.events.push((
            self.id,
            Event::Timeout {
                timer: Timer::Header,
            },
        ));
        self.close(Cause::HeaderTimeout, cx)
    }

    pub fn stop(&mut self, cx: &mut Cx<'_>) -> Outcome {
        self.close(Cause::ServerStopping, cx)
    }

    /// Our close, by the one rule of [`plain::our_close`].
    fn close(&mut self, cause: Cause, cx: &mut Cx<'_>) -> Outcome {
        let unread = plain::unread(&self.tcp, cx.scratch);
        let end = plain::our_close(&self.tcp, unread, false, false);
        Outcome::Finished { end, cause, unread }
    }

    fn ended(&mut self, end: CloseEnding, cause: Cause, cx: &mut Cx<'_>) -> Outcome {
        let unread = plain::unread(&self.tcp, cx.scratch);
        Outcome::Finished { end, cause, unread }
    }

    fn io_end(&mut self, e: &io::Error, cx: &mut Cx<'_>) -> Outcome {
        match plain::failure(e) {
            Failure::WouldBlock => Outcome::Wait,
            Failure::Interrupted => Outcome::Yield,
            Failure::Reset => self.ended(CloseEnding::PeerRst, Cause::PeerReset, cx),
            Failure::Other => self.close(Cause::SocketError, cx),
        }
    }
}

/// Writes what rustls holds until done or the socket is full.
fn flush(conn: &mut ServerConnection, tcp: &mut TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        match conn.write_tls(tcp) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The first four bytes of an HTTP method and what follows it: what a
/// client speaking plain HTTP sends first (RFC 9112 §3; `PRI ` is
/// HTTP/2's preface).
fn looks_like_http(head: &[u8]) -> bool {
    const STARTS: [&[u8; 4]; 10] = [
        b"GET ", b"HEAD", b"POST", b"PUT ", b"DELE", b"OPTI", b"PATC", b"CONN", b"TRAC", b"PRI ",
    ];
    head.len() >= 4 && STARTS.iter().any(|m| &head[..4] == *m)
}

/// Too few bytes to tell yet, but they could still start a method.
fn could_be_method(head: &[u8]) -> bool {
    head.iter().all(|b| b.is_ascii_uppercase() || *b == b' ')
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_told_from_a_tls_record() {
        assert!(looks_like_http(b"GET / HTTP/1.1"));
        assert!(looks_like_http(b"PRI * HTTP/2.0"));
        assert!(!looks_like_http(&[0x16, 0x03, 0x01, 0x02]));
        assert!(!looks_like_http(b"GE"));
        assert!(could_be_method(b"GE"));
        assert!(!could_be_method(&[0x16]));
    }
}
