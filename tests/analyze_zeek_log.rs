//! `lab analyze --format zeek` read as Zeek's own tools read a conn.log: the
//! ASCII writer's header (`#separator` … `#open`, `#fields`, `#types`),
//! every value of the type its column declares, `#close` last, and nothing
//! else on standard output. No Zeek tooling is packaged for Debian 12, so
//! the reader here follows the format as Zeek's `zeek-cut` and log readers
//! do: the header's separator, `-` unset, `(empty)` for an empty set.

mod common;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::captures::{Conversation, Pcap, Send, lab, stderr, stdout};
use wirelab::capture::Timestamp;
use wirelab::report::zeek::{FIELDS, Uid, log_time};
use wirelab::wire::Endpoint;

/// Runs `lab` with `SOURCE_DATE_EPOCH` as given (unset when `None`), so the
/// test does not depend on the environment it runs in.
fn lab_with_epoch(args: &[&str], epoch: Option<&str>) -> Output {
    let mut cmd = lab();
    cmd.args(args);
    match epoch {
        Some(e) => cmd.env("SOURCE_DATE_EPOCH", e),
        None => cmd.env_remove("SOURCE_DATE_EPOCH"),
    };
    cmd.output().expect("run lab")
}

/// A parsed conn.log: header lines by key, rows by column name.
struct Log {
    meta: Vec<(String, String)>,
    fields: Vec<String>,
    types: Vec<String>,
    rows: Vec<HashMap<String, String>>,
    last_line: String,
}

impl Log {
    fn meta(&self, key: &str) -> &str {
        let found = self.meta.iter().find(|(k, _)| k == key);
        &found.unwrap_or_else(|| panic!("no #{key} line")).1
    }
}

/// Reads a log as Zeek's ASCII reader does; panics on anything it would
/// reject or misread.
fn parse(text: &str) -> Log {
    let mut lines = text.lines();
    // The separator line is the one header line with a space, not the
    // separator, after its key; its value is escaped.
    assert_eq!(lines.next(), Some("#separator \\x09"));
    let sep = '\t';
    let mut log = Log {
        meta: Vec::new(),
        fields: Vec::new(),
        types: Vec::new(),
        rows: Vec::new(),
        last_line: String::new(),
    };
    for line in lines {
        log.last_line = line.to_string();
        if let Some(rest) = line.strip_prefix('#') {
            let (key, value) = rest.split_once(sep).expect("#key<TAB>value");
            match key {
                "fields" => log.fields = value.split(sep).map(str::to_string).collect(),
                "types" => log.types = value.split(sep).map(str::to_string).collect(),
                _ => log.meta.push((key.to_string(), value.to_string())),
            }
            continue;
        }
        assert!(!log.types.is_empty(), "a row before #fields/#types: {line}");
        let values: Vec<&str> = line.split(sep).collect();
        assert_eq!(values.len(), log.fields.len(), "{line}");
        for ((name, ty), v) in log.fields.iter().zip(&log.types).zip(&values) {
            assert!(of_type(ty, v), "{name} ({ty}) = {v:?} in {line}");
        }
        log.rows.push(
            log.fields
                .iter()
                .cloned()
                .zip(values.iter().map(|v| v.to_string()))
                .collect(),
        );
    }
    log
}

/// Whether `v` is a value (or unset) of Zeek's log type `ty`.
fn of_type(ty: &str, v: &str) -> bool {
    if v == "-" {
        return true;
    }
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let seconds = |s: &str| {
        let s = s.strip_prefix('-').unwrap_or(s);
        s.split_once('.')
            .is_some_and(|(i, f)| decimal(i) && f.len() == 6 && decimal(f))
    };
    match ty {
        "time" | "interval" => seconds(v),
        "addr" => v.parse::<IpAddr>().is_ok(),
        "port" => v.parse::<u16>().is_ok(),
        "count" => v.parse::<u64>().is_ok(),
        "bool" => v == "T" || v == "F",
        "enum" => v == "tcp",
        "string" => !v.is_empty() && !v.contains(['\t', '\n']),
        "set[string]" => v == "(empty)" || v.split(',').all(|s| !s.is_empty()),
        other => panic!("a type Zeek's conn.log does not have: {other}"),
    }
}

