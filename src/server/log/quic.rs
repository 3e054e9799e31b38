//! The records only the HTTP/3 endpoint writes: a QUIC connection has no
//! FIN and no RST, so its ending is one of a CONNECTION_CLOSE (by whom,
//! transport or application, the code), an idle timeout, or a stateless
//! reset (RFC 9000 §10). Same `t=… conn=… event=…` lines as the TCP
//! listeners; connection numbers are shared with them.

use std::net::SocketAddr;

use super::Dir;
use crate::server::h3::H3Close;

/// Which side sent a CONNECTION_CLOSE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum By {
    /// The server.
    Us,
    /// The client.
    Peer,
}

impl std::fmt::Display for By {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            By::Us => "us",
            By::Peer => "peer",
        })
    }
}

/// A CONNECTION_CLOSE frame's layer (RFC 9000 §19.19): type 0x1c carries
/// a QUIC transport error (or a TLS alert as 0x100 + alert, RFC 9001
/// §4.8), type 0x1d an application's code (HTTP/3's, RFC 9114 §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseLayer {
    /// Frame type 0x1c.
    Transport,
    /// Frame type 0x1d.
    Application,
}

impl std::fmt::Display for CloseLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CloseLayer::Transport => "transport",
            CloseLayer::Application => "application",
        })
    }
}

/// One HTTP/3 or QUIC event.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum QuicEvent {
    /// The endpoint listens on UDP.
    ListeningH3 {
        /// Bound address (UDP).
        addr: SocketAddr,
        /// How connections end.
        close: H3Close,
        /// The max_idle_timeout announced, in milliseconds.
        idle_timeout_ms: u64,
    },
    /// A datagram the endpoint drops without an answer to its sender,
    /// because it cannot be the start or a part of a connection.
    QuicDropped {
        /// The sender.
        peer: SocketAddr,
        /// Datagram size.
        bytes: usize,
        /// Why, in words.
        reason: String,
    },
    /// The QUIC handshake is complete (TLS 1.3 inside QUIC, RFC 9001).
    QuicHandshake {
        /// The client's address.
        peer: SocketAddr,
        /// The QUIC version (the endpoint speaks only version 1).
        version: u32,
        /// The protocol ALPN chose (always `h3`: the only one offered).
        alpn: String,
        /// Server Name Indication, if sent.
        #[serde(skip_serializing_if = "Option::is_none")]
        sni: Option<String>,
    },
    /// An HTTP/3 request stream answered completely.
    #[serde(rename = "stream")]
    H3Stream {
        /// The QUIC stream ID (client-initiated bidirectional: 0, 4, 8…).
        id: u64,
        /// `:method`.
        method: String,
        /// `:path`.
        target: String,
        /// Request body bytes read.
        request_bytes: u64,
        /// Response status.
        status: u16,
        /// Response body bytes.
        body_bytes: usize,
    },
    /// An HTTP/3 GOAWAY frame on the control stream (RFC 9114 §5.2,
    /// §7.2.6).
    H3Goaway {
        /// Which way.
        dir: Dir,
        /// The first request stream ID that will not be processed.
        id: u64,
    },
    /// A CONNECTION_CLOSE frame (RFC 9000 §10.2, §19.19).
    ConnectionClose {
        /// Who sent it.
        by: By,
        /// Transport (0x1c) or application (0x1d).
        layer: CloseLayer,
        /// The error code.
        code: u64,
        /// The code's name in its RFC.
        name: String,
        /// The reason phrase.
        #[serde(skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// The idle timeout expired: the connection is gone on our side with
    /// nothing sent (RFC 9000 §10.1).
    IdleTimeout {
        /// The max_idle_timeout we announced, in milliseconds (the
        /// connection's is the smaller of it and the client's).
        announced_ms: u64,
    },
    /// `--h3-close stateless-reset`: the endpoint restarts and forgets
    /// every connection's state, keeping its reset key (RFC 9000 §10.3.2).
    EndpointRestart {
        /// Connections whose state was dropped.
        forgot: usize,
    },
    /// A stateless reset went out (RFC 9000 §10.3): a packet for a
    /// connection the endpoint no longer knows, answered with the token
    /// derived from its Destination Connection ID.
    StatelessReset {
        /// Where it went.
        peer: SocketAddr,
        /// Its size.
        bytes: usize,
    },
}

