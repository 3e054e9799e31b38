//! Makes the crafted middlebox captures in `captures/crafted/` from two
//! real reference captures, so that what was forged is written down here
//! and nowhere else (see `captures/crafted/README.md` for the truth each
//! file carries):
//!
//! - `rst-ttl.pcap`: `no-read.pcap` with its RST's TTL set to 51 (the
//!   server's packets carry 64), as a device 13 hops nearer would send it;
//! - `rst-copied-id.pcap`: `no-read.pcap` with its RST's IP ID set to the
//!   client's last one (an injector copying the packet it answers);
//! - `censor-pair.pcap`: `full.pcap` with two RSTs slipped in after the
//!   request, one to each end, TTL 49, while the real server goes on to
//!   answer and close.
//!
//! Only the bytes named change; checksums are recomputed (RFC 791 §3.1,
//! RFC 9293 §3.1). Classic little-endian pcap over Ethernet in, same out.
//!
//!     cargo run --release --example craft_middlebox -- captures captures/crafted

use std::path::Path;

use anyhow::{Context, bail, ensure};

const ETH: usize = 14;
const RECORD_HEADER: usize = 16;
const TCP_RST: u8 = 0x04;
const TCP_ACK: u8 = 0x10;

/// One record: its header (timestamp, lengths) and its bytes.
#[derive(Clone)]
struct Record {
    header: [u8; RECORD_HEADER],
    data: Vec<u8>,
}

struct Pcap {
    header: Vec<u8>,
    records: Vec<Record>,
}

fn read(path: &Path) -> anyhow::Result<Pcap> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    ensure!(bytes.len() >= 24, "{}: too short", path.display());
    ensure!(
        bytes[..4] == [0xd4, 0xc3, 0xb2, 0xa1] && bytes[20..24] == [1, 0, 0, 0],
        "{}: not a little-endian microsecond pcap of Ethernet frames",
        path.display()
    );
    let mut records = Vec::new();
    let mut at = 24;
    while at < bytes.len() {
        let h: [u8; RECORD_HEADER] = bytes
            .get(at..at + RECORD_HEADER)
            .context("cut-off record header")?
            .try_into()?;
        let len = u32::from_le_bytes(h[8..12].try_into()?) as usize;
        let data = bytes
            .get(at + RECORD_HEADER..at + RECORD_HEADER + len)
            .context("cut-off record")?
            .to_vec();
        records.push(Record { header: h, data });
        at += RECORD_HEADER + len;
    }
    Ok(Pcap {
        header: bytes[..24].to_vec(),
        records,
    })
}

fn write(path: &Path, p: &Pcap) -> anyhow::Result<()> {
    let mut out = p.header.clone();
    for r in &p.records {
        out.extend_from_slice(&r.header);
        out.extend_from_slice(&r.data);
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The ones' complement sum of RFC 1071, folded.
fn sum(mut acc: u32, bytes: &[u8]) -> u32 {
    for pair in bytes.chunks(2) {
        let hi = u32::from(pair[0]) << 8;
        acc += hi | pair.get(1).map_or(0, |&b| u32::from(b));
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

/// Recomputes the IPv4 header and TCP checksums of an Ethernet frame.
fn checksums(frame: &mut [u8]) {
    let ip = ETH;
    let ihl = usize::from(frame[ip] & 0x0f) * 4;
    let total = usize::from(be16(frame, ip + 2));
    frame[ip + 10..ip + 12].copy_from_slice(&[0, 0]);
    let c = !sum(0, &frame[ip..ip + ihl]) as u16;
    frame[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
    let tcp = ip + ihl;
    let tcp_len = total - ihl;
    frame[tcp + 16..tcp + 18].copy_from_slice(&[0, 0]);
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&frame[ip + 12..ip + 20]);
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp_len as u16).to_be_bytes());
    let c = !sum(sum(0, &pseudo), &frame[tcp..tcp + tcp_len]) as u16;
    frame[tcp + 16..tcp + 18].copy_from_slice(&c.to_be_bytes());
}

fn tcp_port(frame: &[u8], dst: bool) -> u16 {
    let tcp = ETH + usize::from(frame[ETH] & 0x0f) * 4;
    be16(frame, tcp + if dst { 2 } else { 0 })
}

/// The frame (0-based) that is the first RST.
fn first_rst(p: &Pcap) -> anyhow::Result<usize> {
    p.records
        .iter()
        .position(|r| {
            let tcp = ETH + usize::from(r.data[ETH] & 0x0f) * 4;
            r.data[tcp + 13] & TCP_RST != 0
        })
        .context("no RST in the capture")
}

/// The RST's TTL changed.
fn forged_ttl(mut p: Pcap, ttl: u8) -> anyhow::Result<Pcap> {
    let n = first_rst(&p)?;
    let f = &mut p.records[n].data;
    f[ETH + 8] = ttl;
    checksums(f);
    Ok(p)
}

/// The RST's IP ID set to the other side's last one.
fn copied_id(mut p: Pcap) -> anyhow::Result<Pcap> {
    let n = first_rst(&p)?;
    let sender = tcp_port(&p.records[n].data, false);
    let peer_id = p.records[..n]
        .iter()
        .rev()
        .find(|r| tcp_port(&r.data, false) != sender)
        .map(|r| be16(&r.data, ETH + 4))
        .context("no packet of the other side before the RST")?;
    let f = &mut p.records[n].data;
    f[ETH + 4..ETH + 6].copy_from_slice(&peer_id.to_be_bytes());
    checksums(f);
    Ok(p)
}

/// A bare RST|ACK (no options) built on `like`, a frame from the same
/// sender: its Ethernet and IP headers, with `seq`, `ack`, `ttl`, `id`.
fn rst_like(like: &[u8], seq: u32, ack: u32, ttl: u8, id: u16) -> Vec<u8> {
    let mut f = like[..ETH + 20].to_vec();
    f[ETH] = 0x45;
    f[ETH + 2..ETH + 4].copy_from_slice(&40u16.to_be_bytes());
    f[ETH + 4..ETH + 6].copy_from_slice(&id.to_be_bytes());
    f[ETH + 8] = ttl;
    let tcp = ETH + usize::from(like[ETH] & 0x0f) * 4;
    f.extend_from_slice(&like[tcp..tcp + 4]); // the ports
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, TCP_RST | TCP_ACK, 0, 0, 0, 0, 0, 0]);
    checksums(&mut f);
    f
}

