//! The reference captures in `captures/`, recorded by `lab reset --save-pcap`
//! (`scripts/record-captures`), analyzed again: every connection must get the
//! verdict written beside its capture. Runs without capture permission.

use std::path::Path;

use wirelab::analyze::{AnalyzeOptions, analyze};
use wirelab::capture::open_file;

fn fields(c: &wirelab::report::ConnectionReport) -> String {
    let t = &c.teardown;
    let rst = t.first_rst;
    [
        c.id.to_string(),
        t.ending.name().to_string(),
        t.closed_first.map_or("-", |r| r.name()).to_string(),
        rst.map_or("-", |r| r.sender.name()).to_string(),
        rst.map_or("-", |r| r.phase.name()).to_string(),
        c.zeek.conn_state.to_string(),
        c.zeek.history.clone(),
    ]
    .join(" ")
}

#[test]
fn every_reference_capture_gets_its_recorded_verdict() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut pcaps: Vec<_> = std::fs::read_dir(&dir)
        .expect("captures/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    pcaps.sort();
    assert!(
        pcaps.len() >= 10,
        "expected a capture per scenario, found {pcaps:?}"
    );
    for pcap in pcaps {
        let expect_path = pcap.with_extension("expect");
        let expect = std::fs::read_to_string(&expect_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));
        let want: Vec<&str> = expect
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect();
        let report = analyze(&mut open_file(&pcap).unwrap(), &AnalyzeOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
        let got: Vec<String> = report.connections.iter().map(fields).collect();
        assert_eq!(got, want, "{}", pcap.display());
        assert!(
            report.summary.capture_anomalies.is_empty(),
            "{}",
            pcap.display()
        );
    }
}
