//! The raw client over TLS (rustls): one HTTP/1.1 exchange, and an honest
//! account of how TLS and TCP each ended.
//!
//! Over TLS a connection has three endings, not two: the server's
//! `close_notify` alert (RFC 8446 §6.1) says "the application data is
//! complete"; a TCP FIN without it is a truncation that the application must
//! notice (RFC 9112 §9.8: a close-delimited body is then possibly
//! incomplete); a RST is an abort either way. rustls reports them apart:
//! [`rustls::IoState::peer_has_closed`] after a close_notify, and a TCP EOF
//! before one is the truncation. This client reads the socket itself (no
//! `StreamOwned`) so that it also sees what TCP did after TLS had ended.
//!
//! On the server's close_notify it answers with its own, as RFC 8446 §6.1
//! asks of each side before it closes its write side (curl and OpenSSL do
//! the same): against a server that has already closed, that alert is data
//! after close, and the kernel answers it with RST.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

use super::reader::{Reader, request_is_head};
use super::{ClientError, Outcome, ReadEnd, SendFailure};

/// One request over TLS.
#[derive(Clone, Debug)]
pub struct TlsRequest {
    /// The request bytes (one or more HTTP/1.1 requests).
    pub bytes: Vec<u8>,
    /// Stop reading this long after sending (a slow reader).
    pub pause: Option<Duration>,
    /// Longest wait for the handshake and for each read.
    pub timeout: Duration,
    /// The CA that signed the server's certificate (PEM).
    pub ca_pem: String,
    /// ALPN protocols offered, in order (RFC 7301 §3.1).
    pub alpn: Vec<String>,
    /// The name checked against the certificate (and sent as SNI when it
    /// is a DNS name, RFC 6066 §3).
    pub server_name: String,
}

/// How TLS itself ended, as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsEnd {
    /// The server's close_notify arrived: the data before it is complete.
    CloseNotify,
    /// TCP EOF (the server's FIN) with no close_notify before it.
    Truncated,
    /// The server sent a fatal alert, or the handshake failed here.
    Failed(String),
    /// The connection ended (RST, timeout) before any TLS ending.
    None,
}

/// What the TLS client saw.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TlsOutcome {
    /// The HTTP side, as the plain client reports it; `end` is TCP's end.
    pub outcome: Outcome,
    /// The version agreed (`1.2`, `1.3`), once the handshake completed.
    pub version: Option<&'static str>,
    /// The protocol ALPN chose; `None` when the server chose none.
    pub alpn: Option<String>,
    /// How TLS ended.
    pub tls_end: TlsEnd,
    /// The client sent its own close_notify.
    pub sent_close_notify: bool,
}

fn config(req: &TlsRequest) -> Result<Arc<ClientConfig>, String> {
    client_config(&req.ca_pem, &req.alpn)
}

