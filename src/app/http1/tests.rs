use proptest::prelude::*;

use super::*;
use crate::app::Direction::{ClientToServer as C, ServerToClient as S};

/// What a decoder ended with, comparable across feedings.
fn summary(d: &Http1Decoder) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        d.exchanges(),
        d.switch(),
        d.stopped(C),
        d.stopped(S)
    )
}

/// Feeds each step whole, or cut at the given points (positions into the
/// step's bytes, any order), then ends both directions with `end`.
fn run(steps: &[(Direction, &[u8])], cuts: &[usize], end: Option<End>) -> Http1Decoder {
    let mut d = Http1Decoder::new(0, 0);
    for (sender, bytes) in steps {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        for w in points.windows(2) {
            d.feed(*sender, &bytes[w[0]..w[1]]);
        }
    }
    if let Some(how) = end {
        d.end(C, how);
        d.end(S, how);
    }
    d
}

/// Fed whole, byte by byte and in a few pieces, the decoder says the same.
fn decode(steps: &[(Direction, &[u8])], end: Option<End>) -> Http1Decoder {
    let whole = run(steps, &[], end);
    let bytewise: Vec<usize> = (0..200).collect();
    for cuts in [&bytewise[..], &[3, 17, 40][..], &[1][..]] {
        assert_eq!(
            summary(&whole),
            summary(&run(steps, cuts, end)),
            "cuts {cuts:?}"
        );
    }
    whole
}

fn line(e: &Exchange) -> (String, Option<u16>, Outcome) {
    let method = e.request.as_ref().map_or("-".into(), |r| r.method.clone());
    (method, e.response.as_ref().map(|r| r.status), e.outcome())
}

