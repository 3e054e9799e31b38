//! The analyzer's reading of TLS handshakes against tshark's, on the TLS
//! reference captures (`captures/app/tls-*.pcap`, real OpenSSL and curl
//! peers recorded by `scripts/record-tls-captures`), without keys.
//!
//! Per connection (keyed by client and server endpoints, the client being
//! the SYN's sender), from `lab analyze --format json`'s `tls` member and
//! from tshark's fields:
//! - the ClientHello: `sni` (`tls.handshake.extensions_server_name`),
//!   `alpn_offered` in order (`extensions_alpn_str`), `versions_offered`
//!   (`extensions.supported_version` without GREASE, else the hello's
//!   `tls.handshake.version`);
//! - the ServerHello: `version` (its supported_version, else
//!   `tls.handshake.version`), `cipher_suite_id` (`tls.handshake
//!   .ciphersuite`) and `cipher_suite` (the name in tshark's own
//!   description of the field), `alpn_chosen` when in the clear, the NPN
//!   list (`tls.handshake.extensions_npn`);
//! - alerts in the clear (`tls.alert_message.desc`), in order;
//! - protected records per direction: application data records
//!   (`tls.record.content_type` or, for TLS 1.3, `opaque_type` 23), plus
//!   in TLS 1.2 the handshake and alert records after the sender's
//!   ChangeCipherSpec.
//!
//! A ClientHello tshark marks malformed (`_ws.malformed`) is one the
//! analyzer must refuse, saying why in `decode_error` (`ClientHello: …`);
//! its offers are not compared.
//!
//! Every server port is decoded as TLS (`-d tcp.port==P,tls`): without it
//! tshark gives up on a connection whose first record is malformed and
//! does not show the server's alert. tshark must be installed
//! (scripts/setup); without it the test fails saying so.

mod common;

use common::tshark;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn tls_captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/app");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("tls-") && name.ends_with(".pcap")
        })
        .collect();
    v.sort();
    assert!(
        v.len() >= 4,
        "expected the TLS reference captures, found {v:?}"
    );
    v
}

/// What one side of the comparison says of a connection.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Handshake {
    sni: Option<String>,
    alpn_offered: Option<Vec<String>>,
    versions_offered: Vec<String>,
    version: Option<String>,
    cipher_suite_id: Option<u16>,
    cipher_suite: Option<String>,
    /// Only when the ServerHello named one.
    alpn_in_clear: Option<String>,
    npn_server_list: Option<Vec<String>>,
    alerts: Vec<u8>,
    encrypted_records: [u64; 2],
    /// A ClientHello that does not parse.
    hello_refused: bool,
}

type Key = (String, String);

fn version_name(hex: &str) -> String {
    match hex {
        "0x0301" => "TLS 1.0".into(),
        "0x0302" => "TLS 1.1".into(),
        "0x0303" => "TLS 1.2".into(),
        "0x0304" => "TLS 1.3".into(),
        other => other.into(),
    }
}