/// The first and last frame times of a classic pcap file.
fn frame_span(path: &Path) -> (Timestamp, Timestamp) {
    let b = std::fs::read(path).unwrap();
    let magic = u32::from_le_bytes(b[0..4].try_into().unwrap());
    let (le, nanos) = match magic {
        0xa1b2_c3d4 => (true, false),
        0xa1b2_3c4d => (true, true),
        0xd4c3_b2a1 => (false, false),
        0x4d3c_b2a1 => (false, true),
        m => panic!("not a classic pcap: {m:#x}"),
    };
    let u32_at = |i: usize| {
        let a: [u8; 4] = b[i..i + 4].try_into().unwrap();
        i64::from(if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    };
    let (mut at, mut times) = (24, Vec::new());
    while at + 16 <= b.len() {
        let frac = u32_at(at + 4) * if nanos { 1 } else { 1_000 };
        times.push(Timestamp(u32_at(at) * Timestamp::SECOND + frac));
        at += 16 + u32_at(at + 8) as usize;
    }
    (times[0], *times.last().unwrap())
}

fn reference_captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    v.sort();
    assert!(v.len() >= 10, "the reference captures are missing");
    v
}

fn endpoint(row: &HashMap<String, String>, side: &str) -> Endpoint {
    Endpoint {
        addr: row[&format!("id.{side}_h")].parse().unwrap(),
        port: row[&format!("id.{side}_p")].parse().unwrap(),
    }
}

fn ts_of(text: &str) -> Timestamp {
    let (s, f) = text.split_once('.').unwrap();
    Timestamp(s.parse::<i64>().unwrap() * Timestamp::SECOND + f.parse::<i64>().unwrap() * 1_000)
}

#[test]
fn every_reference_capture_gives_a_log_zeeks_readers_take() {
    for path in reference_captures() {
        let p = path.to_str().unwrap();
        let out = lab_with_epoch(&["analyze", "--format", "zeek", p], None);
        assert!(out.status.success(), "{p}: {}", stderr(&out));
        let text = stdout(&out);
        let log = parse(&text);
        let keys: Vec<&str> = log.meta.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "set_separator",
                "empty_field",
                "unset_field",
                "path",
                "open",
                "close"
            ],
            "{p}"
        );
        assert_eq!(log.meta("set_separator"), ",");
        assert_eq!(log.meta("empty_field"), "(empty)");
        assert_eq!(log.meta("unset_field"), "-");
        assert_eq!(log.meta("path"), "conn");
        assert_eq!(log.fields, FIELDS, "{p}");
        // `#open` and `#close` carry the capture's first and last frame.
        let (first, last) = frame_span(&path);
        assert_eq!(log.meta("open"), log_time(first), "{p}");
        assert_eq!(log.meta("close"), log_time(last), "{p}");
        assert!(
            log.last_line.starts_with("#close\t"),
            "{p}: ends with #close"
        );
        assert!(!log.rows.is_empty(), "{p}");
        for row in &log.rows {
            // The uid is the one a reader recomputes from the row itself.
            let (o, r) = (endpoint(row, "orig"), endpoint(row, "resp"));
            let want = Uid::of(ts_of(&row["ts"]), o, r, 6).to_string();
            assert_eq!(row["uid"], want, "{p}");
            assert_eq!(row["ip_proto"], "6");
            // Loopback is in Zeek's default local networks.
            assert_eq!(
                (row["local_orig"].as_str(), row["local_resp"].as_str()),
                ("T", "T")
            );
            // A count, as Zeek writes it; above 0 exactly when a content
            // gap was reported, which adds `G` or `g` to the history (the
            // captures keep 512 bytes per packet, so longer segments leave
            // gaps).
            let missed: u64 = row["missed_bytes"]
                .parse()
                .unwrap_or_else(|e| panic!("{p}: missed_bytes {:?}: {e}", row["missed_bytes"]));
            let gap_letter = row["history"].contains(['G', 'g']);
            assert_eq!(missed > 0, gap_letter, "{p}: {row:?}");
            assert_eq!(row["tunnel_parents"], "-");
            assert_eq!(row["service"], "-", "HTTP is not detected");
        }
        // Nothing but the log on standard output; the summary is on stderr.
        assert!(!text.contains("#summary"), "{p}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{p}: {err}");
        assert!(
            err.starts_with("lab: ") && err.contains(" connection"),
            "{err}"
        );
    }
}

