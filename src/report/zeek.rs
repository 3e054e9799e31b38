//! Zeek conn.log TSV for TCP connections, as Zeek's ASCII writer writes it.
//!
//! The header is Zeek's (`#separator`, `#set_separator`, `#empty_field`,
//! `#unset_field`, `#path`, `#open`, `#fields`, `#types`) and the log ends
//! with `#close`; the columns are those of the default conn.log of Zeek 7.1
//! and later (`base/protocols/conn/main.zeek`, `Conn::Info`), in its order,
//! so `zeek-cut` and Zeek log readers take it unchanged. Unset values are
//! `-` (`docs/zeek-conn-state.md` §5.6, §6.2). Times are printed with six
//! decimals, as Zeek's `%.6f`.
//!
//! What the analyzer cannot know as Zeek does is written as unset rather
//! than guessed. `missed_bytes` is Zeek's count of the octets its stream
//! reassembly found missing, which the flow stage finds from sequence
//! numbers and acknowledgements alone (`docs/zeek-conn-state.md` §12).
//! `tunnel_parents` names the innermost tunnel of a decapsulated
//! connection by a uid of the tunnel's outer addresses and ports
//! ([`Uid::of_tunnel`]), since the outer connection has no row here.
//! `service` is `ssh` when both sides sent an SSH banner (the analyzer's
//! stand-in for Zeek's SSH analyzer confirmation) and unset otherwise, as
//! Zeek leaves it when no analyzer confirmed a protocol.

mod site;
mod uid;

use std::io::{self, Write};

use super::ZeekRecord;
use super::line::{Line, MAX_ITEM};
use crate::capture::Timestamp;
use crate::flow::{ConnState, Connection, TransportProto};
use crate::wire::Endpoint;

pub use site::is_local;
pub use uid::Uid;

/// The column names, in order.
pub const FIELDS: [&str; 22] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
    "ip_proto",
];

/// Zeek's type of each column.
pub const TYPES: [&str; 22] = [
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "enum",
    "string",
    "interval",
    "count",
    "count",
    "string",
    "bool",
    "bool",
    "count",
    "string",
    "count",
    "count",
    "count",
    "count",
    "set[string]",
    "count",
];

/// An application protocol in the `service` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// SSH (RFC 4253).
    Ssh,
}

impl Service {
    /// The name Zeek logs.
    pub fn name(self) -> &'static str {
        match self {
            Service::Ssh => "ssh",
        }
    }

    /// The service of a finished connection, if known: greetings from both
    /// sides are SSH's, the only greeting the analyzer's application rules
    /// know (`app::interactive`).
    pub fn of(c: &Connection) -> Option<Self> {
        c.greetings().then_some(Service::Ssh)
    }
}

/// The header lines, with `open` as the `#open` time.
pub fn header(open: Timestamp) -> String {
    let mut s = String::new();
    s.push_str("#separator \\x09\n");
    s.push_str("#set_separator\t,\n");
    s.push_str("#empty_field\t(empty)\n");
    s.push_str("#unset_field\t-\n");
    s.push_str("#path\tconn\n");
    s.push_str("#open\t");
    s.push_str(&log_time(open));
    s.push_str("\n#fields\t");
    s.push_str(&FIELDS.join("\t"));
    s.push_str("\n#types\t");
    s.push_str(&TYPES.join("\t"));
    s.push('\n');
    s
}

/// The last line, with `close` as the `#close` time.
pub fn close(close: Timestamp) -> String {
    format!("#close\t{}\n", log_time(close))
}

