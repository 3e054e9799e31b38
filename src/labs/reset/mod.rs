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
//! Dependencies go one way: `run` → `watch` → `ladder`; `run` → `explain` →
//! `witness`, `ladder`; `render` and `document` read a finished [`run::ResetRun`];
//! [`series`] counts a `--repeat` series of them for `document`.

pub mod document;
pub mod explain;
pub mod ladder;
pub mod render;
pub mod run;
pub mod series;
mod watch;
pub mod witness;

use std::path::PathBuf;

pub use run::{Error, run, run_repeated};
pub use series::Series;

use crate::http::{Framing, Version};
use crate::server::ReadMode;

/// Which client the lab drives the server with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    /// wirelab's scripted raw client: exact bytes, exact end (EOF or ECONNRESET).
    Own,
    /// Real curl, the tool people meet "(56) Recv failure" in.
    Curl,
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
}

impl Default for ResetOptions {
    fn default() -> Self {
        ResetOptions {
            mode: ReadMode::NoRead,
            partial_bytes: 10,
            client: ClientKind::Own,
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
}

/// Options of a [`ResetOptions`] that cannot go together, named by what
/// they mean; the command line words them with its flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
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
}
