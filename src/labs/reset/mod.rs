//! The reset lab: cause a teardown, capture it, classify it, explain it.
//!
//! One [`run()`] starts the teaching server in-process on an ephemeral loopback
//! port in the chosen read mode, starts a libpcap capture filtered to that
//! port, runs a client (the scripted raw client or real curl), waits until
//! the connection is torn down, and then gathers three independent witnesses:
//!
//! 1. **packets**: the analyzer's verdict on the capture (and Zeek's
//!    `conn_state`/`history`), with the frames that decided it;
//! 2. **client**: what the client asked for and got, and whether its last read
//!    was a clean EOF (the server's FIN) or ECONNRESET (the server's RST);
//! 3. **kernel**: deltas of `TcpExtTCPAbortOnClose`, `TcpExtTCPAbortOnData`
//!    and `TcpOutRsts`, exact when the run has its own network namespace.
//!
//! The capture is read once (`watch`): each frame feeds the analyzer, the
//! ladder and the teardown watch together, with no file read back.
//!
//! The server's own event log (how it closed, how many bytes it left unread)
//! explains the verdict; [`explain`] turns it into one sentence with its RFC.
//! Where the witnesses disagree, [`explain::disagreements`] says so. The
//! witnesses are typed values ([`witness`]); words are made only by
//! [`render`] and [`document`].
//!
//! HTTP/2 runs (`--proto h2c-upgrade|h2-prior`, with curl or nghttp) go
//! through the same loop; the server's GOAWAYs and streams become a
//! [`witness::ServerH2`], and [`explain`] hands them to `explain_h2`, whose
//! sentences cite RFC 9113 §6.8.
//!
//! TLS runs (`--tls`) serve HTTP/1.1, or HTTP/2 chosen by ALPN
//! ([`Proto::H2`]), over rustls with a key log in the run's directory; the capture is read with that key log, and [`tls`]
//! tells the TLS ending (close_notify by whom, truncation, alert) beside
//! TCP's FIN or RST.
//!
//! Runs through a proxy (`--via nginx`) start Debian's nginx in front of the
//! server in the same namespace and capture both ports: [`proxy`] splits the
//! connections into the client's leg and the upstream leg, gives each its
//! verdict, and keeps nginx's error log as a fourth witness; the verdict and
//! the server's log speak of the upstream leg, the client witness of the
//! client's.
//!
//! Dependencies go one way: `run` → `watch` → `ladder`; `run` → `explain` →
//! `explain_h2`, `witness`, `ladder`; `render` and `document` read a finished
//! [`run::ResetRun`]; [`series`] counts a `--repeat` series of them for `document`.

mod clients;
pub mod document;
pub mod explain;
mod explain_h2;
pub mod ladder;
pub mod proxy;
mod proxy_text;
pub mod render;
pub mod run;
pub mod series;
pub mod tls;
mod tls_client;
mod watch;
pub mod witness;

use std::path::PathBuf;

pub use run::{Error, run, run_repeated};
pub use series::Series;

use crate::http::{Framing, Version};
use crate::labs::H2Way;
use crate::server::{Http2, ReadMode};

/// Which client the lab drives the server with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    /// wirelab's scripted raw client: exact bytes, exact end (EOF or ECONNRESET).
    Own,
    /// Real curl, the tool people meet "(56) Recv failure" in.
    Curl,
    /// Real nghttp (HTTP/2 only): a client that reads to the end.
    Nghttp,
    /// Real `openssl s_client` (TLS only): the TLS engineer's probe.
    Openssl,
}

/// The protocol the lab's client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Proto {
    /// HTTP/1.x (the version is [`ResetOptions::http_version`]).
    H1,
    /// HTTP/2 reached by `Upgrade: h2c` (RFC 7540 §3.2).
    H2cUpgrade,
    /// HTTP/2 by prior knowledge (RFC 9113 §3.3).
    H2Prior,
    /// HTTP/2 over TLS, chosen by ALPN `h2` (RFC 9113 §3.2; `--tls` only).
    H2,
}

impl Proto {
    /// The flag's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::H1 => "h1",
            Proto::H2cUpgrade => "h2c-upgrade",
            Proto::H2Prior => "h2-prior",
            Proto::H2 => "h2",
        }
    }

    /// How the client chooses HTTP/2 on a cleartext port, `None` for
    /// HTTP/1.x and for TLS (where ALPN chooses it).
    pub fn h2(self) -> Option<H2Way> {
        match self {
            Proto::H1 | Proto::H2 => None,
            Proto::H2cUpgrade => Some(H2Way::Upgrade),
            Proto::H2Prior => Some(H2Way::PriorKnowledge),
        }
    }
}

