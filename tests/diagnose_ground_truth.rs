//! `lab diagnose` against the benchmark's generator (`groundtruth::traffic`,
//! the big loopback capture's source) at a smaller size: real loopback
//! connections driven through every teardown scenario, captured with
//! libpcap in a private network namespace. Every connection a RST ended
//! must get a cause that agrees with what its scenario made the kernel do,
//! and an impact no worse than the scenario deserves.
//!
//! Needs root (a network namespace and capture on its `lo`): without it
//! this test fails with the reason; it never skips.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use wirelab::analyze::{AnalyzeOptions, analyze_each};
use wirelab::capture::open_file;
use wirelab::diagnose::{CauseKind, Diagnosis, Impact};
use wirelab::groundtruth::scenarios::Scenario;
use wirelab::groundtruth::traffic::{self, Plan};
use wirelab::labs::netns::{Isolation, enter_private};

/// The causes the packets of a scenario allow, and whether its RST may be
/// called harmful.
fn allowed(s: Scenario) -> Option<(&'static [CauseKind], bool)> {
    use CauseKind::*;
    Some(match s {
        // Answers without reading, then close(): Linux's RST for unread
        // data. The request was acknowledged on arrival, so the packets
        // show the abort shape unless the RST beat that acknowledgment;
        // the response may still have been in flight (harmful then).
        Scenario::ServerRstUnread => (&[LingerZeroAbort, ClosedWithUnreadData], true),
        // SO_LINGER 0 after the client read the whole response: nothing
        // was lost; the client had not closed yet.
        Scenario::ServerAbort => (&[LingerZeroAbort], false),
        // The client aborts after reading its whole response: benign.
        Scenario::ClientAbort => (&[LingerZeroAbort], false),
        // "late" after the server's FIN: 4 bytes that are no request.
        Scenario::DataAfterClose => (&[DataAfterClose], false),
        Scenario::Refused => (&[Refused], false),
        _ => return None,
    })
}

#[test]
fn every_generated_rst_gets_the_cause_its_scenario_made() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("generated.pcap");
    let path = pcap.clone();
    let labels = std::thread::spawn(move || {
        let (iso, why) = enter_private();
        assert_eq!(
            iso,
            Isolation::PrivateNamespace,
            "this test needs root for a private network namespace: {why:?}"
        );
        let plan = Plan {
            connections: 3000,
            workers: 2,
            seed: 17,
            extra_rounds: 0,
        };
        let rec = traffic::record(&plan, &path)
            .unwrap_or_else(|e| panic!("generating the capture (run as root): {e}"));
        assert_eq!(rec.stats.dropped, 0, "the kernel dropped packets");
        let labels = rec.generated.labels.clone();
        for held in rec.generated.held {
            held.release();
        }
        labels
    })
    .join()
    .expect("generator thread");

    let mut key: HashMap<(SocketAddr, SocketAddr), VecDeque<Scenario>> = HashMap::new();
    for l in &labels {
        key.entry((l.client, l.server))
            .or_default()
            .push_back(l.scenario);
    }
    let opts = AnalyzeOptions {
        app: Some(wirelab::diagnose::app_options()),
        ..AnalyzeOptions::default()
    };
    let mut found = Vec::new();
    let mut trailed = 0;
    let mut source = open_file(&pcap).expect("open the capture");
    analyze_each(&mut source, &opts, |f| {
        // The kernel's own RSTs are judged against each side's IP marks:
        // none may be called middlebox-suspected (not in `allowed`).
        let app = f.app.map(|a| a.into_report());
        trailed += usize::from(app.as_ref().is_some_and(|a| a.ip_trail.is_some()));
        let t = &f.teardown;
        let pair = (
            SocketAddr::new(t.client.addr, t.client.port),
            SocketAddr::new(t.server.addr, t.server.port),
        );
        found.push((
            f.connection.id(),
            pair,
            Diagnosis::of(t, f.connection, app.as_ref()),
        ));
    })
    .expect("analyze");
    // A reused 4-tuple's connections come in time order, as generated.
    found.sort_by_key(|(id, _, _)| *id);
    assert_eq!(
        found.len(),
        labels.len(),
        "one connection per generated one"
    );
    assert_eq!(
        trailed,
        found.len(),
        "every connection's IP marks were kept"
    );

    let mut per_cause: HashMap<CauseKind, usize> = HashMap::new();
    for (_, pair, d) in &found {
        let scenario = key
            .get_mut(pair)
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| panic!("{pair:?} was not generated"));
        match (allowed(scenario), d) {
            (None, None) => {}
            (None, Some(d)) => panic!("{scenario:?} has no RST, yet: {d:#?}"),
            (Some(_), None) => panic!("{scenario:?} {pair:?}: its RST was not diagnosed"),
            (Some((causes, may_harm)), Some(d)) => {
                let k = d.cause.kind();
                assert!(causes.contains(&k), "{scenario:?}: {k} in {d:#?}");
                assert!(
                    may_harm || !d.impact.is_harmful(),
                    "{scenario:?} called harmful: {d:#?}"
                );
                if scenario == Scenario::ClientAbort || scenario == Scenario::Refused {
                    assert!(
                        matches!(d.impact, Impact::Benign(_)),
                        "{scenario:?}: {d:#?}"
                    );
                }
                *per_cause.entry(k).or_default() += 1;
            }
        }
    }
    for k in [
        CauseKind::Refused,
        CauseKind::DataAfterClose,
        CauseKind::LingerZeroAbort,
    ] {
        assert!(
            per_cause.get(&k).copied().unwrap_or(0) > 0,
            "{k}: {per_cause:?}"
        );
    }
}
