//! The reference captures in `captures/`, recorded by `lab reset --save-pcap`
//! (`scripts/record-captures`), and in `captures/kernel/`
//! (`scripts/record-kernel-captures`), analyzed again: every connection must
//! get the verdict written beside its capture. Runs without capture
//! permission.
//! The HTTP/2 captures' lines add an eighth field, the protocol the
//! analyzer's decoders name (`h2c-upgrade`, `h2-preface-refused`, ...).

use std::path::Path;

use wirelab::analyze::{AnalyzeOptions, analyze};
use wirelab::app::AppOptions;
use wirelab::capture::open_file;

fn fields(c: &wirelab::report::ConnectionReport, with_protocol: bool) -> String {
    let t = &c.teardown;
    let rst = t.first_rst;
    let protocol = c
        .app
        .as_ref()
        .and_then(|a| a.conversation.as_ref())
        .map_or("-", |conv| conv.protocol.name());
    let mut fields = vec![
        c.id.to_string(),
        t.ending.name().to_string(),
        t.closed_first.map_or("-", |r| r.name()).to_string(),
        rst.map_or("-", |r| r.sender.name()).to_string(),
        rst.map_or("-", |r| r.phase.name()).to_string(),
        c.zeek.conn_state.to_string(),
        c.zeek.history.clone(),
    ];
    if with_protocol {
        fields.push(protocol.to_string());
    }
    fields.join(" ")
}

#[test]
fn every_reference_capture_gets_its_recorded_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    // captures/kernel/: the RSTs scripts/record-kernel-captures makes the
    // kernel send (refused, after both FINs, no socket).
    let in_dir = |dir: &Path| -> Vec<_> {
        let mut pcaps: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
            .collect();
        pcaps.sort();
        pcaps
    };
    let kernel = in_dir(&root.join("kernel"));
    assert_eq!(kernel.len(), 3, "{kernel:?}");
    let mut pcaps = in_dir(&root);
    assert!(
        pcaps.len() >= 10,
        "expected a capture per scenario, found {pcaps:?}"
    );
    pcaps.extend(kernel);
    for pcap in pcaps {
        let expect_path = pcap.with_extension("expect");
        let expect = std::fs::read_to_string(&expect_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));
        let want: Vec<&str> = expect
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect();
        let with_protocol = want.iter().any(|l| l.split(' ').count() == 8);
        let opts = AnalyzeOptions {
            app: with_protocol.then(AppOptions::default),
            ..AnalyzeOptions::default()
        };
        let report = analyze(&mut open_file(&pcap).unwrap(), &opts)
            .unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
        let got: Vec<String> = report
            .connections
            .iter()
            .map(|c| fields(c, with_protocol))
            .collect();
        assert_eq!(got, want, "{}", pcap.display());
        assert!(
            report.summary.capture_anomalies.is_empty(),
            "{}",
            pcap.display()
        );
    }
}

/// One line per QUIC connection: `quic N version ending close sni
/// alpn_offered alpn`, `close` being `by:frame_type:code` or `-`.
fn quic_fields(n: usize, q: &wirelab::app::quic::QuicReport) -> String {
    let close = q.close.as_ref().map_or("-".to_owned(), |c| {
        let by = match c.by {
            wirelab::proto::quic::Side::Client => "client",
            wirelab::proto::quic::Side::Server => "server",
        };
        let ty = if c.close.application { "0x1d" } else { "0x1c" };
        format!("{by}:{ty}:0x{:x}", c.close.code)
    });
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(",")
        }
    };
    [
        "quic".to_owned(),
        n.to_string(),
        q.version.map_or("?".to_owned(), |v| v.to_string()),
        q.ending.name().replace(' ', "_"),
        close,
        q.sni.clone().unwrap_or_else(|| "-".to_owned()),
        list(&q.alpn_offered),
        q.alpn.clone().unwrap_or_else(|| "-".to_owned()),
    ]
    .join(" ")
}

