//! The per-connection object of the JSON document, written by hand.
//!
//! `--format json` writes one object per connection, hundreds of thousands
//! per capture; going through serde's pretty printer cost about three times
//! the whole analysis (formatting into a temporary, re-indenting it line by
//! line, an owned report with its strings per connection). This writer
//! appends the same bytes straight from a finished connection (or a
//! [`ConnectionReport`]) into the caller's buffer, with no allocation for
//! IPv4 connections. The layout is serde_json's pretty printer's (two spaces
//! per level, `"key": value`); floats go through serde_json itself, so they
//! keep its shortest round-trip digits. A test holds it byte for byte against
//! the serde views in `json.rs`, which remain the contract.

use std::io::Write;
use std::net::IpAddr;

use super::super::ConnectionReport;
use super::super::line::PAIRS;
use super::super::zeek::Fields;
use crate::flow::{Connection, Removal};
use crate::teardown::{Reset, Teardown};
use crate::wire::Endpoint;

/// What one connection's object is made of.
pub(in crate::report) struct View<'a> {
    id: u64,
    teardown: Teardown,
    removal: Removal,
    zeek: Fields<'a>,
}

impl<'a> View<'a> {
    /// From a finished connection, without building its report.
    pub(in crate::report) fn of_connection(c: &'a Connection) -> Self {
        View {
            id: c.id(),
            teardown: Teardown::of(c),
            removal: c.removal(),
            zeek: Fields::of_connection(c),
        }
    }

    /// From an owned report.
    pub(in crate::report) fn of_report(c: &'a ConnectionReport) -> Self {
        View {
            id: c.id,
            teardown: c.teardown,
            removal: c.removal,
            zeek: Fields::of_record(&c.zeek),
        }
    }
}

