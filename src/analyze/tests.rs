//! The two-thread [`analyze_each`] against the single-threaded [`Analyzer`]:
//! the same connections in the same order, the same summary, the same error
//! after the same connections. The captures are several batches long, since
//! the first batch is analyzed on the calling thread alone.

use std::io::{self, Read};

use super::*;
use crate::capture::FileReader;

/// What one analysis produced: connections in the order `on` saw them, then
/// the summary or the error.
type Outcome = (Vec<ConnectionReport>, Result<Summary, String>);

fn serial(bytes: impl Read, opts: &AnalyzeOptions) -> Outcome {
    let mut seen = Vec::new();
    let mut on =
        |f: Finished<'_>| seen.push(ConnectionReport::of(f.connection).with_finished(f.app));
    let result = FileReader::new(bytes)
        .map_err(Error::from)
        .and_then(|mut source| {
            let mut engine = Analyzer::new(opts);
            while let Some(frame) = source.next_frame()? {
                engine.frame(&frame, &mut on);
            }
            engine.finish(source.anomalies(), &mut on)
        });
    (seen, result.map_err(|e| e.to_string()))
}

fn piped(bytes: impl Read + Send, opts: &AnalyzeOptions) -> Outcome {
    let mut seen = Vec::new();
    let result = FileReader::new(bytes)
        .map_err(Error::from)
        .and_then(|mut source| {
            analyze_each(&mut source, opts, |f| {
                seen.push(ConnectionReport::of(f.connection).with_finished(f.app))
            })
        });
    (seen, result.map_err(|e| e.to_string()))
}

/// Every reference capture's records, repeated `copies` times 100 s apart
/// (so Zeek's timers fire between copies and 4-tuples are reused), as one
/// classic pcap (little-endian, microseconds, Ethernet, as they all are).
fn many_frames(copies: u32) -> Vec<u8> {
    let mut records = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir("captures")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "{path:?}");
        assert_eq!(&bytes[20..24], &[1, 0, 0, 0], "{path:?}");
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
            records.push(bytes[at..at + 16 + caplen].to_vec());
            at += 16 + caplen;
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&0x40000u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for k in 0..copies {
        for r in &records {
            let secs = u32::from_le_bytes(r[..4].try_into().unwrap());
            out.extend_from_slice(&(secs + 100 * k).to_le_bytes());
            out.extend_from_slice(&r[4..]);
        }
    }
    out
}

/// A reader that fails after `limit` bytes.
struct FailingAfter<'a> {
    bytes: &'a [u8],
    limit: usize,
}

impl Read for FailingAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.limit == 0 {
            return Err(io::Error::other("the disk went away"));
        }
        let n = buf.len().min(self.limit).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        self.limit -= n;
        Ok(n)
    }
}

#[test]
fn pipelined_equals_serial_over_many_batches() {
    let bytes = many_frames(240);
    let opts = AnalyzeOptions::default();
    let (conns, summary) = piped(&bytes[..], &opts);
    let frames = summary.as_ref().unwrap().frames as usize;
    assert!(frames > 3 * pipeline::BATCH, "{frames} frames");
    assert!(conns.len() > 100, "{} connections", conns.len());
    assert_eq!((conns, summary), serial(&bytes[..], &opts));
}

#[test]
fn pipelined_equals_serial_with_a_filter_and_a_scope() {
    let bytes = many_frames(240);
    let mut opts = AnalyzeOptions {
        filter: Some("tcp[tcpflags] & tcp-rst == 0".into()),
        ..AnalyzeOptions::default()
    };
    opts.scope.ports.push(8080);
    let piped = piped(&bytes[..], &opts);
    let s = piped.1.as_ref().unwrap();
    assert!(s.filtered_out > 0 && s.out_of_scope > 0, "{s:?}");
    assert_eq!(piped, serial(&bytes[..], &opts));
}

#[test]
fn pipelined_read_error_comes_after_the_same_connections() {
    let bytes = many_frames(160);
    let opts = AnalyzeOptions::default();
    let limit = bytes.len() * 2 / 3;
    let fail = || FailingAfter {
        bytes: &bytes,
        limit,
    };
    let (conns, result) = piped(fail(), &opts);
    assert!(!conns.is_empty());
    assert!(
        result
            .as_ref()
            .is_err_and(|e| e.contains("the disk went away")),
        "{result:?}"
    );
    assert_eq!((conns, result), serial(fail(), &opts));
}

