//! `lab analyze` as people run it: at a terminal (a real pseudo-terminal,
//! made by util-linux `script`), into a pipe, and on a cut-off capture.
//!
//! A pipe gets the full table, plain and UTF-8, whatever the environment
//! says; a terminal gets the columns that fit its width (`COLUMNS`, or the
//! size `stty` gave it), colour unless `NO_COLOR` or `--color never`, and
//! ASCII when the locale is not UTF-8. `script` comes from util-linux
//! (Debian's bsdutils, installed by scripts/setup); without it these tests
//! fail, they do not skip.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::captures::{run, stderr, stdout};
use serde_json::Value;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn lab() -> &'static str {
    env!("CARGO_BIN_EXE_lab")
}

/// Runs `shell` (a `sh -c` command line, `$LAB` being the binary) with its
/// standard output and error on a pseudo-terminal, with `env` set; returns
/// what the terminal received, line ends as `\n`. `TERM`, `LANG` and the
/// colour and width variables are set or cleared here, so the caller's
/// environment does not leak in.
fn on_terminal(shell: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("script");
    cmd.args(["-qec", shell, "/dev/null"])
        .env("LAB", lab())
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env_remove("LAB_PROGRESS_DELAY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .expect("util-linux `script` is needed for the terminal tests: run scripts/setup");
    assert!(
        out.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 from the terminal")
        .replace("\r\n", "\n")
}

/// The text without colour sequences (`ESC [ … letter`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The table `lab analyze captures/abort.pcap` has always printed into a
/// pipe (the summary line under it was shortened on purpose).
const ABORT_TABLE: &str = "\
┌────┬───────────────────────────────────┬───────┬──────────────┬──────────────────────┬───────────┬───────────┬────────────────┬──────────────┐
│ id ┆ client → server                   ┆ ended ┆ closed first ┆ RST by (phase)       ┆ bytes c→s ┆ bytes s→c ┆ frames         ┆ zeek         │
╞════╪═══════════════════════════════════╪═══════╪══════════════╪══════════════════════╪═══════════╪═══════════╪════════════════╪══════════════╡
│ 1  ┆ 127.0.0.1:60446 → 127.0.0.1:34915 ┆ rst   ┆ -            ┆ server (unread_data) ┆ 33        ┆ 259       ┆ SYN 1 · RST s8 ┆ RSTR ShADadr │
└────┴───────────────────────────────────┴───────┴──────────────┴──────────────────────┴───────────┴───────────┴────────────────┴──────────────┘
#1 127.0.0.1:60446 → 127.0.0.1:34915  http/1.1
  1. GET / → 200: cut by the server's RST; the client acknowledged the whole response before the RST
  server RST at frame 8: everything it sent had been acknowledged by the client
    (the server's kernel had acknowledged what arrived; whether its application read it is invisible on the wire)
Acknowledged is not yet read: a Linux client still reads the bytes queued before a RST; other stacks may discard them.
1 connection: 1 rst; 8 frames read (8 TCP); at most 1 open at once
";

#[test]
fn a_pipe_gets_the_full_plain_table_whatever_the_environment() {
    let path = capture("abort.pcap");
    for env in [
        vec![],
        vec![("COLUMNS", "40"), ("LANG", "C"), ("TERM", "xterm")],
        vec![("LC_ALL", "POSIX")],
    ] {
        let out = common::captures::lab()
            .args(["analyze", path.to_str().unwrap()])
            .envs(env.iter().copied())
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), ABORT_TABLE, "env {env:?}");
        assert_eq!(stderr(&out), "", "nothing on stderr for a whole capture");
    }
    // Colour into a pipe only when asked for: for `less -R`.
    let always = run(
        &["analyze", "--color", "always", path.to_str().unwrap()],
        None,
    );
    let text = stdout(&always);
    assert!(text.contains('\x1b'), "{text}");
    assert_eq!(strip_ansi(&text), ABORT_TABLE);
}

#[test]
fn eighty_columns_keep_the_essentials_in_colour() {
    let path = capture("keepalive-race.pcap");
    let cmd = format!("\"$LAB\" analyze {}", path.display());
    let screen = on_terminal(&cmd, &[("COLUMNS", "80")]);
    let plain = strip_ansi(&screen);
    let lines: Vec<&str> = plain.lines().collect();
    let note = lines
        .iter()
        .position(|l| l.contains("hidden to fit 80 columns"))
        .unwrap_or_else(|| panic!("no note about hidden columns:\n{plain}"));
    for line in &lines[..=note] {
        assert!(line.chars().count() <= 80, "wider than 80: {line}\n{plain}");
    }
    for kept in ["id", "client", "ended", "closed", "RST by", "zeek"] {
        assert!(lines[1].contains(kept), "{kept} missing:\n{plain}");
    }
    assert!(!plain.contains("bytes c→s"), "{plain}");
    assert!(plain.contains("RSTR ShADadr") && plain.contains("SF ShADadFf"));
    // Endpoints wrap between client and server, never inside an address.
    assert!(plain.contains("127.0.0.1:48588 →"), "{plain}");
    assert!(plain.contains("(unread_data)"), "{plain}");
    // One rst, one fin: red and green.
    assert!(screen.contains("\x1b[38;5;9m rst"), "{screen:?}");
    assert!(screen.contains("\x1b[38;5;10m fin"), "{screen:?}");
    assert!(
        plain.ends_with(
            "2 connections: 1 fin, 1 rst; 21 frames read (21 TCP); at most 2 open at once\n"
        ),
        "{plain}"
    );
    assert!(screen.contains("\x1b[31m1 rst\x1b[0m"), "{screen:?}");
}

#[test]
fn the_terminal_size_counts_when_columns_is_not_set() {
    let path = capture("keepalive-race.pcap");
    let narrow = on_terminal(
        &format!("stty cols 90 rows 40; \"$LAB\" analyze {}", path.display()),
        &[],
    );
    assert!(narrow.contains("hidden to fit 90 columns"), "{narrow}");
    let wide = on_terminal(
        &format!("stty cols 200 rows 40; \"$LAB\" analyze {}", path.display()),
        &[],
    );
    assert!(!wide.contains("hidden"), "{wide}");
    assert!(strip_ansi(&wide).contains("bytes c→s"), "{wide}");
    // COLUMNS wins over the terminal's size, as for `ls`. (Set on the
    // command itself: bash rewrites an exported COLUMNS after `stty`.)
    let set = on_terminal(
        &format!(
            "stty cols 200 rows 40; COLUMNS=100 \"$LAB\" analyze {}",
            path.display()
        ),
        &[],
    );
    assert!(set.contains("hidden to fit 100 columns"), "{set}");
}

#[test]
fn no_color_and_color_never_turn_colour_off() {
    let path = capture("abort.pcap");
    let cmd = format!("\"$LAB\" analyze {}", path.display());
    let wide = [("COLUMNS", "200")];
    let coloured = on_terminal(&cmd, &wide);
    assert!(coloured.contains('\x1b'), "{coloured:?}");
    let no_color = on_terminal(&cmd, &[("COLUMNS", "200"), ("NO_COLOR", "1")]);
    assert!(!no_color.contains('\x1b'), "{no_color:?}");
    // NO_COLOR set but empty does not count (no-color.org).
    let empty = on_terminal(&cmd, &[("COLUMNS", "200"), ("NO_COLOR", "")]);
    assert!(empty.contains('\x1b'), "{empty:?}");
    let never = on_terminal(&format!("{cmd} --color never"), &wide);
    assert!(!never.contains('\x1b'), "{never:?}");
    assert_eq!(strip_ansi(&coloured), never);
    // On a wide terminal the table is the pipe's table.
    assert_eq!(never, ABORT_TABLE);
}

#[test]
fn a_locale_without_utf8_gets_ascii() {
    let path = capture("keepalive-race.pcap");
    let cmd = format!("\"$LAB\" analyze {} --color never", path.display());
    for env in [
        vec![("LANG", "C")],
        vec![("LC_ALL", "POSIX"), ("LANG", "en_US.UTF-8")],
        vec![("LANG", "en_US.ISO-8859-1")],
    ] {
        let mut env = env;
        env.push(("COLUMNS", "200"));
        let screen = on_terminal(&cmd, &env);
        assert!(screen.is_ascii(), "{env:?}:\n{screen}");
        assert!(screen.contains("client -> server"), "{screen}");
        assert!(screen.contains("SYN 1; RST s"), "{screen}");
    }
    let utf8 = on_terminal(&cmd, &[("LC_CTYPE", "C.UTF-8"), ("COLUMNS", "200")]);
    assert!(utf8.contains("client → server"), "{utf8}");
}

/// Where each record of a pcap file starts, read from its headers
/// (16-byte record headers after a 24-byte file header, little-endian).
fn record_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        starts.push(at);
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap());
        at += 16 + caplen as usize;
    }
    starts
}

