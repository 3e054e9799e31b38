//! The worked examples of `docs/zeek-conn-state.md` §11, rebuilt from synthetic
//! segments, plus the flips of §2 and the splits of §7.3.

use super::kit::{Harness, K, MS, Pair, SEC, ep, one, seg, summary};

fn hs(h: &str, s: &str) -> (String, String) {
    (h.to_string(), s.to_string())
}

#[test]
fn normal_close_is_sf() {
    let mut p = Pair::http();
    p.handshake().exchange(10, 20);
    p.c(K::Fin).s(K::Fin).c(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADadFf", "SF"));
    assert_eq!(conns[0].orig().bytes, 10);
    assert_eq!(conns[0].resp().bytes, 20);
    assert_eq!(conns[0].orig().tcp.pkts(), 6);
    assert_eq!(conns[0].resp().tcp.pkts(), 4);
}

#[test]
fn open_at_end_is_s1() {
    let mut p = Pair::http();
    p.handshake().exchange(10, 20);
    assert_eq!(one(&p.finish()), hs("ShADad", "S1"));
}

#[test]
fn syn_answered_by_rst_is_rej() {
    let mut p = Pair::http();
    p.c(K::Syn).s(K::RstAck);
    assert_eq!(one(&p.finish()), hs("Sr", "REJ"));
}

#[test]
fn originator_rst_after_syn_ack_is_rsto() {
    let mut p = Pair::http();
    p.c(K::Syn).s(K::SynAck).c(K::Rst);
    assert_eq!(one(&p.finish()), hs("ShR", "RSTO"));
}

#[test]
fn responder_rst_after_originator_fin_is_rstr() {
    let mut p = Pair::http();
    p.handshake().exchange(5, 5);
    p.c(K::Fin).s(K::RstAck);
    assert_eq!(one(&p.finish()), hs("ShADadFr", "RSTR"));
}

#[test]
fn midstream_responder_rst_is_rstrh() {
    let mut p = Pair::http();
    p.c(K::Data(10)).s(K::Rst);
    assert_eq!(one(&p.finish()), hs("Dr", "RSTRH"));
}

#[test]
fn lone_rst_from_server_port_is_flipped_rstrh() {
    let mut p = Pair::http();
    p.s(K::Rst);
    assert_eq!(one(&p.finish()), hs("^r", "RSTRH"));
}

#[test]
fn lone_rst_from_client_port_is_oth() {
    let mut p = Pair::http();
    p.c(K::Rst);
    assert_eq!(one(&p.finish()), hs("R", "OTH"));
}

#[test]
fn syn_then_own_rst_is_rstos0() {
    let mut p = Pair::http();
    p.c(K::Syn).c(K::Rst);
    assert_eq!(one(&p.finish()), hs("SR", "RSTOS0"));
    let mut p = Pair::http();
    p.c(K::Syn).s(K::Ack).c(K::Rst);
    assert_eq!(one(&p.finish()), hs("SaR", "RSTOS0"));
}

#[test]
fn originator_fin_blocks_rstos0() {
    let mut p = Pair::http();
    p.c(K::Syn).s(K::Ack).c(K::Fin).c(K::Rst);
    assert_eq!(one(&p.finish()), hs("SaFR", "OTH"));
}

#[test]
fn client_only_capture_split_by_attempt_timer() {
    // ssh.client-side-half-duplex: SYN, ACK and data from the client only;
    // 5 s after the SYN the attempt timer logs S0, later packets start anew.
    let mut p = Pair::new(ep(1, 51880), ep(2, 22));
    p.c(K::Syn).c(K::Ack).c(K::Data(100)).c(K::Data(100));
    p.wait(5 * SEC);
    p.c(K::Data(50)).c(K::Ack).c(K::Fin);
    let conns = p.finish();
    assert_eq!(summary(&conns), vec![hs("SAD", "S0"), hs("DAF", "SH")]);
    assert_eq!(conns[0].removal(), crate::flow::Removal::AttemptTimer);
}

#[test]
fn client_only_capture_closed_within_attempt_window_is_sh() {
    let mut p = Pair::new(ep(1, 51880), ep(2, 22));
    p.c(K::Syn).c(K::Ack).c(K::Data(100)).c(K::Fin);
    assert_eq!(one(&p.finish()), hs("SADF", "SH"));
}

#[test]
fn server_only_capture_is_shr() {
    let mut p = Pair::new(ep(1, 40000), ep(2, 22));
    p.s(K::SynAck).s(K::Data(30)).s(K::Ack).s(K::Fin);
    assert_eq!(one(&p.finish()), hs("^hdaf", "SHR"));
}

#[test]
fn server_fin_first_is_flipped_shr() {
    let mut p = Pair::http();
    p.s(K::Fin).c(K::Ack);
    assert_eq!(one(&p.finish()), hs("^fA", "SHR"));
}

#[test]
fn client_fin_first_is_sh() {
    let mut p = Pair::http();
    p.c(K::Fin).s(K::Ack);
    assert_eq!(one(&p.finish()), hs("Fa", "SH"));
}

#[test]
fn midstream_without_close_is_oth() {
    let mut p = Pair::http();
    p.c(K::Data(10)).s(K::Data(10)).c(K::Ack);
    assert_eq!(one(&p.finish()), hs("DdA", "OTH"));
    let mut p = Pair::http();
    p.s(K::Data(10));
    assert_eq!(one(&p.finish()), hs("^d", "OTH"));
}

#[test]
fn midstream_with_both_fins_is_sf() {
    let mut p = Pair::http();
    p.c(K::Data(10)).s(K::Ack).c(K::Fin).s(K::Fin).c(K::Ack);
    assert_eq!(one(&p.finish()), hs("DaFfA", "SF"));
}

#[test]
fn lone_syn_ack_from_server_port_is_flipped_oth() {
    let mut p = Pair::http();
    p.s(K::SynAck);
    assert_eq!(one(&p.finish()), hs("^h", "OTH"));
}

#[test]
fn only_bad_checksum_is_c_oth() {
    let mut h = Harness::new();
    h.send(seg().syn().bad_checksum());
    let conns = h.finish();
    assert_eq!(one(&conns), hs("C", "OTH"));
    assert_eq!(conns[0].orig().tcp.pkts(), 0);
}

#[test]
fn only_truncated_header_is_empty_oth() {
    let mut h = Harness::new();
    h.bad_header(ep(1, 443), ep(2, 56960));
    let conns = h.finish();
    assert_eq!(one(&conns), hs("", "OTH"));
    assert_eq!(conns[0].orig().tcp.pkts(), 0);
    assert_eq!(conns[0].duration(), None);
}

#[test]
fn syn_ack_first_on_unlisted_port_flips_on_ack() {
    // §2.4: the SYN-ACK is not flipped at creation (5000 is no likely server
    // port); the client's ACK flips it, and the open-ended result is OTH
    // because the responder stays SYN_ACK_SENT.
    let mut p = Pair::new(ep(1, 40000), ep(2, 5000));
    p.s(K::SynAck)
        .c(K::Ack)
        .c(K::Data(10))
        .s(K::Ack)
        .s(K::Data(7))
        .c(K::Ack);
    assert_eq!(one(&p.finish()), hs("^hADad", "OTH"));
    let mut p = Pair::new(ep(1, 40000), ep(2, 5000));
    p.s(K::SynAck)
        .c(K::Ack)
        .c(K::Data(10))
        .s(K::Ack)
        .s(K::Data(7))
        .c(K::Ack);
    p.c(K::Fin).s(K::Fin);
    assert_eq!(one(&p.finish()), hs("^hADadFf", "SF"));
}

#[test]
fn syn_ack_flipped_at_creation_then_ack_is_s1() {
    // Port flip at creation: the same letters end S1, not OTH (§4 notes).
    let mut p = Pair::http();
    p.s(K::SynAck)
        .c(K::Ack)
        .c(K::Data(10))
        .s(K::Ack)
        .s(K::Data(7))
        .c(K::Ack);
    assert_eq!(one(&p.finish()), hs("^hADad", "S1"));
}

#[test]
fn syn_ack_between_two_server_ports_is_not_flipped() {
    let mut p = Pair::new(ep(1, 443), ep(2, 80));
    p.s(K::SynAck);
    assert_eq!(one(&p.finish()), hs("H", "OTH"));
}

#[test]
fn reordered_handshake_flips_after_syn() {
    // §2.5: SYN-ACK captured before its SYN (ports not likely servers).
    let mut p = Pair::new(ep(1, 40000), ep(2, 5000));
    p.s(K::SynAck);
    // The SYN-ACK acknowledged the client's next sequence number, so the
    // client's SYN sat one before it.
    let client_isn = p.next[0] - 1;
    p.h.send(seg().from(p.ends[0]).to(p.ends[1]).syn().seq(client_isn));
    p.c(K::Ack)
        .c(K::Data(5))
        .s(K::Ack)
        .s(K::Data(5))
        .c(K::Ack)
        .c(K::Fin)
        .s(K::Fin);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("Hs^ADadFf", "SF"));
    assert_eq!(conns[0].orig().addr, ep(1, 40000));
}

