//! `lab negotiate --format json`: one versioned document. The verdict and
//! the client have the names and shapes of `lab reset --format json`.

use serde_json::{Value, json};

use super::NegotiateRun;
use crate::app::h2::Opening;
use crate::app::negotiation::{
    AlpnAnswer, AlpnAttempt, H2Opening, Negotiation, PriorAnswer, SettingsField, UpgradeAnswer,
    UpgradeAttempt,
};
use crate::proto::h2::SettingId;

/// The schema version of the document; bumped when a field changes meaning
/// or disappears (new fields do not bump it).
pub const VERSION: u32 = 1;

/// The document for one run.
pub fn json(n: &NegotiateRun) -> Value {
    let r = &n.run;
    let v = &r.verdict;
    let c = &r.client;
    let mut doc = json!({
        "version": VERSION,
        "run": {
            "proto": r.proto,
            "client": c.kind,
            "server_http2": n.server_http2,
            "mode": r.mode,
            "server": r.server,
        },
        "negotiation": n.negotiation.as_ref().map_or(Value::Null, |x| negotiation(n, x)),
        "verdict": {
            "ended": v.ending_name(),
            "deciding_frames": v.frames,
            "reason": v.reason,
            "citation": v.citation,
        },
        "client": {
            "kind": c.kind,
            "status": c.status,
            "body_expected": c.body_expected,
            "body_received": c.body_received,
            "end": c.end,
            "curl_exit": c.curl_exit,
            "nghttp_exit": c.nghttp_exit,
        },
        "pcap": r.pcap.as_ref().map(|p| p.display().to_string()),
    });
    // TLS runs add their TLS side; cleartext documents stay as they were.
    if let Some(t) = &r.tls {
        doc["run"]["tls"] = json!(t);
    }
    doc
}

fn params(p: &[(SettingId, u32)]) -> Value {
    Value::Array(
        p.iter()
            .map(|(id, value)| json!({"id": id.to_u16(), "name": id.to_string(), "value": value}))
            .collect(),
    )
}

fn opening(o: &Opening, frame: Option<u64>) -> Value {
    json!({
        "preface": o.preface,
        "first_frame": o.first_frame.map(|k| k.to_string()),
        "settings": o.settings.as_deref().map(params),
        "settings_frame": frame,
        "acked_peer_settings": o.acked,
    })
}

fn h2(n: &NegotiateRun, h: &H2Opening) -> Value {
    json!({
        "client": opening(&h.client, n.frames.client_settings),
        "server": opening(&h.server, n.frames.server_settings),
        "first_response": h.first_response.map(|f| json!({
            "stream": f.stream,
            "status": f.status,
            "began_half_closed_remote": f.began_half_closed,
            "frame": n.frames.first_response,
        })),
    })
}

fn negotiation(n: &NegotiateRun, x: &Negotiation) -> Value {
    match x {
        Negotiation::Upgrade(u) => upgrade(n, u),
        Negotiation::Alpn(a) => alpn(n, a),
        Negotiation::PriorKnowledge(p) => {
            let answer = match &p.answer {
                PriorAnswer::Accepted(h) => json!({"kind": "accepted", "http2": h2(n, h)}),
                PriorAnswer::Refused {
                    client,
                    version,
                    status,
                } => json!({
                    "kind": "refused",
                    "client": opening(client, n.frames.client_settings),
                    "version": version.to_string(),
                    "status": status,
                    "frame": n.frames.answer,
                }),
                PriorAnswer::Unanswered { client } => json!({
                    "kind": "unanswered",
                    "client": opening(client, n.frames.client_settings),
                }),
            };
            json!({"path": "prior-knowledge", "answer": answer})
        }
    }
}

fn alpn(n: &NegotiateRun, a: &AlpnAttempt) -> Value {
    let answer = match &a.answer {
        AlpnAnswer::Chosen { protocol, seen_in } => json!({
            "kind": "chosen",
            "protocol": protocol,
            "seen_in": seen_in.name(),
        }),
        AlpnAnswer::NoneChosen => json!({"kind": "none"}),
        AlpnAnswer::Refused => json!({"kind": "refused", "alert": 120}),
        AlpnAnswer::Hidden => json!({"kind": "encrypted"}),
        AlpnAnswer::Unanswered => json!({"kind": "unanswered"}),
    };
    json!({
        "path": "alpn",
        "offered": a.offered,
        "tls_version": a.version.map(|v| v.to_string()),
        "client_hello_frame": n.frames.client_hello,
        "answer": answer,
        "answer_frame": n.frames.server_hello,
    })
}

fn upgrade(n: &NegotiateRun, u: &UpgradeAttempt) -> Value {
    let settings = match &u.settings {
        SettingsField::Missing => json!({"kind": "missing"}),
        SettingsField::Repeated(k) => json!({"kind": "repeated", "count": k}),
        SettingsField::Undecodable(v) => json!({"kind": "undecodable", "value": v}),
        SettingsField::Decoded { value, params: p } => {
            json!({"kind": "decoded", "value": value, "params": params(p)})
        }
    };
    let answer = match &u.answer {
        UpgradeAnswer::Switched { protocols, h2: h } => json!({
            "kind": "switched",
            "status": 101,
            "protocols": protocols,
            "frame": n.frames.answer,
            "http2": h2(n, h),
        }),
        UpgradeAnswer::Ignored { version, status } => json!({
            "kind": "ignored",
            "version": version.to_string(),
            "status": status,
            "frame": n.frames.answer,
        }),
        UpgradeAnswer::Unanswered => json!({"kind": "unanswered"}),
    };
    json!({
        "path": "upgrade",
        "request": {
            "method": u.method,
            "target": u.target,
            "upgrade": u.offered,
            "connection": u.connection,
            "body_bytes": u.body_bytes,
            "frame": n.frames.request,
        },
        "http2_settings": settings,
        "answer": answer,
    })
}
