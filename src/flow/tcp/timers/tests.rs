use super::*;

#[test]
fn shared_slot_serves_attempt_then_delete() {
    let mut t = Timers::new(0);
    let b = &mut TimerBits::default();
    t.arm_attempt(b, 5 * SEC);
    assert_eq!(t.next_due(*b, 0), 5 * SEC);
    assert_eq!(t.take_due(b, 5 * SEC, 0), Some(Fired::Attempt));
    assert_eq!(
        t.take_due(b, 5 * SEC, 0),
        Some(Fired::Expire { shared: false })
    );
    t.close_completed(b, 9 * SEC);
    assert_eq!(t.take_due(b, 8 * SEC, 0), None);
    assert_eq!(t.take_due(b, 9 * SEC, 0), Some(Fired::Delete));
    assert_eq!(t.take_due(b, 59 * SEC, 0), None);
    assert_eq!(t.take_due(b, 60 * SEC, 0), Some(Fired::Inactivity));
}

#[test]
fn inactivity_follows_last_activity_and_timeout() {
    let mut t = Timers::new(0);
    let b = &mut TimerBits::default();
    t.set_inactivity(b, Inactivity::Established);
    assert_eq!(b.timeout(), Inactivity::Established);
    assert_eq!(
        t.take_due(b, 309 * SEC, 20 * SEC),
        Some(Fired::Expire { shared: false })
    );
    // Last activity at 20 s: due at 320 s, not at 300 s.
    assert_eq!(t.take_due(b, 319 * SEC, 20 * SEC), None);
    assert_eq!(t.take_due(b, 320 * SEC, 20 * SEC), Some(Fired::Inactivity));
}
