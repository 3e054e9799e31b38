//! The discovery lab (`lab discover`): how a client finds HTTP/3 at all,
//! and how each of the connections it made ended.
//!
//! A browser never tries QUIC on a hunch: the `https://` URL names a TCP
//! port, and HTTP/3 needs UDP. It learns of an `h3` endpoint from the
//! origin's DNS `HTTPS` record (RFC 9460 §9: `alpn` and `port` before any
//! connection) or from an `Alt-Svc` header on a response it fetched over
//! TCP (RFC 7838 §3; RFC 9114 §3.1.1). One [`run()`] puts every part of that
//! on loopback, in its own network namespace when it can:
//!
//! 1. the DNS responder of [`crate::dns_server`] for `wirelab.test`: A,
//!    AAAA and `HTTPS 1 . alpn=h3,h2 port=PORT`;
//! 2. the teaching server with TLS on TCP PORT (it advertises
//!    `Alt-Svc: h3=":PORT"`) and HTTP/3 on UDP PORT, with a certificate for
//!    the origin ([`cert`]) and a key log;
//! 3. a capture of both, written beside that key log;
//! 4. one client ([`DiscoverClient`]): the project's own (it resolves,
//!    fetches over TCP and sees Alt-Svc, then fetches over HTTP/3),
//!    gtlsclient, aioquic, curl or dig ([`clients`]).
//!
//! Then the capture is read as `lab analyze --keylog` reads it
//! ([`timeline`]): DNS answers, each TCP connection's TLS hello and its FIN
//! or RST verdict, each QUIC connection's Initial (SNI, ALPN, transport
//! parameters: readable by anyone, RFC 9001 §5.2), its HTTP/3 response and
//! its ending. [`expect`] holds a run to what CI asks; [`render`] words it.
//!
//! Dependencies go one way: `run` → `clients` (→ [`aioquic`]), `cert`, `resolve`,
//! `timeline`; `expect` and `render` read a finished [`DiscoverRun`].

pub mod aioquic;
pub mod cert;
pub mod clients;
pub mod document;
pub mod expect;
pub mod render;
pub mod resolve;
pub mod run;
pub mod timeline;
pub mod verdict;

use std::path::PathBuf;
use std::time::Duration;

pub use expect::Expect;
pub use run::{DiscoverRun, Error, run};

use crate::server::H3Close;

/// The origin the lab serves: a name under `.test`, which RFC 6761 §6.2
/// keeps out of the real DNS.
pub const ORIGIN_HOST: &str = "wirelab.test";

/// Which client looks for HTTP/3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscoverClient {
    /// The project's own: its DNS code for the records, rustls over TCP
    /// (where it reads Alt-Svc), then quinn and h3 over UDP.
    Own,
    /// Debian's `gtlsclient` (ngtcp2): a real HTTP/3 client that reads no
    /// DNS record itself; the lab resolves and hands it address and port.
    Gtlsclient,
    /// Python's aioquic (PyPI; `scripts/setup` puts it in a venv): the
    /// lab's small client script on aioquic's API, handed address and
    /// port as gtlsclient is; it checks the certificate and writes its own
    /// key log.
    Aioquic,
    /// curl: Debian's has no HTTP/3; it fetches over TCP and keeps the
    /// Alt-Svc entry in its `--alt-svc` cache file.
    Curl,
    /// `dig`: the DNS answer alone.
    Dig,
}

impl DiscoverClient {
    /// The flag's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DiscoverClient::Own => "own",
            DiscoverClient::Gtlsclient => "gtlsclient",
            DiscoverClient::Aioquic => "aioquic",
            DiscoverClient::Curl => "curl",
            DiscoverClient::Dig => "dig",
        }
    }

    /// Whether it speaks HTTP/3 at all.
    pub fn speaks_h3(self) -> bool {
        matches!(
            self,
            DiscoverClient::Own | DiscoverClient::Gtlsclient | DiscoverClient::Aioquic
        )
    }
}

/// What one run does.
#[derive(Clone, Debug)]
pub struct DiscoverOptions {
    /// The client.
    pub client: DiscoverClient,
    /// How the server ends each QUIC connection after its response.
    pub h3_close: H3Close,
    /// The max_idle_timeout the server announces (RFC 9000 §10.1): `idle`
    /// takes this long, and the capture stays open this long after the
    /// last packet so that the silence shows in it.
    pub h3_idle_timeout: Duration,
    /// TCP and UDP port of the server (the HTTPS record's `port`).
    pub port: u16,
    /// UDP and TCP port of the DNS responder.
    pub dns_port: u16,
    /// Keep the capture, key log and logs here.
    pub out: Option<PathBuf>,
    /// Run in a private network namespace when possible.
    pub isolate: bool,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            client: DiscoverClient::Own,
            h3_close: H3Close::Graceful,
            h3_idle_timeout: Duration::from_secs(1),
            port: 8443,
            dns_port: 5300,
            out: None,
            isolate: true,
        }
    }
}
