//! Writes a synthetic capture of N connections that complete their
//! handshake and stay open (SYN, SYN-ACK, ACK each, 1 µs apart): the input
//! for measuring the analyzer's memory per open connection.
//!
//!     cargo run --release --example open_connections -- 200000 open.pcap

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::Context;
use etherparse::PacketBuilder;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: open_connections N FILE";
    let n: u32 = args.next().context(usage)?.parse().context(usage)?;
    let path = args.next().context(usage)?;
    let mut out = BufWriter::new(File::create(&path).with_context(|| format!("creating {path}"))?);
    // pcap file header: microsecond magic, version 2.4, snaplen, Ethernet.
    out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&4u16.to_le_bytes())?;
    out.write_all(&[0; 8])?;
    out.write_all(&65535u32.to_le_bytes())?;
    out.write_all(&1u32.to_le_bytes())?;
    let server = [10, 0, 0, 1];
    let mut frame = Vec::with_capacity(128);
    for i in 0..n {
        let client = [10, 1 + (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let micros = u64::from(i);
        // SYN, SYN-ACK, ACK: the handshake completes and nothing follows.
        for step in 0..3 {
            frame.clear();
            let eth = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
            let b = match step {
                0 => eth
                    .ipv4(client, server, 64)
                    .tcp(40000, 8080, 1000, 65535)
                    .syn(),
                1 => eth
                    .ipv4(server, client, 64)
                    .tcp(8080, 40000, 5000, 65535)
                    .syn()
                    .ack(1001),
                _ => eth
                    .ipv4(client, server, 64)
                    .tcp(40000, 8080, 1001, 65535)
                    .ack(5001),
            };
            b.write(&mut frame, &[]).context("building a frame")?;
            let secs = 1_700_000_000 + micros / 1_000_000;
            out.write_all(&(secs as u32).to_le_bytes())?;
            out.write_all(&((micros % 1_000_000) as u32).to_le_bytes())?;
            out.write_all(&(frame.len() as u32).to_le_bytes())?;
            out.write_all(&(frame.len() as u32).to_le_bytes())?;
            out.write_all(&frame)?;
        }
    }
    out.flush()?;
    Ok(())
}
