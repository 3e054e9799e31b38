//! The benchmark's reference: a bare libpcap read loop (the `pcap` crate's
//! `next_packet`), counting packets and bytes and nothing else.
//!
//!     cargo run --release --example pcap_loop -- FILE

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).context("usage: pcap_loop FILE")?;
    let mut cap = pcap::Capture::from_file(&path).with_context(|| format!("opening {path}"))?;
    let (mut packets, mut bytes) = (0u64, 0u64);
    loop {
        match cap.next_packet() {
            Ok(p) => {
                packets += 1;
                bytes += u64::from(p.header.caplen);
            }
            Err(pcap::Error::NoMorePackets) => break,
            Err(e) => return Err(e).with_context(|| format!("reading {path}")),
        }
    }
    println!("{packets} packets, {bytes} bytes");
    Ok(())
}
