//! The clients' words: what common HTTP clients and proxies report when a
//! server's RST ends an HTTP/1 exchange in each of a few shapes, so a
//! diagnosis can say "curl would report (56) ..." beside the packets.
//!
//! Each row is either measured (tests/client_words.rs runs the client
//! against the teaching server staged in that shape, from a real socket,
//! and fails when the client says something else) or cited (a client not
//! installed here: Go's net/http, Envoy), with its source. The words are
//! the clients' own, versions as on Debian 12: curl 7.88.1, Python 3.11
//! (`http.client`, which `urllib.request` wraps), python3-requests 2.28.1,
//! Node.js 20, nginx 1.22.1.

use std::fmt;

use crate::app::{ExchangeOutcome, ExchangeReport};
use crate::teardown::Role;

use super::cause::Cause;
use super::facts::Facts;

/// How a server's RST met an HTTP/1 exchange, as a client feels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// The request arrived whole; no response byte came before the RST.
    BeforeResponse,
    /// The RST cut a response whose end its framing marks (Content-Length,
    /// chunked): the end never came.
    PartialResponse,
    /// The response's body was to end at the close (no length, RFC 9112
    /// §6.3 rule 8), and a RST came instead of the FIN that would end it.
    CloseDelimited,
    /// The whole response (its end included) was sent, then the RST came
    /// before the client had finished with the connection.
    WholeResponse,
    /// The keep-alive race: a request on a reused connection drew the RST
    /// (RFC 9112 §9.5), from a server that closed it as the request came or
    /// (`no-socket`) no longer had it: the client sees the same.
    KeepAliveRace,
    /// The RST came while the request's body was still being sent, before
    /// any response.
    Upload,
}

impl Shape {
    /// Every shape, in a fixed order.
    pub const ALL: [Shape; 6] = [
        Shape::BeforeResponse,
        Shape::PartialResponse,
        Shape::CloseDelimited,
        Shape::WholeResponse,
        Shape::KeepAliveRace,
        Shape::Upload,
    ];

    /// The stable name (JSON `client_words.shape`).
    pub fn name(self) -> &'static str {
        match self {
            Shape::BeforeResponse => "before-response",
            Shape::PartialResponse => "partial-response",
            Shape::CloseDelimited => "close-delimited",
            Shape::WholeResponse => "whole-response",
            Shape::KeepAliveRace => "keep-alive-race",
            Shape::Upload => "upload",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A client or proxy whose words the table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Client {
    /// curl: its exit status and its one-line message.
    Curl,
    /// Python's `http.client` (and `urllib.request`, which raises the same
    /// exceptions wrapped in `URLError` only for connection failures).
    PythonHttpClient,
    /// Python `requests` (over urllib3).
    PythonRequests,
    /// Node.js's `http` module, with a keep-alive agent.
    Node,
    /// nginx as a reverse proxy: what its client gets, and its error log.
    Nginx,
    /// Go's `net/http` client.
    GoNetHttp,
    /// Envoy as a reverse proxy: the status, response flag and details.
    Envoy,
}

impl Client {
    /// The name shown to users.
    pub fn name(self) -> &'static str {
        match self {
            Client::Curl => "curl",
            Client::PythonHttpClient => "Python http.client",
            Client::PythonRequests => "Python requests",
            Client::Node => "Node.js http",
            Client::Nginx => "nginx (proxy)",
            Client::GoNetHttp => "Go net/http",
            Client::Envoy => "Envoy (proxy)",
        }
    }
}

/// Where a row's words come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Run by tests/client_words.rs on every test run.
    Measured,
    /// Not installable here: the address of what the words are taken from.
    Cited(&'static str),
}

/// What one client reports for one shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// The shape.
    pub shape: Shape,
    /// The client.
    pub client: Client,
    /// What it reports; a race between the RST and the client's own reads
    /// and writes can make it say any of these (the first is the usual).
    pub says: &'static [&'static str],
    /// Measured or cited.
    pub source: Source,
}