/// rustls's client settings: trust `ca_pem` alone, offer `alpn` in order.
pub(super) fn client_config(ca_pem: &str, alpn: &[String]) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("the lab's CA: {e}"))?;
        roots.add(cert).map_err(|e| format!("the lab's CA: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok(Arc::new(config))
}

/// Connects to `addr`, makes the TLS handshake and the request, and reads
/// to the end.
///
/// # Errors
///
/// Only [`ClientError::Connect`]; a failed handshake is part of the
/// [`TlsOutcome`].
pub fn run(addr: SocketAddr, req: &TlsRequest) -> Result<TlsOutcome, ClientError> {
    let start = Instant::now();
    let stream = TcpStream::connect_timeout(&addr, req.timeout)
        .map_err(|source| ClientError::Connect { addr, source })?;
    let _ = stream.set_nodelay(true);
    let mut c = Client {
        stream,
        tls: None,
        reader: Reader::default(),
        sent: 0,
        send_failure: None,
        end: None,
        tls_end: TlsEnd::None,
        sent_close_notify: false,
        deadline: Instant::now() + req.timeout,
    };
    let setup = config(req).and_then(|cfg| {
        let name = ServerName::try_from(req.server_name.clone()).map_err(|e| e.to_string())?;
        ClientConnection::new(cfg, name).map_err(|e| e.to_string())
    });
    match setup {
        Ok(mut conn) => {
            // Plaintext written before the handshake completes is held by
            // rustls and sent right after it.
            if conn.writer().write_all(&req.bytes).is_ok() {
                c.sent = req.bytes.len() as u64;
            }
            c.reader.heads = request_is_head(&req.bytes);
            c.tls = Some(conn);
            c.flush();
            if let Some(pause) = req.pause {
                std::thread::sleep(pause);
            }
            c.deadline = Instant::now() + req.timeout;
            c.read_to_end();
        }
        Err(e) => c.tls_end = TlsEnd::Failed(e),
    }
    let end = c.end.clone().unwrap_or(ReadEnd::TimedOut);
    // A close-delimited body is whole only if close_notify vouched for it
    // (RFC 9112 §9.8); a bare FIN leaves it possibly incomplete.
    let body_end = if c.tls_end == TlsEnd::CloseNotify {
        ReadEnd::Eof
    } else {
        ReadEnd::ClientClosed
    };
    let (version, alpn) = c.tls.as_ref().map_or((None, None), |t| {
        let version = t.protocol_version().map(|v| match v {
            rustls::ProtocolVersion::TLSv1_2 => "1.2",
            rustls::ProtocolVersion::TLSv1_3 => "1.3",
            _ => "other",
        });
        let alpn = t
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        (version, alpn)
    });
    let reader = c.reader.finish(&body_end);
    Ok(TlsOutcome {
        outcome: Outcome {
            responses: reader.done,
            interim: reader.interim,
            end,
            send_failure: c.send_failure,
            bytes_sent: c.sent,
            bytes_received: reader.received,
            garbage: reader.garbage,
            elapsed: start.elapsed(),
        },
        version,
        alpn,
        tls_end: c.tls_end,
        sent_close_notify: c.sent_close_notify,
    })
}

struct Client {
    stream: TcpStream,
    tls: Option<ClientConnection>,
    reader: Reader,
    /// Plaintext bytes handed to TLS.
    sent: u64,
    send_failure: Option<SendFailure>,
    /// TCP's end.
    end: Option<ReadEnd>,
    tls_end: TlsEnd,
    sent_close_notify: bool,
    deadline: Instant,
}

impl Client {
    /// Writes every TLS record rustls has queued.
    fn flush(&mut self) {
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        while self.send_failure.is_none() && tls.wants_write() {
            if let Err(e) = tls.write_tls(&mut self.stream) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                self.send_failure = Some(SendFailure {
                    after_bytes: self.sent,
                    reset: matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                    ),
                    error: e.to_string(),
                });
            }
        }
    }

    /// Reads the socket until TCP ends, feeding TLS until TLS ends.
    fn read_to_end(&mut self) {
        let mut buf = vec![0u8; 64 * 1024];
        while self.end.is_none() {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                self.end = Some(ReadEnd::TimedOut);
                break;
            }
            let n = match self.stream.read(&mut buf) {
                // Linux reports a RST once, to the first call that meets it:
                // when that was the write of our close_notify, the reads
                // after it return 0, and that 0 is the reset connection's,
                // not the server's FIN (RFC 9293 §3.10.7.4: a RST is
                // "connection reset", never an end of data).
                Ok(0) if self.send_failure.as_ref().is_some_and(|f| f.reset) => {
                    self.end = Some(ReadEnd::Reset);
                    break;
                }
                Ok(0) => {
                    self.end = Some(ReadEnd::Eof);
                    if self.tls_end == TlsEnd::None {
                        self.tls_end = TlsEnd::Truncated;
                    }
                    break;
                }
                Ok(n) => n,
                Err(e) => {
                    self.end = Some(match e.kind() {
                        io::ErrorKind::Interrupted => continue,
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ReadEnd::TimedOut,
                        io::ErrorKind::ConnectionReset => ReadEnd::Reset,
                        _ => ReadEnd::Error(e.to_string()),
                    });
                    break;
                }
            };
            if self.tls_end == TlsEnd::None {
                self.feed(&buf[..n]);
            }
        }
    }

    /// Hands bytes from the socket to rustls and the plaintext to the reader.
    fn feed(&mut self, mut bytes: &[u8]) {
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        while !bytes.is_empty() {
            match tls.read_tls(&mut bytes) {
                Ok(_) => {}
                Err(e) => {
                    self.tls_end = TlsEnd::Failed(e.to_string());
                    return;
                }
            }
            let state = match tls.process_new_packets() {
                Ok(state) => state,
                Err(e) => {
                    self.tls_end = TlsEnd::Failed(e.to_string());
                    // rustls queues its own alert for a failure it detects.
                    self.flush();
                    return;
                }
            };
            let mut plain = vec![0u8; state.plaintext_bytes_to_read()];
            if !plain.is_empty() && tls.reader().read_exact(&mut plain).is_ok() {
                self.reader.feed(&plain);
            }
            if state.peer_has_closed() {
                self.tls_end = TlsEnd::CloseNotify;
                tls.send_close_notify();
                self.flush();
                // Sent only if the write took it: a server that closed with
                // unread bytes has often reset the connection by now, and
                // the alert then never leaves (the write meets the RST).
                self.sent_close_notify = self.send_failure.is_none();
                return;
            }
        }
        self.flush();
    }
}
