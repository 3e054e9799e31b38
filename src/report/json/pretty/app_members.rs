//! The decoded connection's members (`protocol` … `ladder`, `tls` for a
//! TLS connection) and the RST
//! objects' `unacked_bytes` … `unacked_in`, written by hand in serde_json's
//! pretty layout, as the rest of the object is: going through serde for
//! them cost more than the whole analysis of a connection. The serde views
//! in `json/app.rs` stay the contract; the JSON tests hold these bytes
//! against them.

use super::Block;
use super::members::{Members, SPACES, array, strings};
use crate::app::tls::TlsReport;
use crate::app::{AppReport, Direction, ExchangeOutcome, LadderStep, RstReport, StreamFigures};
use crate::proto::tls::names;

fn side(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "client",
        Direction::ServerToClient => "server",
    }
}

fn indices(b: &mut Block, indent: usize, v: &[usize]) {
    array(b, indent, v, |b, &i| b.u64(i as u64));
}

/// The RST object's members when the connection was decoded (after
/// `frame`, eight spaces in).
pub(super) fn rst_members(b: &mut Block, r: Option<&RstReport>) {
    let mut m = Members::after(b, 8);
    m.opt_u64("unacked_bytes", r.and_then(|r| r.loss.unacked_bytes));
    m.opt_u64("lost_bytes", r.and_then(|r| r.loss.lost_bytes));
    indices(m.key("lost_in"), 10, r.map_or(&[], |r| &r.lost_in));
    indices(m.key("unacked_in"), 10, r.map_or(&[], |r| &r.unacked_in));
}

fn stream_object(b: &mut Block, s: &StreamFigures) {
    let mut m = Members::open(b, 10);
    m.u64("delivered", s.delivered);
    m.u64("gaps", s.gaps);
    m.u64("gap_bytes", s.gap_bytes);
    m.u64("duplicate_bytes", s.duplicate_bytes);
    m.bool("window_overflow", s.window_overflow);
    m.u64("snapped_bytes", s.snapped_bytes);
    m.close();
}

/// An array of strings given one by one (as `array` lays it out), so that
/// no list is made to write it.
fn strings_of<S: AsRef<str>>(b: &mut Block, indent: usize, items: impl Iterator<Item = S>) {
    let mut first = true;
    for s in items {
        b.bytes(if first { b"[\n" } else { b",\n" });
        first = false;
        b.bytes(&SPACES[..indent.min(SPACES.len())]);
        b.string(s.as_ref().as_bytes());
    }
    if first {
        b.bytes(b"[]");
        return;
    }
    b.bytes(b"\n");
    b.bytes(&SPACES[..(indent - 2).min(SPACES.len())]);
    b.bytes(b"]");
}

fn opt_strings(b: &mut Block, indent: usize, items: Option<&[String]>) {
    match items {
        Some(items) => strings(b, indent, items),
        None => b.bytes(b"null"),
    }
}

/// The `tls` object (eight spaces in for its members).
fn tls_object(b: &mut Block, t: &TlsReport) {
    let mut o = Members::open(b, 8);
    strings_of(
        o.key("versions_offered"),
        10,
        t.versions_offered().map(|v| v.text()),
    );
    o.opt_str("version", t.version.map(|v| v.text()).as_deref());
    o.opt_str(
        "cipher_suite",
        t.cipher_suite.map(names::cipher_suite).as_deref(),
    );
    o.opt_u64("cipher_suite_id", t.cipher_suite.map(u64::from));
    o.opt_str("sni", t.sni().as_deref());
    match t.alpn_offered() {
        Some(list) => strings_of(o.key("alpn_offered"), 10, list),
        None => o.key("alpn_offered").bytes(b"null"),
    }
    o.opt_str("alpn_chosen", t.alpn_chosen.as_ref().map(|a| a.text()));
    match &t.npn {
        None => {
            o.key("npn").bytes(b"null");
        }
        Some(n) => {
            let mut x = Members::open(o.key("npn"), 10);
            x.bool("offered", n.offered);
            opt_strings(x.key("server_list"), 12, n.server_list.as_deref());
            x.opt_str(
                "client_choice",
                n.client_choice_encrypted.then_some("encrypted"),
            );
            x.opt_str("chosen", n.chosen.as_deref());
            x.close();
        }
    }
    o.bool("hello_retry_request", t.hello_retry_request);
    array(o.key("alerts"), 10, &t.alerts, |b, a| {
        let mut x = Members::open(b, 12);
        x.str("sender", side(a.sender));
        x.u64("offset", a.offset);
        x.str("level", &a.level.to_string());
        x.str("description", &a.description.to_string());
        x.u64("code", u64::from(a.description.0));
        x.close();
    });
    let mut ccs = Members::open(o.key("change_cipher_spec"), 10);
    ccs.bool("client", t.change_cipher_spec[0]);
    ccs.bool("server", t.change_cipher_spec[1]);
    ccs.close();
    let mut enc = Members::open(o.key("encrypted"), 10);
    for (name, e) in ["client", "server"].into_iter().zip(&t.encrypted) {
        let mut x = Members::open(enc.key(name), 12);
        x.u64("records", e.records);
        x.u64("bytes", e.bytes);
        x.close();
    }
    enc.close();
    if let Some(k) = &t.keys {
        o.str("keys", k.status.text());
        o.opt_str("keys_problem", k.problem.as_deref());
        let mut d = Members::open(o.key("decrypted_records"), 10);
        d.u64("client", k.opened[0]);
        d.u64("server", k.opened[1]);
        d.close();
    }
    if let Some(c) = &t.close {
        let mut x = Members::open(o.key("tls_close"), 10);
        x.str("how", &c.text());
        let mut at = Members::open(x.key("offsets"), 12);
        at.opt_u64("client", c.offsets()[0]);
        at.opt_u64("server", c.offsets()[1]);
        at.close();
        let mut fr = Members::open(x.key("frames"), 12);
        fr.opt_u64("client", c.frames()[0]);
        fr.opt_u64("server", c.frames()[1]);
        fr.close();
        x.close();
    }
    if let Some(inner) = &t.inner {
        o.str("inner", inner.protocol.name());
        o.str("inner_chosen_by", inner.chosen_by.name());
    }
    o.close();
}

