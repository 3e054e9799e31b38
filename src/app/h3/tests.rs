//! One request and response put together from STREAM frames, out of order
//! and with control streams beside them; the captures' tests cover real
//! peers.

use super::H3Decoder;
use crate::proto::quic::Side;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn an_exchange_from_streams_out_of_order() {
    let mut d = H3Decoder::default();
    // Client control stream (ID 2): type 0x00, then SETTINGS
    // {QPACK_BLOCKED_STREAMS: 16}.
    d.stream(3, Side::Client, 2, 0, false, &hex("00 0402 0710"));
    // Request on stream 0: HEADERS with static entries only (RFC 9204
    // Appendix A: 17 `:method GET`, 23 `:scheme https`, 1 `:path /`, and
    // 0 `:authority` with the literal "localhost").
    d.stream(
        4,
        Side::Client,
        0,
        0,
        true,
        &hex("0110 0000 d1 d7 c1 5009 6c6f63616c686f7374"),
    );
    // Response: HEADERS `:status 200` (static 25), DATA "hello"; its
    // second half arrives first.
    let response = hex("0103 0000 d9 0005 68656c6c6f");
    d.stream(7, Side::Server, 0, 6, true, &response[6..]);
    d.stream(6, Side::Server, 0, 0, false, &response[..6]);
    let report = d.finish().expect("streams carried data");
    assert_eq!(report.settings.len(), 1);
    assert_eq!(report.settings[0].by, Side::Client);
    assert_eq!(report.settings[0].values, vec![(0x07, 16)]);
    assert_eq!(report.exchanges.len(), 1);
    let x = &report.exchanges[0];
    assert_eq!(x.stream, 0);
    assert_eq!(x.method.as_deref(), Some("GET"));
    assert_eq!(x.authority.as_deref(), Some("localhost"));
    assert_eq!(x.path.as_deref(), Some("/"));
    assert_eq!(x.request_end, Some(4));
    assert_eq!(x.status, Some(200));
    assert_eq!(x.response_body, 5);
    // The response ended with the FIN carried in frame 7, even though frame
    // 6 completed the stream's bytes.
    assert_eq!(x.response_end, Some(7));
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn a_malformed_frame_is_a_problem_not_a_panic() {
    let mut d = H3Decoder::default();
    // A SETTINGS frame whose payload ends inside a value.
    d.stream(1, Side::Server, 3, 0, false, &hex("00 0401 01"));
    let report = d.finish().expect("a stream carried data");
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].stream, 3);
}

#[test]
fn a_frame_in_order_is_the_run_insert_would_give() {
    use super::reassembly::Reassembly;
    // Each step on two copies: `in_order` where it answers, `insert` on
    // the other; both must give the same runs and stay alike.
    let steps: [(u64, &[u8]); 6] = [
        (0, b"abc"),
        (1, b"bcde"), // overlaps what was read: "de" is new
        (2, b"cd"),   // a repeat: nothing new
        (9, b"jk"),   // past a gap: held
        (5, b"fghi"), // fills the gap: with a piece held, `insert` takes it
        (11, b"lm"),
    ];
    let (mut fast, mut slow) = (Reassembly::default(), Reassembly::default());
    for (offset, data) in steps {
        let mut want = Vec::new();
        slow.insert(offset, data, &mut |b| want.extend_from_slice(b))
            .unwrap();
        let got = match fast.in_order(offset, data) {
            Some(run) => run.to_vec(),
            None => {
                let mut got = Vec::new();
                fast.insert(offset, data, &mut |b| got.extend_from_slice(b))
                    .unwrap();
                got
            }
        };
        assert_eq!(got, want, "at offset {offset}");
    }
    // The one past a gap, and the one that fills it while a piece waits,
    // are not `in_order`'s.
    let mut r = Reassembly::default();
    assert_eq!(r.in_order(0, b"ab"), Some(&b"ab"[..]));
    assert_eq!(r.in_order(4, b"ef"), None);
    r.insert(4, b"ef", &mut |_| {}).unwrap();
    assert_eq!(r.in_order(2, b"cd"), None);
}
