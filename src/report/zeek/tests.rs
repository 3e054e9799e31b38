use super::*;
use crate::capture::Timestamp;
use crate::flow::ConnState;
use crate::wire::Endpoint;

fn rec() -> ZeekRecord {
    ZeekRecord {
        ts: Timestamp(1_362_692_526_939_084_000),
        service: None,
        orig: Endpoint {
            addr: "141.142.228.5".parse().unwrap(),
            port: 59856,
        },
        resp: Endpoint {
            addr: "2001:db8::1".parse().unwrap(),
            port: 80,
        },
        proto: crate::flow::TransportProto::Tcp,
        duration: Some(Timestamp(141_743_600)),
        orig_bytes: Some(136),
        resp_bytes: Some(5007),
        conn_state: ConnState::SF,
        missed_bytes: 233,
        history: "ShADadFf".into(),
        orig_pkts: 7,
        orig_ip_bytes: 512,
        resp_pkts: 7,
        resp_ip_bytes: 5371,
        tunnel_parents: [None; 2],
    }
}

#[test]
fn row_has_every_field_in_order() {
    let z = rec();
    let r = row(&z);
    let cols: Vec<&str> = r.split('\t').collect();
    assert_eq!(cols.len(), FIELDS.len());
    let uid = z.uid().to_string();
    assert_eq!(
        cols,
        vec![
            "1362692526.939084",
            &uid,
            "141.142.228.5",
            "59856",
            "2001:db8::1",
            "80",
            "tcp",
            "-",
            "0.141744",
            "136",
            "5007",
            "SF",
            "F",
            "T",
            "233",
            "ShADadFf",
            "7",
            "512",
            "7",
            "5371",
            "-",
            "6"
        ]
    );
}

#[test]
fn unset_fields_are_dashes_and_a_service_is_named() {
    let mut z = rec();
    z.duration = None;
    z.orig_bytes = None;
    z.resp_bytes = None;
    z.history.clear();
    z.service = Some(Service::Ssh);
    let r = row(&z);
    let cols: Vec<&str> = r.split('\t').collect();
    let col = |name| cols[FIELDS.iter().position(|f| *f == name).unwrap()];
    assert_eq!(col("service"), "ssh");
    for name in ["duration", "orig_bytes", "resp_bytes", "history"] {
        assert_eq!(col(name), "-", "{name}");
    }
    assert_eq!(col("conn_state"), "SF");
}

#[test]
fn header_names_fields_and_types_as_zeek() {
    let h = header(Timestamp(1_700_000_000 * Timestamp::SECOND));
    let lines: Vec<&str> = h.lines().collect();
    assert_eq!(
        &lines[..6],
        &[
            "#separator \\x09",
            "#set_separator\t,",
            "#empty_field\t(empty)",
            "#unset_field\t-",
            "#path\tconn",
            "#open\t2023-11-14-22-13-20",
        ]
    );
    assert_eq!(lines[6], format!("#fields\t{}", FIELDS.join("\t")));
    assert_eq!(lines[7], format!("#types\t{}", TYPES.join("\t")));
    assert_eq!(lines.len(), 8);
    assert_eq!(close(Timestamp(0)), "#close\t1970-01-01-00-00-00\n");
}

#[test]
fn log_times_are_utc_calendar_dates() {
    let at = |s: i64| log_time(Timestamp(s * Timestamp::SECOND + 999_999_999));
    assert_eq!(at(0), "1970-01-01-00-00-00");
    assert_eq!(at(951_782_400), "2000-02-29-00-00-00");
    assert_eq!(at(951_868_799), "2000-02-29-23-59-59");
    assert_eq!(at(4_107_542_400), "2100-03-01-00-00-00");
    assert_eq!(at(-1), "1969-12-31-23-59-59");
    assert_eq!(at(7_258_118_400), "2200-01-01-00-00-00");
}
