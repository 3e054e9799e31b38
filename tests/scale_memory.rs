//! Constant memory at scale, small (issue 18, goal 4): `bench/scale --smoke`
//! generates a labelled loopback capture of about 0.9 M packets (larger than
//! the memory bound itself, so an analyzer that held the capture could not
//! pass), runs `lab analyze --format zeek` on it under GNU time, and checks
//! its conn_state against the ground truth. This test holds the peak RSS
//! under 64 MiB + 256 bytes per connection open at the peak, as the full
//! 20 M-packet run does. Capturing needs root or CAP_NET_RAW/CAP_NET_ADMIN:
//! without it this test fails.

use std::process::Command;

/// The number in the table row starting with `row`, after `after`.
fn figure(stdout: &str, row: &str, after: &str) -> u64 {
    stdout
        .lines()
        .find(|l| l.starts_with(row))
        .and_then(|l| l.split(after).nth(1))
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {row:?} … {after:?} figure in:\n{stdout}"))
}

#[test]
fn a_capture_larger_than_the_bound_is_analyzed_within_it() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("bash")
        .arg(format!("{root}/bench/scale"))
        .arg("--smoke")
        .current_dir(root)
        // cargo built the binary and the examples for this test run.
        .env("BENCH_NO_BUILD", "1")
        .output()
        .expect("run bench/scale");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "bench/scale --smoke failed (capturing on lo needs root or CAP_NET_RAW):\n{stdout}\n{stderr}"
    );
    let packets = figure(&stdout, "| capture |", "| capture | ");
    let bytes = figure(&stdout, "| capture |", "connections, ");
    let peak_open = figure(
        &stdout,
        "| peak open",
        "| peak open connections (the analyzer's summary) | ",
    );
    let rss = figure(&stdout, "| peak RSS |", "| peak RSS | ");
    let bound = 64 * 1024 * 1024 + 256 * peak_open;
    assert!(packets >= 800_000, "{packets} packets");
    assert!(
        bytes > bound,
        "the capture ({bytes} bytes) must outgrow the bound ({bound}) to show streaming"
    );
    assert!(peak_open > 10_000, "{peak_open} open at the peak");
    assert!(rss <= bound, "peak RSS {rss} bytes over the bound {bound}");
    let truth = stdout
        .lines()
        .find(|l| l.contains("ground truth:"))
        .unwrap_or_else(|| panic!("no ground-truth line in:\n{stdout}"));
    assert!(truth.contains("(100.00%)"), "{truth}");
    assert!(truth.contains("disagree 0, missing 0, extra 0"), "{truth}");
}