fn step(b: &mut Block, s: &LadderStep) {
    let mut m = Members::open(b, 10);
    m.u64("frame", s.frame);
    m.str("from", side(s.sender));
    array(m.key("labels"), 12, &s.labels, |b, l| {
        b.string(l.text.as_bytes())
    });
    let frames: Vec<_> = s.h2_frames().collect();
    array(m.key("h2"), 12, &frames, |b, (kind, stream)| {
        let mut f = Members::open(b, 14);
        f.str("type", &kind.to_string());
        f.u64("stream", u64::from(*stream));
        f.close();
    });
    m.close();
}

/// The decoded connection's members, after `zeek` (six spaces in).
pub(super) fn app_members(b: &mut Block, a: &AppReport) {
    let conv = a.conversation.as_ref();
    let mut m = Members::after(b, 6);
    m.opt_str("protocol", conv.map(|c| c.protocol.name()));
    let exchanges: Vec<_> = a.exchanges().iter().zip(&a.delivered).collect();
    array(m.key("exchanges"), 8, &exchanges, |b, (e, delivered)| {
        let mut x = Members::open(b, 10);
        x.opt_u64("stream", e.stream.map(u64::from));
        x.opt_str("method", e.method.as_deref());
        x.opt_str("target", e.target.as_deref());
        x.opt_u64("status", e.status.map(u64::from));
        x.str("outcome", e.outcome.name());
        if let ExchangeOutcome::StreamReset(_, code) = e.outcome {
            x.str("stream_error", &code.to_string());
        }
        for (name, body) in [
            ("request_body", e.request_body),
            ("response_body", e.response_body),
        ] {
            match body {
                Some(body) => {
                    let mut o = Members::open(x.key(name), 12);
                    o.u64("seen", body.seen);
                    o.opt_u64("expected", body.expected);
                    o.close();
                }
                None => {
                    x.key(name).bytes(b"null");
                }
            }
        }
        x.opt_bool("response_delivered", **delivered);
        if let Some(a) = &e.alt_svc {
            x.str("alt_svc", a);
        }
        x.close();
    });
    match conv.and_then(|c| c.http2.as_ref()) {
        None => {
            m.key("http2").bytes(b"null");
        }
        Some(h) => {
            let mut o = Members::open(m.key("http2"), 8);
            let mut frames = Members::open(o.key("frames"), 10);
            for (name, counts) in ["client", "server"].into_iter().zip(&h.frames) {
                // By name, as the serde view's sorted map.
                let mut named: Vec<(String, u64)> =
                    counts.iter().map(|(k, n)| (k.to_string(), *n)).collect();
                named.sort();
                let mut c = Members::open(frames.key(name), 12);
                for (k, n) in &named {
                    c.u64(k, *n);
                }
                c.close();
            }
            frames.close();
            array(o.key("goaway"), 10, &h.goaways, |b, g| {
                let mut x = Members::open(b, 12);
                x.str("sender", side(g.sender));
                x.u64("last_stream", u64::from(g.last_stream));
                x.str("code", &g.code.to_string());
                x.close();
            });
            o.u64("protocol_errors", h.protocol_errors);
            o.close();
        }
    }
    if let Some(t) = conv.and_then(|c| c.tls.as_ref()) {
        tls_object(m.key("tls"), t);
    }
    match conv.and_then(|c| c.decode_error.as_ref()) {
        None => {
            m.key("decode_error").bytes(b"null");
        }
        Some(e) => {
            let mut o = Members::open(m.key("decode_error"), 8);
            o.str("sender", side(e.sender));
            o.u64("offset", e.offset);
            o.str("reason", &e.reason);
            o.close();
        }
    }
    let mut s = Members::open(m.key("streams"), 8);
    stream_object(s.key("client"), &a.streams[0]);
    stream_object(s.key("server"), &a.streams[1]);
    s.close();
    if let Some(ladder) = &a.ladder {
        array(m.key("ladder"), 8, ladder, step);
    }
}
