//! `lab diagnose --format json`: one document, `version` 1. The fields
//! are the contract (README, "Diagnosing a capture"): new fields may be
//! added, none renamed or removed without a new version.

use serde_json::{Value, json};

use crate::diagnose::{Cause, Diagnosis, IdSign, MiddleboxSigns, Tally, TtlSign, UnreadProof};

/// The document's version.
pub const VERSION: u32 = 1;

/// One diagnosis as a JSON object.
pub fn diagnosis(d: &Diagnosis) -> Value {
    let (proof, unread) = match &d.cause {
        Cause::ClosedWithUnreadData { proof, bytes } => (
            Some(match proof {
                UnreadProof::Unacknowledged => "unacknowledged",
                UnreadProof::Unanswered => "unanswered",
            }),
            Some(*bytes),
        ),
        _ => (None, None),
    };
    let keep_alive = match &d.cause {
        Cause::KeepAliveRace(r) => json!({
            "idle_gap_ns": r.idle_gap_ns(),
            "idle_since_frame": r.quiet_since.map(|m| m.frame.get()),
            "request_frame": r.request.frame.get(),
            "close_frame": r.close.frame.get(),
            "request_to_close_ns": r.request_to_close_ns(),
            "after_fin": r.after_fin,
        }),
        _ => Value::Null,
    };
    let middlebox = match &d.cause {
        Cause::MiddleboxSuspected(m) => middlebox(m),
        _ => Value::Null,
    };
    let response = d.response.as_ref().map(|r| {
        json!({
            "exchange": r.exchange,
            "method": r.request.as_ref().map(|q| &q.0),
            "target": r.request.as_ref().map(|q| &q.1),
            "status": r.status,
            "acknowledged": r.acknowledged,
        })
    });
    json!({
        "id": d.id,
        "client": d.client.to_string(),
        "server": d.server.to_string(),
        "rst": {
            "sender": d.rst.sender.name(),
            "frame": d.rst.frame,
            "phase": d.rst.phase.name(),
        },
        "cause": d.cause.kind().name(),
        "rule": d.cause.kind().rule(),
        "unread_proof": proof,
        "unread_bytes": unread,
        "keep_alive_race": keep_alive,
        "middlebox": middlebox,
        "impact": d.impact.name(),
        "impact_reason": d.impact.to_string(),
        "client_words": super::words::json(d),
        "response": response,
        "unanswered_requests": d.unanswered,
        "lost_bytes": d.lost_bytes,
        "unacked_bytes": d.unacked_bytes,
        "radar_phase": d.radar.name(),
        "what_happened": super::what_happened(d),
        "client_saw": super::client_saw(d),
        "fix": super::fix(d),
        "evidence": d.evidence.iter().map(|e| json!({
            "frame": e.frame,
            "text": e.witness.to_string(),
        })).collect::<Vec<_>>(),
    })
}

fn marks(ttl: Option<TtlSign>, ip_id: Option<IdSign>) -> (Value, Value) {
    (
        ttl.map_or(
            Value::Null,
            |t| json!({"expected": t.usual, "seen": t.seen}),
        ),
        ip_id.map_or(
            Value::Null,
            |i| json!({"last": i.last, "seen": i.seen, "copies_peer": i.copies_peer}),
        ),
    )
}

/// A suspected middlebox RST's signs: expected and seen.
fn middlebox(m: &MiddleboxSigns) -> Value {
    let (ttl, ip_id) = marks(m.ttl, m.ip_id);
    json!({
        "ttl": ttl,
        "ip_id": ip_id,
        "sends_after": m.sends_after.map(|a| json!({
            "packets": a.packets,
            "first_frame": a.first_frame,
        })),
        "timing": m.timing.map(|t| json!({
            "after_peer_ns": t.after_peer_ns,
            "rtt_ns": t.rtt_ns,
            "too_soon": t.too_soon(),
        })),
        "pair": m.pair.map(|p| {
            let (ttl, ip_id) = marks(p.ttl, p.ip_id);
            json!({"frame": p.frame, "ttl": ttl, "ip_id": ip_id})
        }),
    })
}

/// The counts.
pub fn summary(t: &Tally) -> Value {
    let by_cause: serde_json::Map<String, Value> = t
        .causes()
        .map(|(k, n)| {
            (
                k.name().to_string(),
                json!({"harmful": n[0], "uncertain": n[1], "benign": n[2]}),
            )
        })
        .collect();
    json!({
        "connections": t.connections,
        "rsts": t.rsts,
        "harmful": t.harmful,
        "uncertain": t.uncertain,
        "benign": t.benign,
        "by_cause": by_cause,
    })
}

/// The whole document.
pub fn document(diagnoses: &[Diagnosis], tally: &Tally) -> Value {
    json!({
        "version": VERSION,
        "diagnoses": diagnoses.iter().map(diagnosis).collect::<Vec<_>>(),
        "summary": summary(tally),
    })
}
