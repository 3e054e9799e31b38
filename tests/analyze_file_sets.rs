//! Several capture files as one capture, against mergecap as the oracle:
//! a reference capture split with `editcap -c` (a rotated set whose
//! connections run across the files) and two captures of different link
//! types at the same time, with equal timestamps across the files, are
//! analyzed as `lab analyze A B …` and as `mergecap -w merged A B …`, and
//! both analyses must be byte for byte the same in every format. Then a
//! directory, a damaged file in the set, and `--each` with one and two jobs
//! against the files analyzed alone.
//!
//! mergecap and editcap (Debian's wireshark-common, scripts/setup) must be
//! installed; without them the tests fail saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::captures::{stderr, stdout};

const FORMATS: [&str; 4] = ["table", "json", "jsonl", "zeek"];

/// Runs a Wireshark tool, failing loudly when it is missing or fails.
fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (wireshark-common, scripts/setup): {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// The files of `dir` whose names start with `prefix`, sorted.
fn listed(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

/// `capture` split into files of `n` records each by `editcap -c`, in
/// `format` (pcap, as tcpdump rotates, or pcapng).
fn split(capture: &str, n: usize, format: &str, dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let out = dir.join(format!("{prefix}.{format}"));
    tool(
        "editcap",
        &["-F", format, "-c", &n.to_string(), capture, s(&out)],
    );
    let parts = listed(dir, &format!("{prefix}_"));
    assert!(parts.len() > 1, "editcap made {} file(s)", parts.len());
    parts
}

/// mergecap's chronological merge of `files` (pcapng, its default).
fn merged(files: &[PathBuf], out: &Path) -> PathBuf {
    let mut args = vec!["-w", s(out)];
    args.extend(files.iter().map(|p| s(p)));
    tool("mergecap", &args);
    out.to_path_buf()
}

/// `lab analyze` with `args`, the log times taken from the capture.
fn lab(args: &[&str]) -> Output {
    let out = common::captures::lab()
        .arg("analyze")
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .env("NO_COLOR", "1")
        .output()
        .expect("run lab");
    assert!(
        out.status.success(),
        "lab analyze {args:?}: {}",
        stderr(&out)
    );
    out
}

/// Every format of the set's analysis equals that of mergecap's merge,
/// standard output and standard error alike.
fn same_as_merged(files: &[PathBuf], merged: &Path, extra: &[&str]) {
    for format in FORMATS {
        let mut set_args = vec!["--format", format];
        set_args.extend(extra);
        let mut one_args = set_args.clone();
        set_args.extend(files.iter().map(|p| s(p)));
        one_args.push(s(merged));
        let (set, one) = (lab(&set_args), lab(&one_args));
        assert_eq!(
            stdout(&set),
            stdout(&one),
            "--format {format}: the set and mergecap's merge differ"
        );
        assert_eq!(stderr(&set), stderr(&one), "--format {format}: stderr");
        assert!(!set.stdout.is_empty());
    }
}

#[test]
fn a_split_capture_is_analyzed_as_mergecaps_merge() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (capture, n, kind, extra) in [
        ("captures/app/h2-python-client.pcap", 4, "pcap", &[][..]),
        (
            "captures/app/tls-curl.pcap",
            7,
            "pcapng",
            &["--keylog", "captures/app/tls-curl.keylog"][..],
        ),
        (
            "tests/data/zeek/traces/ftp__cwd-navigation.pcap",
            1000,
            "pcap",
            &[][..],
        ),
    ] {
        let prefix = Path::new(capture)
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("name");
        let parts = split(capture, n, kind, dir.path(), prefix);
        let whole = merged(&parts, &dir.path().join(format!("{prefix}-merged.pcapng")));
        same_as_merged(&parts, &whole, extra);
        // The connections do run across the files: the first file alone
        // tells another story than the set.
        let first = lab(&["--format", "zeek", s(&parts[0])]);
        let set = lab(&[
            &["--format", "zeek"][..],
            &parts.iter().map(|p| s(p)).collect::<Vec<_>>(),
        ]
        .concat());
        assert_ne!(
            stdout(&first),
            stdout(&set),
            "{capture}: no connection spans the files"
        );
    }
}

/// Two captures of different interfaces at the same time: a BSD-loopback
/// capture and an Ethernet one moved into its span, so that the files'
/// records interleave, and one Ethernet frame carries exactly the time of
/// a loopback frame.
#[test]
fn interleaved_captures_of_two_link_types_merge_as_mergecap_merges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let null = "tests/data/zeek/traces/http__connect-with-header.pcap";
    let ether = "captures/app/tls-curl.pcap";
    let times = |f: &str| -> Vec<String> {
        tool(
            "tshark",
            &["-r", f, "-T", "fields", "-e", "frame.time_epoch"],
        )
        .lines()
        .map(str::to_owned)
        .collect()
    };
    let micros = |t: &str| -> i64 {
        let (secs, frac) = t.split_once('.').expect("a fraction");
        secs.parse::<i64>().expect("secs") * 1_000_000 + frac[..6].parse::<i64>().expect("us")
    };
    let (a, b) = (times(null), times(ether));
    let delta = micros(&a[10]) - micros(&b[0]);
    let shift = format!(
        "{}{}.{:06}",
        if delta < 0 { "-" } else { "" },
        delta.abs() / 1_000_000,
        delta.abs() % 1_000_000
    );
    let moved = dir.path().join("moved.pcap");
    tool("editcap", &["-t", &shift, ether, s(&moved)]);
    assert_eq!(times(s(&moved))[0], a[10], "the tie is in place");
    let (a_path, b_path) = (PathBuf::from(null), moved);
    let mut outputs = Vec::new();
    for (name, order) in [
        ("ab", [a_path.clone(), b_path.clone()]),
        ("ba", [b_path.clone(), a_path.clone()]),
    ] {
        let whole = merged(&order, &dir.path().join(format!("{name}.pcapng")));
        let merged_times = times(s(&whole));
        assert!(
            merged_times.windows(2).any(|w| w[0] == w[1]),
            "the merge holds equal times"
        );
        same_as_merged(&order, &whole, &["--frames"]);
        outputs.push(stdout(&lab(&[
            "--format",
            "json",
            "--frames",
            s(&order[0]),
            s(&order[1]),
        ])));
    }
    // The order of equal times is visible in the frame numbers, and each
    // order matched its own merge above.
    assert_ne!(outputs[0], outputs[1], "the file order decides the tie");
}

