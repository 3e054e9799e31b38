//! An HTTP/3 client on quinn and h3, for one GET ([`get`]) or several on
//! one connection, all sent at once ([`get_all`]): what tests, labs and
//! benchmarks use to fetch from `lab serve --h3` (or any h3 server) and to
//! see how the server ended the connection.
//!
//! After the responses it keeps the connection open for
//! [`Options::wait_end`], sending a PING every [`Options::keep_alive`] so
//! that a server that forgot the connection has a packet to answer with a
//! stateless reset (RFC 9000 §10.3), and reports the ending it saw: the
//! server's CONNECTION_CLOSE (transport 0x1c or application 0x1d, RFC 9000
//! §19.19), a stateless reset, the idle timeout (§10.1), or its own close
//! when the server did nothing within the wait.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Buf;
use quinn::{ConnectionError, IdleTimeout, TransportConfig, VarInt};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// H3_NO_ERROR (RFC 9114 §8.1).
const H3_NO_ERROR: u32 = 0x100;

/// How to fetch.
#[derive(Clone, Debug)]
pub struct Options {
    /// PEM file of the CA(s) to trust (`lab serve --write-ca`).
    pub ca_file: PathBuf,
    /// ALPN offered (default `h3` alone; another shows the server's
    /// refusal).
    pub alpn: Vec<Vec<u8>>,
    /// Append the NSS key log of the connection here.
    pub keylog: Option<PathBuf>,
    /// How long to wait for the server to end the connection after the
    /// response; then we close it with H3_NO_ERROR (default 5 s).
    pub wait_end: Duration,
    /// PING interval while waiting (default 100 ms); `None` sends nothing,
    /// so only a server's close or the idle timeout can end it.
    pub keep_alive: Option<Duration>,
    /// The max_idle_timeout we announce (default 30 s).
    pub idle_timeout: Duration,
    /// The local address to send from (default: any, on a port the
    /// kernel picks); a generator gives each connection its own, so that
    /// a capture tells them apart by address alone.
    pub local: Option<IpAddr>,
}

impl Options {
    /// Defaults, trusting `ca_file`.
    pub fn new(ca_file: impl Into<PathBuf>) -> Options {
        Options {
            ca_file: ca_file.into(),
            alpn: vec![b"h3".to_vec()],
            keylog: None,
            wait_end: Duration::from_secs(5),
            keep_alive: Some(Duration::from_millis(100)),
            idle_timeout: Duration::from_secs(30),
            local: None,
        }
    }
}

/// How the connection ended, as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The server sent CONNECTION_CLOSE.
    ServerClosed {
        /// Frame type 0x1d (the application's code) rather than 0x1c.
        application: bool,
        /// The error code.
        code: u64,
        /// The reason phrase.
        reason: String,
    },
    /// A stateless reset arrived (RFC 9000 §10.3): the server had no
    /// state for the connection.
    StatelessReset,
    /// The idle timeout expired (RFC 9000 §10.1): nothing was sent.
    IdleTimeout,
    /// We closed, with H3_NO_ERROR, the server having done nothing within
    /// [`Options::wait_end`].
    WeClosed,
    /// Another way (a version mismatch, a transport error we found).
    Other(String),
}

impl Ending {
    fn of(e: &ConnectionError) -> Ending {
        match e {
            ConnectionError::ApplicationClosed(c) => Ending::ServerClosed {
                application: true,
                code: c.error_code.into_inner(),
                reason: String::from_utf8_lossy(&c.reason).into_owned(),
            },
            ConnectionError::ConnectionClosed(c) => Ending::ServerClosed {
                application: false,
                code: u64::from(c.error_code),
                reason: String::from_utf8_lossy(&c.reason).into_owned(),
            },
            ConnectionError::Reset => Ending::StatelessReset,
            ConnectionError::TimedOut => Ending::IdleTimeout,
            ConnectionError::LocallyClosed => Ending::WeClosed,
            other => Ending::Other(other.to_string()),
        }
    }
}

