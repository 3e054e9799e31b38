//! The analyzer's DNS exchanges against tshark's `dns` dissector, on the
//! HTTP/3 discovery capture (`captures/quic/discovery/h3-discovery.pcap`,
//! recorded by `scripts/record-discovery-capture`: `lab dns` asked by `dig`,
//! plus one malformed query).
//!
//! Per exchange (client port, id), from `lab analyze --format json`'s `dns`
//! member and from tshark's fields: the question's name and type
//! (`dns.qry.name`, `dns.qry.type`), the rcode (`dns.flags.rcode`), the
//! answer records' types (`dns.resp.type`), A addresses (`dns.a`), and the
//! HTTPS record's target, ALPN ids and port (`dns.svcb.targetname`,
//! `dns.svcb.svcparam.alpn`, `dns.svcb.svcparam.port`: tshark 4.0's names),
//! the query→answer time (`dns.time`), and which messages tshark calls
//! malformed. tshark must be installed (scripts/setup); without it the test
//! fails saying so.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::tshark;
use serde_json::Value;

const DNS_PORT: &str = "18453";

fn capture() -> String {
    format!(
        "{}/captures/quic/discovery/h3-discovery.pcap",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// What one side says of an exchange.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    name: Option<String>,
    qtype: Option<u64>,
    rcode: Option<u64>,
    answer_types: Vec<u64>,
    addresses: Vec<String>,
    targets: Vec<String>,
    alpn: Vec<String>,
    ports: Vec<u64>,
    /// Query→answer time in microseconds.
    elapsed_us: Option<u64>,
    malformed_query: bool,
}

/// The RFC 1035 §3.2.2 / RFC 9460 numbers of the mnemonics the analyzer
/// writes.
fn type_number(t: &str) -> u64 {
    match t {
        "A" => 1,
        "CNAME" => 5,
        "AAAA" => 28,
        "OPT" => 41,
        "SVCB" => 64,
        "HTTPS" => 65,
        "ANY" => 255,
        t => t
            .strip_prefix("TYPE")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("type {t} has no number")),
    }
}

/// A name as tshark prints it: no trailing dot, the root as `<Root>`.
fn tshark_name(n: &str) -> String {
    if n == "." {
        "<Root>".to_owned()
    } else {
        n.strip_suffix('.').unwrap_or(n).to_owned()
    }
}

fn from_tshark() -> BTreeMap<(u16, u16), Seen> {
    let fields = [
        "udp.srcport",
        "udp.dstport",
        "dns.id",
        "dns.flags.response",
        "dns.qry.name",
        "dns.qry.type",
        "dns.flags.rcode",
        "dns.resp.type",
        "dns.a",
        "dns.svcb.targetname",
        "dns.svcb.svcparam.alpn",
        "dns.svcb.svcparam.port",
        "dns.time",
        "_ws.malformed",
    ];
    let decode = format!("udp.port=={DNS_PORT},dns");
    let mut args = vec![
        "-r",
        "-",
        "-d",
        &decode,
        "-Y",
        "dns",
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ];
    let path = capture();
    args[1] = &path;
    for f in &fields {
        args.push("-e");
        args.push(f);
    }
    let mut out: BTreeMap<(u16, u16), Seen> = BTreeMap::new();
    for line in tshark(&args).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let list = |i: usize| -> Vec<&str> {
            f.get(i).map_or(Vec::new(), |s| {
                s.split(',').filter(|x| !x.is_empty()).collect()
            })
        };
        let one = |i: usize| list(i).first().map(|s| s.to_string());
        let num = |s: &str| match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).unwrap(),
            None => s.parse().unwrap(),
        };
        let (src, dst): (u16, u16) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        let response = one(3).as_deref() == Some("1");
        let client = if response { dst } else { src };
        let id = num(&one(2).expect("every DNS message has an id")) as u16;
        let s = out.entry((client, id)).or_default();
        if s.name.is_none() {
            s.name = one(4);
            s.qtype = one(5).map(|t| num(&t));
        }
        if !response {
            s.malformed_query = !list(13).is_empty();
            continue;
        }
        s.rcode = one(6).map(|r| num(&r));
        s.answer_types = list(7).iter().map(|t| num(t)).collect();
        s.addresses = list(8).iter().map(|a| a.to_string()).collect();
        s.targets = list(9).iter().map(|a| a.to_string()).collect();
        s.alpn = list(10).iter().map(|a| a.to_string()).collect();
        s.ports = list(11).iter().map(|p| num(p)).collect();
        s.elapsed_us = one(12).map(|t| (t.parse::<f64>().unwrap() * 1e6).round() as u64);
    }
    out
}

fn from_analyzer() -> BTreeMap<(u16, u16), Seen> {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["analyze", &capture(), "--format", "json"])
        .output()
        .expect("lab runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut seen = BTreeMap::new();
    for x in doc["dns"].as_array().expect("a dns array") {
        let port: u16 = x["client"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let id = x["id"].as_u64().expect("an id") as u16;
        let mut s = Seen {
            name: x["question"]["name"].as_str().map(tshark_name),
            qtype: x["question"]["type"].as_str().map(type_number),
            malformed_query: x["problems"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["from"] == "client")),
            ..Seen::default()
        };
        let a = &x["answer"];
        if !a.is_null() {
            s.rcode = Some(match a["rcode"].as_str().unwrap() {
                "NOERROR" => 0,
                "FORMERR" => 1,
                "SERVFAIL" => 2,
                "NXDOMAIN" => 3,
                "NOTIMP" => 4,
                "REFUSED" => 5,
                r => panic!("rcode {r}"),
            });
            for r in a["records"].as_array().unwrap() {
                s.answer_types
                    .push(type_number(r["type"].as_str().unwrap()));
                if r["type"] == "A" {
                    s.addresses.push(r["data"].as_str().unwrap().to_owned());
                }
                if let Some(b) = r.get("svcb") {
                    s.targets.push(tshark_name(b["target"].as_str().unwrap()));
                    s.alpn.extend(
                        b["alpn"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|i| i.as_str().unwrap().to_owned()),
                    );
                    s.ports.extend(b["port"].as_u64());
                }
            }
            s.elapsed_us = x["elapsed"].as_f64().map(|t| (t * 1e6).round() as u64);
        }
        seen.insert((port, id), s);
    }
    seen
}

#[test]
fn dns_exchanges_agree_with_tshark() {
    let ours = from_analyzer();
    let theirs = from_tshark();
    assert_eq!(ours, theirs, "analyzer (left) and tshark (right) differ");
    // The capture is what its script says: both HTTPS lookups answered
    // with h3 and h2 on the endpoint's port, an NXDOMAIN, and a malformed
    // query that was answered FORMERR.
    let https: Vec<&Seen> = ours.values().filter(|s| s.answer_types == [65]).collect();
    assert_eq!(https.len(), 2, "{ours:#?}");
    assert!(
        https
            .iter()
            .all(|s| s.alpn == ["h3", "h2"] && s.ports == [18470])
    );
    assert!(ours.values().any(|s| s.rcode == Some(3)));
    assert!(
        ours.values()
            .any(|s| s.malformed_query && s.rcode == Some(1))
    );
}
