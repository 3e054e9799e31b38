use super::*;

#[test]
fn ordering_wraps_around() {
    let near_top = SeqNum(u32::MAX - 10);
    let wrapped = near_top + 20;
    assert_eq!(wrapped, SeqNum(9));
    assert!(near_top < wrapped);
    assert_eq!(wrapped.diff(near_top), 20);
    assert_eq!(near_top.diff(wrapped), -20);
}

#[test]
fn half_the_space_apart_is_unordered() {
    let (a, b) = (SeqNum(5), SeqNum(5) + (1 << 31));
    assert_eq!(a.partial_cmp(&b), None);
    assert!(!a.lt(&b) && !b.lt(&a) && a != b);
}

#[test]
fn ordering_plain() {
    assert!(SeqNum(1) < SeqNum(2));
    assert!(SeqNum(5) > SeqNum(2));
    assert_eq!(SeqNum(7) - 7, SeqNum(0));
}