#[test]
fn a_cut_capture_warns_once_and_the_summary_names_the_json_count() {
    let whole = std::fs::read(capture("full.pcap")).unwrap();
    assert_eq!(&whole[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    let cut = &whole[..500];
    // The last record starting inside the first 500 bytes is the cut one.
    let last = *record_starts(&whole).iter().rfind(|&&s| s < 500).unwrap();
    let unread = 500 - last;
    assert!(unread > 0 && record_starts(&whole).contains(&last));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.pcap");
    std::fs::write(&path, cut).unwrap();
    let p = path.to_str().unwrap();

    let want = format!(
        "lab: warning: the capture ends inside a record: the last {unread} bytes were not read\n"
    );
    for format in ["table", "json", "zeek"] {
        let out = run(&["analyze", "--format", format, p], None);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        // The conn.log's summary goes to stderr too, before the warning.
        let err = stderr(&out);
        let warning = if format == "zeek" {
            err.split_once('\n').map_or("", |(_, rest)| rest)
        } else {
            &err
        };
        assert_eq!(warning, want, "{format}");
    }
    let table = stdout(&run(&["analyze", p], None));
    let summary = table.lines().last().unwrap();
    assert!(
        summary.contains("anomalies: 1 truncated record;"),
        "{summary}"
    );
    assert!(!summary.contains("truncated frame"), "{summary}");
    let json = run(&["analyze", "--format", "json", p], None);
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["summary"]["capture_anomalies"]["truncated_records"], 1);
    assert_eq!(doc["summary"]["skipped"]["truncated"], 0);

    // A whole capture warns of nothing.
    let whole_run = run(&["analyze", capture("full.pcap").to_str().unwrap()], None);
    assert_eq!(stderr(&whole_run), "");
}

#[test]
fn the_filter_is_counted_in_the_table_summary() {
    let path = capture("keepalive-race.pcap");
    let p = path.to_str().unwrap();
    let table = stdout(&run(&["analyze", p, "--filter", "tcp port 1"], None));
    let json = run(
        &["analyze", "--format", "json", p, "--filter", "tcp port 1"],
        None,
    );
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    let removed = doc["summary"]["filtered_out"].as_u64().unwrap();
    assert_eq!(removed, 21, "every frame of the capture");
    assert!(
        table.ends_with(&format!(
            "0 connections; 21 frames read (0 TCP, {removed} filtered out); at most 0 open at once\n"
        )),
        "{table}"
    );
}

#[test]
fn dash_r_reads_a_file_as_tcpdump_does_and_help_has_examples() {
    let path = capture("abort.pcap");
    let p = path.to_str().unwrap();
    let by_r = run(&["analyze", "-r", p], None);
    assert!(by_r.status.success(), "{}", stderr(&by_r));
    assert_eq!(stdout(&by_r), ABORT_TABLE);
    let long = run(&["analyze", "--read", p, "--format", "zeek"], None);
    let positional = run(&["analyze", p, "--format", "zeek"], None);
    assert_eq!(long.stdout, positional.stdout);
    // One file, one way.
    let both = run(&["analyze", "-r", p, p], None);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    let none = run(&["analyze"], None);
    assert_eq!(none.status.code(), Some(2));

    let help = stdout(&run(&["analyze", "--help"], None));
    assert!(help.contains("-r, --read <FILE>"), "{help}");
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("lab analyze -r trace.pcapng"), "{help}");
    assert!(help.contains("--color <WHEN>"), "{help}");
}

