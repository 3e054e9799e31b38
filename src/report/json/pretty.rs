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
//! the serde views in `json.rs`, which remain the contract. The `quic`
//! array's objects are written the same way (`quic_object`).

mod app_members;
mod members;
mod quic_object;

pub(in crate::report) use quic_object::append_quic;

use std::io::Write;
use std::net::IpAddr;

use super::super::ConnectionReport;
use super::super::line::{PAIRS, decimal_len, octet_text, write_decimal};
use super::super::zeek::Fields;
use super::side_index;
use crate::app::AppReport;
use crate::capture::Timestamp;
use crate::flow::{Connection, Removal};
use crate::teardown::{Reset, Teardown};
use crate::wire::Endpoint;

/// What one connection's object is made of.
pub(in crate::report) struct View<'a> {
    id: u64,
    teardown: Teardown,
    removal: Removal,
    zeek: Fields<'a>,
    app: Option<&'a AppReport>,
}

impl<'a> View<'a> {
    /// From a finished connection, without building its report.
    pub(in crate::report) fn of_connection(c: &'a Connection, app: Option<&'a AppReport>) -> Self {
        View {
            id: c.id(),
            teardown: Teardown::of(c),
            removal: c.removal(),
            zeek: Fields::of_connection(c),
            app,
        }
    }

    /// From an owned report.
    pub(in crate::report) fn of_report(c: &'a ConnectionReport) -> Self {
        View {
            id: c.id,
            teardown: c.teardown,
            removal: c.removal,
            zeek: Fields::of_record(&c.zeek),
            app: c.app.as_deref(),
        }
    }
}

/// A block of text being written: a buffer whose bytes past `len` are
/// scratch space, kept (never zeroed again) from one block to the next, so
/// that each piece is one bounds-checked copy into place rather than a
/// call that grows a `Vec`.
#[derive(Default)]
pub(in crate::report) struct Block {
    buf: Vec<u8>,
    len: usize,
}

impl Block {
    /// Empties the block (keeping its buffer).
    pub(in crate::report) fn clear(&mut self) {
        self.len = 0;
    }

    /// The text written.
    pub(in crate::report) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Room for `n` more bytes.
    #[inline]
    fn room(&mut self, n: usize) -> &mut [u8] {
        let end = self.len + n;
        if end > self.buf.len() {
            self.grow(end);
        }
        &mut self.buf[self.len..end]
    }

    #[cold]
    fn grow(&mut self, end: usize) {
        let size = end.max(self.buf.len() * 2).max(64 * 1024);
        self.buf.resize(size, 0);
    }

    /// Appends bytes.
    #[inline]
    pub(in crate::report) fn bytes(&mut self, b: &[u8]) {
        self.room(b.len()).copy_from_slice(b);
        self.len += b.len();
    }

    /// Starts an object member: `sep`, `indent` spaces and `"name": `, in
    /// one reservation (a JSON document writes dozens per connection, and
    /// five small appends cost twice the instructions of one).
    #[inline]
    pub(in crate::report) fn member(&mut self, sep: &[u8], indent: usize, name: &str) {
        let name = name.as_bytes();
        let total = sep.len() + indent + name.len() + 4;
        let room = self.room(total);
        let (head, rest) = room.split_at_mut(sep.len());
        head.copy_from_slice(sep);
        let (spaces, rest) = rest.split_at_mut(indent);
        spaces.fill(b' ');
        let (quote, rest) = rest.split_at_mut(1);
        quote[0] = b'"';
        let (text, tail) = rest.split_at_mut(name.len());
        text.copy_from_slice(name);
        tail.copy_from_slice(b"\": ");
        self.len += total;
    }

    /// Appends `n` in decimal, two digits per step.
    #[inline]
    pub(in crate::report) fn u64(&mut self, n: u64) {
        // Most counts, flags and small frame numbers: one step, no length.
        if n < 10 {
            self.bytes(&[b'0' + n as u8]);
        } else if n < 100 {
            let i = n as usize * 2;
            self.bytes(&PAIRS[i..i + 2]);
        } else {
            self.u64_long(n);
        }
    }

    /// [`Block::u64`] from three digits on.
    fn u64_long(&mut self, n: u64) {
        let digits = decimal_len(n);
        write_decimal(self.room(digits), n);
        self.len += digits;
    }

    /// Appends an address octet: at most three digits, one step each.
    #[inline]
    fn octet(&mut self, n: u8) {
        let (text, len) = octet_text(n);
        self.bytes(&text[..len]);
    }

