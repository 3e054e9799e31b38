//! Generates the benchmark's labelled loopback traffic
//! (`wirelab::groundtruth::traffic`) and records it with libpcap on `lo`:
//! `DIR/capture.pcap` and its ground truth `DIR/truth.tsv`. With
//! `--no-capture` it only makes the traffic (for a live analyzer to watch).
//! Needs root or CAP_NET_RAW/CAP_NET_ADMIN to capture.
//!
//!     cargo run --release --example bench_capture -- --connections 270000 --out bench/out

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use wirelab::groundtruth::traffic::{self, Plan};
use wirelab::groundtruth::truth;

#[derive(Parser)]
struct Args {
    /// Labelled connections to make.
    #[arg(long, default_value_t = 270_000)]
    connections: usize,
    /// Generator threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Seed of the scenario mix.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory for capture.pcap and truth.tsv.
    #[arg(long, default_value = "bench/out")]
    out: PathBuf,
    /// Only generate traffic; do not capture.
    #[arg(long)]
    no_capture: bool,
    /// Extra keep-alive request/response rounds per established connection.
    #[arg(long, default_value_t = 0)]
    extra_rounds: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let plan = Plan {
        connections: args.connections,
        workers: args.workers,
        seed: args.seed,
        extra_rounds: args.extra_rounds,
    };
    if args.no_capture {
        let g = traffic::generate(&plan)?;
        println!(
            "generated {} connections ({} reusing a 4-tuple) in {:.2} s",
            g.labels.len(),
            g.reused(),
            g.elapsed.as_secs_f64()
        );
        g.held.into_iter().for_each(|h| h.release());
        return Ok(());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let pcap = args.out.join("capture.pcap");
    let rec = traffic::record(&plan, &pcap)?;
    let g = &rec.generated;
    let tsv = args.out.join("truth.tsv");
    let file = File::create(&tsv).with_context(|| format!("creating {}", tsv.display()))?;
    truth::write_tsv(&g.labels, BufWriter::new(file)).context("writing the ground truth")?;
    let secs = g.elapsed.as_secs_f64();
    println!(
        "{}: {} frames, {} connections ({} reusing a 4-tuple) in {secs:.2} s ({:.0} packets/s); libpcap received {} dropped {} if_dropped {}",
        pcap.display(),
        rec.frames,
        g.labels.len(),
        g.reused(),
        rec.frames as f64 / secs,
        rec.stats.received,
        rec.stats.dropped,
        rec.stats.if_dropped,
    );
    for held in rec.generated.held {
        held.release();
    }
    if rec.stats.dropped != 0 || rec.stats.if_dropped != 0 {
        bail!("the kernel dropped packets: the capture is incomplete");
    }
    Ok(())
}
