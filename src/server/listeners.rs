//! The server's listening sockets: the cleartext port, the TLS port, or
//! both (`--tls-port`), registered with the poller under their own tokens.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use mio::net::TcpListener;
use mio::{Interest, Poll, Token};

use super::tls::{self, Alpn, TlsListen, TlsVersions};
use super::transport::plain;
use super::{Config, Error, Event};

pub(super) const LISTENER: Token = Token(0);
/// Connections take tokens from 2 up (their id + 1), so the TLS
/// listener takes the other end.
pub(super) const TLS_LISTENER: Token = Token(usize::MAX);

/// The TLS port and what its connections need.
pub(super) struct TlsListener {
    pub listener: TcpListener,
    pub config: Arc<rustls::ServerConfig>,
    /// The HTTP/3 endpoint's TLS, when `--h3` is on.
    #[cfg_attr(not(feature = "h3"), allow(dead_code))]
    pub quic: Option<Arc<rustls::ServerConfig>>,
    pub ca_pem: Option<String>,
    alpn: Vec<Alpn>,
    versions: TlsVersions,
}

pub(super) struct Listeners {
    /// The cleartext listener; `None` with TLS only.
    pub plain: Option<TcpListener>,
    pub tls: Option<TlsListener>,
}

impl Listeners {
    /// Binds what `config` asks for; TLS's configuration is built here,
    /// once.
    pub fn open(config: &Config, poll: &Poll) -> Result<Listeners, Error> {
        let listen = |addr: SocketAddr, token: Token| -> Result<TcpListener, Error> {
            let mut l = plain::listen(addr, config.backlog)
                .map_err(|source| Error::Bind { addr, source })?;
            poll.registry()
                .register(&mut l, token, Interest::READABLE)
                .map_err(Error::Poll)?;
            Ok(l)
        };
        let Some(settings) = &config.tls else {
            return Ok(Listeners {
                plain: Some(listen(config.bind, LISTENER)?),
                tls: None,
            });
        };
        let built = tls::build(settings, config.http2, config.h3.is_some())?;
        let (plain, tls_addr) = match settings.listen {
            TlsListen::Only => (None, config.bind),
            TlsListen::Beside(addr) => (Some(listen(config.bind, LISTENER)?), addr),
        };
        let tls = TlsListener {
            listener: listen(tls_addr, TLS_LISTENER)?,
            config: built.config,
            quic: built.quic,
            ca_pem: built.ca_pem,
            alpn: built.alpn,
            versions: settings.versions,
        };
        Ok(Listeners {
            plain,
            tls: Some(tls),
        })
    }

    /// The cleartext listener's address, or the TLS one's with TLS only.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match (&self.plain, &self.tls) {
            (Some(l), _) => l.local_addr(),
            (None, Some(t)) => t.listener.local_addr(),
            (None, None) => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls.as_ref().and_then(|t| t.listener.local_addr().ok())
    }

    /// The listener for `tls` or cleartext connections.
    pub fn get(&self, tls: bool) -> Option<&TcpListener> {
        if tls {
            self.tls.as_ref().map(|t| &t.listener)
        } else {
            self.plain.as_ref()
        }
    }

    /// The `listening` lines, one per port.
    pub fn announce(&self, config: &Config) -> Vec<Event> {
        let (mode, framing) = (config.mode, config.framing);
        let mut out = Vec::new();
        if let Some(Ok(addr)) = self.plain.as_ref().map(TcpListener::local_addr) {
            out.push(Event::Listening {
                addr,
                mode,
                framing,
            });
        }
        if let Some(t) = &self.tls
            && let Ok(addr) = t.listener.local_addr()
        {
            out.push(Event::ListeningTls {
                addr,
                mode,
                framing,
                alpn: t.alpn.clone(),
                versions: t.versions,
            });
        }
        out
    }
}
