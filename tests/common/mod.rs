//! Helpers shared by the integration tests: an in-process server with its event
//! log as data, the raw client, and real curl (which must be installed).
#![allow(dead_code)]

pub mod captures;
pub mod hostile;
pub mod rewrite;
pub mod tls_ending;
pub mod traffic;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use wirelab::client::{self, Outcome, Script};
use wirelab::server::{
    self, Cause, CloseEnding, Config, Event, LogSink, ReadMode, Record, ServerHandle, Stats,
};

/// A server running on 127.0.0.1:0 whose log records arrive on a channel.
pub struct Lab {
    pub handle: Option<ServerHandle>,
    pub addr: SocketAddr,
    rx: Receiver<Record>,
    /// Every record received so far.
    pub records: Vec<Record>,
}

/// A `Closed` record, flattened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    pub conn: u64,
    pub end: CloseEnding,
    pub cause: Cause,
    pub unread: usize,
}

#[track_caller]
pub fn start(mode: ReadMode) -> Lab {
    start_with(Config {
        mode,
        ..Config::default()
    })
}

#[track_caller]
pub fn start_with(config: Config) -> Lab {
    let (tx, rx) = channel();
    let handle = server::spawn(config, LogSink::Channel(tx)).expect("server starts");
    Lab {
        addr: handle.local_addr(),
        handle: Some(handle),
        rx,
        records: Vec::new(),
    }
}

impl Lab {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Runs a raw-client script against the server.
    #[track_caller]
    pub fn raw(&self, script: &Script) -> Outcome {
        client::run(self.addr, script).expect("client connects")
    }

    /// Waits until `n` records match `pred` (counting those already seen).
    #[track_caller]
    pub fn wait_for(&mut self, n: usize, pred: impl Fn(&Record) -> bool) -> Vec<Record> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found: Vec<Record> = self.records.iter().filter(|r| pred(r)).cloned().collect();
            if found.len() >= n {
                return found;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(r) => self.records.push(r),
                Err(_) => panic!(
                    "waited 20 s for {n} matching log records, saw {}:\n{}",
                    found.len(),
                    self.log_text()
                ),
            }
        }
    }

    /// Takes whatever records have arrived, without waiting.
    pub fn drain_records(&mut self) {
        while let Ok(r) = self.rx.try_recv() {
            self.records.push(r);
        }
    }

    /// Waits for `n` `closed` records and returns them in order.
    #[track_caller]
    pub fn closed(&mut self, n: usize) -> Vec<Closed> {
        self.wait_for(n, |r| matches!(r.event, Event::Closed { .. }))
            .into_iter()
            .filter_map(|r| match r.event {
                Event::Closed { end, cause, unread } => Some(Closed {
                    conn: r.conn.unwrap_or(0),
                    end,
                    cause,
                    unread,
                }),
                _ => None,
            })
            .collect()
    }

    /// The log so far as text lines (for failure messages).
    pub fn log_text(&self) -> String {
        self.records
            .iter()
            .map(|r| r.to_text())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Stops the server and returns its counters.
    #[track_caller]
    pub fn stop(mut self) -> Stats {
        let stats = self
            .handle
            .take()
            .expect("running")
            .shutdown()
            .expect("server stops cleanly");
        while let Ok(r) = self.rx.try_recv() {
            self.records.push(r);
        }
        stats
    }
}

/// What one curl run printed and returned.
#[derive(Debug)]
pub struct Curl {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs real curl with `args` plus `-sS --max-time 10`. Fails loudly when curl is
/// missing: these tests never skip.
#[track_caller]
pub fn curl(args: &[&str]) -> Curl {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("curl is required by this test and could not run ({e}): run scripts/setup")
        });
    Curl {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// curl `url`, body discarded; stdout is `"<status> <bytes downloaded>"`.
#[track_caller]
pub fn curl_status(url: &str, extra: &[&str]) -> Curl {
    let mut args = vec!["-o", "/dev/null", "-w", "%{http_code} %{size_download}"];
    args.extend_from_slice(extra);
    args.push(url);
    curl(&args)
}

/// One `lab reset` run that must have worked as a lab: its own network
/// namespace, the teardown seen, witnesses agreeing, no packet dropped.
/// Needs root and the clients (scripts/setup): fails loudly without them.
#[track_caller]
pub fn reset_lab(opts: wirelab::labs::reset::ResetOptions) -> wirelab::labs::reset::run::ResetRun {
    let r = wirelab::labs::reset::run(&opts).unwrap_or_else(|e| {
        panic!("lab reset could not run (needs root, curl and nghttp: scripts/setup): {e}")
    });
    assert_eq!(
        r.kernel.isolation,
        wirelab::labs::netns::Isolation::PrivateNamespace,
        "no private namespace: {:?}",
        r.kernel.note
    );
    assert!(r.teardown_seen, "teardown not seen: {r:#?}");
    assert!(
        r.disagreements.is_empty(),
        "witnesses disagree: {:?}",
        r.disagreements
    );
    assert_eq!(r.dropped, 0);
    r
}

/// One HTTP/2 frame as bytes (RFC 9113 §4.1: 24-bit length, type, flags,
/// 31-bit stream id, payload), built by hand rather than with the library's
/// encoder, so that the server is tested against an independent writer.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Runs tshark, the oracle of the capture tests, and returns what it
/// printed. A missing tshark or a failed run fails the test, loudly.
#[track_caller]
pub fn tshark(args: &[&str]) -> String {
    let out = std::process::Command::new("tshark")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("tshark cannot run ({e}): install it with scripts/setup"));
    assert!(
        out.status.success(),
        "tshark {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tshark writes UTF-8")
}
