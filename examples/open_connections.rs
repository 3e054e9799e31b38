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
    let mut micros: u64 = 0;
    for i in 0..n {
        let client = [10, 1 + (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let steps: [(bool, [u8; 4], [u8; 4], u16, u16, u32, Option<u32>); 3] = [
            (true, client, server, 40000, 8080, 1000, None),
            (true, server, client, 8080, 40000, 5000, Some(1001)),
            (false, client, server, 40000, 8080, 1001, Some(5001)),
        ];
        for (syn, src, dst, sp, dp, seq, ack) in steps {
            frame.clear();
            let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv4(src, dst, 64)
                .tcp(sp, dp, seq, 65535);
            let b = if syn { b.syn() } else { b };
            let b = match ack {
                Some(a) => b.ack(a),
                None => b,
            };
            b.write(&mut frame, &[]).context("building a frame")?;
            let secs = 1_700_000_000 + micros / 1_000_000;
            out.write_all(&(secs as u32).to_le_bytes())?;
            out.write_all(&((micros % 1_000_000) as u32).to_le_bytes())?;
            out.write_all(&(frame.len() as u32).to_le_bytes())?;
            out.write_all(&(frame.len() as u32).to_le_bytes())?;
            out.write_all(&frame)?;
        }
        micros += 1;
    }
    out.flush()?;
    Ok(())
}
