//! The lines of a QUIC connection that the key log's secrets make
//! possible (the server's EncryptedExtensions, HANDSHAKE_DONE,
//! NEW_CONNECTION_ID, HTTP/3), and the endings beyond a close.

use std::fmt::Write as _;

use crate::app::h3::H3Report;
use crate::app::quic::{QuicEnding, QuicReport, TokenSource};
use crate::proto::h3::frame::setting_name;
use crate::proto::quic::Side;

use super::quic::{params, who};

/// Keys, the server's answers, and HTTP/3.
pub(super) fn keyed(s: &mut String, q: &QuicReport) {
    if let Some(k) = &q.keys {
        if k.reason.is_empty() {
            let _ = writeln!(s, "  keys: {}", k.status.name());
        } else {
            let _ = writeln!(s, "  keys: {}: {}", k.status.name(), k.reason);
        }
    }
    if q.alpn.is_some() || !q.server_transport_parameters.is_empty() {
        let _ = writeln!(
            s,
            "  EncryptedExtensions: ALPN {}; server transport parameters: {}",
            q.alpn.as_deref().unwrap_or("(none)"),
            params(&q.server_transport_parameters)
        );
    }
    if let Some(f) = q.handshake_done {
        let _ = writeln!(s, "  HANDSHAKE_DONE by the server (frame {f})");
    }
    let ncid = |side| q.new_connection_ids.iter().filter(|n| n.by == side).count();
    let (c, sv) = (ncid(Side::Client), ncid(Side::Server));
    if c + sv > 0 {
        let _ = writeln!(
            s,
            "  NEW_CONNECTION_ID: {c} from the client, {sv} from the server (their stateless reset tokens in the JSON)"
        );
    }
    let [uc, us] = q.key_updates;
    if uc + us > 0 {
        let _ = writeln!(s, "  key updates: {uc} by the client, {us} by the server");
    }
    if let Some(h) = &q.http3 {
        http3(s, h);
    }
}

fn http3(s: &mut String, h: &H3Report) {
    for set in &h.settings {
        let v: Vec<String> = set
            .values
            .iter()
            .map(|(id, v)| format!("{}={v}", setting_name(*id)))
            .collect();
        let _ = writeln!(
            s,
            "  HTTP/3 SETTINGS from the {} (frame {}): {}",
            who(set.by),
            set.frame,
            if v.is_empty() {
                "(none)".to_owned()
            } else {
                v.join(", ")
            }
        );
    }
    for side in [Side::Client, Side::Server] {
        let v: Vec<String> = h
            .uni_streams
            .iter()
            .filter(|u| u.by == side)
            .map(|u| format!("{} {}", u.id, u.kind.name()))
            .collect();
        if !v.is_empty() {
            let _ = writeln!(
                s,
                "  HTTP/3 {} unidirectional streams: {}",
                who(side),
                v.join(", ")
            );
        }
    }
    for x in &h.exchanges {
        let mut line = format!(
            "  HTTP/3 stream {}: {} {}{}",
            x.stream,
            x.method.as_deref().unwrap_or("?"),
            x.authority.as_deref().unwrap_or(""),
            x.path.as_deref().unwrap_or("?")
        );
        match x.status {
            Some(st) => {
                let _ = write!(line, " → {st}, response body {} bytes", x.response_body);
            }
            None => line.push_str(" → no response"),
        }
        if x.request_body > 0 {
            let _ = write!(line, ", request body {} bytes", x.request_body);
        }
        let f = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |f| f.to_string());
        let _ = write!(
            line,
            " (frames {} → {})",
            f(x.request_frame),
            f(x.response_frame)
        );
        if let Some(e) = &x.undecoded {
            let _ = write!(line, "; a field section {e}");
        }
        let _ = writeln!(s, "{line}");
    }
    for g in &h.goaway {
        let _ = writeln!(
            s,
            "  HTTP/3 GOAWAY from the {} (frame {}): id {}",
            who(g.by),
            g.frame,
            g.id
        );
    }
    for p in &h.problems {
        let _ = writeln!(
            s,
            "  HTTP/3 stream {} from the {} (frame {}): {}",
            p.stream,
            who(p.by),
            p.frame,
            p.error
        );
    }
}

/// A stateless reset, an ICMP error, an idle timeout.
pub(super) fn endings(s: &mut String, q: &QuicReport) {
    if let Some(r) = &q.stateless_reset {
        let from = match r.token_from {
            TokenSource::TransportParameter => {
                "its stateless_reset_token transport parameter".to_owned()
            }
            TokenSource::NewConnectionId(n) => format!("its NEW_CONNECTION_ID sequence {n}"),
        };
        let _ = writeln!(
            s,
            "  stateless reset by the {} (frame {}): a short header that does not open, ending in the token of {from}",
            who(r.by),
            r.frame
        );
    }
    if let Some(i) = &q.icmp {
        let _ = writeln!(
            s,
            "  ICMP {} from {} (frame {}), quoting a datagram of the {}",
            i.kind.name(),
            i.reporter,
            i.frame,
            who(i.about)
        );
    }
    if q.close.is_none() && q.silent_past_idle {
        let ms = q.idle_timeout_ms.unwrap_or(0);
        let line = match q.ending {
            QuicEnding::IdleTimeout => format!(
                "  silent past the idle timeout ({ms}ms, RFC 9000 §10.1): both sides dropped it"
            ),
            _ => format!(
                "  silent past the idle timeout ({ms}ms): over, by its idle timer or a close in encrypted packets"
            ),
        };
        let _ = writeln!(s, "{line}");
    }
}
