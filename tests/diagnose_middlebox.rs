//! `middlebox-suspected` on the crafted captures of `captures/crafted/`
//! (truth: what `examples/craft_middlebox.rs` forged, as its README
//! says), never on the untouched originals, nor on any other capture in
//! the repository (every RST there is a kernel's own).

use std::path::{Path, PathBuf};
use std::process::Command;

use wirelab::analyze::{AnalyzeOptions, analyze_each};
use wirelab::capture::open_file;
use wirelab::diagnose::{Cause, CauseKind, Diagnosis, IdSign, MiddleboxSigns, SendsAfter, TtlSign};
use wirelab::teardown::Role;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn diagnose(path: &Path) -> Vec<Diagnosis> {
    let mut source = open_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let opts = AnalyzeOptions {
        app: Some(wirelab::diagnose::app_options()),
        ..AnalyzeOptions::default()
    };
    let mut out = Vec::new();
    analyze_each(&mut source, &opts, |f| {
        let app = f.app.map(|a| a.into_report());
        let d = Diagnosis::of(&f.teardown, f.connection, app.as_ref());
        // The trail must be there, or "not suspected" would mean nothing.
        assert!(
            d.is_none() || app.as_ref().is_some_and(|a| a.ip_trail.is_some()),
            "{}: no IP trail",
            path.display()
        );
        out.extend(d);
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

fn signs(file: &str) -> (Diagnosis, MiddleboxSigns) {
    let mut d = diagnose(&root().join("captures/crafted").join(file));
    assert_eq!(d.len(), 1, "{file}: {d:#?}");
    let d = d.remove(0);
    match d.cause {
        Cause::MiddleboxSuspected(m) => (d, m),
        ref other => panic!("{file}: {other:?}"),
    }
}

/// The frames of a capture, as bytes.
fn frames(path: &Path) -> Vec<Vec<u8>> {
    let mut r = open_file(path).unwrap();
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        out.push(f.data.to_vec());
    }
    out
}

/// The crafted file is its original with only frame `n` changed, and
/// only at the given byte offsets.
fn only_changed(original: &str, crafted: &str, n: usize, offsets: &[usize]) {
    let a = frames(&root().join(original));
    let b = frames(&root().join(crafted));
    assert_eq!(a.len(), b.len());
    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
        if k + 1 != n {
            assert_eq!(x, y, "{crafted}: frame {} changed", k + 1);
            continue;
        }
        assert_eq!(x.len(), y.len());
        let changed: Vec<usize> = (0..x.len()).filter(|&i| x[i] != y[i]).collect();
        assert!(
            changed.iter().all(|i| offsets.contains(i)),
            "{crafted}: frame {n} bytes {changed:?} changed"
        );
    }
}

// Ethernet (14) then IPv4: TTL at 8, ID at 4, header checksum at 10;
// the TCP checksum at 20 + 16.
const TTL: usize = 14 + 8;
const ID: [usize; 2] = [14 + 4, 14 + 5];
const IP_SUM: [usize; 2] = [14 + 10, 14 + 11];
const TCP_SUM: [usize; 2] = [14 + 36, 14 + 37];

#[test]
fn a_rst_with_a_strangers_ttl_is_suspected() {
    only_changed(
        "captures/no-read.pcap",
        "captures/crafted/rst-ttl.pcap",
        8,
        &[TTL, IP_SUM[0], IP_SUM[1], TCP_SUM[0], TCP_SUM[1]],
    );
    let (d, m) = signs("rst-ttl.pcap");
    assert_eq!((d.rst.sender, d.rst.frame), (Role::Server, 8));
    assert_eq!(
        m.ttl,
        Some(TtlSign {
            usual: 64,
            seen: 51
        })
    );
    assert_eq!(m.ip_id, None, "the IP ID was left in the server's counter");
    assert_eq!(m.sends_after, None);
    assert_eq!(m.pair, None);
}

#[test]
fn a_rst_copying_the_clients_ip_id_is_suspected() {
    only_changed(
        "captures/no-read.pcap",
        "captures/crafted/rst-copied-id.pcap",
        8,
        &[ID[0], ID[1], IP_SUM[0], IP_SUM[1], TCP_SUM[0], TCP_SUM[1]],
    );
    let (_, m) = signs("rst-copied-id.pcap");
    assert_eq!(m.ttl, None);
    assert_eq!(
        m.ip_id,
        Some(IdSign {
            last: 0x41ad,
            seen: 0x2c82,
            copies_peer: true
        })
    );
}

#[test]
fn a_censors_rst_pair_is_suspected_and_the_server_keeps_talking() {
    let (d, m) = signs("censor-pair.pcap");
    assert_eq!((d.rst.sender, d.rst.frame), (Role::Server, 5));
    assert_eq!(
        m.ttl,
        Some(TtlSign {
            usual: 64,
            seen: 49
        })
    );
    // The ACK, the response, its FIN and the last ACK: frames 7, 8, 10, 12.
    assert_eq!(
        m.sends_after,
        Some(SendsAfter {
            packets: 4,
            first_frame: 7
        })
    );
    let pair = m.pair.expect("the RST to the server");
    assert_eq!(pair.frame, 6);
    assert_eq!(
        pair.ttl,
        Some(TtlSign {
            usual: 64,
            seen: 49
        })
    );
    assert!(d.impact.is_harmful(), "the request was never answered");

    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .current_dir(root())
        .args(["diagnose", "captures/crafted/censor-pair.pcap"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("middlebox-suspected by the server, frame 5"),
        "{text}"
    );
    assert!(
        text.contains("TTL is 49 where every other packet of the server carries 64"),
        "{text}"
    );
    assert!(text.contains("RST sent to each end"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .current_dir(root())
        .args([
            "diagnose",
            "captures/crafted/censor-pair.pcap",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mb = &v["diagnoses"][0]["middlebox"];
    assert_eq!(mb["ttl"]["expected"], 64, "{mb}");
    assert_eq!(mb["ttl"]["seen"], 49, "{mb}");
    assert_eq!(mb["pair"]["frame"], 6, "{mb}");
    assert_eq!(mb["sends_after"]["first_frame"], 7, "{mb}");
}

#[test]
fn the_untouched_originals_are_not_suspected() {
    let d = diagnose(&root().join("captures/no-read.pcap"));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].cause.kind(), CauseKind::LingerZeroAbort);
    assert!(diagnose(&root().join("captures/full.pcap")).is_empty());
}

fn captures_in(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            captures_in(&p, out);
        } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            out.push(p);
        }
    }
}

#[test]
fn no_kernel_rst_in_the_repository_is_suspected() {
    let mut all = Vec::new();
    captures_in(&root().join("captures"), &mut all);
    captures_in(&root().join("tests/data/zeek/traces"), &mut all);
    let mut rsts = 0;
    for p in all
        .iter()
        .filter(|p| !p.starts_with(root().join("captures/crafted")))
    {
        for d in diagnose(p) {
            rsts += 1;
            assert_ne!(
                d.cause.kind(),
                CauseKind::MiddleboxSuspected,
                "{}: {d:#?}",
                p.display()
            );
        }
    }
    assert!(rsts >= 30, "only {rsts} RSTs looked at");
}
