//! Zeek conn.log TSV for TCP connections.
//!
//! The header follows Zeek's ASCII writer (`#separator`, `#set_separator`,
//! `#empty_field`, `#unset_field`, `#path`, `#fields`, `#types`), without the
//! `#open`/`#close` lines, whose wall-clock dates would make the output differ
//! from run to run. Rows carry the subset of conn.log columns the TCP state
//! decides; unset values are `-` (`docs/zeek-conn-state.md` §5.6, §6.2). Times are
//! printed with six decimals, as Zeek's `%.6f`.

use std::io::{self, Write};

use super::ZeekRecord;
use super::line::{Line, MAX_ITEM};
use crate::capture::Timestamp;
use crate::flow::{ConnState, Connection};
use crate::wire::Endpoint;

/// The column names, in order.
pub const FIELDS: [&str; 15] = [
    "ts",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
];

const TYPES: [&str; 15] = [
    "time", "addr", "port", "addr", "port", "enum", "interval", "count", "count", "string",
    "string", "count", "count", "count", "count",
];

/// The header lines.
pub fn header() -> String {
    let mut s = String::new();
    s.push_str("#separator \\x09\n");
    s.push_str("#set_separator\t,\n");
    s.push_str("#empty_field\t(empty)\n");
    s.push_str("#unset_field\t-\n");
    s.push_str("#path\tconn\n");
    s.push_str("#fields\t");
    s.push_str(&FIELDS.join("\t"));
    s.push_str("\n#types\t");
    s.push_str(&TYPES.join("\t"));
    s.push('\n');
    s
}

/// One row's fields, borrowed from a [`ZeekRecord`] or straight from a
/// finished [`Connection`] (the streaming path, which skips building the
/// owned record and its history string).
pub(super) struct Fields<'a> {
    pub(super) ts: Timestamp,
    pub(super) orig: Endpoint,
    pub(super) resp: Endpoint,
    pub(super) duration: Option<Timestamp>,
    pub(super) orig_bytes: Option<u64>,
    pub(super) resp_bytes: Option<u64>,
    pub(super) conn_state: ConnState,
    pub(super) history: &'a [u8],
    pub(super) orig_pkts: u64,
    pub(super) orig_ip_bytes: u64,
    pub(super) resp_pkts: u64,
    pub(super) resp_ip_bytes: u64,
}

impl<'a> Fields<'a> {
    pub(super) fn of_record(z: &'a ZeekRecord) -> Self {
        Fields {
            ts: z.ts,
            orig: z.orig,
            resp: z.resp,
            duration: z.duration,
            orig_bytes: z.orig_bytes,
            resp_bytes: z.resp_bytes,
            conn_state: z.conn_state,
            history: z.history.as_bytes(),
            orig_pkts: z.orig_pkts,
            orig_ip_bytes: z.orig_ip_bytes,
            resp_pkts: z.resp_pkts,
            resp_ip_bytes: z.resp_ip_bytes,
        }
    }

    pub(super) fn of_connection(c: &'a Connection) -> Self {
        let (o, r) = (c.orig(), c.resp());
        let duration = c.duration();
        Fields {
            ts: c.ts(),
            orig: o.addr,
            resp: r.addr,
            duration,
            orig_bytes: duration.map(|_| o.bytes),
            resp_bytes: duration.map(|_| r.bytes),
            conn_state: c.conn_state(),
            history: c.history_bytes(),
            orig_pkts: o.tcp.pkts(),
            orig_ip_bytes: o.tcp.ip_bytes(),
            resp_pkts: r.tcp.pkts(),
            resp_ip_bytes: r.tcp.ip_bytes(),
        }
    }
}