    /// Appends a number or `null`.
    fn opt_u64(&mut self, n: Option<u64>) {
        match n {
            Some(n) => self.u64(n),
            None => self.bytes(b"null"),
        }
    }

    /// Appends a finite float as serde_json prints it (shortest digits that
    /// read back to the same value).
    fn f64(&mut self, v: f64) {
        // Shortest digits of a double: at most 24 bytes.
        let mut room: &mut [u8] = self.room(32);
        let before = room.len();
        // Writing into a slice fails only when it is full, which 32 bytes
        // are not; serde_json prints a non-finite value as `null`, which
        // these (always finite) values never are.
        let _ = serde_json::to_writer(&mut room, &v);
        self.len += before - room.len();
    }

    /// Appends an address as its `Display` text.
    fn addr(&mut self, a: IpAddr) {
        match a {
            IpAddr::V4(a) => {
                let [a, b, c, d] = a.octets();
                self.octet(a);
                self.bytes(b".");
                self.octet(b);
                self.bytes(b".");
                self.octet(c);
                self.bytes(b".");
                self.octet(d);
            }
            IpAddr::V6(a) => {
                // The longest IPv6 text is 45 bytes.
                let mut room: &mut [u8] = self.room(64);
                let before = room.len();
                let _ = write!(room, "{a}");
                self.len += before - room.len();
            }
        }
    }

    /// Appends an endpoint as a JSON string of its `Display` text
    /// (`a.b.c.d:port`, `[v6]:port`): no character in it needs escaping.
    fn endpoint(&mut self, e: Endpoint) {
        match e.addr {
            IpAddr::V4(_) => {
                self.bytes(b"\"");
                self.addr(e.addr);
            }
            IpAddr::V6(_) => {
                self.bytes(b"\"[");
                self.addr(e.addr);
                self.bytes(b"]");
            }
        }
        self.bytes(b":");
        self.u64(e.port.into());
        self.bytes(b"\"");
    }

    /// Appends one of the outputs' fixed names (`fin`, `close_timer`, `SF`,
    /// …) as a JSON string: letters, digits, `_` and `-` only, which need no
    /// escaping (`fixed_names_need_no_escaping` checks them all).
    #[inline]
    fn name(&mut self, name: &str) {
        self.bytes(b"\"");
        self.bytes(name.as_bytes());
        self.bytes(b"\"");
    }

    /// Appends a JSON string, escaped as serde_json escapes it.
    fn string(&mut self, s: &[u8]) {
        self.bytes(b"\"");
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
            self.bytes(&s[start..i]);
            start = i + 1;
            if esc.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.bytes(b"\\u00");
                self.bytes(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
            } else {
                self.bytes(esc);
            }
        }
        self.bytes(&s[start..]);
        self.bytes(b"\"");
    }

    /// Appends a RST object or `null` (its members eight spaces in), with
    /// what it destroyed when the connection was decoded.
    fn reset(&mut self, r: Option<Reset>, app: Option<&AppReport>) {
        let Some(r) = r else {
            self.bytes(b"null");
            return;
        };
        self.bytes(b"{\n        \"sender\": \"");
        self.bytes(r.sender.name().as_bytes());
        self.bytes(b"\",\n        \"phase\": \"");
        self.bytes(r.phase.name().as_bytes());
        self.bytes(b"\",\n        \"frame\": ");
        self.u64(r.frame);
        if let Some(a) = app {
            app_members::rst_members(self, a.rst[side_index(r.sender)].as_ref());
        }
        self.bytes(b"\n      }");
    }
}

/// The value serde_json is given for a timestamp: the `%.6f` text of
/// [`crate::capture::Timestamp::zeek`] read back as a float.
pub(super) fn ts_value(nanos: i64) -> f64 {
    // The text is `-` (before the epoch), then the magnitude in whole
    // microseconds / 10⁶ with six decimals. While that integer is exact in
    // a double, one IEEE division rounds it to the nearest double, as
    // parsing the text (correctly rounded) does.
    let m = nanos.unsigned_abs() / 1_000;
    if m <= 1 << 53 {
        let v = m as f64 / 1e6;
        return if nanos < 0 { -v } else { v };
    }
    Timestamp(nanos).zeek().parse().unwrap_or(0.0)
}

