//! `lab analyze --keylog`: decryption with the NSS key log recorded beside
//! each TLS reference capture (`captures/app/tls-*.pcap` + `.keylog`),
//! checked against tshark given the same file (`-o tls.keylog_file:`).
//!
//! The oracle for the chosen ALPN is the server's handshake as tshark
//! decrypts it: the ServerHello's ALPN in TLS 1.2, EncryptedExtensions'
//! in TLS 1.3 (RFC 8446 §4.3.1), `none` when neither carries one.
//! tshark must be installed (scripts/setup); without it the test fails
//! saying so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/app")
        .join(name)
}

fn lab_json(pcap: &Path, keylog: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("analyze")
        .arg(pcap)
        .arg("--keylog")
        .arg(keylog)
        .args(["--format", "json"])
        .output()
        .expect("run lab");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("lab writes JSON")
}

fn port(endpoint: &str) -> u16 {
    endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

/// (client port, server port) → the connection's `tls` member.
fn ours(report: &Value) -> BTreeMap<(u16, u16), Value> {
    report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["protocol"] == "tls")
        .map(|c| {
            let key = (
                port(c["client"].as_str().unwrap()),
                port(c["server"].as_str().unwrap()),
            );
            (key, c["tls"].clone())
        })
        .collect()
}

/// (client port, server port) → the ALPN the server chose, as tshark
/// reads it with the key log, for every connection with a ServerHello.
fn theirs(pcap: &Path, keylog: &Path) -> BTreeMap<(u16, u16), String> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .arg("-o")
        .arg(format!("tls.keylog_file:{}", keylog.display()))
        .args(["-Y", "tls.handshake.type == 2 || tls.handshake.type == 8"])
        .args(["-T", "fields", "-E", "separator=\t"])
        .args(["-e", "tcp.srcport", "-e", "tcp.dstport"])
        .args([
            "-e",
            "tls.handshake.type",
            "-e",
            "tls.handshake.extensions_alpn_str",
        ])
        .output()
        .unwrap_or_else(|e| panic!("tshark cannot run ({e}): install it with scripts/setup"));
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut chosen = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (server, client) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        let entry = chosen
            .entry((client, server))
            .or_insert_with(|| "none".to_string());
        if let Some(alpn) = f.get(3).filter(|a| !a.is_empty()) {
            *entry = (*alpn).to_string();
        }
    }
    chosen
}

#[test]
fn the_chosen_alpn_agrees_with_tshark_decrypting_with_the_same_key_log() {
    let mut tls13_decrypted = 0;
    for name in [
        "tls-curl",
        "tls-openssl-alpn",
        "tls-npn",
        "tls-lab-alpn",
        "tls-endings",
    ] {
        let pcap = capture(&format!("{name}.pcap"));
        let keylog = capture(&format!("{name}.keylog"));
        let report = lab_json(&pcap, &keylog);
        let ours = ours(&report);
        let theirs = theirs(&pcap, &keylog);
        // The summary counts each connection by what its keys did.
        let counts = &report["summary"]["decode"]["tls_keys"];
        assert_eq!(
            counts["ok"].as_u64(),
            Some(theirs.len() as u64),
            "{name}: {counts}"
        );
        assert_eq!(counts["missing"].as_u64(), Some(0), "{name}: {counts}");
        assert!(!theirs.is_empty(), "{name}: tshark saw no ServerHello");
        for (key, alpn) in &theirs {
            let t = ours
                .get(key)
                .unwrap_or_else(|| panic!("{name} {key:?}: not a TLS connection for lab"));
            assert_eq!(t["keys"], "ok", "{name} {key:?}: {t}");
            assert_eq!(t["alpn_chosen"], alpn.as_str(), "{name} {key:?}: {t}");
            let opened = t["decrypted_records"]["server"].as_u64().unwrap();
            assert!(opened > 0, "{name} {key:?}: nothing decrypted: {t}");
            if t["version"] == "TLS 1.3" && alpn != "none" {
                tls13_decrypted += 1;
            }
        }
    }
    assert!(
        tls13_decrypted > 0,
        "no TLS 1.3 connection had its ALPN read from EncryptedExtensions"
    );
}

#[test]
fn without_the_flag_the_tls_13_choice_stays_encrypted() {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("analyze")
        .arg(capture("tls-openssl-alpn.pcap"))
        .args(["--format", "json"])
        .env("SSLKEYLOGFILE", capture("tls-openssl-alpn.keylog"))
        .output()
        .expect("run lab");
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours = ours(&report);
    assert!(
        ours.values()
            .any(|t| t["alpn_chosen"] == "unknown (encrypted)"),
        "SSLKEYLOGFILE must not be read implicitly: {ours:?}"
    );
    assert!(ours.values().all(|t| t.get("keys").is_none()));
}