#[test]
fn the_progress_bar_shows_on_a_terminal_only_and_clears_itself() {
    let path = capture("full.pcap");
    // Standard output to a file, standard error on the terminal, the bar
    // shown at once.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("table.txt");
    let cmd = format!("\"$LAB\" analyze {} > {}", path.display(), out.display());
    let screen = on_terminal(&cmd, &[("LAB_PROGRESS_DELAY", "0")]);
    assert!(
        screen.starts_with(
            "lab: hint: this format waits for the end of the capture; `--format zeek` or `jsonl` streams each connection as it ends\n"
        ),
        "{screen:?}"
    );
    assert!(screen.contains("lab: "), "{screen:?}");
    // The bar erased its line at the end (`ESC [2K`).
    assert!(screen.ends_with("\x1b[2K"), "{screen:?}");
    // The report itself is untouched.
    let piped = run(&["analyze", path.to_str().unwrap()], None);
    assert_eq!(std::fs::read(&out).unwrap(), piped.stdout);

    // A short run with the usual delay shows nothing.
    let quiet = on_terminal(&cmd, &[]);
    assert_eq!(quiet, "", "{quiet:?}");
    // Zeek rows streaming to the terminal are their own progress.
    let streaming = on_terminal(
        &format!("\"$LAB\" analyze {} --format zeek", path.display()),
        &[("LAB_PROGRESS_DELAY", "0")],
    );
    assert!(!streaming.contains("lab: hint"), "{streaming:?}");
    // Standard error not a terminal: no bar, no hint, even at once.
    let piped_err = common::captures::lab()
        .args(["analyze", path.to_str().unwrap()])
        .env("LAB_PROGRESS_DELAY", "0")
        .output()
        .unwrap();
    assert_eq!(stderr(&piped_err), "");
}