const GO_RESET: &str = "https://github.com/cuvva/cuvva-public-go/pull/352";
const GO_RACE: &str = "https://github.com/golang/go/issues/22158";
const ENVOY_UC: &str = "https://github.com/envoyproxy/envoy/issues/40094";
const ENVOY_RACE: &str = "https://github.com/envoyproxy/envoy/issues/2324";

const CURL_56: &str = "exit 56: (56) Recv failure: Connection reset by peer";
const PY_RESET: &str = "ConnectionResetError: [Errno 104] Connection reset by peer";
const RQ_ABORTED: &str = "ConnectionError: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))";
const RQ_BROKEN: &str = "ChunkedEncodingError: (\"Connection broken: ConnectionResetError(104, \
                         'Connection reset by peer')\", ConnectionResetError(104, 'Connection \
                         reset by peer'))";
const NODE_READ: &str = "ECONNRESET: read ECONNRESET";
const NGINX_HEADER: &str = "502 to its client; error log: recv() failed (104: Connection reset by \
                            peer) while reading response header from upstream";
const NGINX_LENGTH: &str = "the upstream's status, the body cut short, to its client (curl exit 18: (18) transfer closed with N \
                            bytes remaining to read); error log: readv() failed (104: Connection \
                            reset by peer) while reading upstream";
const NGINX_CHUNKED: &str = "the upstream's status, the body cut short, to its client (curl exit 18: (18) transfer closed with \
                             outstanding read data remaining); error log: readv() failed (104: \
                             Connection reset by peer) while reading upstream";
const GO_READ: &str = "read tcp C->S: read: connection reset by peer";
const ENVOY_503: &str = "503, response flag UC, details \
                         upstream_reset_before_response_started{connection_termination}, body \
                         `upstream connect error or disconnect/reset before headers. reset \
                         reason: connection termination`";

const fn measured(shape: Shape, client: Client, says: &'static [&'static str]) -> Words {
    Words {
        shape,
        client,
        says,
        source: Source::Measured,
    }
}

const fn cited(
    shape: Shape,
    client: Client,
    says: &'static [&'static str],
    url: &'static str,
) -> Words {
    Words {
        shape,
        client,
        says,
        source: Source::Cited(url),
    }
}

use Client::{Curl, Envoy, GoNetHttp, Nginx, Node, PythonHttpClient as Py, PythonRequests as Rq};
use Shape::{
    BeforeResponse as Before, CloseDelimited as Close, KeepAliveRace as Race,
    PartialResponse as Partial, Upload, WholeResponse as Whole,
};