#[test]
fn another_connections_key_log_is_missing_and_a_wrong_secret_is_a_mismatch() {
    let pcap = capture("tls-curl.pcap");
    let report = lab_json(&pcap, &capture("tls-npn.keylog"));
    for (key, t) in ours(&report) {
        assert_eq!(t["keys"], "missing", "{key:?}: {t}");
        assert!(t["keys_problem"].as_str().unwrap().contains("no secrets"));
    }
    // Every secret altered in its first byte: the randoms still match, the
    // first protected record fails its tag.
    let text = std::fs::read_to_string(capture("tls-curl.keylog")).unwrap();
    let wrong: String = text
        .lines()
        .map(|l| match l.rsplit_once(' ') {
            Some((head, secret)) if !l.starts_with('#') => {
                let flipped = if secret.starts_with('0') { "1" } else { "0" };
                format!("{head} {flipped}{}\n", &secret[1..])
            }
            _ => format!("{l}\n"),
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("wirelab-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wrong_path = dir.join("wrong.keylog");
    std::fs::write(&wrong_path, wrong).unwrap();
    let report = lab_json(&pcap, &wrong_path);
    let _ = std::fs::remove_dir_all(&dir);
    let tls = ours(&report);
    assert!(!tls.is_empty());
    for (key, t) in tls {
        assert_eq!(t["keys"], "mismatch", "{key:?}: {t}");
    }
}

/// The name RFC 8446 §6 gives an alert description, for the few the
/// reference captures hold.
fn alert_name(code: u8) -> &'static str {
    match code {
        0 => "close_notify",
        70 => "protocol_version",
        120 => "no_application_protocol",
        other => panic!("alert {other}: add its RFC name to this test"),
    }
}

/// How tshark's decrypted alerts say TLS ended, and the frame numbers of
/// the closing alerts (client, server).
type TsharkClose = (String, [Option<u64>; 2]);

/// (client port, server port) → how tshark's decrypted alerts say TLS
/// ended: the first fatal alert, else who sent close_notify; with the
/// frame of the fatal alert, or of each side's first close_notify.
fn tls_close_by_tshark(
    pcap: &Path,
    keylog: &Path,
    servers: &std::collections::BTreeSet<u16>,
) -> BTreeMap<(u16, u16), TsharkClose> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .arg("-o")
        .arg(format!("tls.keylog_file:{}", keylog.display()))
        .args([
            "-Y",
            "tls.alert_message",
            "-T",
            "fields",
            "-E",
            "separator=\t",
        ])
        .args(["-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.stream"])
        .args([
            "-e",
            "tls.alert_message.level",
            "-e",
            "tls.alert_message.desc",
            "-e",
            "frame.number",
        ])
        .output()
        .unwrap_or_else(|e| panic!("tshark cannot run ({e}): install it with scripts/setup"));
    assert!(out.status.success());
    type Seen = (Option<(String, usize, u64)>, [Option<u64>; 2]);
    let mut seen: BTreeMap<(u16, u16), Seen> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (src, dst): (u16, u16) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        let from_server = servers.contains(&src);
        let key = if from_server { (dst, src) } else { (src, dst) };
        let e = seen.entry(key).or_default();
        let by = if from_server { "server" } else { "client" };
        let frame: u64 = f[5].parse().unwrap();
        let side = usize::from(from_server);
        for (level, desc) in f[3].split(',').zip(f[4].split(',')) {
            let code: u8 = desc.parse().unwrap();
            if level == "2" && e.0.is_none() {
                e.0 = Some((format!("alert {} by {by}", alert_name(code)), side, frame));
            } else if code == 0 {
                e.1[side] = e.1[side].or(Some(frame));
            }
        }
    }
    seen.into_iter()
        .map(|(k, (fatal, cn))| {
            let close = match fatal {
                Some((how, side, frame)) => {
                    let mut frames = [None, None];
                    frames[side] = Some(frame);
                    (how, frames)
                }
                None => {
                    let how = match cn.map(|f| f.is_some()) {
                        [true, true] => "close_notify both ways",
                        [true, false] => "close_notify by client",
                        [false, true] => "close_notify by server",
                        [false, false] => "none",
                    };
                    (how.to_string(), cn)
                }
            };
            (k, close)
        })
        .collect()
}

