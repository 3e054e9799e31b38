//! Reassembly from hand-made segment orders, then property tests: a known
//! byte stream cut at random, shuffled, duplicated and thinned comes out
//! equal to the original except exactly where no copy survived.

use proptest::prelude::*;

use super::*;

/// Everything a reassembler handed on, flattened: `Some(byte)` for data,
/// `None` for each missing byte, in offset order; and the pieces' count.
#[derive(Default)]
struct Out {
    bytes: Vec<Option<u8>>,
    pieces: usize,
}

impl Out {
    fn sink(&mut self) -> impl FnMut(Piece<'_>) + '_ {
        |p| {
            self.pieces += 1;
            match p {
                Piece::Data { offset, bytes } => {
                    assert_eq!(offset as usize, self.bytes.len(), "pieces in order");
                    self.bytes.extend(bytes.iter().map(|&b| Some(b)));
                }
                Piece::Gap { offset, len } => {
                    assert_eq!(offset as usize, self.bytes.len(), "gaps in order");
                    self.bytes.extend(std::iter::repeat_n(None, len as usize));
                }
            }
        }
    }

    fn text(&self) -> String {
        self.bytes
            .iter()
            .map(|b| b.map_or('_', char::from))
            .collect()
    }
}

#[test]
fn in_order_segments_pass_straight_through() {
    let mut r = Reassembler::new(1000, DEFAULT_WINDOW);
    let mut out = Out::default();
    r.segment(1000, b"GET / ", &mut out.sink());
    r.segment(1006, b"HTTP/1.1\r\n", &mut out.sink());
    assert_eq!(out.text(), "GET / HTTP/1.1\r\n");
    assert_eq!(out.pieces, 2);
    assert_eq!(r.waiting_bytes(), 0);
}

#[test]
fn out_of_order_waits_then_comes_out_in_order() {
    let mut r = Reassembler::new(1, DEFAULT_WINDOW);
    let mut out = Out::default();
    r.segment(7, b"world", &mut out.sink());
    assert_eq!(out.text(), "");
    assert_eq!(r.waiting_bytes(), 5);
    r.segment(1, b"hello ", &mut out.sink());
    assert_eq!(out.text(), "hello world");
    assert_eq!(r.waiting_bytes(), 0);
}

#[test]
fn the_first_copy_wins_and_a_different_second_copy_is_counted() {
    let mut r = Reassembler::new(1, DEFAULT_WINDOW);
    let mut out = Out::default();
    r.segment(4, b"def", &mut out.sink());
    r.segment(3, b"XYZW", &mut out.sink()); // overlaps "def" with "YZW"
    r.segment(1, b"ab", &mut out.sink());
    assert_eq!(out.text(), "abXdef");
    let c = r.counts();
    assert_eq!(c.duplicate_bytes, 3);
    assert_eq!(c.inconsistent_bytes, 3);
    // A retransmission of delivered bytes is a duplicate too.
    r.segment(1, b"abXdefg", &mut out.sink());
    assert_eq!(out.text(), "abXdefg");
    assert_eq!(r.counts().duplicate_bytes, 9);
}

#[test]
fn a_segment_spanning_several_waiting_ones_fills_only_the_holes() {
    let mut r = Reassembler::new(0, DEFAULT_WINDOW);
    let mut out = Out::default();
    r.segment(2, b"cd", &mut out.sink());
    r.segment(6, b"gh", &mut out.sink());
    r.segment(1, b"BCDEFGHI", &mut out.sink());
    assert_eq!(r.waiting_bytes(), 8);
    r.segment(0, b"a", &mut out.sink());
    assert_eq!(out.text(), "aBcdEFghI");
}

#[test]
fn an_acknowledgement_past_a_hole_makes_it_a_gap() {
    let mut r = Reassembler::new(100, DEFAULT_WINDOW);
    let mut out = Out::default();
    r.segment(100, b"abc", &mut out.sink());
    r.segment(106, b"ghi", &mut out.sink());
    // The peer acknowledges 106: bytes 103..106 reached it, not the capture.
    r.acknowledged(106, &mut out.sink());
    assert_eq!(out.text(), "abc___ghi");
    assert_eq!((r.counts().gaps, r.counts().gap_bytes), (1, 3));
    // An acknowledgement past everything seen: the tail is missing too.
    r.acknowledged(111, &mut out.sink());
    assert_eq!(out.text(), "abc___ghi__");
    // An old acknowledgement changes nothing.
    r.acknowledged(101, &mut out.sink());
    assert_eq!(r.next_offset(), 11);
}

#[test]
fn finishing_declares_the_holes_and_delivers_what_waited() {
    let mut r = Reassembler::new(0, DEFAULT_WINDOW);
    let mut out = Out::default();
    r.segment(3, b"d", &mut out.sink());
    r.segment(6, b"gh", &mut out.sink());
    r.finish(&mut out.sink());
    assert_eq!(out.text(), "___d__gh");
    assert_eq!(r.counts().gaps, 2);
}

#[test]
fn more_than_the_window_out_of_order_stops_the_direction() {
    let mut r = Reassembler::new(0, 10);
    let mut out = Out::default();
    r.segment(1, b"0123456789", &mut out.sink());
    assert_eq!(r.stopped(), None);
    r.segment(11, b"x", &mut out.sink());
    assert_eq!(r.stopped(), Some(Stopped::WindowOverflow));
    assert_eq!(r.waiting_bytes(), 0, "nothing is held once stopped");
    r.segment(0, b"a", &mut out.sink());
    r.finish(&mut out.sink());
    assert_eq!(out.text(), "");
}

#[test]
fn sequence_numbers_wrap_around() {
    let mut r = Reassembler::new(u32::MAX - 2, DEFAULT_WINDOW);
    let mut out = Out::default();
    r.segment(0, b"def", &mut out.sink()); // after the wrap
    r.segment(u32::MAX - 2, b"abc", &mut out.sink());
    assert_eq!(out.text(), "abcdef");
}

#[test]
fn bytes_before_the_first_are_dropped() {
    let mut r = Reassembler::new(10, DEFAULT_WINDOW);
    let mut out = Out::default();
    r.segment(7, b"xyzabc", &mut out.sink());
    assert_eq!(out.text(), "abc");
}

/// A stream of `len` bytes cut into segments, each kept or lost, some sent
/// twice, all shuffled.
fn scenario() -> impl Strategy<Value = (Vec<u8>, Vec<(usize, usize)>, u32)> {
    (1usize..400, any::<u32>()).prop_flat_map(|(len, base)| {
        let stream = proptest::collection::vec(any::<u8>(), len);
        // Segments: random starts and lengths (overlaps happen), each 1..40.
        let segs = proptest::collection::vec((0..len, 1usize..40), 1..60).prop_map(move |v| {
            v.into_iter()
                .map(|(s, l)| (s, (s + l).min(len)))
                .collect::<Vec<_>>()
        });
        (stream, segs, Just(base))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn the_stream_comes_back_except_where_no_copy_survived(
        (stream, segs, base) in scenario(),
        order in any::<u64>(),
    ) {
        // Shuffle deterministically from `order`.
        let mut segs = segs;
        let mut x = order | 1;
        for i in (1..segs.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            segs.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut r = Reassembler::new(base, usize::MAX);
        let mut out = Out::default();
        for &(s, e) in &segs {
            r.segment(base.wrapping_add(s as u32), &stream[s..e], &mut out.sink());
        }
        r.finish(&mut out.sink());
        let end = segs.iter().map(|&(_, e)| e).max().unwrap();
        prop_assert_eq!(out.bytes.len(), end);
        for (i, got) in out.bytes.iter().enumerate() {
            let covered = segs.iter().any(|&(s, e)| s <= i && i < e);
            match got {
                Some(b) => {
                    prop_assert!(covered);
                    prop_assert_eq!(*b, stream[i]);
                }
                None => prop_assert!(!covered, "byte {} was seen but reported missing", i),
            }
        }
        prop_assert_eq!(r.counts().inconsistent_bytes, 0);
        prop_assert_eq!(r.waiting_bytes(), 0);
    }
}
