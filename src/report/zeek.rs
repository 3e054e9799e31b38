//! Zeek conn.log TSV for TCP connections.
//!
//! The header follows Zeek's ASCII writer (`#separator`, `#set_separator`,
//! `#empty_field`, `#unset_field`, `#path`, `#fields`, `#types`), without the
//! `#open`/`#close` lines, whose wall-clock dates would make the output differ
//! from run to run. Rows carry the subset of conn.log columns the TCP state
//! decides; unset values are `-` (`zeek-conn-state.md` §5.6, §6.2). Times are
//! printed with six decimals, as Zeek's `%.6f`.

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use super::ZeekRecord;

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

/// Seconds with six decimals (`%.6f`), from nanoseconds rounded to the
/// microsecond (`round`) or cut to it (timestamps, as [`Timestamp::zeek`]).
struct Secs(i64);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0.div_euclid(1_000);
        write!(
            f,
            "{}.{:06}",
            micros.div_euclid(1_000_000),
            micros.rem_euclid(1_000_000)
        )
    }
}

/// A count, or `-` when unset.
struct Count(Option<u64>);

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("-"),
        }
    }
}

/// One conn.log row (without the newline).
pub fn row(z: &ZeekRecord) -> String {
    let mut s = String::with_capacity(128);
    let history = if z.history.is_empty() {
        "-"
    } else {
        &z.history
    };
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "{}\t{}\t{}\t{}\t{}\ttcp\t",
        Secs(z.ts.0),
        z.orig.addr,
        z.orig.port,
        z.resp.addr,
        z.resp.port,
    );
    let _ = match z.duration {
        // Durations are rounded to the microsecond, as `%.6f` of Zeek's
        // double difference would.
        Some(d) => write!(s, "{}", Secs(d.0.saturating_add(500))),
        None => write!(s, "-"),
    };
    let _ = write!(
        s,
        "\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        Count(z.orig_bytes),
        Count(z.resp_bytes),
        z.conn_state,
        history,
        z.orig_pkts,
        z.orig_ip_bytes,
        z.resp_pkts,
        z.resp_ip_bytes,
    );
    s
}

/// Writes one row and a newline.
///
/// # Errors
///
/// Whatever the writer returns.
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