#[test]
fn tls_close_agrees_with_the_alerts_tshark_decrypts() {
    let mut compared = 0;
    let mut frames_compared = 0;
    for name in [
        "tls-curl",
        "tls-openssl-alpn",
        "tls-npn",
        "tls-lab-serve",
        "tls-lab-alpn",
        "tls-endings",
    ] {
        let pcap = capture(&format!("{name}.pcap"));
        let keylog = capture(&format!("{name}.keylog"));
        let ours = ours(&lab_json(&pcap, &keylog));
        // Which port is the server's (the SYN's receiver) only orients
        // tshark's lines.
        let servers = ours.keys().map(|k| k.1).collect();
        let theirs = tls_close_by_tshark(&pcap, &keylog, &servers);
        for (key, t) in &ours {
            let none = ("none".to_string(), [None, None]);
            let (expected, frames) = theirs.get(key).unwrap_or(&none);
            // A connection refused before any ServerHello has no keys: its
            // alert was in the clear, tshark and the analyzer read it alike.
            assert_eq!(
                t["tls_close"]["how"],
                expected.as_str(),
                "{name} {key:?}: {t}"
            );
            let offsets = &t["tls_close"]["offsets"];
            if expected == "close_notify both ways" {
                assert!(
                    offsets["client"].is_u64() && offsets["server"].is_u64(),
                    "{t}"
                );
            }
            // The frame tshark shows each closing alert in is ours too.
            let ours_frames = &t["tls_close"]["frames"];
            let as_json = |f: Option<u64>| f.map_or(Value::Null, Value::from);
            assert_eq!(
                ours_frames["client"],
                as_json(frames[0]),
                "{name} {key:?}: {t}"
            );
            assert_eq!(
                ours_frames["server"],
                as_json(frames[1]),
                "{name} {key:?}: {t}"
            );
            frames_compared += frames.iter().flatten().count();
            compared += 1;
        }
    }
    assert!(compared >= 6, "only {compared} connections compared");
    assert!(
        frames_compared >= 10,
        "only {frames_compared} alert frames compared"
    );
}

#[test]
fn without_keys_the_tls_13_close_is_unknown_not_guessed() {
    let report = lab_json(&capture("tls-curl.pcap"), &capture("tls-npn.keylog"));
    for (key, t) in ours(&report) {
        assert_eq!(t["tls_close"]["how"], "unknown (encrypted)", "{key:?}: {t}");
    }
}

/// NPN's choice travels in the client's NextProtocol message (type 67,
/// draft-agl-tls-nextprotoneg-04 §3), encrypted after its
/// ChangeCipherSpec. With the key log the analyzer names it, as tshark
/// does (`tls.handshake.npn_selected_protocol`), in the JSON, the table and
/// the ladder; without keys it says only that the choice went encrypted.
#[test]
fn the_npn_choice_is_read_with_the_key_log_as_tshark_reads_it() {
    let pcap = capture("tls-npn.pcap");
    let keylog = capture("tls-npn.keylog");
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .arg("-o")
        .arg(format!("tls.keylog_file:{}", keylog.display()))
        .args(["-Y", "tls.handshake.type == 67", "-T", "fields"])
        .args(["-e", "tcp.srcport", "-e", "tcp.dstport"])
        .args(["-e", "tls.handshake.npn_selected_protocol"])
        .output()
        .unwrap_or_else(|e| panic!("tshark cannot run ({e}): install it with scripts/setup"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: BTreeMap<(u16, u16), String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                (f[0].parse().unwrap(), f[1].parse().unwrap()),
                f[2].to_string(),
            )
        })
        .collect();
    assert!(!theirs.is_empty(), "tshark decrypted no NextProtocol");
    let with_keys = ours(&lab_json(&pcap, &keylog));
    for (key, name) in &theirs {
        assert!(!name.is_empty(), "{key:?}: tshark read no name");
        let npn = &with_keys[key]["npn"];
        assert_eq!(npn["chosen"], name.as_str(), "{key:?}: {npn}");
        assert_eq!(npn["client_choice"], "encrypted", "{key:?}: {npn}");
    }
    // Without the key log: nothing named, the choice said to be encrypted.
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("analyze")
        .arg(&pcap)
        .args(["--format", "json"])
        .output()
        .expect("run lab");
    assert!(out.status.success());
    let without = ours(&serde_json::from_slice(&out.stdout).unwrap());
    for key in theirs.keys() {
        let npn = &without[key]["npn"];
        assert_eq!(npn["chosen"], Value::Null, "{key:?}: {npn}");
        assert_eq!(npn["client_choice"], "encrypted", "{key:?}: {npn}");
    }
    // The table and the ladder say it in words.
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("analyze")
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keylog)
        .arg("--frames")
        .output()
        .expect("run lab");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in theirs.values() {
        let said =
            format!("the client chose {name} (NextProtocol, encrypted: read with the key log)");
        assert!(text.contains(&said), "no `{said}` in:\n{text}");
        let step = format!("NextProtocol {name} · Finished");
        assert!(text.contains(&step), "no `{step}` in the ladder:\n{text}");
    }
}