/// The text form (after `t=… conn=…`).
pub(super) fn text(event: &QuicEvent) -> String {
    match event {
        QuicEvent::ListeningH3 {
            addr,
            close,
            idle_timeout_ms,
        } => format!(
            "event=listening-h3 addr={addr} transport=udp alpn=h3 close={close} idle_timeout={}",
            seconds(*idle_timeout_ms)
        ),
        QuicEvent::QuicDropped {
            peer,
            bytes,
            reason,
        } => format!(
            "event=quic-dropped peer={peer} bytes={bytes} reason={}",
            super::text::quote(reason)
        ),
        QuicEvent::QuicHandshake {
            peer,
            version,
            alpn,
            sni,
        } => format!(
            "event=quic-handshake peer={peer} version=0x{version:08x} alpn={} sni={}",
            super::text::quote(alpn),
            sni.as_deref().map_or("-".to_string(), super::text::quote)
        ),
        QuicEvent::H3Stream {
            id,
            method,
            target,
            request_bytes,
            status,
            body_bytes,
        } => format!(
            "event=stream id={id} method={} target={} request_bytes={request_bytes} status={status} body_bytes={body_bytes}",
            super::text::quote(method),
            super::text::quote(target)
        ),
        QuicEvent::H3Goaway { dir, id } => format!("event=h3-goaway dir={dir} id={id}"),
        QuicEvent::ConnectionClose {
            by,
            layer,
            code,
            name,
            reason,
        } => {
            let mut s = format!(
                "event=connection-close by={by} layer={layer} code=0x{code:x} name={}",
                super::text::quote(name)
            );
            if !reason.is_empty() {
                s += &format!(" reason={}", super::text::quote(reason));
            }
            s
        }
        QuicEvent::IdleTimeout { announced_ms } => {
            format!("event=idle-timeout announced={}", seconds(*announced_ms))
        }
        QuicEvent::EndpointRestart { forgot } => format!("event=endpoint-restart forgot={forgot}"),
        QuicEvent::StatelessReset { peer, bytes } => {
            format!("event=stateless-reset dir=sent peer={peer} bytes={bytes}")
        }
    }
}

/// `30s`, `1.5s`.
fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{}s", ms as f64 / 1000.0)
    }
}

/// The name of an HTTP/3 error code (RFC 9114 §8.1; RFC 9204 §6 for
/// QPACK's), if it is one: the analyzer's table, so the server's log and
/// the analyzer name a code alike.
pub fn h3_code_name(code: u64) -> Option<&'static str> {
    crate::proto::h3::error_name(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::log::{Event, Record};

    #[test]
    fn a_close_reads_the_same_in_text_and_json() {
        let r = Record {
            t: 1.5,
            conn: Some(3),
            event: Event::Quic(QuicEvent::ConnectionClose {
                by: By::Us,
                layer: CloseLayer::Application,
                code: 0x100,
                name: "H3_NO_ERROR".into(),
                reason: String::new(),
            }),
        };
        assert_eq!(
            r.to_text(),
            "t=1.500000 conn=3 event=connection-close by=us layer=application code=0x100 name=H3_NO_ERROR"
        );
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"t":1.5,"conn":3,"event":"connection-close","by":"us","layer":"application","code":256,"name":"H3_NO_ERROR"}"#
        );
    }

    #[test]
    fn h3_codes_have_their_rfc_names() {
        assert_eq!(h3_code_name(0x100), Some("H3_NO_ERROR"));
        assert_eq!(h3_code_name(0x110), Some("H3_VERSION_FALLBACK"));
        assert_eq!(h3_code_name(0x111), None);
        assert_eq!(seconds(1500), "1.5s");
        assert_eq!(seconds(30000), "30s");
    }
}
