//! The verdict's sentence for HTTP/2 runs.
//!
//! TCP's rules are the same under HTTP/2 — a close with unread bytes is a
//! RST (RFC 2525 §2.17), data reaching a closed socket is answered with RST
//! (RFC 1122 §4.2.2.13) — but what sits unread differs: an HTTP/2 client
//! keeps sending after its request (the SETTINGS ACK, WINDOW_UPDATEs, a PING
//! ACK, its own GOAWAY), so a server that stops reading after its answer
//! leaves frames behind even when the request itself was read whole. The
//! polite ending is RFC 9113 §6.8's: GOAWAY, then close once nothing is in
//! flight. `None` here hands the run back to the HTTP/1 sentences (a server
//! without HTTP/2 answers as an HTTP/1 server does).

use super::witness::{ServerClose, ServerH2};
use super::{ClientKind, Proto, ResetOptions};
use crate::flow::RstPhase;
use crate::server::{Cause, CloseEnding, ReadMode};
use crate::teardown::{Ending, Role, Teardown};

/// RFC 9113 §6.8's first GOAWAY of a graceful shutdown names the largest
/// stream id there can be.
const ANY_STREAM: u32 = (1 << 31) - 1;

/// The reason and its citation for an HTTP/2 run, when the HTTP/2 frames
/// explain it.
pub(super) fn reason(
    opts: &ResetOptions,
    t: &Teardown,
    close: Option<&ServerClose>,
    h2: &ServerH2,
) -> Option<(String, &'static str)> {
    if opts.proto == Proto::H1 {
        return None;
    }
    let rst_by = t.first_rst.map(|r| r.sender);
    let end = close.map(|c| c.end);
    let unread = close.map_or(0, |c| c.unread);
    let cause = close.map(|c| c.cause);
    if h2.start.is_none() {
        return no_h2(opts, t.ending, rst_by, end, cause, unread);
    }
    let stream = h2
        .first_stream
        .map_or_else(|| "its stream".to_string(), |s| format!("stream {s}"));
    let client = match opts.client {
        ClientKind::Nghttp => "nghttp",
        ClientKind::Own => "the raw client",
        ClientKind::Curl => "curl",
        ClientKind::Openssl => "openssl s_client",
    };
    let began = if h2.goaways_sent.first() == Some(&ANY_STREAM) {
        "began the graceful shutdown (GOAWAY with 2^31-1 and a PING)"
    } else {
        "sent GOAWAY"
    };
    match (t.ending, rst_by) {
        (Ending::Rst, Some(Role::Server)) if end == Some(CloseEnding::WeProvokedRst) => {
            let warned = if h2.goaways_sent.is_empty() {
                "; no GOAWAY came first, so the client learns of the end from the reset alone"
            } else {
                ""
            };
            Some((
                format!(
                    "the server answered {stream} and closed without reading the client's \
                     next frames ({unread} bytes: its SETTINGS ACK, WINDOW_UPDATEs or a new \
                     stream); Linux aborts a close with unread data with RST{warned}"
                ),
                "RFC 9113 §6.8, RFC 1122 §4.2.2.13, RFC 2525 §2.17",
            ))
        }
        // The final GOAWAY goes out only after the PING's ACK came back, so
        // its presence says the client answered the PING before closing.
        (Ending::Rst, Some(Role::Client)) if !h2.goaways_sent.is_empty() => Some((
            match (h2.final_goaway(), t.first_rst.map(|r| r.phase)) {
                // The final GOAWAY (and maybe the server's FIN) was already in
                // the client's receive queue when it closed: a close with
                // unread data (TcpExtTCPAbortOnClose on the client's side).
                (Some(last), Some(RstPhase::UnreadData | RstPhase::AfterPeerFin)) => format!(
                    "the server answered {stream} and {began}; {client} acknowledged the PING, \
                     and the server's final GOAWAY (last stream {last}){} arrived before \
                     {client} closed; {client} closed without reading it, so its kernel aborted \
                     the close with RST (a close with unread data); {client} had its whole \
                     answer by then",
                    if t.frames.server_fin.is_some() {
                        " and its FIN"
                    } else {
                        ""
                    }
                ),
                (Some(last), _) => format!(
                    "the server answered {stream} and {began}; {client} acknowledged the PING \
                     and closed with FIN at once, so the server's final GOAWAY (last stream \
                     {last}) reached a socket that could no longer read, and the client's \
                     kernel answered it with RST; {client} had its whole answer by then"
                ),
                (None, _) => format!(
                    "the server answered {stream} and {began}, but {client} closed its socket \
                     as soon as it had its answer; the server's next frames reached a socket \
                     that could no longer read, and the client's kernel answered them with RST"
                ),
            },
            "RFC 9113 §6.8, RFC 1122 §4.2.2.13, RFC 2525 §2.17, RFC 9293 §3.6.1",
        )),
        (Ending::Fin, _) if opts.mode == ReadMode::Drain => {
            if let Some(last) = h2.final_goaway() {
                Some((
                    format!(
                        "the server answered {stream}, sent GOAWAY with 2^31-1 and a PING, and \
                         after the PING's ACK the final GOAWAY (last stream {last}); then it \
                         half-closed and read to the client's FIN with nothing unread: FIN \
                         both ways, the graceful shutdown"
                    ),
                    "RFC 9113 §6.8, RFC 9293 §3.6",
                ))
            } else if h2.goaway_received {
                Some((
                    format!(
                        "the server answered {stream} and {began}; {client} answered with its \
                         own GOAWAY and closed before the PING's ACK, and the server, with no \
                         stream left and nothing unread, closed too: FIN both ways, though the \
                         final GOAWAY was never sent"
                    ),
                    "RFC 9113 §6.8, RFC 9293 §3.6",
                ))
            } else if t.closed_first == Some(Role::Client) {
                // The GOAWAY and the PING travelled with the answer, so the
                // client had read them before it closed: no RST this time.
                Some((
                    format!(
                        "the server answered {stream} and {began}; {client} closed with FIN as \
                         soon as it had its answer, without a GOAWAY or the PING's ACK, and the \
                         server, reading, found the client's FIN with nothing unread and closed \
                         too: FIN both ways, though the final GOAWAY was never sent"
                    ),
                    "RFC 9113 §6.8, RFC 9293 §3.6",
                ))
            } else {
                None
            }
        }
        (Ending::Fin, _) if t.closed_first == Some(Role::Client) => Some((
            format!(
                "{client} closed first once it had its answer on {stream}{}; the server read \
                 to the client's FIN with nothing unread and closed: FIN both ways",
                if h2.goaway_received {
                    ", sending GOAWAY before its FIN"
                } else {
                    ", without a GOAWAY"
                }
            ),
            "RFC 9113 §6.8, RFC 9293 §3.6",
        )),
        (Ending::Fin, _) if cause == Some(Cause::IdleTimeout) => Some((
            format!(
                "the client stayed after its answer on {stream}; at the idle timeout the \
                 server sent GOAWAY and closed with nothing unread: FIN both ways"
            ),
            "RFC 9113 §6.8, RFC 9293 §3.6",
        )),
        _ => None,
    }
}

