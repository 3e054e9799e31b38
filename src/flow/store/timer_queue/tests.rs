// The queue against a model of it, on random operations.
mod model_check;

use super::*;

const SEC: i64 = 1_000_000_000;

#[test]
fn queue_orders_by_deadline_and_supports_updates() {
    let mut q = TimerQueue::default();
    q.set(3, 30);
    q.set(1, 10);
    q.set(2, 20);
    assert_eq!(q.peek(), Some((10, 1)));
    q.set(1, 40);
    assert_eq!(q.peek(), Some((20, 2)));
    q.set(2, NEVER);
    assert_eq!(q.peek(), Some((30, 3)));
    q.set(3, 5);
    assert_eq!(q.peek(), Some((5, 3)));
    assert_eq!(q.len(), 2);
}

/// A pseudo-random walk of deadlines around a moving clock, from far in
/// the past to hours ahead, so entries go through `near`, every part of
/// the ring, and `far`.
fn walk(seed: u64, steps: usize, mut each: impl FnMut(usize, u32, i64)) {
    let mut x = seed;
    for step in 0..steps {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let slot = ((x >> 33) % 700) as u32;
        let clock = step as i64 * 3_000_000;
        let due = match (x >> 20) % 10 {
            0 => NEVER,
            1 => clock - ((x >> 40) % 1000) as i64 * SEC,
            2 => clock + ((x >> 40) % 7200) as i64 * SEC,
            3 => ((x >> 40) % 1000) as i64,
            _ => clock + ((x >> 40) % 9_000) as i64 * 1_000_000,
        };
        each(step, slot, due);
    }
}

#[test]
fn queue_random_operations_match_a_sorted_model() {
    let mut q = TimerQueue::default();
    let mut model = std::collections::BTreeMap::new();
    walk(12345, 30_000, |step, slot, due| {
        q.set(slot, due);
        if due == NEVER {
            model.remove(&slot);
        } else {
            model.insert(slot, due);
        }
        let want = model.iter().map(|(s, d)| (*d, *s)).min();
        assert_eq!(q.peek(), want, "step {step}");
        assert_eq!(q.len(), model.len());
    });
}

#[test]
fn firing_up_to_a_moving_clock_matches_a_sorted_model() {
    // What the flow table does: before each packet, take every entry
    // due by the packet's time, in order, and give each a new deadline.
    let mut q = TimerQueue::default();
    let mut model = std::collections::BTreeSet::new();
    let mut key = std::collections::HashMap::new();
    walk(4242, 30_000, |step, slot, due| {
        let now = step as i64 * 3_000_000;
        if let Some(old) = key.insert(slot, due) {
            model.remove(&(old, slot));
        }
        if due != NEVER {
            model.insert((due, slot));
        }
        q.set(slot, due);
        loop {
            let want = model.first().copied().filter(|&(d, _)| d <= now);
            let got = q.peek_until(now).filter(|&(d, _)| d <= now);
            assert_eq!(got, want, "step {step}");
            let Some((d, s)) = got else { break };
            model.remove(&(d, s));
            let next = if s % 3 == 0 { NEVER } else { now + 5 * SEC };
            key.insert(s, next);
            if next != NEVER {
                model.insert((next, s));
            }
            q.set(s, next);
        }
    });
}

#[test]
fn lazy_queue_rechecked_at_the_top_matches_the_exact_one() {
    let (mut exact, mut lazy) = (TimerQueue::default(), TimerQueue::default());
    let mut real = std::collections::HashMap::new();
    let mut x: u64 = 777;
    for step in 0..40_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let slot = ((x >> 33) % 500) as u32;
        let due = if (x >> 20).is_multiple_of(7) {
            NEVER
        } else {
            ((x >> 40) % 300) as i64 * 1_000_000 + step * 60_000
        };
        exact.set(slot, due);
        lazy.set_lazy(slot, due);
        real.insert(slot, due);
        // What the flow table does before firing: re-key a stale top.
        while let Some((key, s)) = lazy.peek() {
            let d = real[&s];
            if key == d {
                break;
            }
            assert!(key < d, "a key ran ahead of its deadline");
            lazy.set(s, d);
        }
        assert_eq!(lazy.peek(), exact.peek(), "step {step}");
    }
}

#[test]
fn queue_drains_in_deadline_then_slot_order() {
    let mut q = TimerQueue::default();
    let mut want = Vec::new();
    let mut x: u64 = 99;
    for slot in 0..3000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Many ties: 500 distinct deadlines 10 ms apart.
        let due = (x % 500) as i64 * 10_000_000;
        q.set(slot, due);
        want.push((due, slot));
    }
    // Move a third of them later and a third earlier.
    for slot in (0..3000u32).step_by(3) {
        let (due, _) = want[slot as usize];
        want[slot as usize].0 = due + 2_500_000_000;
        q.set(slot, due + 2_500_000_000);
    }
    for slot in (1..3000u32).step_by(3) {
        let (due, _) = want[slot as usize];
        want[slot as usize].0 = due - 2_500_000_000;
        q.set(slot, due - 2_500_000_000);
    }
    want.sort_unstable();
    let mut got = Vec::new();
    while let Some((due, slot)) = q.peek() {
        got.push((due, slot));
        q.set(slot, NEVER);
    }
    assert_eq!(got, want);
}

#[test]
fn queue_clear_then_reuse_slots() {
    let mut q = TimerQueue::default();
    for slot in 0..100 {
        q.set(slot, i64::from(1000 - slot));
    }
    q.clear();
    assert_eq!((q.peek(), q.len()), (None, 0));
    q.set(7, 70);
    q.set(3, 30);
    q.set(7, 10);
    assert_eq!(q.peek(), Some((10, 7)));
    q.set(7, NEVER);
    assert_eq!(q.peek(), Some((30, 3)));
}

#[test]
fn extreme_deadlines_do_not_overflow() {
    let mut q = TimerQueue::default();
    q.set(1, i64::MAX - 1);
    q.set(2, i64::MIN);
    q.set(3, 0);
    assert_eq!(q.peek(), Some((i64::MIN, 2)));
    q.set(2, NEVER);
    assert_eq!(q.peek(), Some((0, 3)));
    q.set(3, NEVER);
    assert_eq!(q.peek(), Some((i64::MAX - 1, 1)));
}

#[test]
fn sorted_slots_orders_by_id_with_and_without_packing() {
    for lo in [5u64, u64::MAX - 10] {
        let mut q = TimerQueue::default();
        for slot in 0..6 {
            q.set(slot, 100);
        }
        let pairs = [(lo + 4, 0u32), (lo, 3), (lo + 9, 1), (lo + 2, 5)];
        let got: Vec<u32> = q.sorted_slots((lo, lo + 9), pairs.into_iter()).collect();
        assert_eq!(got, [3, 5, 0, 1]);
    }
    let mut q = TimerQueue::default();
    let pairs = [(1u64 << 40, 0u32), (1, 1)];
    let got: Vec<u32> = q.sorted_slots((1, 1 << 40), pairs.into_iter()).collect();
    assert_eq!(got, [1, 0]);
}
