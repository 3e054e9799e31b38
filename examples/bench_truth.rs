//! Checks `lab analyze --format json` output against a ground-truth file
//! written by `bench_capture`: exit 0 only when every connection agrees.
//!
//!     lab analyze FILE --format json | cargo run --release --example bench_truth -- truth.tsv
//!
//! With `--zeek`, standard input is `lab analyze FILE --format zeek`'s
//! conn.log instead (what a capture too large for one JSON document is
//! read as): only `conn_state` is compared, the rows taken in `ts` order.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use serde::Deserialize;
use wirelab::flow::ConnState;
use wirelab::groundtruth::truth::{self, Agreement, ConnStateRow, TruthRow, Verdict};

#[derive(Deserialize)]
struct Doc {
    connections: Vec<Conn>,
}

#[derive(Deserialize)]
struct Conn {
    client: SocketAddr,
    server: SocketAddr,
    ended: String,
    closed_first: Option<String>,
    rst: Option<Rst>,
    zeek: Zeek,
}

#[derive(Deserialize)]
struct Rst {
    sender: String,
}

#[derive(Deserialize)]
struct Zeek {
    conn_state: String,
}

fn main() -> anyhow::Result<ExitCode> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let zeek = args.first().is_some_and(|a| a == "--zeek");
    if zeek {
        args.remove(0);
    }
    let path = args
        .first()
        .context("usage: bench_truth [--zeek] TRUTH.tsv < analyze.json (or conn.log)")?;
    let file = File::open(path).with_context(|| format!("opening {path}"))?;
    let rows = truth::read_tsv(BufReader::new(file)).with_context(|| format!("reading {path}"))?;
    let agreement = if zeek { conn_log(&rows)? } else { json(&rows)? };
    println!("{agreement}");
    for line in &agreement.examples {
        println!("  {line}");
    }
    Ok(if agreement.all_agree() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A conn.log on standard input: its rows' 4-tuples and conn_state, in
/// `ts` order (conn.log is written in the order Zeek's rules remove
/// connections, not the order they began).
fn conn_log(rows: &[TruthRow]) -> anyhow::Result<Agreement> {
    let mut found: Vec<(f64, ConnStateRow)> = Vec::new();
    let mut columns: Option<[usize; 6]> = None;
    for (n, line) in io::stdin().lock().lines().enumerate() {
        let line = line.context("reading the conn.log on standard input")?;
        if let Some(names) = line.strip_prefix("#fields\t") {
            let names: Vec<&str> = names.split('\t').collect();
            let at = |want: &str| names.iter().position(|n| *n == want);
            let want = [
                "ts",
                "id.orig_h",
                "id.orig_p",
                "id.resp_h",
                "id.resp_p",
                "conn_state",
            ];
            let found = want.map(at);
            columns = Some(found.map(|c| c.unwrap_or(usize::MAX)));
            anyhow::ensure!(
                found.iter().all(Option::is_some),
                "conn.log lacks a column of {want:?}"
            );
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let c = columns.context("conn.log row before its #fields line")?;
        let f: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| f.get(c[i]).copied().unwrap_or("");
        let bad = || format!("conn.log line {}: bad row", n + 1);
        let addr = |h: usize, p: usize| -> anyhow::Result<SocketAddr> {
            let ip: IpAddr = get(h).parse().with_context(bad)?;
            Ok(SocketAddr::new(ip, get(p).parse().with_context(bad)?))
        };
        let ts: f64 = get(0).parse().with_context(bad)?;
        let conn_state = ConnState::parse(get(5)).with_context(bad)?;
        let row = ConnStateRow {
            client: addr(1, 2)?,
            server: addr(3, 4)?,
            conn_state,
        };
        found.push((ts, row));
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(truth::check_conn_states(
        rows,
        found.into_iter().map(|(_, r)| r),
    ))
}

/// `lab analyze --format json` on standard input: every verdict.
fn json(rows: &[TruthRow]) -> anyhow::Result<Agreement> {
    let doc: Doc = serde_json::from_reader(BufReader::new(io::stdin().lock()))
        .context("reading lab analyze --format json on standard input")?;
    let mut verdicts = Vec::with_capacity(doc.connections.len());
    for c in &doc.connections {
        let v = Verdict::from_names(
            c.client,
            c.server,
            &c.ended,
            c.closed_first.as_deref(),
            c.rst.as_ref().map(|r| r.sender.as_str()),
            &c.zeek.conn_state,
        )
        .with_context(|| format!("connection {} → {}: unknown side name", c.client, c.server))?;
        verdicts.push(v);
    }
    Ok(truth::check(rows, verdicts))
}
