//! One element of the document's `quic` array, written by hand in
//! serde_json's pretty layout. Through the serde views (`json/quic.rs`,
//! `json/quic_keyed.rs`) each connection cost an owned view with its own
//! strings, the printer's text, then a pass re-indenting it line by line:
//! on a capture of many short HTTP/3 connections that was most of the
//! main thread's work. The views stay the contract; the JSON tests hold
//! these bytes against them, with and without a key log.

use super::Block;
use super::members::{Members, array, strings};
use crate::app::h3::H3Report;
use crate::app::quic::{PacketCounts, QuicReport, TokenSource};
use crate::proto::h3::frame::{setting_name, type_name};
use crate::proto::quic::{Side, TransportParameter, Version};
use crate::proto::tls::names;

fn side(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

impl Block {
    /// Appends bytes as a JSON string of lowercase hex digit pairs, as a
    /// connection ID's `Display` writes them (nothing to escape).
    fn hex(&mut self, bytes: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let room = self.room(bytes.len() * 2 + 2);
        room[0] = b'"';
        for (pair, &byte) in room[1..].chunks_exact_mut(2).zip(bytes) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        room[bytes.len() * 2 + 1] = b'"';
        self.len += bytes.len() * 2 + 2;
    }

    /// Appends `n` in lowercase hex without leading zeros, as `{:x}` does.
    fn lower_hex(&mut self, n: u64) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digits = ((64 - n.leading_zeros() as usize).div_ceil(4)).max(1);
        let room = self.room(digits);
        for (i, d) in room.iter_mut().rev().enumerate() {
            *d = HEX[((n >> (4 * i)) & 0xf) as usize];
        }
        self.len += digits;
    }

    /// Appends a version as a JSON string of its `Display` text.
    fn version(&mut self, v: Version) {
        match v {
            Version::NEGOTIATION => self.bytes(b"\"negotiation\""),
            Version::V1 => self.bytes(b"\"1\""),
            Version::V2 => self.bytes(b"\"2\""),
            // Hex digits: nothing to escape.
            v => self.name(&v.to_string()),
        }
    }

    /// Appends anything's `Display` text as an escaped JSON string.
    fn display(&mut self, v: &impl std::fmt::Display) {
        self.string(v.to_string().as_bytes());
    }
}

/// A transport parameter as an element of its array: `{"name": …,
/// "value": …}`, its members ten spaces in. The value is a number for the
/// integer parameters, `null` for the flags, text for the rest (§18.2).
/// Clients send unknown (GREASE, §18.1) parameters in most handshakes:
/// their `0x…` name and `N bytes` value are written in place, as their
/// `Display` texts read. A connection has a dozen or more parameters, so
/// the constant text around the values is written in whole pieces.
fn param(b: &mut Block, p: &TransportParameter) {
    b.bytes(b"{\n          \"name\": ");
    match (p.known_name(), p) {
        (Some(name), _) => b.name(name),
        (None, TransportParameter::Other { id, .. }) => {
            b.bytes(b"\"0x");
            b.lower_hex(*id);
            b.bytes(b"\"");
        }
        (None, _) => b.string(p.name().as_bytes()),
    }
    b.bytes(b",\n          \"value\": ");
    if let Some(v) = p.number() {
        b.u64(v);
    } else if p.is_flag() {
        b.bytes(b"null");
    } else if let Some(id) = p.connection_id_bytes() {
        b.hex(id);
    } else if let TransportParameter::Other { len, .. }
    | TransportParameter::PreferredAddress(len) = p
    {
        b.bytes(b"\"");
        b.u64(*len as u64);
        b.bytes(b" bytes\"");
    } else {
        b.string(p.value().as_bytes());
    }
    b.bytes(b"\n        }");
}

/// A list of transport parameters, the value of a member six spaces in.
fn params(b: &mut Block, ps: &[TransportParameter]) {
    if ps.is_empty() {
        b.bytes(b"[]");
        return;
    }
    for (i, p) in ps.iter().enumerate() {
        b.bytes(if i == 0 {
            b"[\n        "
        } else {
            b",\n        "
        });
        param(b, p);
    }
    b.bytes(b"\n      ]");
}

/// One side's packet counts, the value of a member eight spaces in, in
/// whole pieces of constant text as [`param`].
fn counts(b: &mut Block, c: &PacketCounts) {
    b.bytes(b"{\n          \"initial\": ");
    b.u64(c.initial.into());
    b.bytes(b",\n          \"zero_rtt\": ");
    b.u64(c.zero_rtt.into());
    b.bytes(b",\n          \"handshake\": ");
    b.u64(c.handshake.into());
    b.bytes(b",\n          \"one_rtt\": ");
    b.u64(c.one_rtt.into());
    b.bytes(b",\n          \"retry\": ");
    b.u64(c.retry.into());
    b.bytes(b",\n          \"version_negotiation\": ");
    b.u64(c.version_negotiation.into());
    b.bytes(b",\n          \"unknown_version\": ");
    b.u64(c.unknown_version.into());
    b.bytes(b"\n        }");
}

