//! QUIC connections spread over threads (`analyze_each_spread`, what `lab
//! analyze` runs unless `--jobs 1`) end exactly as on one thread.
//!
//! The captures in `captures/quic` are a few dozen frames each, fewer than
//! the analyzer reads on its calling thread before it starts any other, so
//! they are replayed here as one longer capture: every QUIC capture (the
//! HTTP/3 discovery one brings DNS) one after another, the whole sequence
//! many times over, each copy moved later in time by far more than any idle
//! timeout. A copy then reuses the address pairs of the one before, long
//! after those connections ended: the next Initial on a pair starts a new
//! connection whether or not a sweep came by in between (one whose idle
//! timeout is unknown stays open to the end and takes it instead, on one
//! thread as on several).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wirelab::analyze::{self, AnalyzeOptions};
use wirelab::app::AppOptions;
use wirelab::capture::{CaptureAnomalies, Frame, FrameSource, LinkType, Timestamp, open_file};
use wirelab::report::Summary;
use wirelab::tls_decrypt::KeyLog;

/// One captured frame, owned.
struct Owned {
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

/// Frames from memory, numbered from 1.
struct Replay {
    frames: Vec<Owned>,
    next: usize,
    anomalies: CaptureAnomalies,
}

impl FrameSource for Replay {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, wirelab::capture::Error> {
        let Some(f) = self.frames.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        Ok(Some(Frame {
            number: self.next as u64,
            ts: f.ts,
            link: f.link,
            data: &f.data,
            orig_len: f.orig_len,
        }))
    }

    fn anomalies(&self) -> &CaptureAnomalies {
        &self.anomalies
    }
}

fn quic_captures() -> Vec<PathBuf> {
    let mut all = Vec::new();
    let mut dirs = vec![PathBuf::from("captures/quic")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap") {
                all.push(p);
            }
        }
    }
    all.sort();
    all
}

fn frames_of(path: &Path) -> Vec<Owned> {
    let mut src = open_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        out.push(Owned {
            ts: f.ts,
            link: f.link,
            data: f.data.to_vec(),
            orig_len: f.orig_len,
        });
    }
    out
}

/// Every QUIC capture, `copies` times over, each capture's copy starting
/// 10 000 s after the previous one started; then, with time going back,
/// each capture once more, 5 s after its own last copy started: within
/// that copy's idle timeout by its own packets' times, long past it by the
/// capture's (the latest datagram before).
fn replay(copies: usize) -> Replay {
    let captures: Vec<Vec<Owned>> = quic_captures().iter().map(|p| frames_of(p)).collect();
    assert!(captures.len() >= 10, "captures/quic has {}", captures.len());
    let mut frames = Vec::new();
    let mut slot = 0i64;
    let mut last_base = vec![0i64; captures.len()];
    let copy = |frames: &mut Vec<Owned>, c: &[Owned], base: i64| {
        let Some(first) = c.first() else { return };
        frames.extend(c.iter().map(|f| Owned {
            ts: Timestamp(base + (f.ts.0 - first.ts.0)),
            link: f.link,
            data: f.data.clone(),
            orig_len: f.orig_len,
        }));
    };
    for _ in 0..copies {
        for (i, c) in captures.iter().enumerate() {
            let base = slot * 10_000 * Timestamp::SECOND;
            slot += 1;
            last_base[i] = base;
            copy(&mut frames, c, base);
        }
    }
    for (i, c) in captures.iter().enumerate() {
        copy(&mut frames, c, last_base[i] + 5 * Timestamp::SECOND);
    }
    Replay {
        frames,
        next: 0,
        anomalies: CaptureAnomalies::default(),
    }
}

/// Every key log of the captures, as one.
fn keylog() -> Arc<KeyLog> {
    let mut text = Vec::new();
    for p in quic_captures() {
        if let Ok(k) = std::fs::read(p.with_extension("keys")) {
            text.extend_from_slice(&k);
            text.push(b'\n');
        }
    }
    Arc::new(KeyLog::parse(&text))
}

fn opts(keys: bool) -> AnalyzeOptions {
    AnalyzeOptions {
        app: Some(AppOptions {
            keylog: keys.then(keylog),
            ..AppOptions::default()
        }),
        ..AnalyzeOptions::default()
    }
}

