//! `--port` and `--host` narrow the QUIC connections and the DNS exchanges
//! as they narrow TCP's (either side matches), in every output of `lab
//! analyze` (table, JSON, JSON Lines, `--frames`, `--ladder`,
//! `--annotate`) and in `lab diagnose`'s pictures; a kept connection keeps
//! its number in the capture.
//!
//! On real captures: `captures/quic/quic-two-servers.pcap` (gtlsclient on
//! 127.0.0.1 to gtlsserver on 127.0.0.1:18494, then on 127.0.0.2:18495, so
//! `--host 127.0.0.2` matches one side of the second connection only), the
//! ICMP capture of the issue, and `captures/quic/discovery/h3-discovery.pcap`
//! (DNS on 18453, TCP and QUIC on 18470). tshark reads the annotated
//! copies back; without it the test fails saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::captures::{run, stderr, stdout};
use serde_json::Value;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/quic")
        .join(name)
}

fn two_servers() -> PathBuf {
    capture("quic-two-servers.pcap")
}

fn discovery() -> PathBuf {
    capture("discovery/h3-discovery.pcap")
}

/// `lab analyze PCAP ARGS...`'s standard output; the run must succeed.
fn analyze(pcap: &Path, args: &[&str]) -> String {
    let mut all = vec!["analyze", pcap.to_str().unwrap(), "--color", "never"];
    all.extend_from_slice(args);
    let out = run(&all, None);
    assert!(out.status.success(), "lab {all:?}: {}", stderr(&out));
    stdout(&out)
}

/// The `QUIC n: ...` heads of the table, in order.
fn quic_heads(table: &str) -> Vec<String> {
    table
        .lines()
        .filter(|l| l.starts_with("QUIC "))
        .map(str::to_owned)
        .collect()
}

/// The table's last line (the summary).
fn summary(table: &str) -> String {
    table.lines().last().unwrap().to_owned()
}

/// The summary's `N frames read (...)` clause.
fn frames_clause(summary: &str) -> String {
    summary
        .split("; ")
        .find(|c| c.contains("frames read"))
        .unwrap()
        .to_owned()
}