fn is_grease(hex: &str) -> bool {
    let v = u16::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap_or(0);
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

fn split(field: &str) -> Vec<String> {
    if field.is_empty() {
        Vec::new()
    } else {
        field.split(',').map(str::to_string).collect()
    }
}

/// tshark's reading of every TLS connection in `pcap`.
fn tshark_reading(pcap: &Path) -> BTreeMap<Key, Handshake> {
    let file = pcap.to_str().unwrap();
    let syns = tshark(&[
        "-r",
        file,
        "-Y",
        "tcp.flags.syn == 1 && tcp.flags.ack == 0",
        "-T",
        "fields",
        "-e",
        "tcp.dstport",
    ]);
    let mut args: Vec<String> = ["-r", file].map(String::from).to_vec();
    let mut ports: Vec<&str> = syns.lines().collect();
    ports.sort();
    ports.dedup();
    for p in &ports {
        args.extend(["-d".into(), format!("tcp.port=={p},tls")]);
    }
    let fields = [
        "ip.src",
        "tcp.srcport",
        "ip.dst",
        "tcp.dstport",
        "tls.handshake.type",
        "tls.handshake.extensions_server_name",
        "tls.handshake.extensions_alpn_str",
        "tls.handshake.ciphersuite",
        "tls.handshake.extensions.supported_version",
        "tls.handshake.version",
        "tls.alert_message.desc",
        "tls.handshake.extensions_npn",
        "tls.record.content_type",
        "tls.record.opaque_type",
        "_ws.malformed",
    ];
    args.extend(["-Y", "tls", "-T", "fields", "-E", "separator=\t"].map(String::from));
    for f in fields {
        args.extend(["-e".into(), f.into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut conns: BTreeMap<Key, Handshake> = BTreeMap::new();
    let mut ccs_seen: BTreeMap<(Key, usize), bool> = BTreeMap::new();
    let server_ports: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
    for line in tshark(&args).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let from_server = server_ports.iter().any(|p| p == f[1]);
        let (client, server) = if from_server {
            (format!("{}:{}", f[2], f[3]), format!("{}:{}", f[0], f[1]))
        } else {
            (format!("{}:{}", f[0], f[1]), format!("{}:{}", f[2], f[3]))
        };
        let key = (client, server);
        let side = usize::from(from_server);
        let h = conns.entry(key.clone()).or_default();
        let types = split(f[4]);
        // A hello tshark finds malformed is one the analyzer refuses (its
        // decode_error says why): no offers on either side.
        let malformed = !f[14].is_empty();
        h.hello_refused |= malformed && !from_server && types.contains(&"1".to_string());
        if types.contains(&"1".to_string())
            && !from_server
            && h.versions_offered.is_empty()
            && !malformed
        {
            h.sni = Some(f[5].to_string()).filter(|s| !s.is_empty());
            h.alpn_offered = Some(split(f[6])).filter(|v| !v.is_empty());
            let listed: Vec<String> = split(f[8])
                .into_iter()
                .filter(|v| !is_grease(v))
                .map(|v| version_name(&v))
                .collect();
            h.versions_offered = if listed.is_empty() {
                vec![version_name(&split(f[9])[0])]
            } else {
                listed
            };
        }
        if types.first().map(String::as_str) == Some("2") && from_server {
            h.cipher_suite_id = split(f[7])
                .first()
                .map(|s| u16::from_str_radix(s.trim_start_matches("0x"), 16).unwrap());
            h.version = Some(version_name(split(f[8]).first().unwrap_or(&split(f[9])[0])));
            h.alpn_in_clear = Some(f[6].to_string()).filter(|s| !s.is_empty());
            h.npn_server_list = Some(split(f[11])).filter(|v| !v.is_empty());
        }
        for d in split(f[10]) {
            h.alerts.push(d.parse().unwrap());
        }
        // Records in order: after the sender's ChangeCipherSpec (TLS 1.2)
        // its handshake and alert records are protected.
        let tls13 = h.version.as_deref() == Some("TLS 1.3");
        for t in split(f[12]) {
            let ccs = ccs_seen.entry((key.clone(), side)).or_default();
            match t.as_str() {
                "20" => *ccs = true,
                "23" => h.encrypted_records[side] += 1,
                "21" | "22" if *ccs && !tls13 => h.encrypted_records[side] += 1,
                _ => {}
            }
        }
        h.encrypted_records[side] += split(f[13]).len() as u64;
    }
    // The suite's name as tshark describes the field (PDML showname
    // "Cipher Suite: NAME (0x....)") in each ServerHello.
    let mut pdml_args = args[..args.len() - 2 * fields.len() - 6].to_vec();
    pdml_args.extend(["-Y", "tls.handshake.type == 2", "-T", "pdml"]);
    let pdml = tshark(&pdml_args);
    for packet in pdml.split("<packet>").skip(1) {
        let show = |name: &str| -> Vec<String> {
            let pat = format!("name=\"{name}\" showname=\"");
            packet
                .match_indices(&pat)
                .map(|(i, _)| {
                    let rest = &packet[i + pat.len()..];
                    rest[..rest.find('"').unwrap()].to_string()
                })
                .collect()
        };
        let value = |name: &str| -> String {
            let s = show(name);
            let s = s.first().map(String::as_str).unwrap_or("");
            s.rsplit(": ").next().unwrap_or("").to_string()
        };
        let key = (
            format!("{}:{}", value("ip.dst"), value("tcp.dstport")),
            format!("{}:{}", value("ip.src"), value("tcp.srcport")),
        );
        if let (Some(h), Some(suite)) = (
            conns.get_mut(&key),
            show("tls.handshake.ciphersuite").first(),
        ) {
            // "Cipher Suite: TLS_AES_256_GCM_SHA384 (0x1302)"
            let name = suite.trim_start_matches("Cipher Suite: ");
            h.cipher_suite = name.rsplit_once(" (").map(|(n, _)| n.to_string());
        }
    }
    conns
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| {
        a.iter()
            .map(|s| s.as_str().unwrap_or("?").to_string())
            .collect()
    })
}

/// The analyzer's reading, from its JSON connection object.
fn ours(c: &Value) -> Handshake {
    let t = &c["tls"];
    let chosen = t["alpn_chosen"].as_str();
    let version = t["version"].as_str().map(str::to_string);
    Handshake {
        sni: t["sni"].as_str().map(str::to_string),
        alpn_offered: strings(&t["alpn_offered"]),
        versions_offered: strings(&t["versions_offered"]).unwrap_or_default(),
        cipher_suite_id: t["cipher_suite_id"].as_u64().map(|n| n as u16),
        cipher_suite: t["cipher_suite"].as_str().map(str::to_string),
        // In the clear only in TLS 1.2 and before.
        alpn_in_clear: chosen
            .filter(|c| *c != "none" && *c != "unknown (encrypted)")
            .filter(|_| version.as_deref() != Some("TLS 1.3"))
            .map(str::to_string),
        version,
        npn_server_list: strings(&t["npn"]["server_list"]),
        alerts: t["alerts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["code"].as_u64().unwrap() as u8)
                    .collect()
            })
            .unwrap_or_default(),
        encrypted_records: [
            t["encrypted"]["client"]["records"]
                .as_u64()
                .unwrap_or(u64::MAX),
            t["encrypted"]["server"]["records"]
                .as_u64()
                .unwrap_or(u64::MAX),
        ],
        hello_refused: c["decode_error"]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("ClientHello: ")),
    }
}

