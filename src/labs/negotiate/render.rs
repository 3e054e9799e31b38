//! `lab negotiate` for a terminal: the steps of the negotiation with their
//! frames, then how the connection ended and what the client said.

use std::fmt::Write as _;

use super::NegotiateRun;
use crate::app::h2::Opening;
use crate::app::negotiation::{
    FirstResponse, H2Opening, Negotiation, PriorAnswer, SettingsField, UpgradeAnswer,
    UpgradeAttempt,
};
use crate::labs::reset::render::wrap;
use crate::proto::h2::SettingId;

/// Where a step's text starts (after `  frame N  client  `).
const TEXT: &str = "                    ";

/// The whole report as text, at most 80 columns wide except for long
/// client messages.
pub fn text(n: &NegotiateRun) -> String {
    let r = &n.run;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "lab negotiate: proto {}, client {}, server --http2 {}, mode {}, server {}",
        r.proto.as_str(),
        client_name(n),
        n.server_http2.as_str(),
        r.mode,
        r.server
    );
    let _ = writeln!(out);
    match &n.negotiation {
        None => {
            let _ = writeln!(out, "NEGOTIATION  none seen in the capture");
        }
        Some(Negotiation::Upgrade(u)) => upgrade(&mut out, n, u),
        Some(Negotiation::PriorKnowledge(p)) => prior(&mut out, n, &p.answer),
    }
    let _ = writeln!(out);
    let v = &r.verdict;
    let _ = writeln!(out, "ENDING   {}", v.ending_name().to_uppercase());
    wrap(&mut out, &format!("{} — {}", v.reason, v.citation), "  ");
    let c = &r.client;
    let status = if c.status == 0 {
        "no status".to_string()
    } else {
        format!("status {}", c.status)
    };
    let exit = match (c.curl_exit, c.nghttp_exit) {
        (Some(code), _) => format!(" (exit {code})"),
        (None, Some(code)) => format!(" (exit {code})"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "CLIENT   {}{exit}: {status}, body {} of {} bytes",
        client_name(n),
        c.body_received,
        c.body_expected
    );
    let _ = writeln!(out, "         {}", c.end);
    if let Some(p) = &r.pcap {
        let _ = writeln!(out, "capture saved to {}", p.display());
    }
    out
}

fn client_name(n: &NegotiateRun) -> &'static str {
    match n.run.client.kind {
        crate::labs::reset::ClientKind::Own => "own",
        crate::labs::reset::ClientKind::Curl => "curl",
        crate::labs::reset::ClientKind::Nghttp => "nghttp",
        crate::labs::reset::ClientKind::Openssl => "openssl",
    }
}

/// One step: `  frame N  side    text`, continuation lines under the text.
fn step(out: &mut String, frame: Option<u64>, side: &str, text: &str) {
    let at = frame.map_or_else(|| "frame ?".to_string(), |f| format!("frame {f}"));
    let mut body = String::new();
    wrap(&mut body, text, TEXT);
    let body = body.trim_start();
    let _ = write!(out, "  {at:<9} {side:<7} {body}");
}

fn params(out: &mut String, params: &[(SettingId, u32)]) {
    if params.is_empty() {
        let _ = writeln!(
            out,
            "{TEXT}  (no parameters: the defaults of RFC 9113 §6.5.2)"
        );
    }
    for (id, value) in params {
        let _ = writeln!(out, "{TEXT}  {:<24}{value}", id.to_string());
    }
}

