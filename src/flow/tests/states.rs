//! Per-state and per-event tests of the tracker (§3), and the timers and
//! reuse rules of the table (§7).

use super::kit::{Harness, K, Knows, MS, Pair, SEC, ep, one, seg, summary};
use crate::flow::EndpointState as St;
use crate::flow::{ConnState, Removal};

fn hs(h: &str, s: &str) -> (String, String) {
    (h.to_string(), s.to_string())
}

fn states(p: Pair) -> (St, St) {
    let conns = p.finish();
    assert_eq!(conns.len(), 1);
    conns[0].states()
}

#[test]
fn inactive_syn_from_originator_is_syn_sent() {
    let mut p = Pair::http();
    p.c(K::Syn);
    assert_eq!(states(p), (St::SynSent, St::Inactive));
}

#[test]
fn inactive_syn_ack_from_originator_is_syn_ack_sent() {
    let mut p = Pair::new(ep(1, 443), ep(2, 80));
    p.s(K::SynAck);
    assert_eq!(states(p), (St::SynAckSent, St::Inactive));
}

#[test]
fn inactive_syn_ack_from_responder_establishes_both() {
    let mut p = Pair::http();
    p.c(K::Syn).s(K::SynAck);
    assert_eq!(states(p), (St::Established, St::Established));
}

#[test]
fn inactive_bare_ack_from_responder_while_syn_sent_stays_inactive() {
    let mut p = Pair::http();
    p.c(K::Syn).s(K::Ack);
    assert_eq!(states(p), (St::SynSent, St::Inactive));
}

#[test]
fn inactive_data_from_responder_while_syn_sent_is_partial() {
    let mut p = Pair::http();
    p.c(K::Syn).s(K::Data(5));
    let conns = p.finish();
    assert_eq!(conns[0].states(), (St::SynSent, St::Partial));
    assert_eq!(conns[0].conn_state(), ConnState::OTH);
}

#[test]
fn inactive_ack_after_peer_syn_ack_is_established() {
    let mut p = Pair::http();
    p.s(K::SynAck).c(K::Ack);
    assert_eq!(states(p), (St::Established, St::Established));
}

#[test]
fn inactive_data_is_partial() {
    let mut p = Pair::http();
    p.c(K::Data(10));
    assert_eq!(states(p), (St::Partial, St::Inactive));
}

#[test]
fn inactive_fin_is_closed() {
    let mut p = Pair::http();
    p.c(K::Fin);
    assert_eq!(states(p), (St::Closed, St::Inactive));
}

#[test]
fn inactive_fin_rst_is_reset_with_history_i() {
    let mut p = Pair::http();
    p.c(K::FinRst);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("I", "OTH"));
    assert_eq!(conns[0].states(), (St::Reset, St::Inactive));
}

#[test]
fn inactive_syn_fin_is_q_and_closed() {
    let mut h = Harness::new();
    h.send(seg().syn().fin());
    let conns = h.finish();
    assert_eq!(one(&conns), hs("Q", "SH"));
}

#[test]
fn syn_sent_fin_is_closed() {
    let mut p = Pair::http();
    p.c(K::Syn).c(K::Fin);
    assert_eq!(states(p), (St::Closed, St::Inactive));
}

#[test]
fn syn_sent_data_changes_nothing_and_counts_anomaly() {
    let mut p = Pair::http();
    p.c(K::Syn).c(K::Data(3));
    assert_eq!(p.h.table.anomalies().data_before_established, 1);
    assert_eq!(states(p), (St::SynSent, St::Inactive));
}

#[test]
fn partial_syn_with_silent_peer_is_syn_sent() {
    let mut h = Harness::new();
    h.send(seg().seq(500).len(10).ack(1));
    // Its ISN was guessed as 499; a SYN there is no reuse (§7.2).
    h.send(seg().syn().seq(499));
    let conns = h.finish();
    assert_eq!(one(&conns).0, "DS");
    assert_eq!(conns[0].states(), (St::SynSent, St::Inactive));
    assert_eq!(conns[0].conn_state(), ConnState::S0);
}