/// Two RSTs, one to each end, right after the client's first payload.
fn censor_pair(mut p: Pcap) -> anyhow::Result<Pcap> {
    let client = tcp_port(&p.records[0].data, false);
    let tcp_of = |f: &[u8]| ETH + usize::from(f[ETH] & 0x0f) * 4;
    // IP total length less the IP and TCP headers.
    let payload = |f: &[u8]| {
        let t = tcp_of(f);
        usize::from(be16(f, ETH + 2)) - (t - ETH) - usize::from(f[t + 12] >> 4) * 4
    };
    let req = p
        .records
        .iter()
        .position(|r| tcp_port(&r.data, false) == client && payload(&r.data) > 0)
        .context("no request")?;
    let server_frame = p
        .records
        .iter()
        .find(|r| tcp_port(&r.data, false) != client)
        .context("no server frame")?
        .data
        .clone();
    let r = &p.records[req].data;
    let t = tcp_of(r);
    let client_next = be32(r, t + 4).wrapping_add(payload(r) as u32);
    let server_next = be32(r, t + 8);
    let request_id = be16(r, ETH + 4);
    let to_client = rst_like(&server_frame, server_next, client_next, 49, request_id);
    let to_server = rst_like(r, client_next, server_next, 49, 0x1234);
    let mut at = p.records[req].header;
    for (k, data) in [to_client, to_server].into_iter().enumerate() {
        // 3 µs after the request, then 1 µs apart (the next real frame
        // came 8 µs after it).
        let usec = u32::from_le_bytes(at[4..8].try_into()?) + if k == 0 { 3 } else { 1 };
        if usec >= 1_000_000 {
            bail!("the request's timestamp is too near a second's end to insert after it");
        }
        at[4..8].copy_from_slice(&usec.to_le_bytes());
        at[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        at[12..16].copy_from_slice(&(data.len() as u32).to_le_bytes());
        p.records.insert(req + 1 + k, Record { header: at, data });
    }
    Ok(p)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: craft_middlebox CAPTURES_DIR OUT_DIR";
    let from = std::path::PathBuf::from(args.next().context(usage)?);
    let out = std::path::PathBuf::from(args.next().context(usage)?);
    std::fs::create_dir_all(&out)?;
    let no_read = || read(&from.join("no-read.pcap"));
    write(&out.join("rst-ttl.pcap"), &forged_ttl(no_read()?, 51)?)?;
    write(&out.join("rst-copied-id.pcap"), &copied_id(no_read()?)?)?;
    write(
        &out.join("censor-pair.pcap"),
        &censor_pair(read(&from.join("full.pcap"))?)?,
    )?;
    Ok(())
}