#[test]
fn a_directory_is_its_files_sorted_by_name_and_leaves_out_what_is_no_capture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let set = dir.path().join("rotated");
    std::fs::create_dir(&set).expect("mkdir");
    let parts = split("captures/app/tls-curl.pcap", 9, "pcap", &set, "trace");
    std::fs::write(set.join("README.txt"), "notes on the capture\n").expect("write");
    let whole = merged(&parts, &dir.path().join("merged.pcapng"));
    for format in FORMATS {
        let from_dir = lab(&["--format", format, s(&set)]);
        let one = lab(&["--format", format, s(&whole)]);
        assert_eq!(stdout(&from_dir), stdout(&one), "--format {format}");
        assert!(
            stderr(&from_dir).contains(&format!(
                "lab: warning: left out {}: not a capture file",
                s(&set.join("README.txt"))
            )),
            "{}",
            stderr(&from_dir)
        );
    }
    // A compressed file in the set is part of the capture: an error, named.
    std::fs::write(set.join("trace_99.pcap.gz"), [0x1f, 0x8b, 8, 0, 0, 0]).expect("write");
    let out = common::captures::lab()
        .args(["analyze", s(&set)])
        .output()
        .expect("run lab");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("trace_99.pcap.gz: the capture is gzip-compressed"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_damaged_file_in_the_set_is_counted_and_named_and_the_rest_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let parts = split(
        "captures/app/tls-curl.pcap",
        10,
        "pcapng",
        dir.path(),
        "trace",
    );
    // The third file is cut 7 bytes into its last record's data.
    let cut = &parts[2];
    let bytes = std::fs::read(cut).expect("read");
    let lens = tool(
        "tshark",
        &["-r", s(cut), "-T", "fields", "-e", "frame.cap_len"],
    );
    let last: usize = lens.lines().last().expect("a frame").parse().expect("len");
    std::fs::write(cut, &bytes[..bytes.len() - last + 7]).expect("cut");
    let mut args = vec!["--format", "json"];
    args.extend(parts.iter().map(|p| s(p)));
    let out = lab(&args);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["summary"]["frames"], 54, "every other frame was read");
    assert_eq!(json["summary"]["capture_anomalies"]["truncated_records"], 1);
    let err = stderr(&out);
    assert!(
        err.lines().any(|l| l.starts_with(&format!(
            "lab: warning: {}: the capture ends inside a record",
            s(cut)
        ))),
        "{err}"
    );
}

#[test]
fn each_file_alone_in_order_with_one_and_two_jobs() {
    let files = [
        "captures/app/h2-python-client.pcap",
        "captures/app/tls-curl.pcap",
        "captures/early-413.pcap",
        "tests/data/zeek/traces/http__connect-with-header.pcap",
    ];
    for format in FORMATS {
        let alone: Vec<Output> = files
            .iter()
            .map(|f| lab(&["--format", format, f]))
            .collect();
        for jobs in ["1", "2"] {
            let mut args = vec!["--each", "--jobs", jobs, "--format", format];
            args.extend(files);
            let each = lab(&args);
            let mut want = Vec::new();
            for (i, (f, o)) in files.iter().zip(&alone).enumerate() {
                if format == "table" {
                    let gap = if i > 0 { "\n" } else { "" };
                    want.extend(format!("{gap}==> {f} <==\n").bytes());
                }
                want.extend(&o.stdout);
            }
            assert_eq!(
                String::from_utf8_lossy(&each.stdout),
                String::from_utf8_lossy(&want),
                "--format {format} --jobs {jobs}"
            );
            let want_err: String = files
                .iter()
                .zip(&alone)
                .flat_map(|(f, o)| {
                    stderr(o)
                        .lines()
                        .map(|l| format!("lab: {f}: {}\n", l.trim_start_matches("lab: ")))
                        .collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(stderr(&each), want_err, "--format {format} --jobs {jobs}");
        }
    }
}

#[test]
fn each_fails_with_the_file_that_fails_and_goes_on() {
    let out = common::captures::lab()
        .args([
            "analyze",
            "--each",
            "--expect",
            "fin",
            "captures/app/tls-curl.pcap",
            "tests/data/zeek/traces/http__connect-with-header.pcap",
        ])
        .output()
        .expect("run lab");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "lab: tests/data/zeek/traces/http__connect-with-header.pcap: expectation failed"
        ),
        "{err}"
    );
    assert!(!err.contains("tls-curl.pcap: expectation failed"), "{err}");
    let missing = common::captures::lab()
        .args([
            "analyze",
            "--each",
            "no-such.pcap",
            "captures/app/tls-curl.pcap",
        ])
        .output()
        .expect("run lab");
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot open no-such.pcap"));
    assert!(
        stdout(&missing).contains("3 connections"),
        "the other file is read"
    );
}
