//! The analyzer's JSON contract (issue 13: `protocol`, `exchanges`,
//! `http2.frames`, and `ladder[].h2` with `--frames`) reduced to what tshark
//! can tell, and the comparison of the two readings of one connection.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Conn, H2Frame, list};

/// One analyzer connection, reduced to what tshark can tell.
pub struct Analyzed {
    pub decoded_anything: bool,
    protocol: String,
    /// HTTP/1 request lines: the `stream: null` exchanges, and for an h2c
    /// Upgrade the stream 1 exchange (its request travelled as HTTP/1.1).
    requests: Vec<String>,
    statuses: Vec<u16>,
    client_frames: Vec<H2Frame>,
    server_frames: Vec<H2Frame>,
    frame_counts: Option<(Value, Value)>,
    h2_status: BTreeMap<u32, u16>,
}

pub fn analyzed(c: &Value) -> Analyzed {
    let protocol = c["protocol"].as_str().unwrap_or("(missing)").to_string();
    let exchanges = c["exchanges"].as_array().cloned().unwrap_or_default();
    let mut requests = Vec::new();
    let mut statuses = Vec::new();
    let mut h2_status = BTreeMap::new();
    for x in &exchanges {
        let stream = x["stream"].as_u64();
        let status = x["status"].as_u64().map(|s| s as u16);
        let http1_request = stream.is_none() || (protocol == "h2c-upgrade" && stream == Some(1));
        if http1_request && let (Some(m), Some(t)) = (x["method"].as_str(), x["target"].as_str()) {
            requests.push(format!("{m} {t}"));
        }
        match (stream, status) {
            (None, Some(s)) => statuses.push(s),
            (Some(id), Some(s)) => {
                h2_status.insert(id as u32, s);
            }
            _ => {}
        }
    }
    let mut client_frames = Vec::new();
    let mut server_frames = Vec::new();
    for step in c["ladder"].as_array().into_iter().flatten() {
        let to = if step["from"] == "client" {
            &mut client_frames
        } else {
            &mut server_frames
        };
        for f in step["h2"].as_array().into_iter().flatten() {
            to.push(H2Frame::new(
                f["type"].as_str().unwrap_or("(missing)"),
                f["stream"].as_u64().unwrap_or(u64::MAX) as u32,
            ));
        }
    }
    let frame_counts = c["http2"]
        .get("frames")
        .map(|f| (f["client"].clone(), f["server"].clone()));
    Analyzed {
        protocol,
        decoded_anything: !exchanges.is_empty() || frame_counts.is_some(),
        requests,
        statuses,
        client_frames,
        server_frames,
        frame_counts,
        h2_status,
    }
}

/// The protocol label tshark's reading implies (None: nothing to say).
pub fn expected_protocol(t: &Conn) -> Option<String> {
    // The preface, then an HTTP/1.x answer (read with the HTTP/2 dissector
    // off: `http1_answers_without_http2`): the server refused it.
    if t.preface && t.requests.is_empty() && t.server_frames.is_empty() && !t.statuses.is_empty() {
        return Some("h2-preface-refused".into());
    }
    if t.preface {
        Some(
            if t.requests.is_empty() {
                "h2-prior-knowledge"
            } else {
                "h2c-upgrade"
            }
            .into(),
        )
    } else {
        t.requests.first().map(|r| r.version.to_ascii_lowercase())
    }
}

/// Where two frame lists part, with a few frames of context.
fn frame_diff(side: &str, tshark: &[H2Frame], ours: &[H2Frame]) -> Option<String> {
    if tshark == ours {
        return None;
    }
    let at = tshark.iter().zip(ours).take_while(|(a, b)| a == b).count();
    let from = at.saturating_sub(2);
    let window = |v: &[H2Frame]| list(&v[from.min(v.len())..(at + 3).min(v.len())]);
    Some(format!(
        "{side} HTTP/2 frames differ at #{at} (tshark {} frames, analyzer {}):\n      \
         tshark:   …{}\n      analyzer: …{}",
        tshark.len(),
        ours.len(),
        window(tshark),
        window(ours)
    ))
}

