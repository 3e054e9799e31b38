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