fn append(out: &mut Vec<u8>, f: &Fields<'_>) {
    // 15 fields: 13 numbers, times or addresses, `tcp`, the state, tabs.
    let mut line = Line::new(out, 16 * MAX_ITEM + f.history.len());
    line.secs(f.ts.0);
    line.byte(b'\t');
    line.addr(f.orig.addr);
    line.byte(b'\t');
    line.u64(u64::from(f.orig.port));
    line.byte(b'\t');
    line.addr(f.resp.addr);
    line.byte(b'\t');
    line.u64(u64::from(f.resp.port));
    line.bytes(b"\ttcp\t");
    match f.duration {
        // Durations are rounded to the microsecond, as `%.6f` of Zeek's
        // double difference would.
        Some(d) => line.secs(d.0.saturating_add(500)),
        None => line.byte(b'-'),
    }
    line.byte(b'\t');
    line.count(f.orig_bytes);
    line.byte(b'\t');
    line.count(f.resp_bytes);
    line.byte(b'\t');
    line.bytes(f.conn_state.name().as_bytes());
    line.byte(b'\t');
    if f.history.is_empty() {
        line.byte(b'-');
    } else {
        line.bytes(f.history);
    }
    for n in [f.orig_pkts, f.orig_ip_bytes, f.resp_pkts, f.resp_ip_bytes] {
        line.byte(b'\t');
        line.u64(n);
    }
    line.finish();
}

/// One conn.log row (without the newline).
pub fn row(z: &ZeekRecord) -> String {
    let mut out = Vec::with_capacity(128);
    append(&mut out, &Fields::of_record(z));
    // Only ASCII is ever pushed; the empty string is a harmless fallback.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the conn.log row of a finished connection and a newline to
/// `out`: the same text as [`row`] of its [`ZeekRecord`], without building
/// the record.
pub fn append_connection(out: &mut Vec<u8>, c: &Connection) {
    append(out, &Fields::of_connection(c));
    out.push(b'\n');
}

/// Writes one row and a newline.
///
/// # Errors
///
/// When `out` fails.
pub fn write_row(out: &mut impl Write, z: &ZeekRecord) -> io::Result<()> {
    out.write_all(row(z).as_bytes())?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::flow::ConnState;
    use crate::wire::Endpoint;

    fn rec() -> ZeekRecord {
        ZeekRecord {
            ts: Timestamp(1_362_692_526_939_084_000),
            orig: Endpoint {
                addr: "141.142.228.5".parse().unwrap(),
                port: 59856,
            },
            resp: Endpoint {
                addr: "2001:db8::1".parse().unwrap(),
                port: 80,
            },
            duration: Some(Timestamp(141_743_600)),
            orig_bytes: Some(136),
            resp_bytes: Some(5007),
            conn_state: ConnState::SF,
            history: "ShADadFf".into(),
            orig_pkts: 7,
            orig_ip_bytes: 512,
            resp_pkts: 7,
            resp_ip_bytes: 5371,
        }
    }

    #[test]
    fn row_has_every_field_in_order() {
        let r = row(&rec());
        let cols: Vec<&str> = r.split('\t').collect();
        assert_eq!(cols.len(), FIELDS.len());
        assert_eq!(
            cols,
            vec![
                "1362692526.939084",
                "141.142.228.5",
                "59856",
                "2001:db8::1",
                "80",
                "tcp",
                "0.141744",
                "136",
                "5007",
                "SF",
                "ShADadFf",
                "7",
                "512",
                "7",
                "5371"
            ]
        );
    }

    #[test]
    fn unset_fields_are_dashes() {
        let mut z = rec();
        z.duration = None;
        z.orig_bytes = None;
        z.resp_bytes = None;
        z.history.clear();
        let r = row(&z);
        let cols: Vec<&str> = r.split('\t').collect();
        assert_eq!(&cols[6..11], &["-", "-", "-", "SF", "-"]);
    }

    #[test]
    fn header_names_fields_and_types() {
        let h = header();
        assert!(h.starts_with("#separator \\x09\n"));
        assert!(h.contains("#path\tconn\n"));
        let fields = h.lines().find(|l| l.starts_with("#fields")).unwrap();
        assert_eq!(fields.split('\t').count(), 16);
        let types = h.lines().find(|l| l.starts_with("#types")).unwrap();
        assert_eq!(types.split('\t').count(), 16);
    }
}