pub fn counts(frames: &[H2Frame]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for f in frames {
        *m.entry(f.kind.clone()).or_insert(0) += 1;
    }
    m
}

fn count_map(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, n)| Some((k.clone(), n.as_u64()?)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Mismatches on one connection, as lines.
pub fn compare(t: &Conn, a: &Analyzed) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = expected_protocol(t)
        && p != a.protocol
    {
        out.push(format!(
            "protocol: tshark implies {p}, analyzer says {}",
            a.protocol
        ));
    }
    let requests: Vec<String> = t.requests.iter().map(ToString::to_string).collect();
    if requests != a.requests {
        out.push(format!(
            "HTTP/1 requests: tshark {requests:?}, analyzer {:?}",
            a.requests
        ));
    }
    // Interim responses (100 Continue, the 101 of an Upgrade) are not
    // exchanges of their own (RFC 9110 §15.2).
    let finals: Vec<u16> = t.statuses.iter().copied().filter(|&s| s >= 200).collect();
    if finals != a.statuses {
        out.push(format!(
            "HTTP/1 statuses: tshark {finals:?}, analyzer {:?}",
            a.statuses
        ));
    }
    out.extend(frame_diff("client", &t.client_frames, &a.client_frames));
    out.extend(frame_diff("server", &t.server_frames, &a.server_frames));
    let has_h2 = t.preface || !t.client_frames.is_empty() || !t.server_frames.is_empty();
    match (&a.frame_counts, has_h2) {
        (Some((client, server)), true) => {
            for (side, ours, theirs) in [
                ("client", count_map(client), counts(&t.client_frames)),
                ("server", count_map(server), counts(&t.server_frames)),
            ] {
                if ours != theirs {
                    out.push(format!(
                        "http2.frames.{side}: tshark {theirs:?}, analyzer {ours:?}"
                    ));
                }
            }
        }
        (None, true) => out.push("http2 is null but tshark decoded HTTP/2".into()),
        (Some(_), false) => out.push("http2 is set but tshark saw no HTTP/2".into()),
        (None, false) => {}
    }
    if t.h2_status != a.h2_status {
        out.push(format!(
            ":status per stream: tshark {:?}, analyzer {:?}",
            t.h2_status, a.h2_status
        ));
    }
    out
}

/// A tshark reading written in the analyzer's JSON contract, as a report
/// that agrees with it would be (one ladder step per frame).
pub fn as_contract(t: &Conn) -> Value {
    let protocol = expected_protocol(t).unwrap_or_else(|| "unknown".into());
    let mut exchanges = Vec::new();
    let upgraded = protocol == "h2c-upgrade";
    let finals: Vec<u16> = t.statuses.iter().copied().filter(|&s| s >= 200).collect();
    for (i, r) in t.requests.iter().enumerate() {
        // The upgrading request is stream 1, answered in HTTP/2.
        let (stream, status) = if upgraded {
            (Some(1), t.h2_status.get(&1).copied())
        } else {
            (None, finals.get(i).copied())
        };
        exchanges.push(json!({
            "stream": stream, "method": r.method, "target": r.target, "status": status,
        }));
    }
    for (&stream, &status) in &t.h2_status {
        if !(upgraded && stream == 1) {
            exchanges.push(json!({"stream": stream, "status": status}));
        }
    }
    let step = |from: &str, f: &H2Frame| {
        let h2 = json!([{"type": f.kind, "stream": f.stream}]);
        json!({"from": from, "h2": h2})
    };
    let ladder: Vec<Value> = t
        .client_frames
        .iter()
        .map(|f| step("client", f))
        .chain(t.server_frames.iter().map(|f| step("server", f)))
        .collect();
    let http2 = (t.preface || !t.client_frames.is_empty()).then(|| {
        let (client, server) = (counts(&t.client_frames), counts(&t.server_frames));
        json!({"frames": {"client": client, "server": server}})
    });
    json!({"protocol": protocol, "exchanges": exchanges, "http2": http2, "ladder": ladder})
}
