//! The agreement check: the `lab` binary's conn.log (`lab analyze --format
//! zeek TRACE`) against the rows Zeek itself wrote for its test traces
//! (`tests/data/zeek`). It prints a table per trace and per field, then the
//! disagreements, and holds the figures the README gives.
//!
//! It reads conn.log as Zeek's log tools do: columns by the names on the
//! `#fields` line, any other `#` line skipped, so added or reordered columns
//! change nothing. `scripts/zeek-agree` runs it with the table shown.
//!
//! It goes through the command line and the text it prints, as a user's
//! `zeek-cut` or log pipeline would, so it checks the library's values and
//! the conn.log writer at once.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The conn.log fields compared, in the order the table shows them.
/// `missed_bytes` is compared where Zeek's own test baselines give it
/// (`missed_bytes.tsv`); the others come from `expected.tsv`.
const FIELDS: [&str; 8] = [
    "conn_state",
    "history",
    "orig_bytes",
    "resp_bytes",
    "orig_pkts",
    "resp_pkts",
    "duration",
    "missed_bytes",
];

/// A connection's identity: `ts` as printed (`%.6f` in both files) and the
/// 4-tuple with addresses in one canonical spelling.
type Key = (String, IpAddr, String, IpAddr, String);

struct Expected {
    trace: String,
    key: Key,
    clean: bool,
    caveats: String,
    values: HashMap<&'static str, String>,
}

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zeek");
    assert!(
        dir.join("expected.tsv").is_file(),
        "the Zeek corpus is missing at {}: this test needs it",
        dir.display()
    );
    dir
}

fn addr(s: &str, what: &str) -> IpAddr {
    s.parse()
        .unwrap_or_else(|e| panic!("{what} {s:?} is no address: {e}"))
}

/// The TCP rows of `expected.tsv`, read by its header's column names.
fn expected(corpus: &Path) -> Vec<Expected> {
    let text = std::fs::read_to_string(corpus.join("expected.tsv")).expect("read expected.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header line").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("expected.tsv has no column {name}"))
    };
    let mut rows = Vec::new();
    for line in lines {
        let v: Vec<&str> = line.split('\t').collect();
        if v[col("proto")] != "tcp" {
            continue;
        }
        let caveats = v[col("caveats")].to_string();
        rows.push(Expected {
            trace: v[col("trace")].to_string(),
            key: (
                v[col("ts")].to_string(),
                addr(v[col("orig_h")], "orig_h"),
                v[col("orig_p")].to_string(),
                addr(v[col("resp_h")], "resp_h"),
                v[col("resp_p")].to_string(),
            ),
            clean: caveats == "-",
            caveats,
            values: FIELDS
                .iter()
                .filter(|f| **f != "missed_bytes")
                .map(|f| (*f, v[col(f)].to_string()))
                .collect(),
        });
    }
    let missed = missed_bytes(corpus);
    for r in &mut rows {
        if let Some(m) = missed.get(&(r.trace.clone(), r.key.clone())) {
            r.values.insert("missed_bytes", m.clone());
        }
    }
    rows
}

/// `missed_bytes.tsv`: the `missed_bytes` Zeek wrote in its test baselines
/// for the rows found there, by trace and connection.
fn missed_bytes(corpus: &Path) -> HashMap<(String, Key), String> {
    let text =
        std::fs::read_to_string(corpus.join("missed_bytes.tsv")).expect("read missed_bytes.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header line").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("missed_bytes.tsv has no column {name}"))
    };
    lines
        .map(|line| {
            let v: Vec<&str> = line.split('\t').collect();
            let key = (
                v[col("ts")].to_string(),
                addr(v[col("orig_h")], "orig_h"),
                v[col("orig_p")].to_string(),
                addr(v[col("resp_h")], "resp_h"),
                v[col("resp_p")].to_string(),
            );
            (
                (v[col("trace")].to_string(), key),
                v[col("missed_bytes")].to_string(),
            )
        })
        .collect()
}

/// The rows of a conn.log, each as field name → value, named by `#fields`.
fn read_conn_log(text: &str, trace: &str) -> Vec<HashMap<String, String>> {
    let mut names: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#fields\t") {
            names = Some(rest.split('\t').map(str::to_string).collect());
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let names = names
            .as_ref()
            .unwrap_or_else(|| panic!("{trace}: a row before the #fields line: {line}"));
        let values: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            values.len(),
            names.len(),
            "{trace}: a row with {} values under {} #fields names: {line}",
            values.len(),
            names.len()
        );
        rows.push(
            names
                .iter()
                .cloned()
                .zip(values.iter().map(|v| v.to_string()))
                .collect(),
        );
    }
    rows
}

/// `lab analyze --format zeek TRACE`, indexed by connection.
fn lab_rows(trace: &Path) -> HashMap<Key, HashMap<String, String>> {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["analyze", "--format", "zeek"])
        .arg(trace)
        .output()
        .expect("run lab analyze");
    let name = trace.display().to_string();
    assert!(
        out.status.success(),
        "lab analyze --format zeek {name}: {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("conn.log is UTF-8");
    read_conn_log(&text, &name)
        .into_iter()
        .map(|row| {
            let get = |f: &str| {
                row.get(f)
                    .unwrap_or_else(|| panic!("{name}: conn.log has no {f} column"))
                    .clone()
            };
            let key = (
                get("ts"),
                addr(&get("id.orig_h"), "id.orig_h"),
                get("id.orig_p"),
                addr(&get("id.resp_h"), "id.resp_h"),
                get("id.resp_p"),
            );
            (key, row)
        })
        .collect()
}

