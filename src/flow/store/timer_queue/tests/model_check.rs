use super::super::*;
use crate::test_rng::Rng;
use std::collections::{BTreeSet, HashMap};

// Used as the flow table uses it: real deadlines in a map, the queue fed
// with `set` and `set_lazy`, a firing loop that re-keys stale tops
// (`FlowTable::fire_due`); every firing is compared with a sorted set of
// the real deadlines, under a clock that jumps back and forth by hours
// and deadlines over the whole i64 range. A second pair of eyes wrote it.
fn run(seed: u64, steps: usize, slots: u64) {
    let mut r = Rng(seed | 1);
    let mut q = TimerQueue::default();
    let mut real: HashMap<u32, i64> = HashMap::new();
    let mut model: BTreeSet<(i64, u32)> = BTreeSet::new();
    let mut now: i64 = match r.below(4) {
        0 => 0,
        1 => -5_000_000_000_000,
        2 => i64::MAX / 2,
        _ => 1_700_000_000_000_000_000,
    };
    let set_real =
        |real: &mut HashMap<u32, i64>, model: &mut BTreeSet<(i64, u32)>, s: u32, d: i64| {
            if let Some(o) = real.insert(s, d) {
                model.remove(&(o, s));
            }
            if d != NEVER {
                model.insert((d, s));
            }
        };
    for step in 0..steps {
        // clock moves
        now = match r.below(20) {
            0 => now - r.below(10_000_000_000) as i64, // backwards up to 10 s
            1 => now + r.below(3 * 3600) as i64 * 1_000_000_000, // hours
            2 => now,
            3 => now - r.below(3600) as i64 * 1_000_000_000,
            _ => now + r.below(50_000_000) as i64,
        };
        let s = r.below(slots) as u32;
        let d = match r.below(12) {
            0 => NEVER,
            1 => now - r.below(1000) as i64 * 1_000_000_000,
            2 => now + r.below(7200) as i64 * 1_000_000_000,
            3 => i64::MAX - 1 - r.below(3) as i64,
            4 => i64::MIN + r.below(1 << 30) as i64,
            5 => -(r.below(1 << 40) as i64),
            6 => now + 5_000_000_000,
            7 => now + 6_000_000_000,
            8 | 9 => (r.below(16) as i64) << 23,
            _ => now + r.below(9_000_000_000) as i64,
        };
        let old_real = real.get(&s).copied().unwrap_or(NEVER);
        set_real(&mut real, &mut model, s, d);
        match r.below(3) {
            0 => q.set(s, d),
            _ => {
                if old_real == NEVER {
                    q.set(s, d)
                } else {
                    q.set_lazy(s, d)
                }
            }
        }
        // quiet_until <= earliest live real deadline
        let qu = q.quiet_until();
        if let Some(&(d0, _)) = model.first() {
            assert!(qu <= d0, "step {step}: quiet_until {qu} > earliest {d0}");
        }
        if qu > now {
            if let Some(&(d0, _)) = model.first() {
                assert!(d0 > now);
            }
            continue;
        }
        // fire loop like FlowTable::fire_due
        let mut guard = 0;
        loop {
            guard += 1;
            assert!(guard < 1_000_000);
            let got = q.peek_until(now);
            let Some((due, slot)) = got else {
                if let Some(&(d0, s0)) = model.first() {
                    assert!(
                        d0 > now,
                        "step {step}: queue None but model has {:?} <= {now}",
                        (d0, s0)
                    );
                }
                break;
            };
            if due > now {
                if let Some(&(d0, _)) = model.first() {
                    assert!(
                        d0 > now,
                        "step {step}: stopped at {due} but model {d0} <= {now}"
                    );
                }
                break;
            }
            let rd = real.get(&slot).copied().unwrap_or(NEVER);
            assert!(due <= rd, "key ran ahead");
            if rd != due {
                q.set(slot, rd);
                continue;
            }
            let want = model.first().copied();
            assert_eq!(Some((due, slot)), want, "step {step}");
            // fire: new deadline NEVER / same / later
            let nd = match r.below(4) {
                0 => NEVER,
                1 => now + 5_000_000_000,
                2 => due
                    .saturating_add(r.below(1_000_000) as i64 + 1)
                    .min(i64::MAX - 1),
                _ => now + r.below(3600) as i64 * 1_000_000_000,
            };
            set_real(&mut real, &mut model, slot, nd);
            q.set(slot, nd);
        }
    }
}

#[test]
fn fires_like_a_sorted_set_over_many_seeds() {
    for seed in 1..300u64 {
        run(
            seed * 0x9E37_79B9,
            5_000,
            if seed % 3 == 0 { 8 } else { 600 },
        );
    }
}