/// The table, shape by shape.
pub const TABLE: &[Words] = &[
    measured(Before, Curl, &[CURL_56]),
    measured(Before, Py, &[PY_RESET]),
    measured(Before, Rq, &[RQ_ABORTED]),
    measured(Before, Node, &[NODE_READ]),
    measured(Before, Nginx, &[NGINX_HEADER]),
    cited(Before, GoNetHttp, &[GO_READ], GO_RESET),
    cited(Before, Envoy, &[ENVOY_503], ENVOY_UC),
    measured(Partial, Curl, &[CURL_56]),
    measured(Partial, Py, &[PY_RESET]),
    measured(Partial, Rq, &[RQ_BROKEN]),
    measured(Partial, Node, &[NODE_READ]),
    measured(Partial, Nginx, &[NGINX_LENGTH]),
    measured(Close, Curl, &[CURL_56]),
    measured(Close, Py, &[PY_RESET]),
    measured(Close, Rq, &[RQ_BROKEN]),
    // A race: Node's http parser may have taken every byte the kernel
    // queued before the RST is read (the body ends at the close, so Node
    // sees no error), or the RST comes first (ECONNRESET). Both were seen
    // in the test suite's runs, the second on a loaded machine.
    measured(Close, Node, &["no error: the whole response", NODE_READ]),
    measured(Close, Nginx, &[NGINX_CHUNKED]),
    measured(Whole, Curl, &["exit 0"]),
    measured(Whole, Py, &["no error: the whole response"]),
    measured(Whole, Rq, &["no error: the whole response"]),
    measured(Whole, Node, &["no error: the whole response"]),
    measured(
        Whole,
        Nginx,
        // Which one is a race: nginx has either read the whole response
        // before the RST lands (nothing logged) or not yet (readv fails);
        // both were seen in the test suite's runs.
        &[
            "the upstream's status to its client; error log: nothing at level error",
            "the upstream's status to its client; error log: readv() failed (104: Connection reset by peer) while reading upstream",
        ],
    ),
    measured(
        Race,
        Curl,
        &["exit 0 after `Connection died, retrying a fresh connect` (a silent retry)"],
    ),
    measured(Race, Py, &[PY_RESET]),
    measured(Race, Rq, &[RQ_ABORTED]),
    measured(Race, Node, &[NODE_READ]),
    measured(
        Race,
        Nginx,
        &[
            "the upstream's status to both requests to its client (the second after a retry \
             on a new upstream connection); error log: recv() failed (104: Connection \
             reset by peer) while reading response header from upstream",
        ],
    ),
    cited(
        Race,
        GoNetHttp,
        &[
            "retries an idempotent request on a new connection; else `http: server closed idle \
           connection` or `read: connection reset by peer`",
        ],
        GO_RACE,
    ),
    cited(
        Race,
        Envoy,
        &[
            "503 UC, upstream_reset_before_response_started{connection_termination} (no retry \
           unless a retry policy allows it)",
        ],
        ENVOY_RACE,
    ),
    measured(Upload, Curl, &[CURL_56]),
    measured(Upload, Py, &[PY_RESET]),
    measured(Upload, Rq, &[RQ_ABORTED]),
    measured(Upload, Node, &[NODE_READ]),
    measured(Upload, Nginx, &[NGINX_HEADER]),
    cited(Upload, Envoy, &[ENVOY_503], ENVOY_UC),
];

/// The rows of one shape, in the table's order.
pub fn of(shape: Shape) -> impl Iterator<Item = &'static Words> {
    TABLE.iter().filter(move |w| w.shape == shape)
}

/// The row of one client for one shape.
pub fn row(shape: Shape, client: Client) -> Option<&'static Words> {
    of(shape).find(|w| w.client == client)
}

/// The shape of the RST `f` describes, when the server sent it into an
/// HTTP/1 exchange; `None` for a client's RST, HTTP/2, or nothing decoded.
pub(super) fn shape(f: &Facts<'_>, cause: &Cause) -> Option<Shape> {
    if f.rst.sender != Role::Server {
        return None;
    }
    if matches!(cause, Cause::KeepAliveRace(_)) || reused_unanswered(f, cause) {
        return Some(Shape::KeepAliveRace);
    }
    let e = f.exchanges().last()?;
    if e.stream.is_some() {
        return None;
    }
    Some(match e.response_end() {
        None if request_complete(e) => Shape::BeforeResponse,
        None => Shape::Upload,
        Some(Some(_)) if e.outcome == ExchangeOutcome::Complete => Shape::WholeResponse,
        Some(_) if e.until_close => Shape::CloseDelimited,
        Some(_) => Shape::PartialResponse,
    })
}

/// A server without the connection answered a request on a reused one
/// (the last request drew no response, an earlier exchange completed):
/// for the client, the keep-alive race's shape.
fn reused_unanswered(f: &Facts<'_>, cause: &Cause) -> bool {
    let ex = f.exchanges();
    matches!(cause, Cause::NoSocket { .. })
        && ex.len() >= 2
        && ex[..ex.len() - 1]
            .iter()
            .any(|e| e.outcome == ExchangeOutcome::Complete)
        && f.unanswered.contains(&(ex.len() - 1))
}

fn request_complete(e: &ExchangeReport) -> bool {
    e.request_range.is_some_and(|(_, end)| end.is_some())
}