#[test]
fn established_fin_from_peer_restores_closed_after_fin_rst() {
    // Originator FIN then RST (CLOSED → RESET), then the responder's FIN:
    // the originator counts as CLOSED again, a normal close (§3).
    let mut p = Pair::http();
    p.handshake().c(K::Fin).c(K::Rst).s(K::Fin);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShAFRf", "SF"));
}

#[test]
fn closed_rst_after_both_fins_changes_nothing() {
    let mut p = Pair::http();
    p.handshake().exchange(4, 4);
    p.c(K::Fin).s(K::Fin).c(K::Rst);
    assert_eq!(one(&p.finish()), hs("ShADadFfR", "SF"));
}

#[test]
fn closed_rst_before_peer_close_is_reset() {
    let mut p = Pair::http();
    p.handshake().c(K::Data(4)).s(K::Ack).s(K::Fin).s(K::Rst);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADafr", "RSTR"));
}

#[test]
fn both_reset_is_rstr_or_rej_by_sizes() {
    let mut p = Pair::http();
    p.handshake().c(K::Data(4)).s(K::RstAck).c(K::Rst);
    assert_eq!(one(&p.finish()), hs("ShADrR", "RSTR"));
    let mut p = Pair::http();
    p.c(K::Rst).s(K::Rst);
    assert_eq!(one(&p.finish()).1, "REJ");
}

#[test]
fn reset_then_data_counts_anomaly() {
    let mut p = Pair::http();
    p.handshake().c(K::Rst).c(K::Data(5));
    assert_eq!(p.h.table.anomalies().after_reset, 1);
    assert_eq!(one(&p.finish()), hs("ShARD", "RSTO"));
}

#[test]
fn repeated_fin_at_same_position_adds_no_letter() {
    let mut p = Pair::http();
    p.handshake().c(K::Fin);
    let seq = p.next[0] - 1;
    p.h.send(seg().fin().seq(seq).ack(p.next[1]));
    assert_eq!(one(&p.finish()).0, "ShAF");
}

#[test]
fn rst_at_new_position_adds_letter() {
    let mut p = Pair::http();
    p.handshake().c(K::Rst);
    p.h.send(seg().rst().seq(p.next[0] + 100));
    assert_eq!(one(&p.finish()).0, "ShARR");
}

#[test]
fn close_timer_removes_5s_after_last_activity() {
    let mut p = Pair::http();
    p.handshake().c(K::Fin).s(K::Fin);
    p.wait(4 * SEC).c(K::Ack);
    p.wait(2 * SEC).c(K::Ack);
    let conns = p.finish();
    assert_eq!(summary(&conns), vec![hs("ShAFf", "SF"), hs("A", "OTH")]);
    assert_eq!(conns[0].removal(), Removal::CloseTimer);
    assert_eq!(
        conns[0].orig().tcp.pkts(),
        4,
        "the ACK 4 s later still joined"
    );
}

#[test]
fn syn_after_close_is_reuse_at_once() {
    let mut p = Pair::http();
    p.handshake().c(K::Fin).s(K::Fin).c(K::Ack);
    p.next = [9_000, 90_000];
    p.handshake();
    let conns = p.finish();
    assert_eq!(summary(&conns), vec![hs("ShAFf", "SF"), hs("ShA", "S1")]);
    assert_eq!(conns[0].removal(), Removal::Reuse);
}

#[test]
fn syn_with_new_isn_while_syn_sent_is_reuse() {
    let mut h = Harness::new();
    h.send(seg().syn().seq(100));
    h.send(seg().syn().seq(7000));
    let conns = h.finish();
    assert_eq!(summary(&conns), vec![hs("S", "S0"), hs("S", "S0")]);
}

#[test]
fn syn_retransmitted_after_attempt_timer_is_new_connection() {
    let mut h = Harness::new();
    h.send(seg().syn().seq(100));
    h.wait(6 * SEC);
    h.send(seg().syn().seq(100));
    let conns = h.finish();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0].removal(), Removal::AttemptTimer);
}