/// Appends `n` in decimal.
fn u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends a number or `null`.
fn opt_u64(out: &mut Vec<u8>, n: Option<u64>) {
    match n {
        Some(n) => u64(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends a finite float as serde_json prints it (shortest digits that
/// read back to the same value).
fn f64(out: &mut Vec<u8>, v: f64) {
    // Writing into a Vec cannot fail; serde_json prints a non-finite value
    // as `null`, which these (always finite) values never are.
    let _ = serde_json::to_writer(&mut *out, &v);
}

/// The value serde_json is given for a timestamp: the `%.6f` text of
/// [`crate::capture::Timestamp::zeek`] read back as a float.
pub(super) fn ts_value(nanos: i64) -> f64 {
    let micros = nanos.div_euclid(1_000);
    let (secs, frac) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    // The text is `-` (when secs < 0), |secs|, `.`, frac: the decimal
    // ±(|secs| · 10⁶ + frac) / 10⁶. While that integer is exact in a double,
    // one IEEE division rounds it to the nearest double, as parsing the text
    // (correctly rounded) does.
    let m = u128::from(secs.unsigned_abs()) * 1_000_000 + frac as u128;
    if m <= 1 << 53 {
        let v = m as f64 / 1e6;
        return if secs < 0 { -v } else { v };
    }
    format!("{secs}.{frac:06}").parse().unwrap_or(0.0)
}

/// The value serde_json is given for a duration: rounded to the microsecond.
pub(super) fn duration_value(nanos: i64) -> f64 {
    let micros = nanos.saturating_add(500).div_euclid(1_000);
    micros as f64 / 1e6
}

/// Appends a JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        start = i + 1;
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(esc);
        }
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

/// Appends an address as its `Display` text.
fn addr(out: &mut Vec<u8>, a: IpAddr) {
    match a {
        IpAddr::V4(a) => {
            let [a, b, c, d] = a.octets();
            u64(out, a.into());
            out.push(b'.');
            u64(out, b.into());
            out.push(b'.');
            u64(out, c.into());
            out.push(b'.');
            u64(out, d.into());
        }
        // Writing into a Vec cannot fail.
        IpAddr::V6(a) => {
            let _ = write!(out, "{a}");
        }
    }
}

/// Appends an endpoint as a JSON string of its `Display` text
/// (`a.b.c.d:port`, `[v6]:port`): no character in it needs escaping.
fn endpoint(out: &mut Vec<u8>, e: Endpoint) {
    out.push(b'"');
    match e.addr {
        IpAddr::V4(_) => addr(out, e.addr),
        IpAddr::V6(_) => {
            out.push(b'[');
            addr(out, e.addr);
            out.push(b']');
        }
    }
    out.push(b':');
    u64(out, e.port.into());
    out.push(b'"');
}

/// Appends a RST object (its members at `inner` indentation) or `null`.
fn reset(out: &mut Vec<u8>, r: Option<Reset>, inner: &[u8], close: &[u8]) {
    let Some(r) = r else {
        out.extend_from_slice(b"null");
        return;
    };
    out.extend_from_slice(b"{\n");
    out.extend_from_slice(inner);
    out.extend_from_slice(b"\"sender\": \"");
    out.extend_from_slice(r.sender.name().as_bytes());
    out.extend_from_slice(b"\",\n");
    out.extend_from_slice(inner);
    out.extend_from_slice(b"\"phase\": \"");
    out.extend_from_slice(r.phase.name().as_bytes());
    out.extend_from_slice(b"\",\n");
    out.extend_from_slice(inner);
    out.extend_from_slice(b"\"frame\": ");
    u64(out, r.frame);
    out.push(b'\n');
    out.extend_from_slice(close);
    out.push(b'}');
}

/// Appends one connection's object as an element of the document's
/// `connections` array: its opening brace at the current position, its
/// members six spaces in, its closing brace four.
pub(in crate::report) fn append_connection(out: &mut Vec<u8>, v: &View<'_>) {
    const M: &[u8] = b"      "; // members
    const N: &[u8] = b"        "; // members of nested objects
    let t = &v.teardown;
    let z = &v.zeek;
    let key = |out: &mut Vec<u8>, indent: &[u8], k: &[u8]| {
        out.extend_from_slice(indent);
        out.push(b'"');
        out.extend_from_slice(k);
        out.extend_from_slice(b"\": ");
    };
    out.extend_from_slice(b"{\n");
    key(out, M, b"id");
    u64(out, v.id);
    out.extend_from_slice(b",\n");
    key(out, M, b"client");
    endpoint(out, t.client);
    out.extend_from_slice(b",\n");
    key(out, M, b"server");
    endpoint(out, t.server);
    out.extend_from_slice(b",\n");
    key(out, M, b"client_from_syn");
    out.extend_from_slice(if t.client_from_syn { b"true" } else { b"false" });
    out.extend_from_slice(b",\n");
    key(out, M, b"ended");
    string(out, t.ending.name().as_bytes());
    out.extend_from_slice(b",\n");
    key(out, M, b"closed_first");
    match t.closed_first {
        Some(r) => string(out, r.name().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\n");
    for (k, r) in [
        (&b"rst"[..], t.first_rst),
        (b"client_rst", t.client_rst),
        (b"server_rst", t.server_rst),
    ] {
        key(out, M, k);
        reset(out, r, N, M);
        out.extend_from_slice(b",\n");
    }
    key(out, M, b"bytes");
    out.extend_from_slice(b"{\n");
    key(out, N, b"client_to_server");
    u64(out, t.bytes_client_to_server);
    out.extend_from_slice(b",\n");
    key(out, N, b"server_to_client");
    u64(out, t.bytes_server_to_client);
    out.push(b'\n');
    out.extend_from_slice(M);
    out.extend_from_slice(b"},\n");
    key(out, M, b"frames");
    out.extend_from_slice(b"{\n");
    key(out, N, b"first");
    u64(out, t.frames.first);
    let f = &t.frames;
    for (k, n) in [
        (&b"syn"[..], f.syn),
        (b"client_fin", f.client_fin),
        (b"server_fin", f.server_fin),
        (b"client_rst", f.client_rst),
        (b"server_rst", f.server_rst),
    ] {
        out.extend_from_slice(b",\n");
        key(out, N, k);
        opt_u64(out, n);
    }
    out.push(b'\n');
    out.extend_from_slice(M);
    out.extend_from_slice(b"},\n");
    key(out, M, b"removed_by");
    string(out, v.removal.name().as_bytes());
    out.extend_from_slice(b",\n");
    key(out, M, b"zeek");
    out.extend_from_slice(b"{\n");
    key(out, N, b"ts");
    f64(out, ts_value(z.ts.0));
    out.extend_from_slice(b",\n");
    key(out, N, b"orig_h");
    out.push(b'"');
    addr(out, z.orig.addr);
    out.extend_from_slice(b"\",\n");
    key(out, N, b"orig_p");
    u64(out, z.orig.port.into());
    out.extend_from_slice(b",\n");
    key(out, N, b"resp_h");
    out.push(b'"');
    addr(out, z.resp.addr);
    out.extend_from_slice(b"\",\n");
    key(out, N, b"resp_p");
    u64(out, z.resp.port.into());
    out.extend_from_slice(b",\n");
    key(out, N, b"proto");
    out.extend_from_slice(b"\"tcp\",\n");
    key(out, N, b"duration");
    match z.duration {
        Some(d) => f64(out, duration_value(d.0)),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\n");
    key(out, N, b"orig_bytes");
    opt_u64(out, z.orig_bytes);
    out.extend_from_slice(b",\n");
    key(out, N, b"resp_bytes");
    opt_u64(out, z.resp_bytes);
    out.extend_from_slice(b",\n");
    key(out, N, b"conn_state");
    string(out, z.conn_state.name().as_bytes());
    out.extend_from_slice(b",\n");
    key(out, N, b"history");
    if z.history.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        string(out, z.history);
    }
    for (k, n) in [
        (&b"orig_pkts"[..], z.orig_pkts),
        (b"orig_ip_bytes", z.orig_ip_bytes),
        (b"resp_pkts", z.resp_pkts),
        (b"resp_ip_bytes", z.resp_ip_bytes),
    ] {
        out.extend_from_slice(b",\n");
        key(out, N, k);
        u64(out, n);
    }
    out.push(b'\n');
    out.extend_from_slice(M);
    out.extend_from_slice(b"}\n    }");
}
