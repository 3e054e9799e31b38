//! The analyzer against Zeek's own conn.log rows for Zeek's test traces
//! (`tests/data/zeek`): every clean row (caveats `-`) must agree on
//! `conn_state`, at least 98% on history, bytes and packets; over all rows,
//! tunneled ones included, the figures the README gives hold. The corpus is
//! part of the repository; when it is missing this test fails.

use std::collections::HashMap;
use std::path::Path;

use wirelab::analyze::{AnalyzeOptions, analyze};
use wirelab::capture::Timestamp;
use wirelab::capture::open_file;
use wirelab::report::{ZeekRecord, zeek};

struct Row {
    trace: String,
    key: (String, String, String, String, String),
    fields: HashMap<&'static str, String>,
}

/// The TCP rows of `expected.tsv` whose caveats `keep` accepts.
fn expected(corpus: &Path, keep: impl Fn(&str) -> bool) -> Vec<Row> {
    let text = std::fs::read_to_string(corpus.join("expected.tsv")).expect("read expected.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let mut rows = Vec::new();
    for line in lines {
        let v: Vec<&str> = line.split('\t').collect();
        if v[col("proto")] != "tcp" || !keep(v[col("caveats")]) {
            continue;
        }
        let mut fields = HashMap::new();
        for f in [
            "conn_state",
            "history",
            "orig_bytes",
            "resp_bytes",
            "orig_pkts",
            "resp_pkts",
        ] {
            fields.insert(f, v[col(f)].to_string());
        }
        rows.push(Row {
            trace: v[col("trace")].to_string(),
            key: (
                v[col("ts")].to_string(),
                v[col("orig_h")]
                    .parse::<std::net::IpAddr>()
                    .unwrap()
                    .to_string(),
                v[col("orig_p")].to_string(),
                v[col("resp_h")]
                    .parse::<std::net::IpAddr>()
                    .unwrap()
                    .to_string(),
                v[col("resp_p")].to_string(),
            ),
            fields,
        });
    }
    rows
}

/// Our values, read from the conn.log row the analyzer writes, by the
/// names of its `#fields` line.
fn ours(z: &ZeekRecord) -> HashMap<&'static str, String> {
    let header = zeek::header(Timestamp(0));
    let names: Vec<&str> = header
        .lines()
        .find_map(|l| l.strip_prefix("#fields\t"))
        .expect("a #fields line")
        .split('\t')
        .collect();
    let row = zeek::row(z);
    let values: HashMap<&str, &str> = names.into_iter().zip(row.split('\t')).collect();
    [
        "conn_state",
        "history",
        "orig_bytes",
        "resp_bytes",
        "orig_pkts",
        "resp_pkts",
    ]
    .into_iter()
    .map(|f| (f, values[f].to_string()))
    .collect()
}

type Agreement = HashMap<&'static str, (usize, usize)>;

/// Runs the analyzer over the traces of `rows` and counts, per field, the
/// rows it agrees on; also returns one line per disagreement.
fn agreement(corpus: &Path, rows: &[Row]) -> (Agreement, Vec<String>) {
    let mut by_trace: HashMap<String, HashMap<_, HashMap<&'static str, String>>> = HashMap::new();
    let mut agree: Agreement = HashMap::new();
    let mut misses = Vec::new();
    for row in rows {
        let got = by_trace.entry(row.trace.clone()).or_insert_with(|| {
            let mut reader =
                open_file(&corpus.join("traces").join(&row.trace)).expect("open trace");
            let report = analyze(&mut reader, &AnalyzeOptions::default()).expect("analyze trace");
            report
                .connections
                .iter()
                .map(|c| {
                    let z = &c.zeek;
                    (
                        (
                            z.ts.zeek(),
                            z.orig.addr.to_string(),
                            z.orig.port.to_string(),
                            z.resp.addr.to_string(),
                            z.resp.port.to_string(),
                        ),
                        ours(z),
                    )
                })
                .collect()
        });
        let mine = got.get(&row.key);
        for (field, want) in &row.fields {
            let e = agree.entry(field).or_default();
            e.1 += 1;
            if mine.and_then(|m| m.get(field)) == Some(want) {
                e.0 += 1;
            } else {
                misses.push(format!(
                    "{} {:?} {field}: want {want} got {:?}",
                    row.trace,
                    row.key,
                    mine.and_then(|m| m.get(field))
                ));
            }
        }
    }
    (agree, misses)
}

fn corpus() -> std::path::PathBuf {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zeek");
    assert!(
        corpus.join("expected.tsv").is_file(),
        "the Zeek corpus is missing at {}: this test needs it",
        corpus.display()
    );
    corpus
}

#[test]
fn clean_rows_agree_with_zeek() {
    let corpus = corpus();
    let rows = expected(&corpus, |caveats| caveats == "-");
    assert!(
        rows.len() >= 100,
        "expected the corpus' clean rows, got {}",
        rows.len()
    );
    let (agree, misses) = agreement(&corpus, &rows);
    for (field, (ok, n)) in &agree {
        eprintln!("{field}: {ok}/{n}");
    }
    let (ok, n) = agree["conn_state"];
    assert_eq!(ok, n, "every clean row agrees on conn_state: {misses:#?}");
    for field in [
        "history",
        "orig_bytes",
        "resp_bytes",
        "orig_pkts",
        "resp_pkts",
    ] {
        let (ok, n) = agree[field];
        assert!(ok * 100 >= n * 98, "{field}: {ok}/{n} agree: {misses:#?}");
    }
}

/// All rows, caveated ones included: the tunneled connections are
/// decapsulated (2026-11-22: 125 of 127 rows agree on conn_state, 122 on
/// history). What still differs: Aruba's 802.11 A-MSDU in GRE (not
/// decapsulated), `G` and `X` letters, and a test that changed Zeek's settings.
#[test]
fn all_rows_with_tunnels_agree_as_the_readme_says() {
    let corpus = corpus();
    let rows = expected(&corpus, |_| true);
    assert!(
        rows.len() >= 127,
        "expected every TCP row, got {}",
        rows.len()
    );
    let (agree, misses) = agreement(&corpus, &rows);
    for (field, at_least) in [
        ("conn_state", 125),
        ("history", 122),
        ("orig_bytes", 125),
        ("resp_bytes", 125),
        ("orig_pkts", 125),
        ("resp_pkts", 125),
    ] {
        let (ok, n) = agree[field];
        assert!(ok >= at_least, "{field}: {ok}/{n} agree: {misses:#?}");
    }
    // Every tunneled row but Aruba's agrees on conn_state.
    let tunneled: Vec<Row> = expected(&corpus, |c| c.contains("tunneled"));
    let (agree, misses) = agreement(&corpus, &tunneled);
    let (ok, n) = agree["conn_state"];
    assert_eq!((ok, n), (6, 7), "{misses:#?}");
}