/// What came back.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The ALPN protocol the handshake chose.
    pub alpn: String,
    /// Response status.
    pub status: u16,
    /// Response header fields, lower-case names, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How the connection ended.
    pub ending: Ending,
}

/// One response of [`get_all`].
#[derive(Clone, Debug)]
pub struct Response {
    /// Response status.
    pub status: u16,
    /// Response header fields, lower-case names, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What came back on one connection from [`get_all`].
#[derive(Clone, Debug)]
pub struct FetchedAll {
    /// The ALPN protocol the handshake chose.
    pub alpn: String,
    /// The responses, in the order of the URLs.
    pub responses: Vec<Response>,
    /// When the last response was complete (a load generator's clock
    /// stops there, not after the close).
    pub answered: std::time::Instant,
    /// How the connection ended.
    pub ending: Ending,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL does not parse or has no host.
    #[error("bad URL {0:?}: an https:// URL with a host is needed")]
    Url(String),
    /// The CA file cannot be read.
    #[error("cannot read CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// TLS or QUIC could not be set up.
    #[error("cannot set up QUIC: {0}")]
    Setup(String),
    /// The connection ended before the response was complete (a refused
    /// handshake, such as no ALPN in common: 0x178).
    #[error("the connection ended before the response: {0:?}")]
    Ended(Ending),
    /// HTTP/3 failed on a live connection.
    #[error("HTTP/3: {0}")]
    H3(String),
}

/// GETs `url` from the server at `addr` (the URL's host is the SNI and
/// `:authority`).
///
/// # Errors
///
/// [`Error`]; how the connection ended is in [`Fetched::ending`] when the
/// response came.
pub fn get(url: &str, addr: SocketAddr, options: &Options) -> Result<Fetched, Error> {
    let all = get_all(&[url], addr, options)?;
    let Response {
        status,
        headers,
        body,
    } = all
        .responses
        .into_iter()
        .next()
        .ok_or(Error::Url(url.into()))?;
    Ok(Fetched {
        alpn: all.alpn,
        status,
        headers,
        body,
        ending: all.ending,
    })
}

/// GETs every URL in `urls` on one connection to `addr`, each on its own
/// request stream and all at once (quinn holds back those beyond the
/// server's stream limit until it raises it, RFC 9000 §4.6); the first
/// URL's host is the SNI.
///
/// # Errors
///
/// [`Error`] if any request fails (an empty `urls` is [`Error::Url`]);
/// how the connection ended is in [`FetchedAll::ending`].
pub fn get_all(urls: &[&str], addr: SocketAddr, options: &Options) -> Result<FetchedAll, Error> {
    let mut uris = Vec::with_capacity(urls.len());
    for url in urls {
        uris.push(
            url.parse::<http::Uri>()
                .map_err(|_| Error::Url((*url).into()))?,
        );
    }
    let host = uris
        .first()
        .and_then(http::Uri::host)
        .ok_or_else(|| Error::Url(urls.first().copied().unwrap_or_default().into()))?
        .to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Setup(e.to_string()))?;
    rt.block_on(fetch(uris, host, addr, options))
}