#[test]
fn expire_removes_never_active_connection() {
    let mut h = Harness::new();
    let (a, b) = (ep(1, 1111), ep(1, 2222));
    h.send(seg().from(a).len(5).ack(1).bad_checksum());
    h.send(seg().from(b).len(5).ack(1).bad_checksum());
    h.wait(3 * SEC);
    h.send(seg().from(b).len(5).ack(1));
    h.wait(12 * SEC);
    h.send(seg().from(a).len(5).ack(1));
    let conns = h.finish();
    assert_eq!(
        summary(&conns),
        vec![hs("C", "OTH"), hs("CD", "OTH"), hs("D", "OTH")]
    );
    assert_eq!(conns[0].removal(), Removal::ExpireTimer);
    assert_eq!(conns[1].removal(), Removal::EndOfInput);
}

#[test]
fn inactivity_after_5_minutes_splits_exactly_at_the_timeout() {
    // retransmit-timeout.pcapng: data, an ACK, then the retransmission
    // exactly 300 s after the last packet: two connections.
    let mut h = Harness::new();
    let (c, s) = (ep(1, 51889), ep(2, 80));
    h.send(seg().from(c).to(s).seq(10).ack(1).len(18));
    h.now -= MS;
    h.wait(10_000);
    h.send(seg().from(s).to(c).seq(1).ack(28));
    h.now -= MS;
    h.wait(300 * SEC);
    h.send(seg().from(c).to(s).seq(10).ack(1).len(18));
    let conns = h.finish();
    assert_eq!(summary(&conns), vec![hs("Da", "OTH"), hs("D", "OTH")]);
    assert_eq!(conns[0].removal(), Removal::InactivityTimer);
}

#[test]
fn inactivity_just_before_5_minutes_keeps_one_connection() {
    let mut h = Harness::new();
    let (c, s) = (ep(1, 51889), ep(2, 80));
    h.send(seg().from(c).to(s).seq(10).ack(1).len(18));
    h.send(seg().from(s).to(c).seq(1).ack(28));
    h.wait(299 * SEC);
    h.send(seg().from(c).to(s).seq(10).ack(1).len(18));
    assert_eq!(one(&h.finish()), hs("DaT", "OTH"));
}

#[test]
fn interactive_port_gets_one_hour_timeout() {
    let mut p = Pair::with_app(ep(1, 40000), ep(2, 2323), &Knows);
    p.handshake();
    p.wait(1000 * SEC).c(K::Data(5));
    assert_eq!(one(&p.finish()), hs("ShAD", "S1"));
    // The ports are the hook's knowledge, not the table's: without it the
    // 5-minute timeout splits the connection, on port 22 too.
    for port in [2323, 22] {
        let mut p = Pair::new(ep(1, 40000), ep(2, port));
        p.handshake();
        p.wait(1000 * SEC).c(K::Data(5));
        assert_eq!(summary(&p.finish()), vec![hs("ShA", "S1"), hs("D", "OTH")]);
    }
}

#[test]
fn greetings_from_both_sides_get_one_hour_timeout() {
    let mut p = Pair::with_app(ep(1, 40000), ep(2, 8022), &Knows);
    p.handshake().s(K::Greeting(20)).c(K::Greeting(20));
    p.wait(1000 * SEC).c(K::Data(5));
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShAdD", "S1"));
    assert!(conns[0].greetings());
    // One side's greeting confirms nothing.
    let mut p = Pair::with_app(ep(1, 40000), ep(2, 8022), &Knows);
    p.handshake().s(K::Greeting(20)).c(K::Data(20));
    p.wait(1000 * SEC).c(K::Data(5));
    let conns = p.finish();
    assert_eq!(summary(&conns), vec![hs("ShAdD", "S1"), hs("D", "OTH")]);
    assert!(!conns[0].greetings());
}