/// Three connections: private to public, public to private, IPv4 between
/// public addresses; one on port 22 where both sides send SSH banners.
fn mixed() -> Pcap {
    let mut pcap = Pcap::default();
    let mut web = Conversation::new(40000, 80);
    web.server.0 = [93, 184, 216, 34];
    web.handshake().exchange(100, 200);
    web.c(Send::Fin).s(Send::Fin).c(Send::Ack);
    pcap.merge(&web.pcap);
    let mut inbound = Conversation::new(50000, 443);
    inbound.client.0 = [8, 8, 4, 4];
    inbound.micros += 500;
    inbound.handshake().c(Send::RstAck);
    pcap.merge(&inbound.pcap);
    let mut other = Conversation::new(40001, 8080);
    other.client.0 = [1, 1, 1, 1];
    other.server.0 = [9, 9, 9, 9];
    other.micros += 700;
    other.c(Send::Syn);
    pcap.merge(&other.pcap);
    pcap
}

#[test]
fn local_columns_uids_and_times_follow_the_rules_zeek_follows() {
    let dir = tempfile::tempdir().unwrap();
    let path = mixed().write(dir.path(), "mixed.pcap");
    let p = path.to_str().unwrap();
    let out = lab_with_epoch(&["analyze", "--format", "zeek", p], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = parse(&stdout(&out));
    assert_eq!(log.rows.len(), 3);
    let by_port: HashMap<&str, &HashMap<String, String>> = log
        .rows
        .iter()
        .map(|r| (r["id.resp_p"].as_str(), r))
        .collect();
    let local = |port: &str| {
        let r = by_port[port];
        (r["local_orig"].as_str(), r["local_resp"].as_str())
    };
    assert_eq!(local("80"), ("T", "F"));
    assert_eq!(local("443"), ("F", "T"));
    assert_eq!(local("8080"), ("F", "F"));
    let uids: std::collections::HashSet<&str> =
        log.rows.iter().map(|r| r["uid"].as_str()).collect();
    assert_eq!(uids.len(), 3, "one uid per connection");

    // A scope or a filter leaves the remaining rows' uids as they were.
    let scoped = lab_with_epoch(&["analyze", "--format", "zeek", "--port", "443", p], None);
    let scoped = parse(&stdout(&scoped));
    assert_eq!(scoped.rows.len(), 1);
    assert_eq!(scoped.rows[0]["uid"], by_port["443"]["uid"]);
    let filtered = lab_with_epoch(
        &["analyze", "--format", "zeek", "--filter", "tcp port 80", p],
        None,
    );
    assert_eq!(
        parse(&stdout(&filtered)).rows[0]["uid"],
        by_port["80"]["uid"]
    );

    // SOURCE_DATE_EPOCH stands for both times; a bad one is an error.
    let fixed = lab_with_epoch(&["analyze", "--format", "zeek", p], Some("1000000000"));
    let fixed = parse(&stdout(&fixed));
    assert_eq!(fixed.meta("open"), "2001-09-09-01-46-40");
    assert_eq!(fixed.meta("close"), "2001-09-09-01-46-40");
    assert_eq!(fixed.rows, log.rows, "only the header's times change");
    let bad = lab_with_epoch(&["analyze", "--format", "zeek", p], Some("yesterday"));
    assert_eq!(bad.status.code(), Some(2));
    let err = stderr(&bad);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("SOURCE_DATE_EPOCH"), "{err}");
    // Other formats have no log times and ignore it.
    let json = lab_with_epoch(&["analyze", "--format", "json", p], Some("yesterday"));
    assert!(json.status.success());
}