/// A time as Zeek's `#open`/`#close` lines print it (`%Y-%m-%d-%H-%M-%S`),
/// in UTC: Zeek uses the local time zone, which would make the text depend
/// on the machine's.
pub fn log_time(t: Timestamp) -> String {
    let secs = t.0.div_euclid(Timestamp::SECOND);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02}-{:02}-{:02}-{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`: 400-year eras of 146 097 days, years
/// starting in March so the leap day ends them).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// One row's fields, borrowed from a [`ZeekRecord`] or straight from a
/// finished [`Connection`] (the streaming path, which skips building the
/// owned record and its history string).
pub(super) struct Fields<'a> {
    pub(super) ts: Timestamp,
    pub(super) service: Option<Service>,
    pub(super) orig: Endpoint,
    pub(super) resp: Endpoint,
    pub(super) proto: TransportProto,
    pub(super) duration: Option<Timestamp>,
    pub(super) orig_bytes: Option<u64>,
    pub(super) resp_bytes: Option<u64>,
    pub(super) conn_state: ConnState,
    pub(super) missed_bytes: u64,
    pub(super) history: &'a [u8],
    pub(super) orig_pkts: u64,
    pub(super) orig_ip_bytes: u64,
    pub(super) resp_pkts: u64,
    pub(super) resp_ip_bytes: u64,
    pub(super) tunnel_parents: [Option<Uid>; 2],
}

impl<'a> Fields<'a> {
    pub(super) fn of_record(z: &'a ZeekRecord) -> Self {
        Fields {
            ts: z.ts,
            service: z.service,
            orig: z.orig,
            resp: z.resp,
            proto: z.proto,
            duration: z.duration,
            orig_bytes: z.orig_bytes,
            resp_bytes: z.resp_bytes,
            conn_state: z.conn_state,
            missed_bytes: z.missed_bytes,
            history: z.history.as_bytes(),
            orig_pkts: z.orig_pkts,
            orig_ip_bytes: z.orig_ip_bytes,
            resp_pkts: z.resp_pkts,
            resp_ip_bytes: z.resp_ip_bytes,
            tunnel_parents: z.tunnel_parents,
        }
    }

    pub(super) fn of_connection(c: &'a Connection) -> Self {
        let (o, r) = (c.orig(), c.resp());
        let duration = c.duration();
        Fields {
            ts: c.ts(),
            service: Service::of(c),
            orig: o.addr,
            resp: r.addr,
            proto: c.transport(),
            duration,
            orig_bytes: duration.map(|_| o.bytes),
            resp_bytes: duration.map(|_| r.bytes),
            conn_state: c.conn_state(),
            missed_bytes: c.missed_bytes(),
            history: c.history_bytes(),
            orig_pkts: o.tcp.pkts(),
            orig_ip_bytes: o.tcp.ip_bytes(),
            resp_pkts: r.tcp.pkts(),
            resp_ip_bytes: r.tcp.ip_bytes(),
            tunnel_parents: parents(c),
        }
    }
}

/// The uids of a connection's tunnels (none: not tunneled).
pub(super) fn parents(c: &Connection) -> [Option<Uid>; 2] {
    let mut out = [None; 2];
    for (slot, id) in out.iter_mut().zip(c.tunnel_parents()) {
        *slot = Some(Uid::of_tunnel(id));
    }
    out
}

fn append(out: &mut Vec<u8>, f: &Fields<'_>) {
    // 22 fields: 13 numbers, times or addresses, three uids, short words,
    // tabs.
    let mut line = Line::new(out, 19 * MAX_ITEM + f.history.len());
    line.secs(f.ts.0);
    line.byte(b'\t');
    let mut uid = [0; uid::MAX_LEN];
    let n = Uid::of(f.ts, f.orig, f.resp, f.proto.ip_number()).write(&mut uid);
    line.bytes(&uid[..n]);
    line.byte(b'\t');
    line.addr(f.orig.addr);
    line.byte(b'\t');
    line.u64(u64::from(f.orig.port));
    line.byte(b'\t');
    line.addr(f.resp.addr);
    line.byte(b'\t');
    line.u64(u64::from(f.resp.port));
    line.byte(b'\t');
    line.bytes(f.proto.name().as_bytes());
    line.byte(b'\t');
    line.bytes(f.service.map_or(b"-", |s| s.name().as_bytes()));
    line.byte(b'\t');
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
    for local in [is_local(f.orig.addr), is_local(f.resp.addr)] {
        line.bytes(if local { b"\tT" } else { b"\tF" });
    }
    line.byte(b'\t');
    line.u64(f.missed_bytes);
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
    line.byte(b'\t');
    match f.tunnel_parents {
        [None, _] => line.byte(b'-'),
        [Some(a), b] => {
            let n = a.write(&mut uid);
            line.bytes(&uid[..n]);
            if let Some(b) = b {
                // Zeek's `#set_separator`.
                line.byte(b',');
                let n = b.write(&mut uid);
                line.bytes(&uid[..n]);
            }
        }
    }
    line.byte(b'\t');
    line.u64(u64::from(f.proto.ip_number()));
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
mod tests;
