//! `lab analyze --interface lo`: a real loopback connection, captured live by
//! libpcap, is printed when Zeek's close timer ends it (5 s after its last
//! packet, on the wall clock), and a connection still open is printed at
//! Ctrl-C. Needs capture permission (root, or CAP_NET_RAW and CAP_NET_ADMIN
//! on the test binary's `lab`): without it this test fails, it does not skip.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills the `lab` child if the test fails before it is stopped.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn live_capture_prints_each_connection_as_it_ends() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let filter = format!("tcp port {port}");
    let child = common::captures::lab()
        .args([
            "analyze",
            "--interface",
            "lo",
            "--filter",
            &filter,
            "--format",
            "zeek",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lab analyze");
    let mut child = Reap(child);

    // Wait for the capture to be running (or for lab to fail, loudly).
    let mut err = BufReader::new(child.0.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(
        first.contains("capturing on lo"),
        "lab analyze could not capture on lo (run as root or grant CAP_NET_RAW): {first}"
    );
    // Said once, up front: a quiet terminal after curl is not a hang.
    assert!(
        first.contains(
            "each connection is printed when Zeek's timers end it, about 5 s after it closes"
        ),
        "{first}"
    );
    let (tx, rx) = mpsc::channel::<String>();
    let out = BufReader::new(child.0.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));

    // A graceful request/response, then a connection left open.
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).unwrap();
        s.write_all(b"world").unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        drop(s);
        let (held, _) = listener.accept().unwrap();
        held
    });
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.write_all(b"hello").unwrap();
    let mut buf = [0u8; 5];
    c.read_exact(&mut buf).unwrap();
    drop(c);
    let held_client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let held_server = server.join().unwrap();

    // The closed connection appears about 5 s after its last packet.
    let start = Instant::now();
    let mut header = Vec::new();
    let row = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(12))
            .expect("the closed connection is printed within 12 s");
        if !line.starts_with('#') {
            break line;
        }
        header.push(line);
    };
    // The header is out before any row, with the wall clock on `#open`.
    let fields: Vec<String> = header
        .iter()
        .find_map(|l| l.strip_prefix("#fields\t"))
        .expect("a #fields line before the first row")
        .split('\t')
        .map(str::to_string)
        .collect();
    assert!(
        header.iter().any(|l| l.starts_with("#open\t20")),
        "{header:?}"
    );
    let col = |row: &str, name: &str| -> String {
        let i = fields.iter().position(|f| f == name).expect(name);
        row.split('\t').nth(i).unwrap_or_default().to_string()
    };
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(3),
        "printed after {waited:?}, before the close timer"
    );
    assert_eq!(col(&row, "conn_state"), "SF", "{row}");
    assert!(col(&row, "history").starts_with("ShAD"), "{row}");

    // Ctrl-C prints the connection still open, then the summary.
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let status = child.0.wait().unwrap();
    assert!(status.success(), "lab exits 0 on Ctrl-C");
    // lab has exited, so its stdout is closed: the reader thread forwards the
    // last lines and drops its sender, which ends this iteration.
    let rest: Vec<String> = rx.iter().collect();
    let open: Vec<&String> = rest.iter().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(open.len(), 1, "{rest:?}");
    assert_eq!(col(open[0], "conn_state"), "S1");
    assert!(
        rest.last().is_some_and(|l| l.starts_with("#close\t20")),
        "{rest:?}"
    );
    // The summary goes to standard error, where Zeek's readers don't look.
    let mut err_rest = String::new();
    err.read_to_string(&mut err_rest).unwrap();
    assert!(err_rest.contains("lab: 2 connections"), "{err_rest}");
    drop(held_client);
    drop(held_server);
}