/// What one lab run does.
#[derive(Clone, Debug)]
pub struct ResetOptions {
    /// The server's read mode: the lab's main knob.
    pub mode: ReadMode,
    /// Bytes `partial` reads.
    pub partial_bytes: usize,
    /// Which client.
    pub client: ClientKind,
    /// The protocol the client speaks.
    pub proto: Proto,
    /// Which ways into HTTP/2 the server accepts (`--http2 off` shows a
    /// server without it).
    pub server_http2: Http2,
    /// Response framing. `close` (no length, as in the Go story) is the default:
    /// the client then needs the close to be a FIN to know the body ended.
    pub framing: Framing,
    /// The HTTP version the client speaks (curl's `--http1.0`, as in the
    /// story the project began with).
    pub http_version: Version,
    /// Response body size.
    pub body_size: usize,
    /// Status of the response.
    pub status: u16,
    /// Request body bytes (a POST when non-zero).
    pub request_body: usize,
    /// Junk bytes the client sends after the response has arrived (own client).
    pub late_bytes: usize,
    /// Requests sent in one write (own client); more than 1 is pipelining.
    pub pipeline: usize,
    /// The keep-alive race: two requests on one persistent connection, the
    /// server closing the "idle" connection as the second arrives.
    pub keepalive_race: bool,
    /// The server answers as soon as the head is parsed (early 413 pattern).
    pub respond_before_body: bool,
    /// The client stops reading this long after sending (a slow reader): a
    /// large response then backs up into the server's send queue, and the
    /// RST of the server's close discards that unsent tail.
    pub client_pause: Option<std::time::Duration>,
    /// Keep the capture here.
    pub save_pcap: Option<PathBuf>,
    /// Run in a private network namespace when possible (exact counters).
    pub isolate: bool,
    /// Serve TLS (HTTP/1.1 over rustls) instead of cleartext.
    pub tls: Option<tls::TlsLab>,
    /// Put a real reverse proxy between the client and the server: the
    /// capture then holds both legs ([`proxy`]).
    pub via: Option<proxy::Proxy>,
}

impl Default for ResetOptions {
    fn default() -> Self {
        ResetOptions {
            mode: ReadMode::NoRead,
            partial_bytes: 10,
            client: ClientKind::Own,
            proto: Proto::H1,
            server_http2: Http2::Both,
            framing: Framing::Close,
            http_version: Version::Http11,
            body_size: 128,
            status: 200,
            request_body: 0,
            late_bytes: 0,
            pipeline: 1,
            keepalive_race: false,
            respond_before_body: false,
            client_pause: None,
            save_pcap: None,
            isolate: true,
            tls: None,
            via: None,
        }
    }
}

impl ResetOptions {
    /// Checks combinations the clients cannot do.
    ///
    /// # Errors
    ///
    /// The first [`Conflict`] found.
    pub fn validate(&self) -> Result<(), Conflict> {
        self.validate_tls()?;
        self.validate_proto()?;
        self.validate_via()?;
        if self.client == ClientKind::Curl {
            if self.late_bytes > 0 {
                return Err(Conflict::LateBytesNeedOwnClient);
            }
            if self.pipeline > 1 {
                return Err(Conflict::PipelineNeedsOwnClient);
            }
        }
        if self.pipeline == 0 {
            return Err(Conflict::NoRequest);
        }
        if self.keepalive_race && matches!(self.framing, Framing::Close | Framing::Bare) {
            return Err(Conflict::RaceNeedsDelimitedBody);
        }
        if self.keepalive_race && self.http_version == Version::Http10 {
            return Err(Conflict::RaceNeedsHttp11);
        }
        if self.keepalive_race && self.pipeline > 1 {
            return Err(Conflict::RaceWithPipeline);
        }
        Ok(())
    }

    /// What a run through a proxy can do: HTTP/1.1 in cleartext, a client
    /// that speaks to the proxy as to any server (the raw client's late
    /// bytes and pipelines would stage the proxy's behaviour, not the
    /// server's).
    fn validate_via(&self) -> Result<(), Conflict> {
        if self.via.is_none() {
            return Ok(());
        }
        if self.tls.is_some() || self.proto != Proto::H1 {
            return Err(Conflict::ViaCleartextHttp1);
        }
        if self.late_bytes > 0 {
            return Err(Conflict::ViaScenario(Http1Scenario::LateBytes));
        }
        if self.pipeline > 1 {
            return Err(Conflict::ViaScenario(Http1Scenario::Pipeline));
        }
        Ok(())
    }