#[test]
fn teredo_like_sequence_of_rows() {
    // Tunnels__Teredo 1576/80: server FIN first (flipped), the client's RST
    // 10 s later is a new connection, a server RST 16 s after that another.
    let mut p = Pair::new(ep(16, 1576), ep(163, 80));
    p.s(K::Fin).c(K::Ack);
    p.wait(10 * SEC).c(K::Rst);
    p.wait(16 * SEC).s(K::Rst);
    let conns = p.finish();
    assert_eq!(
        summary(&conns),
        vec![hs("^fA", "SHR"), hs("R", "OTH"), hs("^r", "RSTRH")]
    );
    assert_eq!(conns[0].orig().addr, ep(16, 1576));
}

#[test]
fn timestamps_going_backwards_do_not_rewind_timers() {
    let mut p = Pair::http();
    p.handshake().c(K::Data(10));
    p.wait(-3 * SEC).s(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADa", "S1"));
    assert_eq!(
        conns[0].duration(),
        None,
        "last packet earlier than the first"
    );
}

#[test]
fn both_ends_on_same_address_and_port() {
    let mut h = Harness::new();
    let e = ep(1, 80);
    h.send(seg().from(e).to(e).len(5).ack(1));
    h.send(seg().from(e).to(e).seq(2000).len(5).ack(1));
    let conns = h.finish();
    assert_eq!(one(&conns), hs("D", "OTH"));
    assert_eq!(conns[0].orig().tcp.pkts(), 2);
}

#[test]
fn bytes_include_acknowledged_but_missing_data() {
    let mut p = Pair::http();
    p.handshake();
    p.next[0] += 100; // 100 client bytes never captured
    p.c(K::Data(10)).s(K::Ack);
    let conns = p.finish();
    assert_eq!(conns[0].orig().bytes, 110);
}

#[test]
fn ids_follow_first_seen_order() {
    let mut h = Harness::new();
    h.send(seg().syn().from(ep(1, 1)));
    h.send(seg().syn().from(ep(1, 2)));
    h.send(seg().syn().from(ep(1, 1)).seq(1000));
    let conns = h.finish();
    let ids: Vec<u64> = conns.iter().map(|c| c.id()).collect();
    assert_eq!(ids, vec![1, 2]);
}

#[test]
fn random_segments_never_panic_and_every_packet_is_counted_once() {
    let mut h = Harness::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let ends = [ep(1, 80), ep(2, 40000), ep(2, 40001), ep(3, 22)];
    let mut good = 0u64;
    for _ in 0..200_000 {
        let r = next();
        let a = ends[(r & 3) as usize];
        let b = ends[((r >> 2) & 3) as usize];
        let mut s = seg()
            .from(a)
            .to(b)
            .seq((next() >> 40) as u32)
            .ack((next() >> 8) as u32);
        s.syn = r & 16 != 0;
        s.ackf = r & 32 != 0;
        s.fin = r & 64 != 0 && r & 0x700 == 0;
        s.rst = r & 128 != 0 && r & 0x3800 == 0;
        s.len = if r & 0x4000 != 0 {
            (r >> 50) as u32 & 0x7ff
        } else {
            0
        };
        s.window = if r & 0x8000 != 0 { 0 } else { 512 };
        s.bad_checksum = r & 0xf_0000 == 0;
        match (r >> 20) & 7 {
            0 => h.wait(-2 * SEC),
            1 => h.wait(7 * SEC),
            2 => h.wait(400 * SEC),
            _ => {}
        }
        if (r >> 23) & 63 == 0 {
            h.bad_header(a, b);
        } else {
            good += u64::from(!s.bad_checksum);
            h.send(s);
        }
    }
    let conns = h.finish();
    let counted: u64 = conns
        .iter()
        .map(|c| c.orig().tcp.pkts() + c.resp().tcp.pkts())
        .sum();
    let bad_headers = conns.iter().filter(|c| c.history().is_empty()).count();
    assert_eq!(counted, good, "every processed packet counted once");
    assert!(conns.len() > 100 && bad_headers < conns.len());
    for c in &conns {
        let _ = c.conn_state();
        let _ = crate::teardown::Teardown::of(c);
    }
}