fn analyze(pcap: &Path) -> BTreeMap<Key, (String, Handshake)> {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["analyze", pcap.to_str().unwrap(), "--format", "json"])
        .output()
        .expect("run lab");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("lab writes JSON");
    report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let key = (
                c["client"].as_str().unwrap().to_string(),
                c["server"].as_str().unwrap().to_string(),
            );
            (
                key,
                (c["protocol"].as_str().unwrap_or("").to_string(), ours(c)),
            )
        })
        .collect()
}

/// Differences, one line each.
fn compare(theirs: &Handshake, ours: &Handshake) -> Vec<String> {
    let mut bad = Vec::new();
    macro_rules! same {
        ($f:ident) => {
            if theirs.$f != ours.$f {
                bad.push(format!(
                    "{}: tshark {:?}, analyzer {:?}",
                    stringify!($f),
                    theirs.$f,
                    ours.$f
                ));
            }
        };
    }
    same!(sni);
    same!(alpn_offered);
    same!(versions_offered);
    same!(version);
    same!(cipher_suite_id);
    same!(cipher_suite);
    same!(alpn_in_clear);
    same!(npn_server_list);
    same!(alerts);
    same!(encrypted_records);
    same!(hello_refused);
    bad
}

#[test]
fn the_analyzer_reads_the_handshakes_tshark_reads() {
    let mut bad = Vec::new();
    let mut figures = BTreeMap::<&str, usize>::new();
    for pcap in tls_captures() {
        let name = pcap.file_name().unwrap().to_string_lossy().to_string();
        let theirs = tshark_reading(&pcap);
        let ours = analyze(&pcap);
        assert!(!theirs.is_empty(), "{name}: tshark saw no TLS");
        for (key, t) in &theirs {
            let Some((protocol, o)) = ours.get(key) else {
                bad.push(format!(
                    "{name} {key:?}: no such connection in the analyzer's report"
                ));
                continue;
            };
            if protocol != "tls" {
                bad.push(format!("{name} {key:?}: protocol {protocol}, not tls"));
            }
            let diffs = compare(t, o);
            if !diffs.is_empty() {
                bad.push(format!("{name} {key:?}:\n    {}", diffs.join("\n    ")));
            }
            *figures.entry("connections").or_default() += 1;
            *figures.entry("ALPN lists").or_default() += usize::from(t.alpn_offered.is_some());
            *figures.entry("ServerHellos").or_default() += usize::from(t.version.is_some());
            *figures.entry("ALPN chosen in clear").or_default() +=
                usize::from(t.alpn_in_clear.is_some());
            *figures.entry("NPN lists").or_default() += usize::from(t.npn_server_list.is_some());
            *figures.entry("alerts").or_default() += t.alerts.len();
            *figures.entry("refused hellos").or_default() += usize::from(t.hello_refused);
        }
    }
    assert!(
        bad.is_empty(),
        "the analyzer disagrees with tshark:\n{}",
        bad.join("\n")
    );
    println!("agreed with tshark: {figures:?}");
    let at_least = [
        ("refused hellos", 1),
        ("connections", 12),
        ("ALPN lists", 7),
        ("ServerHellos", 6),
        ("ALPN chosen in clear", 2),
        ("NPN lists", 1),
        ("alerts", 6),
    ];
    for (what, n) in at_least {
        assert!(
            figures.get(what).copied().unwrap_or(0) >= n,
            "too few {what}: {figures:?}"
        );
    }
}

/// The comparison sees each kind of wrong field: a report that says what
/// tshark says agrees, and one wrong field at a time is caught.
#[test]
fn the_comparison_sees_every_kind_of_disagreement() {
    let pcap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/app/tls-openssl-alpn.pcap");
    let mut tried = 0;
    for t in tshark_reading(&pcap).values() {
        assert!(compare(t, t).is_empty());
        let wrongs: [fn(&mut Handshake); 9] = [
            |h| h.hello_refused = !h.hello_refused,
            |h| h.sni = Some("elsewhere".into()),
            |h| {
                h.alpn_offered = h.alpn_offered.clone().map(|mut v| {
                    v.reverse();
                    v.push("x".into());
                    v
                })
            },
            |h| h.versions_offered.push("TLS 1.1".into()),
            |h| h.version = Some("TLS 1.0".into()),
            |h| h.cipher_suite_id = Some(1),
            |h| h.alpn_in_clear = Some("spdy/3".into()),
            |h| h.alerts.push(0),
            |h| h.encrypted_records[1] += 1,
        ];
        for wrong in wrongs {
            let mut o = t.clone();
            wrong(&mut o);
            assert!(!compare(t, &o).is_empty(), "{o:?} went unnoticed");
            tried += 1;
        }
    }
    assert!(tried >= 36, "only {tried} disagreements tried");
}
