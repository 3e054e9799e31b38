//! Checks `lab analyze --format json --keylog` of the QUIC benchmark's
//! capture (standard input) against its truth (`quic_capture`'s
//! quic-truth.tsv): every connection, named by its client address, must
//! be there once, with the ending it was made to have, closed by the side
//! that closed it, with its code. The first line is the agreement; the
//! exit status is 1 unless all agree.
//!
//!     lab analyze bench/out/quic.pcap --keylog bench/out/quic.keys --format json \
//!       | cargo run --release --example quic_truth -- bench/out/quic-truth.tsv

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use serde::Deserialize;

#[derive(Parser)]
struct Args {
    /// The truth file.
    truth: PathBuf,
}

#[derive(Deserialize)]
struct Doc {
    quic: Vec<Quic>,
}

#[derive(Deserialize)]
struct Quic {
    client: String,
    ending: String,
    connection_close: Option<Close>,
}

#[derive(Deserialize)]
struct Close {
    by: String,
    error_code: u64,
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let truth = std::fs::read_to_string(&args.truth)
        .with_context(|| format!("reading {}", args.truth.display()))?;
    let mut json = String::new();
    std::io::stdin().read_to_string(&mut json)?;
    let doc: Doc = serde_json::from_str(&json).context("the analyzer's JSON")?;
    drop(json);
    // The analyzer's view of each client address: ending, by, code.
    let mut seen: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
    for q in doc.quic {
        let ip = q.client.rsplit_once(':').map_or(q.client.as_str(), |p| p.0);
        let (by, code) = match &q.connection_close {
            Some(c) => (c.by.clone(), format!("0x{:x}", c.error_code)),
            None if q.ending == "stateless_reset" => ("server".into(), "-".into()),
            None => ("-".into(), "-".into()),
        };
        seen.entry(ip.to_string())
            .or_default()
            .push((q.ending, by, code));
    }
    let (mut agree, mut total) = (0usize, 0usize);
    let mut examples = Vec::new();
    let mut by_ending: HashMap<String, (usize, usize)> = HashMap::new();
    for line in truth.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let [client, ending, by, code] = f[..] else {
            anyhow::bail!("{}: a bad row {line:?}", args.truth.display());
        };
        total += 1;
        let want = (ending.to_string(), by.to_string(), code.to_string());
        let row = by_ending
            .entry(format!("{ending} {by} {code}"))
            .or_default();
        row.1 += 1;
        match seen.remove(client).as_deref() {
            Some([got]) if *got == want => {
                agree += 1;
                row.0 += 1;
            }
            got => examples.push(format!("{client}: truth {want:?}, analyzer {got:?}")),
        }
    }
    let extra: usize = seen.values().map(Vec::len).sum();
    println!(
        "QUIC endings: {agree} of {total} agree with the truth ({} disagree or are missing, {extra} not in the truth)",
        total - agree
    );
    let mut rows: Vec<_> = by_ending.into_iter().collect();
    rows.sort();
    for (what, (ok, n)) in rows {
        println!("  {what}: {ok} of {n}");
    }
    for e in examples.iter().take(10) {
        println!("  {e}");
    }
    Ok(if agree == total && extra == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