fn client_config(options: &Options) -> Result<quinn::ClientConfig, Error> {
    let ca = |reason: String| Error::CaFile {
        path: options.ca_file.clone(),
        reason,
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&options.ca_file).map_err(|e| ca(e.to_string()))? {
        let cert = cert.map_err(|e| ca(e.to_string()))?;
        roots.add(cert).map_err(|e| ca(e.to_string()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // RFC 9001 §4.2: QUIC uses TLS 1.3 only.
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| Error::Setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = options.alpn.clone();
    if let Some(path) = &options.keylog {
        let log = crate::server::tls::keylog::NssKeyLog::open(path)
            .map_err(|e| Error::Setup(format!("key log {}: {e}", path.display())))?;
        tls.key_log = Arc::new(log);
    }
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(Arc::new(tls))
        .map_err(|e| Error::Setup(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    let mut transport = TransportConfig::default();
    transport
        .max_idle_timeout(Some(
            IdleTimeout::try_from(options.idle_timeout)
                .map_err(|_| Error::Setup("idle timeout too large".into()))?,
        ))
        .keep_alive_interval(options.keep_alive);
    config.transport_config(Arc::new(transport));
    Ok(config)
}

async fn fetch(
    uris: Vec<http::Uri>,
    host: String,
    addr: SocketAddr,
    options: &Options,
) -> Result<FetchedAll, Error> {
    let config = client_config(options)?;
    let local: SocketAddr = match options.local {
        Some(ip) => (ip, 0).into(),
        None if addr.is_ipv6() => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
        None => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
    };
    let mut endpoint = quinn::Endpoint::client(local).map_err(|e| Error::Setup(e.to_string()))?;
    endpoint.set_default_client_config(config);
    let conn = endpoint
        .connect(addr, &host)
        .map_err(|e| Error::Setup(e.to_string()))?
        .await
        .map_err(|e| Error::Ended(Ending::of(&e)))?;
    let alpn = conn
        .handshake_data()
        .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
        .and_then(|d| d.protocol)
        .map(|p| String::from_utf8_lossy(&p).into_owned())
        .unwrap_or_default();
    let ended = |conn: &quinn::Connection, what: String| match conn.close_reason() {
        Some(e) => Error::Ended(Ending::of(&e)),
        None => Error::H3(what),
    };
    let (mut driver, sender) = h3::client::new(h3_quinn::Connection::new(conn.clone()))
        .await
        .map_err(|e| ended(&conn, e.to_string()))?;
    // The driver reads the server's control stream (SETTINGS, GOAWAY).
    let drive = tokio::spawn(async move { driver.wait_idle().await });
    let mut requests = tokio::task::JoinSet::new();
    for (i, uri) in uris.into_iter().enumerate() {
        let request = http::Request::get(uri)
            .body(())
            .map_err(|e| Error::H3(e.to_string()))?;
        let mut sender = sender.clone();
        requests.spawn(async move { (i, one(&mut sender, request).await) });
    }
    let mut responses = vec![None; requests.len()];
    while let Some(done) = requests.join_next().await {
        let (i, result) = done.map_err(|e| Error::H3(e.to_string()))?;
        responses[i] = Some(result.map_err(|e| ended(&conn, e.to_string()))?);
    }
    let responses = responses.into_iter().flatten().collect();
    let answered = std::time::Instant::now();
    // Keep `sender` alive while waiting: dropping the last one closes the
    // connection from our side.
    let ending = match tokio::time::timeout(options.wait_end, conn.closed()).await {
        Ok(e) => Ending::of(&e),
        Err(_) => {
            conn.close(VarInt::from_u32(H3_NO_ERROR), b"");
            Ending::WeClosed
        }
    };
    drop(sender);
    drive.abort();
    // Let our close (if any) reach the wire.
    let _ = tokio::time::timeout(Duration::from_secs(1), endpoint.wait_idle()).await;
    Ok(FetchedAll {
        alpn,
        responses,
        answered,
        ending,
    })
}

/// One request on its own stream, its body empty (RFC 9114 §4.1), and the
/// whole response.
async fn one(
    sender: &mut h3::client::SendRequest<h3_quinn::OpenStreams, bytes::Bytes>,
    request: http::Request<()>,
) -> Result<Response, h3::error::StreamError> {
    let mut stream = sender.send_request(request).await?;
    stream.finish().await?;
    let response = stream.recv_response().await?;
    let mut body = Vec::new();
    while let Some(mut chunk) = stream.recv_data().await? {
        while chunk.has_remaining() {
            let part = chunk.chunk();
            body.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(Response {
        status: response.status().as_u16(),
        headers,
        body,
    })
}