    /// What a TLS run can do: HTTP/1.1 over TLS, with own, curl or openssl,
    /// each offering what it can speak.
    fn validate_tls(&self) -> Result<(), Conflict> {
        let Some(tls) = &self.tls else {
            return match (self.client, self.proto) {
                (ClientKind::Openssl, _) => Err(Conflict::OpensslNeedsTls),
                (_, Proto::H2) => Err(Conflict::H2NeedsTls),
                _ => Ok(()),
            };
        };
        if self.client == ClientKind::Nghttp {
            return Err(Conflict::TlsClient);
        }
        match (self.proto, self.client) {
            (Proto::H2cUpgrade | Proto::H2Prior, _) => return Err(Conflict::TlsRunsHttp1),
            (Proto::H2, ClientKind::Openssl) => return Err(Conflict::OpensslSpeaksNoH2),
            _ => {}
        }
        let h2 = self.proto == Proto::H2;
        match self.client {
            ClientKind::Own if !h2 && tls.offer.iter().any(|p| p == "h2") => {
                Err(Conflict::OwnTlsOffersH2)
            }
            ClientKind::Curl if crate::labs::curl::CurlAlpn::of(&tls.offer).is_none() => {
                Err(Conflict::CurlAlpnOffer)
            }
            ClientKind::Own | ClientKind::Openssl if self.keepalive_race => {
                Err(Conflict::TlsScenario(Http1Scenario::KeepaliveRace))
            }
            ClientKind::Own | ClientKind::Openssl if self.late_bytes > 0 => {
                Err(Conflict::TlsScenario(Http1Scenario::LateBytes))
            }
            ClientKind::Openssl if self.client_pause.is_some() => {
                Err(Conflict::PauseNeedsPausingClient)
            }
            ClientKind::Openssl if self.request_body > 0 || self.pipeline > 1 => {
                Err(Conflict::OpensslOneGet)
            }
            _ => Ok(()),
        }
    }

    /// The client/protocol pairs the lab can run, and the HTTP/1-only knobs.
    /// Supported: `h1` with own or curl; `h2c-upgrade` and `h2-prior` with
    /// own, curl or nghttp.
    fn validate_proto(&self) -> Result<(), Conflict> {
        match (self.proto, self.client) {
            (Proto::H1, ClientKind::Nghttp) => return Err(Conflict::NghttpNeedsHttp2),
            (Proto::H2cUpgrade | Proto::H2Prior, ClientKind::Openssl) => {
                return Err(Conflict::TlsRunsHttp1);
            }
            (Proto::H2, ClientKind::Openssl) => return Err(Conflict::OpensslSpeaksNoH2),
            (Proto::H2Prior | Proto::H2, ClientKind::Own)
                if self.request_body > crate::client::h2::MAX_PRIOR_BODY =>
            {
                return Err(Conflict::PriorBodyOverWindow {
                    limit: crate::client::h2::MAX_PRIOR_BODY,
                });
            }
            (Proto::H2cUpgrade | Proto::H2Prior | Proto::H2, ClientKind::Own)
                if self.client_pause.is_some() =>
            {
                return Err(Conflict::Http2PauseNeedsCurl);
            }
            _ => {}
        }
        if self.proto == Proto::H1 {
            return Ok(());
        }
        let h1_only = [
            (self.http_version == Version::Http10, Http1Scenario::Http10),
            (self.keepalive_race, Http1Scenario::KeepaliveRace),
            (self.respond_before_body, Http1Scenario::RespondBeforeBody),
            (self.late_bytes > 0, Http1Scenario::LateBytes),
            (self.pipeline > 1, Http1Scenario::Pipeline),
        ];
        if let Some(&(_, scenario)) = h1_only.iter().find(|(set, _)| *set) {
            return Err(Conflict::Http1Only(scenario));
        }
        if self.client == ClientKind::Nghttp && self.request_body > 0 {
            return Err(Conflict::Http2BodyNeedsCurl);
        }
        if self.client == ClientKind::Nghttp && self.client_pause.is_some() {
            return Err(Conflict::PauseNeedsPausingClient);
        }
        Ok(())
    }
}

/// A setting of [`ResetOptions`] that makes sense with HTTP/1.x only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Http1Scenario {
    /// An HTTP/1.0 request ([`ResetOptions::http_version`]).
    #[error("HTTP/1.0")]
    Http10,
    /// The keep-alive race ([`ResetOptions::keepalive_race`]).
    #[error("the keep-alive race")]
    KeepaliveRace,
    /// The early answer ([`ResetOptions::respond_before_body`]).
    #[error("answering before the body")]
    RespondBeforeBody,
    /// Bytes after the response ([`ResetOptions::late_bytes`]).
    #[error("late bytes")]
    LateBytes,
    /// Pipelining ([`ResetOptions::pipeline`]).
    #[error("pipelining")]
    Pipeline,
}