#[test]
fn ssh_banners_on_both_sides_name_the_service() {
    let mut c = Conversation::new(40022, 22);
    c.handshake();
    // Payload bytes of the conversation builder are `x`; build the banners
    // by rewriting them, as the server and client send theirs (RFC 4253 §4.2).
    c.s(Send::Data(21))
        .c(Send::Ack)
        .c(Send::Data(21))
        .s(Send::Ack);
    c.c(Send::Fin).s(Send::Fin).c(Send::Ack);
    let banner = b"SSH-2.0-OpenSSH_9.2\r\n";
    let pcap = c.pcap.map(|frame| {
        let mut f = frame.to_vec();
        if f.len() == 14 + 20 + 20 + banner.len() {
            f[14 + 20 + 20..].copy_from_slice(banner);
        }
        f
    });
    let dir = tempfile::tempdir().unwrap();
    let path = pcap.write(dir.path(), "ssh.pcap");
    let out = lab_with_epoch(
        &["analyze", "--format", "zeek", path.to_str().unwrap()],
        None,
    );
    let log = parse(&stdout(&out));
    assert_eq!(log.rows[0]["service"], "ssh");
    assert_eq!(log.rows[0]["conn_state"], "SF");

    // Only one side's banner: no service.
    let mut one = Conversation::new(40023, 22);
    one.handshake().s(Send::Data(21)).c(Send::Ack);
    let pcap = one.pcap.map(|frame| {
        let mut f = frame.to_vec();
        if f.len() == 14 + 20 + 20 + banner.len() {
            f[14 + 20 + 20..].copy_from_slice(banner);
        }
        f
    });
    let path = pcap.write(dir.path(), "ssh-one.pcap");
    let out = lab_with_epoch(
        &["analyze", "--format", "zeek", path.to_str().unwrap()],
        None,
    );
    assert_eq!(parse(&stdout(&out)).rows[0]["service"], "-");
}

/// Zeek's interactive services keep an idle connection for an hour, not
/// five minutes (`inactivity.zeek`): by service port (FTP, SSH, Telnet,
/// rlogin), and by SSH's greeting from both sides on any port.
#[test]
fn interactive_services_stay_one_connection_across_a_long_pause() {
    let dir = tempfile::tempdir().unwrap();
    let rows = |c: Conversation, name: &str| {
        let path = c.pcap.write(dir.path(), name);
        let out = lab_with_epoch(
            &["analyze", "--format", "zeek", path.to_str().unwrap()],
            None,
        );
        let log = parse(&stdout(&out));
        log.rows
            .iter()
            .map(|r| format!("{} {}", r["history"], r["conn_state"]))
            .collect::<Vec<_>>()
    };
    let paused = |port: u16| {
        let mut c = Conversation::new(40000, port);
        c.handshake().wait_ms(1_000_000).c(Send::Data(5));
        c
    };
    for port in [21, 22, 23, 513] {
        assert_eq!(rows(paused(port), "port.pcap"), ["ShAD S1"], "port {port}");
    }
    assert_eq!(rows(paused(8080), "web.pcap"), ["ShA S1", "D OTH"]);
    let mut ssh = Conversation::new(40000, 2222);
    ssh.handshake()
        .s_bytes(b"SSH-2.0-OpenSSH_9.6\r\n")
        .c_bytes(b"SSH-2.0-OpenSSH_9.2\r\n")
        .wait_ms(1_000_000)
        .c(Send::Data(5));
    assert_eq!(rows(ssh, "ssh.pcap"), ["ShAdD S1"]);
}

#[test]
fn a_capture_without_connections_is_still_a_whole_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = Pcap::default().write(dir.path(), "empty.pcap");
    let out = lab_with_epoch(
        &["analyze", "--format", "zeek", path.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log = parse(&stdout(&out));
    assert!(log.rows.is_empty());
    // No frame, no time: the epoch.
    assert_eq!(log.meta("open"), "1970-01-01-00-00-00");
    assert!(log.last_line.starts_with("#close\t"));
}
