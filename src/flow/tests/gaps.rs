//! Content gaps (`docs/zeek-conn-state.md` §12): the `G`/`g` letters and
//! `missed_bytes`, from acknowledgements of data the capture never showed.

use super::kit::{K, Pair, ep, one, seg};

fn hs(h: &str, s: &str) -> (String, String) {
    (h.to_string(), s.to_string())
}

#[test]
fn an_ack_of_data_never_seen_is_a_gap_of_that_size_without_the_fin() {
    // Zeek's miss_end_data trace: the server's whole response is missing,
    // only its FIN was captured, and the client acknowledges the FIN.
    let mut p = Pair::http();
    p.handshake().c(K::Data(538)).s(K::Ack);
    p.next[1] += 2902;
    p.s(K::Fin).c(K::Ack).c(K::Fin).s(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADafgF", "SF"));
    assert_eq!(conns[0].missed_bytes(), 2902);
    assert_eq!(
        conns[0].resp().bytes,
        2902,
        "the ACK still counts the bytes"
    );
}

#[test]
fn a_hole_filled_before_its_ack_is_no_gap() {
    let mut p = Pair::http();
    p.handshake().c(K::Data(10));
    // The server's second segment arrives before its first.
    let (c, s) = (p.ends[0], p.ends[1]);
    let base = p.next[1];
    p.h.send(seg().from(s).to(c).seq(base + 100).ack(p.next[0]).len(50));
    p.h.send(seg().from(s).to(c).seq(base).ack(p.next[0]).len(100));
    p.next[1] = base + 150;
    p.c(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADdt", "S1"), "the late segment is a T");
    assert_eq!(conns[0].missed_bytes(), 0);
}

#[test]
fn each_hole_below_the_ack_is_one_gap_and_the_data_between_is_delivered() {
    let mut p = Pair::http();
    p.handshake().c(K::Data(10));
    let (c, s) = (p.ends[0], p.ends[1]);
    let base = p.next[1];
    // Holes [0, 100) and [150, 170); data [100, 150) and [170, 200) waits.
    p.h.send(seg().from(s).to(c).seq(base + 100).ack(p.next[0]).len(50));
    p.h.send(seg().from(s).to(c).seq(base + 170).ack(p.next[0]).len(30));
    p.next[1] = base + 200;
    p.c(K::Ack);
    // Then a third hole, found by the next ACK.
    p.next[1] += 5;
    p.c(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADdg", "S1"), "three gaps, one letter");
    assert_eq!(conns[0].missed_bytes(), 100 + 20 + 5);
}

#[test]
fn the_gap_letter_is_logarithmic_and_per_side() {
    let mut p = Pair::http();
    p.handshake();
    for _ in 0..10 {
        p.next[0] += 7;
        p.s(K::Ack);
    }
    p.next[1] += 3;
    p.c(K::Ack);
    let conns = p.finish();
    // The client's 1st and 10th gap give `G` twice; the server's one `g`.
    assert_eq!(one(&conns), hs("ShAaGGg", "S1"));
    assert_eq!(conns[0].missed_bytes(), 73);
}

#[test]
fn no_gap_is_reported_unless_both_sides_are_established_or_closing_cleanly() {
    // Joined late: both sides PARTIAL.
    let mut p = Pair::http();
    p.c(K::Data(10)).s(K::Data(10));
    p.next[0] += 100;
    p.s(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("Dda", "OTH"));
    assert_eq!(conns[0].missed_bytes(), 0);

    // An ACK carried by a RST: its sender is RESET when the gap is found.
    let mut p = Pair::http();
    p.handshake().c(K::Data(10));
    p.next[1] += 100;
    p.c(K::RstAck);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADR", "RSTO"));
    assert_eq!(conns[0].missed_bytes(), 0);
}

#[test]
fn a_fin_from_an_established_side_still_reports_its_gap() {
    // CLOSED after ESTABLISHED is clean: an ACK on the client's FIN
    // reveals the server data it skipped.
    let mut p = Pair::http();
    p.handshake().c(K::Data(10)).s(K::Ack);
    p.next[1] += 40;
    p.c(K::Fin);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADaFg", "S2"));
    assert_eq!(conns[0].missed_bytes(), 40);
}

#[test]
fn payload_cut_by_the_snap_length_is_missing_once_acknowledged() {
    let mut p = Pair::http();
    p.handshake();
    let (c, s) = (p.ends[0], p.ends[1]);
    p.h.send(
        seg()
            .from(c)
            .to(s)
            .seq(p.next[0])
            .ack(p.next[1])
            .len(1000)
            .truncated(),
    );
    p.next[0] += 1000;
    p.s(K::Ack).c(K::Data(10)).s(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADaG", "S1"));
    assert_eq!(conns[0].missed_bytes(), 1000);
}

#[test]
fn far_beyond_a_hole_without_any_ack_zeek_stops_reassembling_that_side() {
    // A client-only capture that missed one segment: 16 KiB and more wait
    // beyond the hole while nothing of the client's was acknowledged.
    let (c, s) = (ep(1, 40000), ep(2, 80));
    let mut p = Pair::new(c, s);
    p.c(K::Syn).s(K::SynAck);
    let isn = p.next[0];
    p.h.send(
        seg()
            .from(c)
            .to(s)
            .seq(isn + 100)
            .ack(p.next[1])
            .len(16_300),
    );
    p.h.send(
        seg()
            .from(c)
            .to(s)
            .seq(isn + 16_400)
            .ack(p.next[1])
            .len(100),
    );
    // The server finally acknowledges everything: no gap is reported.
    p.next[0] = isn + 16_500;
    p.s(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShDa", "S1"));
    assert_eq!(conns[0].missed_bytes(), 0);

    // Below the limit the same hole is a gap.
    let mut p = Pair::new(c, s);
    p.c(K::Syn).s(K::SynAck);
    let isn = p.next[0];
    p.h.send(seg().from(c).to(s).seq(isn + 100).ack(p.next[1]).len(1000));
    p.next[0] = isn + 1100;
    p.s(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShDaG", "S1"));
    assert_eq!(conns[0].missed_bytes(), 100);
}

#[test]
fn too_many_separate_holes_give_the_direction_up_instead_of_growing() {
    let mut p = Pair::http();
    p.handshake().c(K::Data(10)).s(K::Ack);
    let (c, s) = (p.ends[0], p.ends[1]);
    let base = p.next[0];
    // One-octet segments with one-octet holes between them.
    for k in 0..4200 {
        p.h.send(
            seg()
                .from(c)
                .to(s)
                .seq(base + 1 + 2 * k)
                .ack(p.next[1])
                .len(1),
        );
    }
    p.next[0] = base + 2 * 4200;
    p.s(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADa", "S1"));
    assert_eq!(conns[0].missed_bytes(), 0);

    // Fewer holes: every one is a gap.
    let mut p = Pair::http();
    p.handshake().c(K::Data(10)).s(K::Ack);
    let base = p.next[0];
    for k in 0..100 {
        p.h.send(
            seg()
                .from(c)
                .to(s)
                .seq(base + 1 + 2 * k)
                .ack(p.next[1])
                .len(1),
        );
    }
    p.next[0] = base + 2 * 100;
    p.s(K::Ack);
    let conns = p.finish();
    assert_eq!(one(&conns), hs("ShADaGGG", "S1"), "gaps 1, 10 and 100");
    assert_eq!(conns[0].missed_bytes(), 100);
}

/// The rules of §12.1–12.2 on a byte map, for the property test below: the
/// octets seen beyond the delivered point, and at each acknowledgement
/// beyond it, every maximal run of unseen octets below it is one gap.
struct Oracle {
    have: Vec<bool>,
    point: usize,
    gaps: u32,
    missed: u64,
}

impl Oracle {
    fn advance(&mut self) {
        while self.have.get(self.point).copied().unwrap_or(false) {
            self.point += 1;
        }
    }

    fn data(&mut self, lo: usize, hi: usize) {
        for x in lo.max(self.point)..hi {
            self.have[x] = true;
        }
        self.advance();
    }

    fn ack(&mut self, up_to: usize) {
        let mut in_hole = false;
        for x in self.point..up_to.max(self.point) {
            if self.have[x] {
                in_hole = false;
            } else {
                if !in_hole {
                    self.gaps += 1;
                }
                in_hole = true;
                self.missed += 1;
            }
        }
        self.point = self.point.max(up_to);
        self.advance();
    }
}

#[test]
fn random_loss_reordering_and_duplication_give_the_gaps_of_a_byte_map() {
    use crate::test_rng::Rng;
    let mut rng = Rng(0x9a95_5eed);
    let (mut with_gaps, mut with_waiting) = (0, 0);
    for round in 0..200 {
        let mut p = Pair::http();
        // Some data acknowledged in order first, so that Zeek's one-sided
        // capture rule (§12.3) stays out of the way.
        p.handshake().c(K::Data(10)).s(K::Ack);
        let (c, s) = (p.ends[0], p.ends[1]);
        let base = p.next[0];
        let len = 2_000 + rng.below(30_000) as usize;
        // Cut the stream into segments, then lose, repeat and swap some.
        let mut segs = Vec::new();
        let mut at = 0;
        while at < len {
            let n = (1 + rng.below(1_460) as usize).min(len - at);
            segs.push((at, at + n));
            at += n;
        }
        let mut sent = Vec::new();
        for &sg in &segs {
            match rng.below(10) {
                0 => {}
                1 => sent.extend([sg, sg]),
                _ => sent.push(sg),
            }
        }
        for k in 1..sent.len() {
            if rng.below(5) == 0 {
                sent.swap(k - 1, k);
            }
        }
        let mut oracle = Oracle {
            have: vec![false; len],
            point: 0,
            gaps: 0,
            missed: 0,
        };
        let mut highest = 0;
        with_waiting += usize::from(sent.windows(2).any(|w| w[1].0 > w[0].1));
        for &(lo, hi) in &sent {
            p.h.send(
                seg()
                    .from(c)
                    .to(s)
                    .seq(base + lo as u32)
                    .ack(p.next[1])
                    .len((hi - lo) as u32),
            );
            oracle.data(lo, hi);
            highest = highest.max(hi);
            if rng.below(4) == 0 {
                // The receiver acknowledges up to some point already sent.
                let a = highest - rng.below(highest as u64 / 2 + 1) as usize;
                p.h.send(seg().from(s).to(c).seq(p.next[1]).ack(base + a as u32));
                oracle.ack(a);
            }
        }
        p.h.send(seg().from(s).to(c).seq(p.next[1]).ack(base + len as u32));
        oracle.ack(len);
        let conns = p.finish();
        assert_eq!(conns.len(), 1);
        let c0 = &conns[0];
        assert_eq!(c0.missed_bytes(), oracle.missed, "round {round}");
        // `G` on the 1st, 10th, 100th, … gap of the client.
        let letters = (0..10).filter(|e| oracle.gaps >= 10u32.pow(*e)).count();
        let got = c0.history().matches('G').count();
        assert_eq!(got, letters, "round {round}: {} gaps", oracle.gaps);
        with_gaps += usize::from(oracle.gaps > 1);
    }
    // The rounds exercise holes that fill and holes that do not.
    assert!(
        with_gaps > 50 && with_waiting > 100,
        "{with_gaps} {with_waiting}"
    );
}
