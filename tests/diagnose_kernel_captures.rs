//! `lab diagnose` on `captures/kernel/`: RSTs that Linux itself sent, in
//! two network namespaces (`scripts/record-kernel-captures`;
//! `captures/kernel/README.md` holds each one's truth). Each must get the
//! cause the scenario made the kernel act on, with the frames that show
//! it. Runs without capture permission.

use std::path::Path;
use std::process::Command;

use wirelab::analyze::{AnalyzeOptions, analyze_each};
use wirelab::app::Finished;
use wirelab::capture::open_file;
use wirelab::diagnose::{Cause, CauseKind, Diagnosis, Impact, words::Shape};
use wirelab::teardown::Role;

/// The one RST of a capture in captures/kernel/.
fn only(name: &str) -> Diagnosis {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/kernel")
        .join(name);
    let mut source = open_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let opts = AnalyzeOptions {
        app: Some(wirelab::diagnose::app_options()),
        ..AnalyzeOptions::default()
    };
    let mut out = Vec::new();
    analyze_each(&mut source, &opts, |f| {
        let app = f.app.map(Finished::into_report);
        out.extend(Diagnosis::of(&f.teardown, f.connection, app.as_ref()));
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(out.len(), 1, "{name}: one RST expected, got {out:#?}");
    out.remove(0)
}

fn lab_diagnose(name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["diagnose", &format!("captures/kernel/{name}")])
        .output()
        .expect("run lab");
    assert_eq!(out.status.code(), Some(0), "{name}");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn a_syn_to_a_closed_port_is_refused() {
    // Frame 1 curl's SYN, frame 2 the kernel's RST,ACK; curl said exit 7.
    let d = only("refused.pcap");
    assert_eq!(d.cause, Cause::Refused);
    assert_eq!((d.rst.sender, d.rst.frame), (Role::Server, 2));
    assert!(matches!(d.impact, Impact::Benign(_)), "{:?}", d.impact);
    assert_eq!(d.frames().collect::<Vec<_>>(), [1, 2]);
    let text = lab_diagnose("refused.pcap");
    assert!(text.contains("BENIGN 1: refused 1"), "{text}");
    assert!(
        text.contains("1 benign RST(s) in 1 connection(s)"),
        "{text}"
    );
}

#[test]
fn a_fin_answered_after_the_servers_fin_wait_2_ran_out_is_after_both_fins() {
    // The server's FIN (frame 8, TCP_LINGER2 1 s), the client's FIN 3 s
    // later (frame 10), the server kernel's RST without ACK (frame 11):
    // it had forgotten the connection.
    let d = only("after-both-fins.pcap");
    let Cause::AfterBothFins {
        forgotten: Some((answered, ns)),
    } = d.cause
    else {
        panic!("not after-both-fins with the answered FIN: {:?}", d.cause);
    };
    assert_eq!(answered, 10);
    assert!(
        (2_500_000_000..4_000_000_000).contains(&ns),
        "{ns} ns from the server's FIN to the client's"
    );
    assert_eq!((d.rst.sender, d.rst.frame), (Role::Server, 11));
    assert!(matches!(d.impact, Impact::Benign(_)), "{:?}", d.impact);
    assert_eq!(d.frames().collect::<Vec<_>>(), [8, 10, 11]);
    // A benign RST is counted, not told, in the terminal report.
    let text = lab_diagnose("after-both-fins.pcap");
    assert!(text.contains("BENIGN 1: after-both-fins 1"), "{text}");
    let what = wirelab::report::diagnosis::what_happened(&d);
    assert!(what.contains("frame 10, 3.0"), "{what}");
    assert!(what.contains("FIN-WAIT-2"), "{what}");
}

#[test]
fn a_request_to_a_server_that_lost_the_connection_is_no_socket() {
    // The server answered GET /first (frame 6), lost its state without a
    // word (its link down, its socket discarded, a new listener), and its
    // kernel answered GET /second (frame 8) with a RST without ACK whose
    // sequence number is the request's acknowledgment (frame 9).
    let d = only("no-socket.pcap");
    let Cause::NoSocket {
        bytes,
        answered,
        lost_state: Some((last, silent)),
    } = d.cause
    else {
        panic!("not no-socket with the server's last word: {:?}", d.cause);
    };
    assert_eq!((bytes, answered, last), (48, Some(8), 6));
    assert!(silent > 1_000_000_000, "{silent} ns of silence");
    assert_eq!((d.rst.sender, d.rst.frame), (Role::Server, 9));
    assert!(d.impact.is_harmful(), "GET /second went unanswered");
    assert_eq!(d.unanswered, vec![1]);
    assert_eq!(d.frames().collect::<Vec<_>>(), [6, 8, 8, 9]);
    // For the client, a request on a reused connection drew a RST.
    assert_eq!(d.shape, Some(Shape::KeepAliveRace));
    let text = lab_diagnose("no-socket.pcap");
    assert!(
        text.contains("HARMFUL #1 10.231.0.1:"),
        "the paragraph is told: {text}"
    );
    assert!(text.contains("no-socket by the server, frame 9"), "{text}");
    assert!(text.contains("RFC 9293 §3.10.7.1"), "{text}");
    assert!(
        text.contains("The client's 48 bytes reached no socket"),
        "{text}"
    );
    assert!(!text.contains("keep-alive-race by"), "{text}");
}

#[test]
fn no_kernel_rst_is_suspected_of_coming_from_a_middlebox() {
    // Linux's RST from no socket carries IP ID 0 and no timestamps; its
    // TTL is the machine's own.
    for name in ["refused.pcap", "after-both-fins.pcap", "no-socket.pcap"] {
        let d = only(name);
        assert_ne!(d.cause.kind(), CauseKind::MiddleboxSuspected, "{name}");
    }
}