/// The `http3` object (its members eight spaces in).
fn http3(b: &mut Block, h: &H3Report) {
    let mut o = Members::open(b, 8);
    array(o.key("settings"), 10, &h.settings, |b, s| {
        let mut x = Members::open(b, 12);
        x.str("by", side(s.by));
        x.u64("frame", s.frame);
        array(x.key("values"), 14, &s.values, |b, &(id, value)| {
            let mut v = Members::open(b, 16);
            v.str("name", &setting_name(id));
            v.u64("id", id);
            v.u64("value", value);
            v.close();
        });
        x.close();
    });
    if !h.goaway.is_empty() {
        array(o.key("goaway"), 10, &h.goaway, |b, g| {
            let mut x = Members::open(b, 12);
            x.str("by", side(g.by));
            x.u64("frame", g.frame);
            x.u64("id", g.id);
            x.close();
        });
    }
    array(
        o.key("unidirectional_streams"),
        10,
        &h.uni_streams,
        |b, u| {
            let mut x = Members::open(b, 12);
            x.str("by", side(u.by));
            x.u64("frame", u.frame);
            x.u64("stream", u.id);
            x.str("kind", &u.kind.name());
            x.close();
        },
    );
    array(o.key("exchanges"), 10, &h.exchanges, |b, e| {
        let mut x = Members::open(b, 12);
        x.u64("stream", e.stream);
        x.opt_u64("request_frame", e.request_frame);
        x.opt_str("method", e.method.as_deref());
        x.opt_str("authority", e.authority.as_deref());
        x.opt_str("path", e.path.as_deref());
        x.u64("request_body", e.request_body);
        x.opt_u64("request_end_frame", e.request_end);
        x.opt_u64("response_frame", e.response_frame);
        x.opt_u64("status", e.status.map(u64::from));
        x.u64("response_body", e.response_body);
        x.opt_u64("response_end_frame", e.response_end);
        if let Some(u) = &e.undecoded {
            x.key("undecoded").display(u);
        }
        x.close();
    });
    array(o.key("frames"), 10, &h.frames, |b, f| {
        let mut x = Members::open(b, 12);
        x.u64("frame", f.frame);
        x.str("by", side(f.by));
        x.u64("stream", f.stream);
        x.key("kind").name(type_name(f.kind));
        x.u64("type_value", f.kind);
        x.u64("length", f.len);
        x.close();
    });
    let mut q = Members::open(o.key("qpack_encoder_bytes"), 10);
    q.u64("client", h.qpack_encoder_bytes[0]);
    q.u64("server", h.qpack_encoder_bytes[1]);
    q.close();
    if !h.problems.is_empty() {
        array(o.key("problems"), 10, &h.problems, |b, p| {
            let mut x = Members::open(b, 12);
            x.u64("frame", p.frame);
            x.str("by", side(p.by));
            x.u64("stream", p.stream);
            x.key("error").display(&p.error);
            x.close();
        });
    }
    o.close();
}