fn upgrade(out: &mut String, n: &NegotiateRun, u: &UpgradeAttempt) {
    let how = match &u.answer {
        UpgradeAnswer::Switched { .. } => "accepted: HTTP/2 from the byte after the 101",
        UpgradeAnswer::Ignored { .. } => "ignored: the connection stays HTTP/1.1",
        UpgradeAnswer::Unanswered => "unanswered",
    };
    let _ = writeln!(out, "NEGOTIATION  Upgrade: h2c (RFC 7540 §3.2), {how}");
    let body = if u.body_bytes > 0 {
        format!(
            " with a {}-byte body, sent whole before any HTTP/2 frame",
            u.body_bytes
        )
    } else {
        String::new()
    };
    step(
        out,
        n.frames.request,
        "client",
        &format!("{} {} HTTP/1.1{body}", u.method, u.target),
    );
    let _ = writeln!(out, "{TEXT}Upgrade: {}", u.offered.join(", "));
    let _ = writeln!(out, "{TEXT}Connection: {}", u.connection.join(", "));
    match &u.settings {
        SettingsField::Missing => {
            let _ = writeln!(
                out,
                "{TEXT}no HTTP2-Settings: a server must not upgrade (§3.2.1)"
            );
        }
        SettingsField::Repeated(k) => {
            let _ = writeln!(
                out,
                "{TEXT}HTTP2-Settings {k} times: a server must not upgrade (§3.2.1)"
            );
        }
        SettingsField::Undecodable(v) => {
            let _ = writeln!(out, "{TEXT}HTTP2-Settings: {v} (not base64url SETTINGS)");
        }
        SettingsField::Decoded { value, params: p } => {
            let _ = writeln!(out, "{TEXT}HTTP2-Settings: {value}, base64url of:");
            params(out, p);
        }
    }
    match &u.answer {
        UpgradeAnswer::Switched { protocols, h2 } => {
            step(
                out,
                n.frames.answer,
                "server",
                &format!(
                    "HTTP/1.1 101 Switching Protocols, Upgrade: {}: it also acknowledges \
                     the HTTP2-Settings, no SETTINGS ACK is sent for them",
                    protocols.join(", ")
                ),
            );
            opening(out, n, h2, true);
        }
        UpgradeAnswer::Ignored { version, status } => step(
            out,
            n.frames.answer,
            "server",
            &format!(
                "{version} {status}, no 101: the server answered \"as though the Upgrade \
                 header field were absent\" (RFC 7540 §3.2), as one without HTTP/2 does"
            ),
        ),
        UpgradeAnswer::Unanswered => {
            let _ = writeln!(out, "  the server sent no answer");
        }
    }
}

fn preface_step(out: &mut String, n: &NegotiateRun, client: &Opening) {
    let what = if client.preface {
        "preface PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n (24 bytes), then SETTINGS"
    } else {
        "no complete preface"
    };
    step(out, n.frames.client_settings, "client", what);
    if let Some(p) = &client.settings {
        params(out, p);
    }
}

/// The HTTP/2 start: both prefaces and the first answered stream.
fn opening(out: &mut String, n: &NegotiateRun, h2: &H2Opening, upgraded: bool) {
    let first = if upgraded {
        "SETTINGS, its preface, the first frame after the 101"
    } else {
        "SETTINGS, its preface (RFC 9113 §3.4)"
    };
    // Capture order: after an upgrade the server's SETTINGS comes with the
    // 101, before the client's preface.
    let server = |out: &mut String| {
        step(out, n.frames.server_settings, "server", first);
        if let Some(p) = &h2.server.settings {
            params(out, p);
        }
    };
    if upgraded {
        server(out);
        preface_step(out, n, &h2.client);
    } else {
        preface_step(out, n, &h2.client);
        server(out);
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    let _ = writeln!(
        out,
        "  SETTINGS ACK      client {}, server {} (RFC 9113 §6.5.3)",
        yes(h2.client.acked),
        yes(h2.server.acked)
    );
    match h2.first_response {
        Some(FirstResponse {
            stream,
            status,
            began_half_closed: true,
        }) => step(
            out,
            n.frames.first_response,
            "server",
            &format!(
                "stream {stream} :status {status}: the upgrading request became stream 1, \
                 half-closed (remote) from the start, complete as HTTP/1.1; the client's \
                 first new stream is 3 (RFC 7540 §3.2, §5.1.1)"
            ),
        ),
        Some(FirstResponse { stream, status, .. }) => step(
            out,
            n.frames.first_response,
            "server",
            &format!("stream {stream} :status {status}: the first request, on a fresh stream"),
        ),
        None => {
            let _ = writeln!(out, "  no stream was answered");
        }
    }
}

fn prior(out: &mut String, n: &NegotiateRun, answer: &PriorAnswer) {
    match answer {
        PriorAnswer::Accepted(h2) => {
            let _ = writeln!(
                out,
                "NEGOTIATION  prior knowledge (RFC 9113 §3.3), accepted: HTTP/2 from the first byte"
            );
            opening(out, n, h2, false);
        }
        PriorAnswer::Refused {
            client,
            version,
            status,
        } => {
            let _ = writeln!(
                out,
                "NEGOTIATION  prior knowledge (RFC 9113 §3.3), refused: the server answered in HTTP/1.x"
            );
            preface_step(out, n, client);
            step(
                out,
                n.frames.answer,
                "server",
                &format!(
                    "{version} {status}: a server without HTTP/2 read the preface's first \
                     line, PRI * HTTP/2.0, as an HTTP/1 request line{}",
                    if *status == 505 {
                        " with a version it does not support (RFC 9110 §15.6.6)"
                    } else {
                        ""
                    }
                ),
            );
        }
        PriorAnswer::Unanswered { client } => {
            let _ = writeln!(
                out,
                "NEGOTIATION  prior knowledge (RFC 9113 §3.3), unanswered: the server sent nothing"
            );
            preface_step(out, n, client);
        }
    }
}