/// Connection `n`'s paragraph of the QUIC section: its head and the
/// indented lines under it.
fn paragraph(table: &str, n: usize) -> String {
    let head = format!("QUIC {n}: ");
    let mut out = String::new();
    let mut inside = false;
    for line in table.lines() {
        if line.starts_with("QUIC ") {
            inside = line.starts_with(&head);
        } else if !line.starts_with("  ") {
            inside = false;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(!out.is_empty(), "no QUIC {n} in:\n{table}");
    out
}

fn json(pcap: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&analyze(pcap, &all)).unwrap()
}

/// The `quic` (or `dns`) array of a JSON document; absent means none.
fn array<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    doc.get(name)
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

#[test]
fn the_table_keeps_the_quic_connections_in_scope_with_their_numbers() {
    let pcap = two_servers();
    let all = analyze(&pcap, &[]);
    let heads = quic_heads(&all);
    assert_eq!(heads.len(), 2, "{all}");
    assert!(heads[0].starts_with("QUIC 1: 127.0.0.1:") && heads[0].contains("→ 127.0.0.1:18494"));
    assert!(heads[1].starts_with("QUIC 2: 127.0.0.1:") && heads[1].contains("→ 127.0.0.2:18495"));
    assert!(summary(&all).contains("; 2 QUIC connections: "), "{all}");
    assert!(!summary(&all).contains("out of scope"), "{all}");

    // The server's port, and the server's address: one side of QUIC 2
    // only. It keeps its number and its whole paragraph.
    for scope in [["--port", "18495"], ["--host", "127.0.0.2"]] {
        let some = analyze(&pcap, &scope);
        assert_eq!(quic_heads(&some), [heads[1].clone()], "{scope:?}:\n{some}");
        assert_eq!(paragraph(&some, 2), paragraph(&all, 2));
        assert!(
            summary(&some).contains("; 1 QUIC connection (1 more out of scope): "),
            "{scope:?}: {some}"
        );
        // Every frame read is still counted.
        assert_eq!(
            frames_clause(&summary(&some)),
            frames_clause(&summary(&all))
        );
    }
    // The client's address is on both connections' client side.
    let both = analyze(&pcap, &["--host", "127.0.0.1"]);
    assert_eq!(quic_heads(&both), heads);
    assert_eq!(summary(&both), summary(&all));
    // The client's port of QUIC 1 only.
    let client_port = heads[0]
        .split_once(" → ")
        .unwrap()
        .0
        .rsplit_once(':')
        .unwrap()
        .1
        .to_owned();
    let first = analyze(&pcap, &["--port", &client_port]);
    assert_eq!(quic_heads(&first), [heads[0].clone()], "{first}");

    // Nothing in scope: a port nobody used, and a port and a host that
    // each match, but never on the same connection.
    for scope in [
        vec!["--port", "1"],
        vec!["--port", "18494", "--host", "127.0.0.2"],
    ] {
        let none = analyze(&pcap, &scope);
        assert!(quic_heads(&none).is_empty(), "{scope:?}:\n{none}");
        assert!(
            summary(&none).contains("0 QUIC connections (2 more out of scope); "),
            "{scope:?}: {none}"
        );
        // No empty TCP table for a capture of QUIC alone.
        assert!(!none.contains("client → server"), "{none}");
    }
}

#[test]
fn the_issue_s_capture_reports_no_quic_connection_outside_the_port() {
    let pcap = capture("quic-icmp-unreachable.pcap");
    let all = analyze(&pcap, &[]);
    assert_eq!(quic_heads(&all).len(), 1, "{all}");
    let none = analyze(&pcap, &["--port", "1"]);
    assert!(quic_heads(&none).is_empty(), "{none}");
    assert!(
        summary(&none).contains("0 QUIC connections (1 more out of scope)"),
        "{none}"
    );
    assert!(!none.contains("ICMP port unreachable"), "{none}");
}

#[test]
fn json_and_json_lines_keep_the_quic_connections_in_scope() {
    let pcap = two_servers();
    let all = json(&pcap, &[]);
    let quic = array(&all, "quic");
    assert_eq!(quic.len(), 2, "{all}");
    // An unscoped run's summary has no scope counts.
    assert!(all["summary"].get("quic_out_of_scope").is_none(), "{all}");

    let some = json(&pcap, &["--host", "127.0.0.2"]);
    assert_eq!(array(&some, "quic"), [quic[1]], "{some}");
    assert_eq!(some["quic"][0]["server"], "127.0.0.2:18495");
    assert_eq!(some["summary"]["quic_out_of_scope"], 1, "{some}");

    let none = json(&pcap, &["--port", "1"]);
    assert!(array(&none, "quic").is_empty(), "{none}");
    assert_eq!(none["summary"]["quic_out_of_scope"], 2, "{none}");

    // JSON Lines: one `quic` line per connection in scope, then the
    // summary's.
    for (scope, servers, out) in [
        (vec![], vec!["127.0.0.1:18494", "127.0.0.2:18495"], None),
        (vec!["--port", "18495"], vec!["127.0.0.2:18495"], Some(1)),
        (vec!["--port", "1"], vec![], Some(2)),
    ] {
        let mut args = vec!["--format", "jsonl"];
        args.extend_from_slice(&scope);
        let lines: Vec<Value> = analyze(&pcap, &args)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let got: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.get("quic"))
            .map(|q| q["server"].as_str().unwrap())
            .collect();
        assert_eq!(got, servers, "{scope:?}");
        let last = &lines.last().unwrap()["summary"];
        assert_eq!(
            last.get("quic_out_of_scope").and_then(Value::as_u64),
            out,
            "{scope:?}: {last}"
        );
    }
}

