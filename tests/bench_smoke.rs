//! The benchmark pipeline, small: `bench/analyzer --smoke` generates a
//! labelled loopback capture of about 20 000 packets with libpcap, checks
//! every verdict of `lab analyze` against its ground truth, runs the timed
//! tools once and the memory measurement, and prints the table. No timing is
//! asserted (figures come from the full run on a quiet machine). Capturing
//! needs root or CAP_NET_RAW/CAP_NET_ADMIN: without it this test fails.

use std::process::Command;

#[test]
fn benchmark_pipeline_runs_and_every_verdict_matches_ground_truth() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("bash")
        .arg(format!("{root}/bench/analyzer"))
        .arg("--smoke")
        .current_dir(root)
        // cargo built the binary and the examples for this test run; a
        // nested cargo would wait on (or race) the outer one's build lock.
        .env("BENCH_NO_BUILD", "1")
        .output()
        .expect("run bench/analyzer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "bench/analyzer --smoke failed (capturing on lo needs root or CAP_NET_RAW):\n{stdout}\n{stderr}"
    );
    let truth = stdout
        .lines()
        .find(|l| l.contains("ground truth:"))
        .unwrap_or_else(|| panic!("no ground-truth line in:\n{stdout}"));
    assert!(truth.contains("(100.00%)"), "{truth}");
    assert!(truth.contains("disagree 0, missing 0, extra 0"), "{truth}");
    let packets: u64 = stdout
        .split("Capture: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no packet count in:\n{stdout}"));
    assert!(packets >= 15_000, "{packets} packets");
    for tool in [
        "| libpcap-c |",
        "| pcap-crate |",
        "| record-walk |",
        "| zeek |",
        "| json |",
        "| json-http |",
        "| table-http |",
    ] {
        assert!(stdout.contains(tool), "no {tool} row in:\n{stdout}");
    }
    for goal in ["goal >= 0.70×", "goal >= 0.50×", "goal >= 0.35×"] {
        assert!(stdout.contains(goal), "no {goal} in:\n{stdout}");
    }
    assert!(stdout.contains("bytes per open connection"), "{stdout}");
    assert!(stdout.contains("with --decode http (jsonl)"), "{stdout}");
}

/// `bench/diagnose` at a small size, once: it must generate its capture,
/// run each command, and print the table and the README row (no figure is
/// asserted: the lead runs it at full size on a quiet machine).
#[test]
fn the_diagnosis_benchmark_runs_and_prints_its_readme_row() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out_dir = tempfile::tempdir().expect("a temporary directory");
    let out = Command::new("bash")
        .arg(format!("{root}/bench/diagnose"))
        .args(["--connections", "1500", "--out"])
        .arg(out_dir.path())
        .current_dir(root)
        .env("BENCH_NO_BUILD", "1")
        .output()
        .expect("run bench/diagnose");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "bench/diagnose failed (capturing on lo needs root or CAP_NET_RAW/CAP_NET_ADMIN):\n{stdout}\n{stderr}"
    );
    for row in [
        "| `lab analyze CAPTURE --format json --decode http` |",
        "| `lab diagnose CAPTURE` |",
        "| `lab diagnose CAPTURE --format json` |",
    ] {
        assert!(stdout.contains(row), "no {row} row in:\n{stdout}");
    }
    let readme = stdout
        .lines()
        .skip_while(|l| *l != "README row:")
        .nth(1)
        .unwrap_or_else(|| panic!("no README row in:\n{stdout}"));
    assert!(
        readme.starts_with("| `lab diagnose` on the same capture ("),
        "{readme}"
    );
    assert!(
        readme.contains("the time of `lab analyze --format json --decode http` (goal ≤ 1.5×)"),
        "{readme}"
    );
    assert!(stdout.contains("Goals: time "), "{stdout}");
}

/// `bench/quic --smoke`: 500 HTTP/3 connections of the library's client
/// against its own server (five endings, 1 to 3 requests each, several
/// servers in one process) recorded on lo, and every ending `lab analyze
/// --keylog` finds checked against the truth; the timed rows are printed,
/// not asserted.
#[test]
fn quic_benchmark_pipeline_runs_and_every_ending_matches_the_truth() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("bash")
        .arg(format!("{root}/bench/quic"))
        .arg("--smoke")
        .current_dir(root)
        .env("BENCH_NO_BUILD", "1")
        .output()
        .expect("run bench/quic");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "bench/quic --smoke failed (capturing on lo needs root or CAP_NET_RAW):\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("QUIC endings: 500 of 500 agree with the truth (0 disagree or are missing, 0 not in the truth)"),
        "{stdout}"
    );
    for ending in [
        "connection_close server 0x100",
        "connection_close server 0x102",
        "connection_close client 0x100",
        "idle_timeout - -",
        "stateless_reset server -",
    ] {
        assert!(stdout.contains(ending), "no {ending} row in:\n{stdout}");
    }
    for tool in [
        "| libpcap-c |",
        "| initial |",
        "| keyed |",
        "| keyed-jsonl |",
    ] {
        assert!(stdout.contains(tool), "no {tool} row in:\n{stdout}");
    }
}
