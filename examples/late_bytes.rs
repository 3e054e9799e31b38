//! A late-bytes load for the server benchmark: C threads, each opening
//! connection after connection for D seconds, sending a request with
//! `Connection: close` and junk behind it in the same write, and reading
//! the answer to the end (the server's FIN, or its RST). Prints
//! `requests answered_200 resets`.
//!
//!     cargo run --release --example late_bytes -- 127.0.0.1:8080 8 10

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: late_bytes ADDR THREADS SECONDS";
    let addr: SocketAddr = args.next().context(usage)?.parse().context(usage)?;
    let threads: usize = args.next().context(usage)?.parse().context(usage)?;
    let secs: u64 = args.next().context(usage)?.parse().context(usage)?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\nlate bytes behind the request\r\n"
    );
    let end = Instant::now() + Duration::from_secs(secs);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let request = request.clone();
            std::thread::spawn(move || -> std::io::Result<(u64, u64, u64)> {
                let (mut n, mut ok, mut resets) = (0, 0, 0);
                let mut buf = vec![0u8; 4096];
                while Instant::now() < end {
                    let mut s = TcpStream::connect(addr)?;
                    s.write_all(request.as_bytes())?;
                    let mut got = Vec::new();
                    loop {
                        match s.read(&mut buf) {
                            Ok(0) => break,
                            Ok(k) => got.extend_from_slice(&buf[..k]),
                            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                                resets += 1;
                                break;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    n += 1;
                    if got.starts_with(b"HTTP/1.1 200") {
                        ok += 1;
                    }
                }
                Ok((n, ok, resets))
            })
        })
        .collect();
    let (mut n, mut ok, mut resets) = (0, 0, 0);
    for w in workers {
        let (a, b, c) = w
            .join()
            .map_err(|_| anyhow::anyhow!("a load thread panicked"))??;
        n += a;
        ok += b;
        resets += c;
    }
    println!("{n} {ok} {resets}");
    Ok(())
}