/// Options of a [`ResetOptions`] that cannot go together, named by what
/// they mean; the command line words them with its flags.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// Late bytes are sent by the raw client only.
    #[error("late bytes need the raw client: curl sends nothing after the response")]
    LateBytesNeedOwnClient,
    /// Pipelining is done by the raw client only.
    #[error("pipelining needs the raw client: curl no longer pipelines")]
    PipelineNeedsOwnClient,
    /// A pipeline of zero requests.
    #[error("at least one request must be sent")]
    NoRequest,
    /// The keep-alive race needs a response whose end is not the close
    /// (RFC 9112 §6.3: a close-delimited body ends the connection).
    #[error(
        "the keep-alive race needs a length or chunked body: a close-delimited body ends the connection"
    )]
    RaceNeedsDelimitedBody,
    /// The keep-alive race needs a persistent connection.
    #[error("the keep-alive race needs HTTP/1.1: an HTTP/1.0 request closes after its answer")]
    RaceNeedsHttp11,
    /// Two scenarios asked at once.
    #[error("the keep-alive race and pipelining are separate scenarios: pick one")]
    RaceWithPipeline,
    /// nghttp speaks HTTP/2 only.
    #[error("nghttp speaks only HTTP/2: choose an HTTP/2 protocol")]
    NghttpNeedsHttp2,
    /// The raw client sends a prior-knowledge request body within the
    /// server's initial flow-control window (RFC 9113 §6.9.2: 65 535 bytes
    /// before any WINDOW_UPDATE), so a larger body needs curl.
    #[error(
        "a request body over {limit} bytes by prior knowledge needs curl: the raw client sends its body within the server's initial window"
    )]
    PriorBodyOverWindow {
        /// The largest body the raw client sends this way.
        limit: usize,
    },
    /// `lab negotiate` over HTTP/1.x: nothing is negotiated.
    #[error("nothing is negotiated over HTTP/1.x: choose an HTTP/2 protocol")]
    NothingNegotiated,
    /// The raw client's HTTP/2 does not pause mid-request.
    #[error("pausing an HTTP/2 client needs curl")]
    Http2PauseNeedsCurl,
    /// An HTTP/1.x scenario asked with an HTTP/2 protocol.
    #[error("{0} is an HTTP/1 scenario")]
    Http1Only(Http1Scenario),
    /// A request body over HTTP/2 is sent by curl only.
    #[error("a request body over HTTP/2 needs curl")]
    Http2BodyNeedsCurl,
    /// nghttp reads to the end: it cannot pause.
    #[error("pausing the client needs curl or the raw client: nghttp and openssl read to the end")]
    PauseNeedsPausingClient,
    /// `openssl s_client` speaks TLS only.
    #[error("openssl s_client is a TLS client: add TLS")]
    OpensslNeedsTls,
    /// Over TLS, HTTP/2 is chosen by ALPN, never by Upgrade or prior
    /// knowledge (RFC 9113 §3.2, §3.3).
    #[error("over TLS HTTP/2 is chosen by ALPN (h2), not by h2c-upgrade or h2-prior")]
    TlsRunsHttp1,
    /// HTTP/2 by ALPN needs TLS.
    #[error("HTTP/2 by ALPN is HTTP/2 over TLS: add TLS (in cleartext: h2c-upgrade or h2-prior)")]
    H2NeedsTls,
    /// s_client carries bytes from its stdin: it cannot speak HTTP/2's
    /// frames, SETTINGS acknowledgements and HPACK.
    #[error("openssl s_client cannot speak HTTP/2 frames: use the raw client or curl")]
    OpensslSpeaksNoH2,
    /// nghttp is not one of the TLS lab's clients.
    #[error("over TLS the clients are the raw client, curl and openssl")]
    TlsClient,
    /// The raw client offers h2 only when it speaks HTTP/2 over TLS.
    #[error("the raw client offers h2 only with HTTP/2 over TLS")]
    OwnTlsOffersH2,
    /// curl's ALPN offers are fixed by its flags.
    #[error("curl offers only http/1.1 (--http1.1), h2,http/1.1 (--http2) or nothing (--no-alpn)")]
    CurlAlpnOffer,
    /// A scenario the TLS clients do not stage.
    #[error("{0} is not staged over TLS with this client")]
    TlsScenario(Http1Scenario),
    /// The proxy lab runs HTTP/1.1 in cleartext on both legs.
    #[error("a run through a proxy speaks HTTP/1.1 in cleartext: no TLS, no HTTP/2")]
    ViaCleartextHttp1,
    /// A scenario that would stage the proxy rather than the server.
    #[error("{0} is not staged through a proxy")]
    ViaScenario(Http1Scenario),
    /// s_client sends one GET from its stdin.
    #[error(
        "openssl s_client sends one GET: a request body or a pipeline needs the raw client or curl"
    )]
    OpensslOneGet,
}