#[test]
fn dns_exchanges_follow_the_scope_beside_tcp_and_quic() {
    let pcap = discovery();
    let all = json(&pcap, &[]);
    let dns = array(&all, "dns");
    assert_eq!(dns.len(), 5, "{all}");
    assert_eq!(array(&all, "quic").len(), 1);
    assert_eq!(all["connections"].as_array().unwrap().len(), 2);

    // The DNS server's port: every exchange, no TCP, no QUIC.
    let lookups = json(&pcap, &["--port", "18453"]);
    assert_eq!(array(&lookups, "dns"), dns);
    assert!(array(&lookups, "quic").is_empty());
    assert_eq!(lookups["summary"]["out_of_scope"], 2);
    assert_eq!(lookups["summary"]["quic_out_of_scope"], 1);
    assert!(lookups["summary"].get("dns_out_of_scope").is_none());
    let table = analyze(&pcap, &["--port", "18453"]);
    assert!(
        summary(&table).starts_with(
            "0 TCP connections (2 more out of scope); 0 QUIC connections (1 more out of scope); \
             5 DNS exchanges (5 answered, 1 malformed); "
        ),
        "{table}"
    );

    // The web server's port: TCP and QUIC, no DNS.
    let web = json(&pcap, &["--port", "18470"]);
    assert!(array(&web, "dns").is_empty());
    assert_eq!(array(&web, "quic"), array(&all, "quic"));
    assert_eq!(web["summary"]["dns_out_of_scope"], 5);
    let table = analyze(&pcap, &["--port", "18470"]);
    assert!(!table.lines().any(|l| l.starts_with("DNS ")), "{table}");
    assert!(
        summary(&table).contains("; 0 DNS exchanges (0 answered, 5 more out of scope); "),
        "{table}"
    );

    // One exchange's client port: that exchange alone, under its number.
    let third = dns[2]["client"].as_str().unwrap();
    let port = third.rsplit_once(':').unwrap().1;
    let one = json(&pcap, &["--port", port]);
    assert_eq!(array(&one, "dns"), [dns[2]]);
    let table = analyze(&pcap, &["--port", port]);
    let lines: Vec<&str> = table.lines().filter(|l| l.starts_with("DNS ")).collect();
    assert_eq!(lines.len(), 1, "{table}");
    assert!(
        lines[0].starts_with(&format!("DNS 3: {third} → ")),
        "{table}"
    );
    assert!(
        summary(&table).contains("; 1 DNS exchange (1 answered, 4 more out of scope); "),
        "{table}"
    );
}

#[test]
fn frames_list_only_the_packets_of_connections_in_scope() {
    let pcap = two_servers();
    let all = analyze(&pcap, &["--frames"]);
    let some = analyze(&pcap, &["--frames", "--port", "18495"]);
    // QUIC 2's paragraph, its frame lines included, as in the full run.
    let second = paragraph(&all, 2);
    assert!(second.contains("    frame "), "{all}");
    assert_eq!(paragraph(&some, 2), second);
    assert!(!some.contains(&paragraph(&all, 1)), "{some}");
    let none = analyze(&pcap, &["--frames", "--port", "1"]);
    assert!(!none.contains("    frame "), "{none}");
    // JSON: the one connection in scope keeps its ladder.
    let doc = json(&pcap, &["--frames", "--port", "18495"]);
    let full = json(&pcap, &["--frames"]);
    assert_eq!(array(&doc, "quic"), [array(&full, "quic")[1]]);
}

/// Runs a command that writes a mermaid ladder and returns it with the
/// command's standard error.
fn ladder(command: &str, pcap: &Path, scope: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ladder.mmd");
    let mut args = vec![
        command,
        pcap.to_str().unwrap(),
        "--ladder",
        "mermaid",
        "--ladder-out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(scope);
    let run = run(&args, None);
    assert!(run.status.success(), "lab {args:?}: {}", stderr(&run));
    (std::fs::read_to_string(&out).unwrap(), stderr(&run))
}

/// The ladder's notes (one per connection drawn).
fn notes(mermaid: &str) -> Vec<String> {
    mermaid
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Note over "))
        .map(|l| l.split_once(": ").unwrap().1.to_owned())
        .collect()
}

#[test]
fn the_ladder_draws_the_quic_connections_in_scope_in_both_commands() {
    let pcap = two_servers();
    for command in ["analyze", "diagnose"] {
        let (all, _) = ladder(command, &pcap, &[]);
        let n = notes(&all);
        assert_eq!(n.len(), 2, "{command}: {all}");
        assert!(n[0].starts_with("QUIC 1 ended ") && n[1].starts_with("QUIC 2 ended "));

        let (some, said) = ladder(command, &pcap, &["--host", "127.0.0.2"]);
        assert_eq!(notes(&some), [n[1].clone()], "{command}: {some}");
        assert!(some.contains("127.0.0.2#58;18495"), "{some}");
        assert!(!some.contains("18494"), "{some}");
        assert!(said.contains("ladder of 1 connection written"), "{said}");

        let (none, said) = ladder(command, &pcap, &["--port", "1"]);
        assert!(notes(&none).is_empty(), "{command}: {none}");
        assert!(none.contains("no connections in scope"), "{none}");
        assert!(said.contains("ladder of 0 connections written"), "{said}");
    }
}

/// (frame, comment) of an annotated copy, as tshark reads them.
fn tshark_comments(file: &Path) -> Vec<(u64, String)> {
    let out = Command::new("tshark")
        .args(["-r", file.to_str().unwrap(), "-Y", "frame.comment"])
        .args(["-T", "fields", "-e", "frame.number", "-e", "frame.comment"])
        .output()
        .expect("tshark cannot run: install it with scripts/setup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (n, c) = l.split_once('\t').unwrap();
            (n.parse().unwrap(), c.to_owned())
        })
        .collect()
}