fn summary(copies: usize, keys: bool, threads: usize) -> Summary {
    let mut src = replay(copies);
    let opts = opts(keys);
    if threads == 0 {
        analyze::analyze_each_alone(&mut src, &opts, |_| {}).unwrap()
    } else {
        analyze::analyze_each_spread(&mut src, &opts, threads, |_| {}).unwrap()
    }
}

/// Enough copies that the replay is several of the calling thread's
/// first batches (2 048 frames) long.
const COPIES: usize = 30;

#[test]
fn spread_over_threads_ends_every_quic_connection_as_one_thread_does() {
    for keys in [false, true] {
        let alone = summary(COPIES, keys, 0);
        let captures = quic_captures().len();
        // Nearly every copy of every connection is a connection of its
        // own, and they were decoded: not a vacuous comparison.
        assert!(
            alone.quic.len() >= COPIES * captures,
            "keys {keys}: {} QUIC connections",
            alone.quic.len()
        );
        assert!(!alone.dns.is_empty(), "keys {keys}: no DNS exchange");
        if keys {
            assert!(
                alone.quic.iter().filter(|q| q.alpn.is_some()).count() >= COPIES,
                "the key log opened no handshake"
            );
        }
        for threads in [1, 2, 3, 4] {
            let spread = summary(COPIES, keys, threads);
            assert_eq!(
                spread.quic.len(),
                alone.quic.len(),
                "keys {keys}, {threads} threads"
            );
            for (a, b) in alone.quic.iter().zip(&spread.quic) {
                assert_eq!(a, b, "keys {keys}, {threads} threads");
            }
            assert_eq!(spread, alone, "keys {keys}, {threads} threads");
        }
    }
}

/// The same through `lab analyze`: `--jobs` (the threads QUIC connections
/// are spread over) changes nothing in the output, with or without the key
/// log. The file is four recordings (two servers, a graceful close, a
/// stateless reset, and the discovery with its DNS) one after another,
/// written again and again later in time until it is several batches long.
#[test]
fn lab_analyze_prints_the_same_at_any_jobs() {
    use common::captures::{run, stdout};
    use common::rewrite;
    let names = [
        "quic/quic-two-servers",
        "quic/serve/h3-serve-graceful",
        "quic/serve/h3-serve-stateless-reset",
        "quic/discovery/h3-discovery",
    ];
    let mut records = Vec::new();
    let mut keys = Vec::new();
    let mut copy = 0i64;
    while records.len() < 3 * 2048 {
        for name in names {
            let once = rewrite::records(&format!("{name}.pcap"));
            let first = once[0].micros;
            let moved: Vec<rewrite::Record> = once
                .iter()
                .map(|r| rewrite::Record {
                    micros: r.micros - first + copy * 10_000_000_000,
                    ..r.clone()
                })
                .collect();
            records.extend(moved);
            copy += 1;
        }
    }
    for name in names {
        let path = format!("{}/captures/{name}.keys", env!("CARGO_MANIFEST_DIR"));
        keys.extend(std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")));
        keys.push(b'\n');
    }
    let dir = std::env::temp_dir().join(format!("wirelab-quic-spread-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("replay.pcap");
    let keylog = dir.join("replay.keys");
    std::fs::write(&pcap, rewrite::pcap(1, &records)).unwrap();
    std::fs::write(&keylog, &keys).unwrap();
    let (pcap, keylog) = (pcap.to_str().unwrap(), keylog.to_str().unwrap());
    for with_keys in [false, true] {
        let out = |jobs: &str| {
            let mut args = vec!["analyze", "--format", "json", "--jobs", jobs, pcap];
            if with_keys {
                args.extend(["--keylog", keylog]);
            }
            let o = run(&args, None);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            (stdout(&o), String::from_utf8_lossy(&o.stderr).into_owned())
        };
        let one = out("1");
        let doc: serde_json::Value = serde_json::from_str(&one.0).expect("JSON");
        let quic = doc["quic"].as_array().expect("quic array");
        assert!(
            quic.len() >= copy as usize,
            "{} QUIC connections",
            quic.len()
        );
        assert!(!doc["dns"].as_array().expect("dns array").is_empty());
        if with_keys {
            let opened = quic.iter().filter(|q| q["keys"]["status"] == "ok").count();
            assert!(opened >= copy as usize / 2, "{opened} connections opened");
        }
        for jobs in ["2", "4"] {
            let other = out(jobs);
            assert!(
                one.0 == other.0,
                "keys {with_keys}: --jobs {jobs} printed another document"
            );
            assert_eq!(one.1, other.1, "keys {with_keys}: --jobs {jobs}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