#[test]
fn pipelined_filter_error_equals_serial() {
    let bytes = many_frames(1);
    let opts = AnalyzeOptions {
        filter: Some("tcp and (".into()),
        ..AnalyzeOptions::default()
    };
    let piped = piped(&bytes[..], &opts);
    assert!(piped.1.is_err());
    assert_eq!(piped, serial(&bytes[..], &opts));
}

#[test]
fn callback_panic_unwinds_without_hanging_the_flow_thread() {
    // The caller's callback panicking mid-run drops the channels it holds,
    // so the flow thread ends and the panic reaches the caller.
    let bytes = many_frames(240);
    for after in [0usize, 1, 5, 300] {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut delivered = 0;
            let mut source = FileReader::new(&bytes[..]).unwrap();
            let _ = analyze_each(&mut source, &AnalyzeOptions::default(), |_| {
                delivered += 1;
                assert!(delivered <= after, "callback gives up");
            });
        }));
        assert!(
            result.is_err(),
            "the panic after {after} connections was lost"
        );
    }
}

#[test]
fn slow_consumer_sees_the_serial_order_and_summary() {
    // Timers remove thousands of connections at once while the callback
    // lags: nothing is lost, reordered or double-counted.
    let bytes = many_frames(800);
    let (want, want_summary) = serial(&bytes[..], &AnalyzeOptions::default());
    let mut seen = Vec::new();
    let mut source = FileReader::new(&bytes[..]).unwrap();
    let summary = analyze_each(&mut source, &AnalyzeOptions::default(), |f| {
        if seen.len() % 500 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        seen.push(ConnectionReport::of(f.connection));
    })
    .unwrap();
    assert_eq!(format!("{want:?}"), format!("{seen:?}"));
    assert_eq!(
        format!("{:?}", want_summary.unwrap()),
        format!("{summary:?}")
    );
}

#[test]
fn packet_into_dirty_slots_equals_packet() {
    // The batch slots are reused: whatever a slot held before, writing a
    // frame into it in place gives the packet (and the counts) that
    // decoding it afresh does.
    use super::packet::{Decoder, Packet};
    use crate::wire::DecodeOptions;
    let bytes = many_frames(2);
    let mut src = FileReader::new(&bytes[..]).unwrap();
    let (mut fresh, mut in_place) = (
        Decoder::new(DecodeOptions::default(), &APP_RULES, None, true),
        Decoder::new(DecodeOptions::default(), &APP_RULES, None, true),
    );
    let mut slots = vec![Packet::UNSET; 7];
    let (mut k, mut frames) = (0, 0);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    while let Some(frame) = src.next_frame().unwrap() {
        // Payloads accumulate in both arenas at the same places.
        let want = fresh.packet(&frame, &mut a).expect("no filter");
        k = (k * 5 + 3) % slots.len();
        assert!(in_place.packet_into(&frame, &mut slots[k], &mut b));
        assert_eq!(
            format!("{want:?}"),
            format!("{:?}", slots[k]),
            "frame {}",
            frame.number
        );
        assert_eq!(a, b, "frame {}", frame.number);
        assert_eq!(
            format!("{:?}", fresh.counts),
            format!("{:?}", in_place.counts)
        );
        frames += 1;
    }
    assert!(frames > 200, "{frames} frames");
    assert!(!a.is_empty(), "no payload kept");
}

#[test]
fn decoded_two_threads_equal_one() {
    // With the application stage on, the pipeline hands each connection
    // the same report the single-threaded engine makes.
    let bytes = many_frames(240);
    let opts = AnalyzeOptions {
        app: Some(crate::app::AppOptions {
            ladder: true,
            ..Default::default()
        }),
        ..AnalyzeOptions::default()
    };
    let (want, want_summary) = serial(&bytes[..], &opts);
    let (seen, summary) = piped(&bytes[..], &opts);
    assert!(want.iter().all(|c| c.app.is_some()));
    assert!(
        want.iter()
            .filter_map(|c| c.app.as_ref()?.conversation.as_ref())
            .count()
            > 1000
    );
    assert_eq!(want, seen);
    assert_eq!(format!("{want_summary:?}"), format!("{summary:?}"));
}
