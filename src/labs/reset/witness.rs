//! The witnesses a run gathers besides the packets, as typed values.
//!
//! [`run`](super::run) fills them in and [`explain`](super::explain) reads
//! them; both depend on this module and neither on the other, so the verdict
//! logic compares enums (the server's [`CloseEnding`], its [`Cause`]) and
//! never the words a log line happens to print. Text is made only at the
//! edges: the terminal report and the JSON document.

use std::collections::BTreeMap;

use super::ClientKind;
use crate::labs::netns::Isolation;
use crate::server::{Cause, CloseEnding, H2Start};

/// What the client asked for and got.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClientWitness {
    /// Which client.
    pub kind: ClientKind,
    /// Status of the last response it completed a head of (0 when none).
    pub status: u16,
    /// Body bytes the server sent (from its event log).
    pub body_expected: u64,
    /// Body bytes the client received.
    pub body_received: u64,
    /// How its last read ended, in words (clean EOF vs ECONNRESET): shown to
    /// the reader, never compared.
    pub end: String,
    /// It saw a reset (ECONNRESET on a read or a write).
    pub saw_reset: bool,
    /// curl's exit code.
    pub curl_exit: Option<i32>,
    /// curl's error line.
    pub curl_error: Option<String>,
    /// curl's note that it retried on a fresh connection.
    pub curl_retry: Option<String>,
    /// nghttp's exit status (HTTP/2 runs with `--client nghttp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nghttp_exit: Option<i32>,
    /// nghttp's last line on stderr.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nghttp_error: Option<String>,
    /// What the client said of TLS (TLS runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ClientTls>,
}

/// What a TLS client said of the handshake and of TLS's end.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClientTls {
    /// The version it agreed, in its own spelling (`1.3`, `TLSv1.3`).
    pub version: Option<String>,
    /// The protocol ALPN chose, as it says.
    pub alpn: Option<String>,
    /// It received the server's close_notify.
    pub close_notify_received: bool,
    /// It sent its own.
    pub close_notify_sent: bool,
    /// It reported the FIN without close_notify as a truncation; `None`
    /// when it has no way to say (curl is silent about it).
    pub noticed_truncation: Option<bool>,
    /// The handshake or TLS failed, in its words.
    pub failure: Option<String>,
}

/// What the server's log says an HTTP/2 connection did before it closed:
/// the frames that explain an h2 ending (RFC 9113 §6.8).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ServerH2 {
    /// How HTTP/2 began, if it did.
    pub start: Option<H2Start>,
    /// The request body read before `101 Switching Protocols`, when the
    /// server upgraded (RFC 7540 §3.2: the body is read first).
    pub upgrade_body: Option<u64>,
    /// Streams the server answered completely.
    pub answered: u32,
    /// The first stream it answered (1 after an upgrade, RFC 7540 §3.2).
    pub first_stream: Option<u32>,
    /// The last stream id of each GOAWAY the server sent, in order.
    pub goaways_sent: Vec<u32>,
    /// The client sent GOAWAY.
    pub goaway_received: bool,
}

impl ServerH2 {
    /// The server sent the final GOAWAY of a graceful shutdown: a second
    /// one, after the first with 2^31−1 (RFC 9113 §6.8).
    pub fn final_goaway(&self) -> Option<u32> {
        (self.goaways_sent.len() > 1)
            .then(|| self.goaways_sent.last().copied())
            .flatten()
    }
}

/// The kernel's counters over the run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct KernelWitness {
    /// Whether the run had its own network namespace.
    pub isolation: Isolation,
    /// Why not, when it did not.
    pub note: Option<String>,
    /// Counter deltas.
    pub deltas: BTreeMap<&'static str, u64>,
}

impl KernelWitness {
    /// The delta of one counter (0 when it was not read).
    pub fn delta(&self, name: &str) -> u64 {
        self.deltas.get(name).copied().unwrap_or(0)
    }
}

/// How the server says it closed one connection.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ServerClose {
    /// Its connection id in the server's log.
    pub conn: u64,
    /// How it ended, as the server's event log says it.
    pub end: CloseEnding,
    /// Why it closed; written as the text log names it (`one-shot-mode`,
    /// `rejected-413`), the lab's JSON contract.
    #[serde(serialize_with = "as_text")]
    pub cause: Cause,
    /// Bytes left unread in the receive queue at close.
    pub unread: usize,
}

impl ServerClose {
    /// The server says its close made the kernel send RST (a close with
    /// unread data, or a zero-linger abort).
    pub fn says_rst(&self) -> bool {
        matches!(
            self.end,
            CloseEnding::WeProvokedRst | CloseEnding::WeAborted
        )
    }
}

fn as_text<S: serde::Serializer>(cause: &Cause, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(cause)
}