/// The value serde_json is given for a duration: rounded to the microsecond.
pub(super) fn duration_value(nanos: i64) -> f64 {
    let micros = nanos.saturating_add(500).div_euclid(1_000);
    micros as f64 / 1e6
}

/// Appends one connection's object as an element of the document's
/// `connections` array: its opening brace at the current position, its
/// members six spaces in, its closing brace four. Constant text between two
/// values is written as one piece.
pub(in crate::report) fn append_connection(b: &mut Block, v: &View<'_>) {
    let t = &v.teardown;
    let z = &v.zeek;
    b.bytes(b"{\n      \"id\": ");
    b.u64(v.id);
    b.bytes(b",\n      \"client\": ");
    b.endpoint(t.client);
    b.bytes(b",\n      \"server\": ");
    b.endpoint(t.server);
    b.bytes(if t.client_from_syn {
        b",\n      \"client_from_syn\": true,\n      \"ended\": "
    } else {
        b",\n      \"client_from_syn\": false,\n      \"ended\": "
    });
    b.name(t.ending.name());
    b.bytes(b",\n      \"closed_first\": ");
    match t.closed_first {
        Some(r) => b.name(r.name()),
        None => b.bytes(b"null"),
    }
    b.bytes(b",\n      \"rst\": ");
    b.reset(t.first_rst, v.app);
    b.bytes(b",\n      \"client_rst\": ");
    b.reset(t.client_rst, v.app);
    b.bytes(b",\n      \"server_rst\": ");
    b.reset(t.server_rst, v.app);
    b.bytes(b",\n      \"bytes\": {\n        \"client_to_server\": ");
    b.u64(t.bytes_client_to_server);
    b.bytes(b",\n        \"server_to_client\": ");
    b.u64(t.bytes_server_to_client);
    let f = &t.frames;
    b.bytes(b"\n      },\n      \"frames\": {\n        \"first\": ");
    b.u64(f.first);
    b.bytes(b",\n        \"syn\": ");
    b.opt_u64(f.syn);
    b.bytes(b",\n        \"client_fin\": ");
    b.opt_u64(f.client_fin);
    b.bytes(b",\n        \"server_fin\": ");
    b.opt_u64(f.server_fin);
    b.bytes(b",\n        \"client_rst\": ");
    b.opt_u64(f.client_rst);
    b.bytes(b",\n        \"server_rst\": ");
    b.opt_u64(f.server_rst);
    b.bytes(b"\n      },\n      \"removed_by\": ");
    b.name(v.removal.name());
    b.bytes(b",\n      \"zeek\": {\n        \"ts\": ");
    b.f64(ts_value(z.ts.0));
    b.bytes(b",\n        \"orig_h\": \"");
    b.addr(z.orig.addr);
    b.bytes(b"\",\n        \"orig_p\": ");
    b.u64(z.orig.port.into());
    b.bytes(b",\n        \"resp_h\": \"");
    b.addr(z.resp.addr);
    b.bytes(b"\",\n        \"resp_p\": ");
    b.u64(z.resp.port.into());
    b.bytes(b",\n        \"proto\": \"");
    b.bytes(z.proto.name().as_bytes());
    b.bytes(b"\",\n        \"duration\": ");
    match z.duration {
        Some(d) => b.f64(duration_value(d.0)),
        None => b.bytes(b"null"),
    }
    b.bytes(b",\n        \"orig_bytes\": ");
    b.opt_u64(z.orig_bytes);
    b.bytes(b",\n        \"resp_bytes\": ");
    b.opt_u64(z.resp_bytes);
    b.bytes(b",\n        \"conn_state\": ");
    b.name(z.conn_state.name());
    b.bytes(b",\n        \"missed_bytes\": ");
    b.u64(z.missed_bytes);
    b.bytes(b",\n        \"history\": ");
    if z.history.is_empty() {
        b.bytes(b"null");
    } else {
        b.string(z.history);
    }
    b.bytes(b",\n        \"orig_pkts\": ");
    b.u64(z.orig_pkts);
    b.bytes(b",\n        \"orig_ip_bytes\": ");
    b.u64(z.orig_ip_bytes);
    b.bytes(b",\n        \"resp_pkts\": ");
    b.u64(z.resp_pkts);
    b.bytes(b",\n        \"resp_ip_bytes\": ");
    b.u64(z.resp_ip_bytes);
    b.bytes(b"\n      }");
    if let Some(a) = v.app {
        app_members::app_members(b, a);
    }
    b.bytes(b"\n    }");
}