fn annotated(command: &str, pcap: &Path, scope: &[&str]) -> Vec<(u64, String)> {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.pcapng");
    let keys = pcap.with_extension("keys");
    let mut args = vec![
        command,
        pcap.to_str().unwrap(),
        "--keylog",
        keys.to_str().unwrap(),
        "--annotate",
        copy.to_str().unwrap(),
    ];
    args.extend_from_slice(scope);
    let run = run(&args, None);
    assert!(run.status.success(), "lab {args:?}: {}", stderr(&run));
    tshark_comments(&copy)
}

#[test]
fn the_annotated_copy_comments_the_quic_connections_in_scope_in_both_commands() {
    let pcap = two_servers();
    for command in ["analyze", "diagnose"] {
        let all = annotated(command, &pcap, &[]);
        assert_eq!(all.len(), 2, "{command}: {all:?}");
        assert!(all[0].1.starts_with("wirelab QUIC 1 127.0.0.1:"), "{all:?}");
        assert!(all[1].1.starts_with("wirelab QUIC 2 127.0.0.1:"), "{all:?}");
        assert!(all.iter().all(|(_, c)| c.contains("CONNECTION_CLOSE")));

        let some = annotated(command, &pcap, &["--port", "18495"]);
        assert_eq!(some, [all[1].clone()], "{command}");
        let none = annotated(command, &pcap, &["--port", "1"]);
        assert!(none.is_empty(), "{command}: {none:?}");
    }
}

#[test]
fn expect_checks_the_tcp_connections_in_scope_and_not_quic_or_dns() {
    let pcap = discovery();
    let path = pcap.to_str().unwrap();
    // The two TCP connections on 18470 ended in RST.
    let ok = run(
        &["analyze", path, "--expect", "rst", "--port", "18470"],
        None,
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    // On the DNS port QUIC and DNS are out of the check's reach: no TCP
    // connection is in scope, and that fails as it does for TCP alone.
    let none = run(
        &["analyze", path, "--expect", "rst", "--port", "18453"],
        None,
    );
    assert_eq!(none.status.code(), Some(1), "{}", stderr(&none));
    assert!(
        stderr(&none).contains("expectation failed: no connection in scope to check"),
        "{}",
        stderr(&none)
    );
}

/// `--each` analyzes each file on its own, with the same scope: a port
/// that only one file's QUIC connection uses keeps that connection (with
/// its number) in that file's section and counts the other file's two as
/// out of scope there.
#[test]
fn each_file_is_narrowed_on_its_own_under_each() {
    let two = two_servers();
    let disc = discovery();
    let out = run(
        &[
            "analyze",
            "--color",
            "never",
            "--port",
            "18470",
            "--each",
            two.to_str().unwrap(),
            disc.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let sections: Vec<&str> = text.split("==> ").filter(|s| !s.is_empty()).collect();
    assert_eq!(sections.len(), 2, "one section per file:\n{text}");
    assert!(sections[0].starts_with(two.to_str().unwrap()), "{text}");
    assert!(sections[1].starts_with(disc.to_str().unwrap()), "{text}");

    // The first file: both QUIC connections are on 18494/18495.
    assert!(quic_heads(sections[0]).is_empty(), "{}", sections[0]);
    assert!(
        summary(sections[0].trim_end()).contains("0 QUIC connections (2 more out of scope)"),
        "{}",
        sections[0]
    );

    // The second file: its one QUIC connection is on 18470; the DNS on
    // 18453 is out of scope, counted.
    let heads = quic_heads(sections[1]);
    assert_eq!(heads.len(), 1, "{}", sections[1]);
    assert!(
        heads[0].starts_with("QUIC 1: ") && heads[0].contains(":18470,"),
        "{heads:?}"
    );
    let last = summary(sections[1].trim_end());
    assert!(last.contains("1 QUIC connection:"), "{last}");
    assert!(
        last.contains("0 DNS exchanges (0 answered, 5 more out of scope)"),
        "{last}"
    );

    // Each section alone says what `lab analyze FILE --port 18470` says.
    for (file, section) in [(&two, sections[0]), (&disc, sections[1])] {
        let alone = analyze(file, &["--port", "18470"]);
        assert_eq!(
            quic_heads(&alone),
            quic_heads(section),
            "{}",
            file.display()
        );
        assert_eq!(
            summary(&alone),
            summary(section.trim_end()),
            "{}",
            file.display()
        );
    }
}
