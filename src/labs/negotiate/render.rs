//! `lab negotiate` for a terminal: the steps of the negotiation with their
//! frames, then how the connection ended and what the client said.

use std::fmt::Write as _;

use super::NegotiateRun;
use crate::app::h2::Opening;
use crate::app::negotiation::{
    AlpnAnswer, AlpnAttempt, AlpnSeenIn, FirstResponse, H2Opening, Negotiation, PriorAnswer,
    SettingsField, UpgradeAnswer, UpgradeAttempt,
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
    let _ = match &r.tls {
        Some(t) => writeln!(
            out,
            "lab negotiate: TLS, client {}, server --alpn {}, mode {}, server {}",
            client_name(n),
            list(&t.server_alpn),
            r.mode,
            r.server
        ),
        None => writeln!(
            out,
            "lab negotiate: proto {}, client {}, server --http2 {}, mode {}, server {}",
            r.proto.as_str(),
            client_name(n),
            n.server_http2.as_str(),
            r.mode,
            r.server
        ),
    };
    let _ = writeln!(out);
    match &n.negotiation {
        None => {
            let _ = writeln!(out, "NEGOTIATION  none seen in the capture");
        }
        Some(Negotiation::Upgrade(u)) => upgrade(&mut out, n, u),
        Some(Negotiation::PriorKnowledge(p)) => prior(&mut out, n, &p.answer),
        Some(Negotiation::Alpn(a)) => alpn(&mut out, n, a),
    }
    let _ = writeln!(out);
    let v = &r.verdict;
    let _ = writeln!(out, "ENDING   {}", v.ending_name().to_uppercase());
    wrap(&mut out, &format!("{} — {}", v.reason, v.citation), "  ");
    if let Some(said) = r.tls.as_ref().and_then(|t| t.analyzed.as_ref()) {
        wrap(&mut out, &format!("TLS ending: {said}"), "  ");
    }
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

fn list(l: &[impl std::fmt::Display]) -> String {
    l.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// ALPN: the client's list in the clear ClientHello, and the server's
/// answer where the capture shows it.
fn alpn(out: &mut String, n: &NegotiateRun, a: &AlpnAttempt) {
    // A refused handshake has no ServerHello: no version was agreed.
    let version = match (&a.answer, a.version) {
        (AlpnAnswer::Chosen { .. } | AlpnAnswer::NoneChosen | AlpnAnswer::Hidden, Some(v)) => {
            format!(", {v}")
        }
        _ => String::new(),
    };
    let how = match &a.answer {
        AlpnAnswer::Chosen { protocol, .. } => format!("the server chose {protocol}"),
        AlpnAnswer::NoneChosen => "the server chose none".to_string(),
        AlpnAnswer::Refused => "refused: no protocol in common".to_string(),
        AlpnAnswer::Hidden => "the choice is encrypted".to_string(),
        AlpnAnswer::Unanswered => "unanswered".to_string(),
    };
    let _ = writeln!(out, "NEGOTIATION  ALPN (RFC 7301){version}, {how}");
    let offered = a.offered.as_ref().map_or_else(
        || "ClientHello without ALPN: the server may not name a protocol (RFC 7301 §3.1)".into(),
        |o| {
            format!(
                "ClientHello, ALPN {} (in the clear, in the client's order)",
                o.join(", ")
            )
        },
    );
    step(out, n.frames.client_hello, "client", &offered);
    let server_list = n
        .run
        .tls
        .as_ref()
        .map_or_else(String::new, |t| list(&t.server_alpn).replace(',', ", "));
    let answer = match &a.answer {
        AlpnAnswer::Chosen {
            protocol,
            seen_in: AlpnSeenIn::ServerHello,
        } => format!("ServerHello, ALPN {protocol}: in the clear (TLS 1.2)"),
        AlpnAnswer::Chosen { protocol, .. } => format!(
            "ServerHello; the choice, {protocol}, is in EncryptedExtensions, encrypted in \
             TLS 1.3 (RFC 8446 §4.3.1): read here with the run's key log"
        ),
        AlpnAnswer::NoneChosen => "ServerHello without ALPN: no protocol named".into(),
        AlpnAnswer::Refused => format!(
            "Alert fatal no_application_protocol (120): nothing in the server's list \
             ({server_list}) was offered (RFC 7301 §3.2)"
        ),
        AlpnAnswer::Hidden => "ServerHello; the choice is in EncryptedExtensions, \
                               encrypted, and no key opened it"
            .into(),
        AlpnAnswer::Unanswered => "no ServerHello and no alert".into(),
    };
    step(out, n.frames.server_hello, "server", &answer);
    let failed = n.run.tls.as_ref().and_then(|t| t.server.failed.as_ref());
    if let Some(why) = failed {
        wrap(out, &format!("the server's log: {why}"), TEXT);
    } else if !server_list.is_empty() {
        wrap(
            out,
            &format!(
                "the server's list: {server_list} (its order of preference decides, RFC 7301 §3.2)"
            ),
            TEXT,
        );
    }
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
