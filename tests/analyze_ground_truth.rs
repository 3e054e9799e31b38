//! Ground truth: real loopback connections driven through every teardown
//! scenario (graceful close from either side, half-close, RST on unread data,
//! SO_LINGER-0 aborts from either side, data after close, refused port,
//! unanswered SYN, left open), captured live with libpcap in a private network
//! namespace, then analyzed from the capture file. Every connection's verdict,
//! first closer, RST sender and Zeek conn_state must match what the scenario
//! made the kernel do.
//!
//! Needs root (a network namespace and capture on its `lo`): without it this
//! test fails with the reason; it never skips.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use wirelab::analyze::{AnalyzeOptions, analyze};
use wirelab::capture::{LiveCapture, open_file};
use wirelab::groundtruth::scenarios::{self, Held, Labelled, Scenario};
use wirelab::labs::netns::{Isolation, enter_private};

const ROUNDS: usize = 3;

/// Runs every scenario `ROUNDS` times under a live capture and returns the
/// capture file and the answer key.
fn capture_scenarios(dir: &std::path::Path) -> (std::path::PathBuf, Vec<Labelled>) {
    let (iso, why) = enter_private();
    assert_eq!(
        iso,
        Isolation::PrivateNamespace,
        "this test needs root for a private network namespace: {why:?}"
    );
    let path = dir.join("scenarios.pcap");
    let mut cap = LiveCapture::open("lo", Some("tcp"), Some(&path))
        .unwrap_or_else(|e| panic!("capture on lo failed (run as root): {e}"));
    let mut held = Held::default();
    let mut key = Vec::new();
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    for _ in 0..ROUNDS {
        for s in Scenario::ALL {
            key.extend(scenarios::run(s, lo, &mut held).unwrap_or_else(|e| panic!("{s:?}: {e}")));
            // Keep libpcap's buffer short; everything read goes to the file.
            while cap.next_frame().expect("live read").is_some() {}
        }
    }
    // Late packets (the last RSTs) reach the ring within a few polls.
    for _ in 0..5 {
        while cap.next_frame().expect("live read").is_some() {}
    }
    let stats = cap.stats().expect("stats");
    assert_eq!(stats.dropped, 0, "the kernel dropped packets: {stats:?}");
    cap.flush().expect("flush");
    drop(cap);
    // Only now may the held connections close: their FINs are not captured.
    held.release();
    (path, key)
}

#[test]
fn every_scenario_is_classified_as_the_kernel_ended_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let (path, key) = std::thread::spawn(move || capture_scenarios(&d))
        .join()
        .expect("capture thread");
    let mut source = open_file(&path).expect("open capture");
    let report = analyze(&mut source, &AnalyzeOptions::default()).expect("analyze");

    let by_pair: HashMap<(SocketAddr, SocketAddr), _> = report
        .connections
        .iter()
        .map(|c| {
            let t = &c.teardown;
            let ep = |e: wirelab::wire::Endpoint| SocketAddr::new(e.addr, e.port);
            ((ep(t.client), ep(t.server)), c)
        })
        .collect();
    assert_eq!(
        report.connections.len(),
        key.len(),
        "one reported connection per generated one"
    );
    let mut checked = 0;
    for l in &key {
        let want = l.scenario.expected();
        let c = by_pair.get(&(l.client, l.server)).unwrap_or_else(|| {
            panic!("{:?} {} -> {} not reported", l.scenario, l.client, l.server)
        });
        let t = &c.teardown;
        let ctx = format!(
            "{:?} {} -> {}: {t:?} {}",
            l.scenario, l.client, l.server, c.zeek.history
        );
        assert_eq!(t.ending, want.ended, "{ctx}");
        assert_eq!(t.closed_first, want.first_closer, "{ctx}");
        assert_eq!(t.first_rst.map(|r| r.sender), want.rst_sender, "{ctx}");
        assert_eq!(c.zeek.conn_state, want.conn_state, "{ctx}");
        checked += 1;
    }
    assert_eq!(checked, ROUNDS * (Scenario::ALL.len() + 1));
}
