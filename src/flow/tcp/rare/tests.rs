use super::*;

fn spans(w: &Waiting) -> Vec<(u32, u32)> {
    w.spans.clone()
}

#[test]
fn insert_keeps_ranges_sorted_and_merges_overlaps_and_neighbours() {
    let mut w = Waiting::default();
    w.insert(100, 200);
    w.insert(300, 400);
    assert_eq!(spans(&w), [(100, 200), (300, 400)]);
    w.insert(10, 20);
    assert_eq!(spans(&w), [(10, 20), (100, 200), (300, 400)]);
    // Adjacent on both sides: one range.
    w.insert(200, 300);
    assert_eq!(spans(&w), [(10, 20), (100, 400)]);
    // Overlapping the start of one and covering another.
    w.insert(5, 150);
    assert_eq!(spans(&w), [(5, 400)]);
    // Inside an existing range: nothing changes.
    w.insert(50, 60);
    assert_eq!(spans(&w), [(5, 400)]);
}

#[test]
fn absorb_delivers_ranges_at_or_below_the_point() {
    let mut w = Waiting::default();
    w.insert(100, 200);
    w.insert(300, 400);
    assert_eq!(w.absorb(50), 50, "a hole before the first range");
    assert_eq!(spans(&w).len(), 2);
    assert_eq!(w.absorb(100), 200);
    assert_eq!(spans(&w), [(300, 400)]);
    assert_eq!(w.absorb(350), 400, "a point inside a range");
    assert!(w.spans.is_empty());
    assert_eq!(w.top(), None);
}

#[test]
fn ranges_across_the_32_bit_wrap_stay_ordered() {
    let mut w = Waiting::default();
    let base = u32::MAX - 50;
    w.insert(base.wrapping_add(100), base.wrapping_add(120));
    w.insert(base, base.wrapping_add(10));
    assert_eq!(
        spans(&w),
        [
            (base, base.wrapping_add(10)),
            (base.wrapping_add(100), base.wrapping_add(120))
        ]
    );
    assert_eq!(w.absorb(base.wrapping_sub(1)), base.wrapping_sub(1));
    assert_eq!(w.absorb(base), base.wrapping_add(10));
    assert_eq!(diff(base.wrapping_add(10), base), 10);
}