/// Appends one QUIC connection's object as an element of the `quic` array:
/// its opening brace at the current position, its members six spaces in,
/// its closing brace four. Members appear, or are left out when empty, as
/// in the serde view `QuicView`.
pub(in crate::report) fn append_quic(b: &mut Block, q: &QuicReport) {
    // The members every connection has, up to `version`, in whole pieces
    // of constant text; then the rest one by one.
    b.bytes(b"{\n      \"client\": ");
    b.endpoint(q.client);
    b.bytes(b",\n      \"server\": ");
    b.endpoint(q.server);
    b.bytes(b",\n      \"first_frame\": ");
    b.u64(q.first_frame);
    b.bytes(b",\n      \"first_ts\": ");
    b.f64(q.first_ts.as_secs_f64());
    b.bytes(b",\n      \"last_ts\": ");
    b.f64(q.last_ts.as_secs_f64());
    b.bytes(b",\n      \"version\": ");
    match q.version {
        Some(v) => b.version(v),
        None => b.bytes(b"null"),
    }
    let mut m = Members::after(b, 6);
    if let Some(vs) = &q.negotiation {
        array(m.key("version_negotiation"), 8, vs, |b, &v| b.version(v));
    }
    m.key("dcid").hex(&q.original_dcid.0);
    for (name, id) in [("scid", &q.client_scid), ("server_scid", &q.server_scid)] {
        match id {
            Some(id) => m.key(name).hex(&id.0),
            None => m.key(name).bytes(b"null"),
        }
    }
    if let Some(r) = &q.retry {
        let mut x = Members::open(m.key("retry"), 8);
        x.u64("frame", r.frame);
        x.u64("token_length", r.token_len as u64);
        x.key("scid").hex(&r.scid.0);
        x.bool("integrity_tag_valid", r.tag_valid);
        x.close();
    }
    m.u64("token_length", q.token_len as u64);
    m.opt_str("sni", q.sni.as_deref());
    strings(m.key("alpn_offered"), 8, &q.alpn_offered);
    params(m.key("transport_parameters"), &q.transport_parameters);
    if let Some(h) = &q.server_hello {
        let mut x = Members::open(m.key("server_hello"), 8);
        x.str("version", &h.version.text());
        x.str("cipher_suite", &names::cipher_suite(h.cipher_suite));
        x.close();
    }
    let packets = m.key("packets");
    packets.bytes(b"{\n        \"client\": ");
    counts(packets, &q.client_packets);
    packets.bytes(b",\n        \"server\": ");
    counts(packets, &q.server_packets);
    packets.bytes(b"\n      }");
    m.bool("handshake_completed", q.handshake_completed);
    if let Some(k) = &q.keys {
        let mut x = Members::open(m.key("keys"), 8);
        x.str("status", k.status.name());
        if !k.reason.is_empty() {
            x.str("reason", &k.reason);
        }
        x.close();
    }
    if let Some(a) = &q.alpn {
        m.str("alpn", a);
    }
    if !q.server_transport_parameters.is_empty() {
        params(
            m.key("server_transport_parameters"),
            &q.server_transport_parameters,
        );
    }
    if let Some(f) = q.handshake_done {
        m.u64("handshake_done_frame", f);
    }
    if !q.new_connection_ids.is_empty() {
        array(
            m.key("new_connection_ids"),
            8,
            &q.new_connection_ids,
            |b, n| {
                let mut x = Members::open(b, 10);
                x.str("by", side(n.by));
                x.u64("frame", n.frame);
                x.u64("sequence", n.sequence);
                x.key("cid").hex(&n.cid.0);
                x.key("stateless_reset_token").hex(&n.token);
                x.close();
            },
        );
    }
    if q.keys.is_some() {
        let mut x = Members::open(m.key("key_updates"), 8);
        x.u64("client", q.key_updates[0].into());
        x.u64("server", q.key_updates[1].into());
        x.close();
    }
    if let Some(h) = &q.http3 {
        http3(m.key("http3"), h);
    }
    if let Some(c) = &q.close {
        let mut x = Members::open(m.key("connection_close"), 8);
        x.str("by", side(c.by));
        x.u64("frame", c.frame);
        x.str("packet", c.packet.name());
        x.str(
            "frame_type",
            if c.close.application { "0x1d" } else { "0x1c" },
        );
        x.u64("error_code", c.close.code);
        x.str("error", &q.close_name().unwrap_or_default());
        if let Some(t) = c.close.frame_type {
            x.u64("triggering_frame_type", t);
        }
        x.str("reason", &c.close.reason);
        x.close();
    }
    if let Some(r) = &q.stateless_reset {
        let mut x = Members::open(m.key("stateless_reset"), 8);
        x.str("by", side(r.by));
        x.u64("frame", r.frame);
        match r.token_from {
            TokenSource::TransportParameter => x.str("token_from", "transport_parameter"),
            TokenSource::NewConnectionId(n) => {
                x.str("token_from", "new_connection_id");
                x.u64("sequence", n);
            }
        }
        x.close();
    }
    if let Some(i) = &q.icmp {
        let mut x = Members::open(m.key("icmp"), 8);
        x.u64("frame", i.frame);
        let reporter = x.key("reporter");
        reporter.bytes(b"\"");
        reporter.addr(i.reporter);
        reporter.bytes(b"\"");
        x.str("about", side(i.about));
        x.str("kind", &i.kind.name());
        x.close();
    }
    m.u64("datagrams", q.datagrams);
    m.opt_u64("idle_timeout_ms", q.idle_timeout_ms);
    m.str("ending", q.ending.name());
    m.bool("silent_past_idle", q.silent_past_idle);
    if !q.problems.is_empty() {
        array(m.key("problems"), 8, &q.problems, |b, p| {
            let mut x = Members::open(b, 10);
            x.u64("frame", p.frame);
            x.str("from", side(p.from));
            x.key("error").display(&p.error);
            x.close();
        });
    }
    m.close();
}