#[test]
fn retransmissions_are_logarithmic() {
    let mut p = Pair::http();
    p.handshake();
    let start = p.next[0];
    p.c(K::Data(10));
    for _ in 0..10 {
        p.h.send(
            seg()
                .from(p.ends[0])
                .to(p.ends[1])
                .seq(start)
                .ack(p.next[1])
                .len(10),
        );
    }
    let conns = p.finish();
    assert_eq!(one(&conns).0, "ShADTT");
}

#[test]
fn zero_window_letter() {
    let mut p = Pair::http();
    p.handshake().s(K::ZeroWindowAck);
    assert_eq!(one(&p.finish()).0, "ShAaW".replace("aW", "aw"));
}

#[test]
fn retransmitted_syn_within_attempt_window_is_one_connection() {
    let mut p = Pair::http();
    p.c(K::Syn);
    p.h.send(seg().from(p.ends[0]).to(p.ends[1]).syn().seq(1000));
    let conns = p.finish();
    assert_eq!(one(&conns), hs("S", "S0"));
    assert_eq!(conns[0].orig().tcp.pkts(), 2);
}

#[test]
fn syn_retransmitted_after_rst_is_new_connection() {
    // pop3.pcap: SYN answered by RST; the retransmitted SYN 0.5 s later is a
    // new connection because the old one is closed (§7.2).
    let mut h = Harness::new();
    for _ in 0..3 {
        h.send(seg().syn().seq(1000).to(ep(2, 110)));
        h.send(
            seg()
                .rst()
                .ack(1001)
                .seq(0)
                .from(ep(2, 110))
                .to(ep(1, 40000)),
        );
        h.wait(500 * MS);
    }
    let conns = h.finish();
    assert_eq!(summary(&conns), vec![hs("Sr", "REJ"); 3]);
    assert_eq!(conns[0].removal(), crate::flow::Removal::Reuse);
}
