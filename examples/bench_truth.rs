//! Checks `lab analyze --format json` output against a ground-truth file
//! written by `bench_capture`: exit 0 only when every connection agrees.
//!
//!     lab analyze FILE --format json | cargo run --release --example bench_truth -- truth.tsv

use std::fs::File;
use std::io::{self, BufReader};
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use serde::Deserialize;
use wirelab::groundtruth::truth::{self, Verdict};

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
    let path = std::env::args()
        .nth(1)
        .context("usage: bench_truth TRUTH.tsv < analyze.json")?;
    let file = File::open(&path).with_context(|| format!("opening {path}"))?;
    let rows = truth::read_tsv(BufReader::new(file)).with_context(|| format!("reading {path}"))?;
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
    let agreement = truth::check(&rows, verdicts);
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