/// The client asked for HTTP/2 and the server never spoke it.
fn no_h2(
    opts: &ResetOptions,
    ending: Ending,
    rst_by: Option<Role>,
    end: Option<CloseEnding>,
    cause: Option<Cause>,
    unread: usize,
) -> Option<(String, &'static str)> {
    let answer = match cause {
        Some(Cause::Rejected(status)) => format!("answered {status}"),
        _ => "answered it with an error".to_string(),
    };
    match (opts.proto, ending, rst_by) {
        (Proto::H2Prior, Ending::Rst, Some(Role::Server))
            if end == Some(CloseEnding::WeProvokedRst) =>
        {
            Some((
                format!(
                    "the server does not speak HTTP/2: it took the preface's first line \
                     (PRI * HTTP/2.0) for an HTTP/1 request, {answer} and closed with \
                     {unread} bytes unread (the preface's SM line and the client's first \
                     frames), which Linux aborts with RST"
                ),
                "RFC 9113 §3.3, RFC 1122 §4.2.2.13, RFC 2525 §2.17",
            ))
        }
        // A RST keeps its HTTP/1 sentence: the upgrade changed nothing.
        (Proto::H2cUpgrade, Ending::Fin, _) => Some((
            "the server ignored `Upgrade: h2c` and answered in HTTP/1.1, as RFC 7540 §3.2 \
             lets a server do; nothing was left unread on either side: FIN both ways"
                .to_string(),
            "RFC 7540 §3.2, RFC 9293 §3.6",
        )),
        _ => None,
    }
}