const GET_A: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
const GET_B: &[u8] = b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
const OK_5: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn pipelined_requests_pair_with_responses_in_order() {
    let client = [GET_A, GET_B].concat();
    let server = [OK_5, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"].concat();
    let d = decode(&[(C, &client), (S, &server)], Some(End::Fin));
    let ex = d.exchanges();
    assert_eq!(ex.len(), 2);
    assert_eq!(line(&ex[0]), ("GET".into(), Some(200), Outcome::Complete));
    assert_eq!(line(&ex[1]), ("GET".into(), Some(404), Outcome::Complete));
    let b = ex[1].request.as_ref().unwrap();
    assert_eq!(
        (b.target.as_str(), b.message.start),
        ("/b", GET_A.len() as u64)
    );
    assert_eq!(ex[0].response_range(), Some((0, Some(OK_5.len() as u64))));
    assert_eq!(ex[0].response.as_ref().unwrap().message.body_bytes, 5);
    assert_eq!(
        ex[1].response_range(),
        Some((OK_5.len() as u64, Some(server.len() as u64)))
    );
}

#[test]
fn chunked_bodies_both_ways_with_trailers() {
    let req = b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n";
    let resp = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4;e=1\r\nwxyz\r\n2\r\n!!\r\n0\r\n\r\n";
    let d = decode(&[(C, req), (S, resp)], None);
    let e = &d.exchanges()[0];
    assert_eq!(line(e), ("POST".into(), Some(201), Outcome::Complete));
    let (rq, rs) = (
        &e.request.as_ref().unwrap().message,
        &e.response.as_ref().unwrap().message,
    );
    assert_eq!(
        (rq.framing, rq.body_bytes, rq.end),
        (Framing::Chunked, 3, Some(req.len() as u64))
    );
    assert_eq!((rs.framing, rs.body_bytes), (Framing::Chunked, 6));
    // No upgrade offered: the Connection options are not kept.
    assert!(rs.fields.upgrade().is_empty() && rs.fields.connection().is_empty());
}

#[test]
fn continue_is_interim_and_the_final_response_follows() {
    let req = b"PUT /f HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
    let resp = [&b"HTTP/1.1 100 Continue\r\n\r\n"[..], OK_5].concat();
    let d = decode(&[(C, req), (S, &resp), (C, b"abc")], None);
    let e = &d.exchanges()[0];
    assert_eq!(e.interim, [(100, 0)]);
    assert_eq!(line(e), ("PUT".into(), Some(200), Outcome::Complete));
    assert_eq!(e.response_range(), Some((25, Some(resp.len() as u64))));
}

#[test]
fn head_204_and_304_have_no_body_whatever_the_length_says() {
    let client = [
        &b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        GET_A,
        GET_B,
        b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    .concat();
    let server = [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"[..],
        b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
        OK_5,
    ]
    .concat();
    let d = decode(&[(C, &client), (S, &server)], Some(End::Fin));
    let statuses: Vec<_> = d.exchanges().iter().map(line).collect();
    assert_eq!(statuses.len(), 4);
    assert!(
        statuses.iter().all(|l| l.2 == Outcome::Complete),
        "{statuses:?}"
    );
    assert_eq!(statuses[3].1, Some(200));
}

#[test]
fn close_delimited_body_is_complete_with_a_fin_and_cut_by_a_rst() {
    let resp = b"HTTP/1.0 200 OK\r\n\r\nall of it";
    let fin = decode(&[(C, GET_A), (S, resp)], Some(End::Fin));
    assert_eq!(fin.exchanges()[0].outcome(), Outcome::Complete);
    assert_eq!(
        fin.exchanges()[0].response_range(),
        Some((0, Some(resp.len() as u64)))
    );
    let rst = decode(&[(C, GET_A), (S, resp)], Some(End::Rst));
    assert_eq!(
        rst.exchanges()[0].outcome(),
        Outcome::Cut {
            sender: S,
            by: End::Rst
        }
    );
    let open = decode(&[(C, GET_A), (S, resp)], None);
    assert_eq!(open.exchanges()[0].outcome(), Outcome::InProgress);
}

#[test]
fn cut_requests_and_requests_never_answered() {
    let req = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this";
    let d = decode(&[(C, req)], Some(End::Rst));
    assert_eq!(
        d.exchanges()[0].outcome(),
        Outcome::Cut {
            sender: C,
            by: End::Rst
        }
    );
    assert_eq!(
        d.exchanges()[0]
            .request
            .as_ref()
            .unwrap()
            .message
            .body_bytes,
        9
    );
    let pipelined = [GET_A, GET_B].concat();
    let d = decode(&[(C, &pipelined), (S, OK_5)], Some(End::Fin));
    assert_eq!(line(&d.exchanges()[0]).2, Outcome::Complete);
    assert_eq!(line(&d.exchanges()[1]).2, Outcome::NeverAnswered);
    // A response cut inside its declared length.
    let d = decode(&[(C, GET_A), (S, &OK_5[..OK_5.len() - 2])], Some(End::Fin));
    assert_eq!(
        d.exchanges()[0].outcome(),
        Outcome::Cut {
            sender: S,
            by: End::Fin
        }
    );
    // A request head cut in the middle is reported as such.
    let mut d = Http1Decoder::new(0, 0);
    d.feed(C, &GET_A[..10]);
    d.end(C, End::Rst);
    assert_eq!((d.partial_head(C), d.exchanges().len()), (10, 0));
}

#[test]
fn h2c_upgrade_gives_the_switch_point_each_way() {
    let req = b"GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n";
    let preface = crate::proto::h2::PREFACE;
    let head = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    let settings = [0u8, 0, 0, 4, 0, 0, 0, 0, 0];
    let client = [&req[..], preface].concat();
    let server = [&head[..], &settings].concat();
    // The preface before the 101 was fed (it waits for the answer), or after.
    let early = [(C, &client[..]), (S, &server[..])];
    let late = [(C, &req[..]), (S, &server[..]), (C, preface)];
    for steps in [&early[..], &late[..]] {
        let mut d = decode(steps, None);
        let sw = d.switch().cloned().expect("a switch");
        assert_eq!(sw.kind, SwitchKind::Upgrade);
        assert_eq!(sw.client_offset, Some(req.len() as u64));
        assert_eq!(sw.server_offset, head.len() as u64);
        assert_eq!(
            sw.h2_start(),
            Some(crate::app::h2::Start::Upgrade {
                method: "GET".into(),
                target: "/up".into()
            })
        );
        assert_eq!(d.stopped(C), None);
        assert_eq!(d.exchanges()[0].outcome(), Outcome::Complete);
        // Whatever the decoder held is the preface, from the switch point.
        let held = d.take_held();
        let expect: &[u8] = if steps.len() == 2 { preface } else { b"" };
        assert_eq!(held, expect);
    }
}

#[test]
fn an_upgrade_refused_lets_http1_go_on() {
    let req = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n";
    let client = [&req[..], GET_B].concat();
    let server = [OK_5, OK_5].concat();
    let d = decode(&[(C, &client), (S, &server)], Some(End::Fin));
    assert_eq!(d.switch(), None);
    assert_eq!(d.exchanges().len(), 2);
    assert!(
        d.exchanges()
            .iter()
            .all(|e| e.outcome() == Outcome::Complete)
    );
    assert_eq!(
        d.exchanges()[1].request.as_ref().unwrap().message.start,
        req.len() as u64
    );
}

#[test]
fn connect_2xx_is_a_tunnel_and_decoding_stops_cleanly() {
    let req = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
    let hello = [0x16u8, 3, 1, 0, 5, 1, 2, 3, 4, 5];
    let client = [&req[..], &hello].concat();
    let resp = b"HTTP/1.1 200 Connection established\r\n\r\n";
    let server = [&resp[..], &hello].concat();
    let d = decode(&[(C, &client), (S, &server)], Some(End::Rst));
    let sw = d.switch().expect("a tunnel");
    assert_eq!(sw.kind, SwitchKind::Tunnel);
    assert_eq!(
        (sw.client_offset, sw.server_offset),
        (Some(req.len() as u64), resp.len() as u64)
    );
    assert_eq!(sw.h2_start(), None);
    assert_eq!((d.stopped(C), d.stopped(S)), (None, None));
    assert_eq!(
        line(&d.exchanges()[0]),
        ("CONNECT".into(), Some(200), Outcome::Complete)
    );
}

#[test]
fn what_a_server_refuses_an_observer_reads() {
    // No Host, an unknown method, CL beside TE: the server says 400/501;
    // the observer reads them (TE wins, flagged).
    let req =
        b"BREW /pot HTTP/1.1\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    let d = decode(&[(C, req)], None);
    let r = d.exchanges()[0].request.as_ref().unwrap();
    assert_eq!(
        (r.method.as_str(), r.message.framing),
        ("BREW", Framing::Chunked)
    );
    assert_eq!(r.message.notes, [Note::TransferEncodingWithContentLength]);
    assert_eq!(r.message.end, Some(req.len() as u64));
}

#[test]
fn bad_input_stops_a_direction_with_offset_and_reason() {
    // Garbage after a valid head: the exchange stands, the direction stops there.
    let garbage = [GET_A, b"\x16\x03\x01 not http\r\n\r\n"].concat();
    let d = decode(&[(C, &garbage)], None);
    assert_eq!(d.exchanges().len(), 1);
    let stop = d.stopped(C).expect("stopped");
    assert_eq!(stop.offset, GET_A.len() as u64);
    assert!(stop.reason.contains("control character"), "{stop:?}");

    // A 10 MB header: refused once past the head limit, memory bounded.
    let mut d = Http1Decoder::new(0, 0);
    d.feed(C, b"GET / HTTP/1.1\r\nX: ");
    let filler = vec![b'a'; 1 << 20];
    for _ in 0..10 {
        d.feed(C, &filler);
    }
    let stop = d.stopped(C).expect("stopped");
    assert_eq!(stop.offset, 0);
    assert!(stop.reason.contains("65536"), "{stop:?}");
    assert!(d.sides[0].buf.capacity() <= 2 * MAX_HEAD);

    // A chunk size overflow: stopped at the seventeenth hex digit.
    let req = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n";
    let d = decode(&[(C, req)], None);
    let stop = d.stopped(C).expect("stopped");
    let head = req.len() as u64 - 19;
    assert_eq!(stop.offset, head + 16);
    assert!(stop.reason.contains("invalid chunk size"), "{stop:?}");
    assert_eq!(d.exchanges()[0].outcome(), Outcome::Undecoded);

    // An invalid Content-Length in a response, a request with a non-final chunked.
    let d = decode(
        &[
            (C, GET_A),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"),
        ],
        None,
    );
    assert!(
        d.stopped(S)
            .unwrap()
            .reason
            .contains("invalid Content-Length")
    );
    let d = decode(
        &[(
            C,
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        )],
        None,
    );
    assert!(
        d.stopped(C)
            .unwrap()
            .reason
            .contains("chunked is not the final")
    );
    // A status line that is not one.
    let d = decode(&[(C, GET_A), (S, b"HTTP/1.1 2000 OK\r\n\r\n")], None);
    assert_eq!(d.stopped(S).unwrap().offset, 0);
}

#[test]
fn a_gap_leaves_the_message_undecoded_and_a_lone_response_is_kept() {
    let mut d = Http1Decoder::new(0, 0);
    d.feed(C, GET_A);
    d.feed(S, &OK_5[..OK_5.len() - 3]);
    d.gap(S, OK_5.len() as u64 - 3);
    d.feed(S, b"lo");
    assert_eq!(d.exchanges()[0].outcome(), Outcome::Undecoded);
    assert_eq!(d.stopped(S).unwrap().offset, OK_5.len() as u64 - 3);
    let d = decode(
        &[(
            S,
            b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n",
        )],
        Some(End::Fin),
    );
    assert_eq!(
        line(&d.exchanges()[0]),
        ("-".into(), Some(408), Outcome::Complete)
    );
}

#[test]
fn a_head_at_the_limit_ending_in_cr_is_refused_not_waited_on() {
    let mut head = b"GET / HTTP/1.1\r\nX: ".to_vec();
    head.resize(MAX_HEAD, b'a');
    head.push(b'\r');
    let mut d = Http1Decoder::new(0, 0);
    d.feed(C, &head);
    assert_eq!(d.stopped(C), None);
    d.feed(C, b"\n\r\n");
    let stop = d.stopped(C).expect("stopped");
    assert_eq!(stop.offset, 0);
    assert!(stop.reason.contains("65536"), "{stop:?}");
    assert_eq!(d.buffered(), 0);
}

/// Conversations for the property test: pipelining, chunks, 1xx, close.
const CONVERSATIONS: &[(&[u8], &[u8])] = &[
    (
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\nHEAD /c HTTP/1.0\r\n\r\nGET /d HTTP/1.0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\nHTTP/1.0 500 Oops\r\n\r\nto the end",
    ),
    (
        b"GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n\0\0\0\x04\0\0\0\0\0",
    ),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random split points, random interleaving of the two directions (each
    /// in order): the decoder says what it says when fed whole.
    #[test]
    fn any_split_agrees_with_whole(
        which in 0..CONVERSATIONS.len(),
        cuts in proptest::collection::vec(0usize..400, 0..12),
        order in proptest::collection::vec(any::<bool>(), 0..30),
    ) {
        let (client, server) = CONVERSATIONS[which];
        let whole = run(&[(C, client), (S, server)], &[], Some(End::Fin));
        prop_assert!(whole.exchanges().iter().all(|e| e.outcome() == Outcome::Complete));
        prop_assert_eq!(whole.exchanges().len(), [4, 1][which]);
        let split = run(&[(C, client), (S, server)], &cuts, Some(End::Fin));
        prop_assert_eq!(summary(&whole), summary(&split));
        let mut pieces: [Vec<&[u8]>; 2] = [Vec::new(), Vec::new()];
        for (i, bytes) in [client, server].into_iter().enumerate() {
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
            points.extend([0, bytes.len()]);
            points.sort_unstable();
            pieces[i] = points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
        }
        // Interleave: all requests' pieces come before the server's pieces
        // that answer them only in the whole feeding, so keep the client
        // ahead: feed a client piece whenever order says so or the server
        // has nothing left.
        let mut d = Http1Decoder::new(0, 0);
        let (mut ci, mut si) = (0, 0);
        let mut o = order.iter().cycle();
        while ci < pieces[0].len() || si < pieces[1].len() {
            let client_turn = si >= pieces[1].len() || (ci < pieces[0].len() && *o.next().unwrap_or(&true));
            if client_turn {
                d.feed(C, pieces[0][ci]);
                ci += 1;
            } else {
                d.feed(S, pieces[1][si]);
                si += 1;
            }
        }
        d.end(C, End::Fin);
        d.end(S, End::Fin);
        // Pairing depends only on order within each direction when every
        // request is fed before its response; compare the responses' and
        // requests' messages, which never depend on interleaving.
        let strip = |d: &Http1Decoder| d.exchanges().iter().map(|e| (
            e.request.as_ref().map(|r| r.message.clone()),
            e.response.as_ref().map(|r| (r.status, r.message.clone())),
        )).collect::<Vec<_>>();
        if d.exchanges().iter().all(|e| e.request.is_some()) {
            prop_assert_eq!(strip(&whole), strip(&d));
            prop_assert_eq!(whole.switch(), d.switch());
        }
        prop_assert_eq!(whole.stopped(C), None);
    }
}
