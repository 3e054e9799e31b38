//! Opens idle HTTP/2 connections to a server, in batches: each connection
//! sends the preface, an empty SETTINGS and one GET on stream 1, ACKs the
//! server's SETTINGS, reads the whole answer, and then stays open and
//! silent. After each batch it prints `open N` and waits for a line on
//! stdin before the next; at the end of stdin it exits. `bench/h2-memory`
//! reads the server's resident memory between batches.
//!
//! With `full-table` the GET also fills the server's HPACK decoder table
//! the costliest way a client can: 124 one-byte fields added to it, 33 of
//! its 4 096 bytes each as RFC 7541 §4.1 counts them.
//!
//!     cargo run --release --example h2_idle -- 127.0.0.1:8080 1000 2 [full-table]

use std::io::{BufRead, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, bail};
use wirelab::proto::h2::{FrameHeader, FrameType, HEADER_LEN};

/// Frame header (RFC 9113 §4.1), written by the library, and payload.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    FrameHeader {
        length: payload.len() as u32,
        kind: FrameType::from_u8(kind),
        flags,
        stream,
    }
    .encode(&mut out);
    out.extend_from_slice(payload);
    out
}

const SETTINGS: u8 = 0x4;
const HEADERS: u8 = 0x1;
const DATA: u8 = 0x0;
const GOAWAY: u8 = 0x7;
const ACK: u8 = 0x1;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;

/// One connection through its first answer.
fn open(addr: &str, full_table: bool) -> anyhow::Result<TcpStream> {
    let mut sock = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    // GET http://x/: :method GET, :scheme http, :path / (static indexes 2,
    // 6, 4) and :authority x as a literal without indexing (RFC 7541 §6.2.2).
    let mut block = vec![0x82, 0x86, 0x84, 0x01, 0x01, b'x'];
    if full_table {
        // `x: ` with incremental indexing and a literal name (§6.2.1).
        for _ in 0..4096 / 33 {
            block.extend_from_slice(&[0x40, 0x01, b'x', 0x00]);
        }
    }
    let mut hello = wirelab::proto::h2::PREFACE.to_vec();
    hello.extend(frame(SETTINGS, 0, 0, &[]));
    hello.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1, &block));
    sock.write_all(&hello)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while buf.len() >= 9 {
            let len = u32::from_be_bytes([0, buf[0], buf[1], buf[2]]) as usize;
            if buf.len() < 9 + len {
                break;
            }
            let (kind, flags, stream) = (
                buf[3],
                buf[4],
                u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]),
            );
            buf.drain(..9 + len);
            match kind {
                SETTINGS if flags & ACK == 0 => sock.write_all(&frame(SETTINGS, ACK, 0, &[]))?,
                DATA if stream == 1 && flags & END_STREAM != 0 => return Ok(sock),
                GOAWAY => bail!("the server sent GOAWAY"),
                _ => {}
            }
        }
        match sock.read(&mut chunk) {
            Ok(0) => bail!("the server closed before answering"),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e).context("reading the answer"),
        }
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: h2_idle ADDR PER_BATCH BATCHES [full-table]";
    let addr = args.next().context(usage)?;
    let per: usize = args.next().context(usage)?.parse().context(usage)?;
    let batches: usize = args.next().context(usage)?.parse().context(usage)?;
    let full_table = match args.next().as_deref() {
        None => false,
        Some("full-table") => true,
        Some(_) => bail!("{usage}"),
    };
    let mut open_conns = Vec::with_capacity(per * batches);
    let mut lines = std::io::stdin().lock().lines();
    for _ in 0..batches {
        for _ in 0..per {
            open_conns.push(open(&addr, full_table)?);
        }
        println!("open {}", open_conns.len());
        std::io::stdout().flush()?;
        if lines.next().is_none() {
            break;
        }
    }
    Ok(())
}