/// One line per DNS exchange: `dns N name type rcode answers...`.
fn dns_fields(n: usize, x: &wirelab::app::dns::DnsExchange) -> String {
    let mut f = vec!["dns".to_owned(), n.to_string()];
    match &x.question {
        Some(q) => f.extend([q.name.to_string(), q.qtype.to_string()]),
        None => f.extend(["-".to_owned(), "-".to_owned()]),
    }
    match &x.answer {
        Some(a) => {
            f.push(a.rcode.to_string());
            f.extend(a.answers.iter().map(|r| format!("{}={}", r.rtype, r.data)));
        }
        None => f.push("no-answer".to_owned()),
    }
    if x.malformed > 0 {
        f.push(format!("malformed={}", x.malformed));
    }
    f.join(" ")
}

/// Every capture under `captures/quic/`, analyzed without its key log
/// (`NAME.expect`) and, when it has one, with it (`NAME.keys.expect`):
/// the TCP connections' lines as above (with the protocol), then one line
/// per DNS exchange and per QUIC connection. Set `WIRELAB_WRITE_EXPECT=1`
/// to write the files from the analyzer instead of checking them (then
/// read the diff before committing it).
#[test]
fn every_quic_reference_capture_gets_its_recorded_endings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/quic");
    let mut pcaps = Vec::new();
    for dir in [root.clone(), root.join("serve"), root.join("discovery")] {
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "pcap") {
                pcaps.push(p);
            }
        }
    }
    pcaps.sort();
    assert!(
        pcaps.len() >= 12,
        "expected the QUIC captures, found {pcaps:?}"
    );
    let write = std::env::var_os("WIRELAB_WRITE_EXPECT").is_some();
    let mut checked = 0;
    for pcap in pcaps {
        let keys = pcap.with_extension("keys");
        let mut runs = vec![(None, pcap.with_extension("expect"))];
        if keys.exists() {
            let text = std::fs::read(&keys).unwrap();
            let log = std::sync::Arc::new(wirelab::tls_decrypt::KeyLog::parse(&text));
            runs.push((Some(log), pcap.with_extension("keys.expect")));
        }
        for (keylog, expect_path) in runs {
            let opts = AnalyzeOptions {
                app: Some(AppOptions {
                    keylog,
                    ..AppOptions::default()
                }),
                ..AnalyzeOptions::default()
            };
            let report = analyze(&mut open_file(&pcap).unwrap(), &opts)
                .unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
            let mut got: Vec<String> = report.connections.iter().map(|c| fields(c, true)).collect();
            got.extend(
                report
                    .summary
                    .dns
                    .iter()
                    .enumerate()
                    .map(|(i, x)| dns_fields(i + 1, x)),
            );
            got.extend(
                report
                    .summary
                    .quic
                    .iter()
                    .enumerate()
                    .map(|(i, q)| quic_fields(i + 1, q)),
            );
            if write {
                let mut text = format!(
                    "# lab analyze {}{}\n# TCP: id ended closed_first rst_sender rst_phase conn_state history protocol\n# DNS: dns n name type rcode answers [malformed=n]\n# QUIC: quic n version ending close(by:type:code) sni alpn_offered alpn\n",
                    pcap.file_name().unwrap().to_string_lossy(),
                    if expect_path.to_string_lossy().ends_with(".keys.expect") {
                        " --keylog (its .keys)"
                    } else {
                        ""
                    },
                );
                for l in &got {
                    text.push_str(l);
                    text.push('\n');
                }
                std::fs::write(&expect_path, text).unwrap();
                continue;
            }
            let expect = std::fs::read_to_string(&expect_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));
            let want: Vec<&str> = expect
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .collect();
            assert_eq!(got, want, "{}", expect_path.display());
            assert!(
                !want.is_empty(),
                "{}: nothing expected",
                expect_path.display()
            );
            checked += 1;
        }
    }
    assert!(
        write || checked >= 20,
        "only {checked} expectations checked"
    );
}