/// Agreements per field: (agree, rows).
#[derive(Default)]
struct Tally(BTreeMap<&'static str, (usize, usize)>);

impl Tally {
    fn count(&mut self, field: &'static str, agrees: bool) {
        let e = self.0.entry(field).or_default();
        e.0 += usize::from(agrees);
        e.1 += 1;
    }

    fn get(&self, field: &str) -> (usize, usize) {
        self.0.get(field).copied().unwrap_or_default()
    }

    fn line(&self) -> String {
        FIELDS
            .iter()
            .map(|f| {
                let (ok, n) = self.get(f);
                format!("{:>10}", format!("{ok}/{n}"))
            })
            .collect::<Vec<_>>()
            .join("  ")
    }
}

#[test]
fn lab_conn_log_agrees_with_zeek() {
    let corpus = corpus();
    let rows = expected(&corpus);
    let mut by_trace: BTreeMap<&str, Vec<&Expected>> = BTreeMap::new();
    for r in &rows {
        by_trace.entry(&r.trace).or_default().push(r);
    }

    let (mut clean, mut all, mut tunneled) = (Tally::default(), Tally::default(), Tally::default());
    let mut misses = Vec::new();
    let header = FIELDS
        .iter()
        .map(|f| format!("{f:>10}"))
        .collect::<Vec<_>>()
        .join("  ");
    println!("{:<44} {:>4}  {header}", "trace", "rows");
    for (trace, expected) in &by_trace {
        let got = lab_rows(&corpus.join("traces").join(trace));
        let mut this = Tally::default();
        for e in expected {
            let mine = got.get(&e.key);
            for field in FIELDS {
                let Some(want) = e.values.get(field) else {
                    continue;
                };
                let have = mine.and_then(|m| m.get(field));
                let agrees = have == Some(want);
                this.count(field, agrees);
                all.count(field, agrees);
                if e.clean {
                    clean.count(field, agrees);
                }
                if e.caveats.contains("tunneled") {
                    tunneled.count(field, agrees);
                }
                if !agrees {
                    let (ts, oh, op, rh, rp) = &e.key;
                    misses.push(format!(
                        "{trace} ts={ts} {oh}:{op} > {rh}:{rp} {field}: Zeek {} lab {}{}",
                        e.values[field],
                        have.map_or("(no row)", String::as_str),
                        if e.clean {
                            String::new()
                        } else {
                            format!("  [caveats: {}]", e.caveats)
                        }
                    ));
                }
            }
        }
        println!("{trace:<44} {:>4}  {}", expected.len(), this.line());
    }
    println!();
    println!("{:<44} {:>4}  {header}", "", "");
    println!(
        "{:<44} {:>4}  {}",
        "clean rows (caveats -)",
        clean.get("conn_state").1,
        clean.line()
    );
    println!(
        "{:<44} {:>4}  {}",
        "all rows",
        all.get("conn_state").1,
        all.line()
    );
    if !misses.is_empty() {
        println!("\n{} disagreements:", misses.len());
        for m in &misses {
            println!("  {m}");
        }
    }

    // Every clean row agrees on every field: these are the rows plain
    // `zeek -C -r` derives from TCP headers alone.
    assert_eq!(
        clean.get("conn_state").1,
        115,
        "the corpus has 115 clean rows"
    );
    for field in FIELDS {
        let (ok, n) = clean.get(field);
        assert_eq!(ok, n, "clean rows, {field}: {ok}/{n}: {misses:#?}");
    }
    // All 127 rows: the figures the README gives. What differs is explained
    // by the caveats (Aruba's 802.11 in GRE is not decapsulated; the X
    // letter comes from a part of Zeek outside TCP; one test changed a
    // setting). `missed_bytes` is known for the 121 rows found in Zeek's
    // test baselines.
    assert_eq!(all.get("conn_state").1, 127, "the corpus has 127 TCP rows");
    for (field, at_least) in [
        ("conn_state", 125),
        ("history", 124),
        ("orig_bytes", 125),
        ("resp_bytes", 125),
        ("orig_pkts", 125),
        ("resp_pkts", 125),
        ("missed_bytes", 120),
    ] {
        let (ok, n) = all.get(field);
        assert!(ok >= at_least, "all rows, {field}: {ok}/{n}: {misses:#?}");
    }
    // Every tunneled row but Aruba's 802.11 A-MSDU in GRE agrees on
    // conn_state: the tunnels are decapsulated as Zeek does.
    assert_eq!(
        tunneled.get("conn_state"),
        (6, 7),
        "tunneled rows: {misses:#?}"
    );
}

#[test]
fn conn_log_is_read_by_field_names_not_positions() {
    // Zeek's own layout: uid and service between the usual columns, #open
    // and #close lines, columns in another order than this project's.
    let log = "#separator \\x09\n#path\tconn\n#open\t2026-12-03-06-00-00\n\
               #fields\tuid\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tservice\thistory\tconn_state\n\
               #types\tstring\ttime\taddr\tport\taddr\tport\tstring\tstring\tstring\n\
               CHhAvVGS1DHFjwGM9\t1.000000\t::1\t5\t::2\t80\thttp\tShADadFf\tSF\n\
               #close\t2026-12-03-06-00-01\n";
    let rows = read_conn_log(log, "example");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["conn_state"], "SF");
    assert_eq!(rows[0]["history"], "ShADadFf");
    assert_eq!(rows[0]["uid"], "CHhAvVGS1DHFjwGM9");
}
