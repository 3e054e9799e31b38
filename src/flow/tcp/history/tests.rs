use super::*;

#[test]
fn letter_case_follows_role() {
    assert_eq!(Letter::SynAck.for_role(true), b'H');
    assert_eq!(Letter::SynAck.for_role(false), b'h');
    assert_eq!(Letter::BadChecksum.for_role(false), b'c');
}

#[test]
fn once_mask_separates_directions_and_shares_syn_bit() {
    let mut m = OnceMask::default();
    assert!(m.first(Letter::Syn, true));
    assert!(!m.first(Letter::SynAck, true), "S and H share one bit");
    assert!(
        m.first(Letter::SynAck, false),
        "responder bits are separate"
    );
    assert!(m.first(Letter::Data, true));
    assert!(!m.first(Letter::Data, true));
}

#[test]
fn scaled_letters_on_powers_of_ten() {
    let mut s = Scaled::default();
    let mut due = Vec::new();
    for _ in 0..1000 {
        if s.bump() {
            due.push(s.count());
        }
    }
    assert_eq!(due, vec![1, 10, 100, 1000]);
}

#[test]
fn history_spills_to_heap_and_keeps_order() {
    let mut h = History::default();
    assert!(h.is_empty());
    for i in 0..40u8 {
        h.push(b'A' + (i % 26));
    }
    assert_eq!(h.as_bytes().len(), 40);
    assert_eq!(&h.as_str()[..3], "ABC");
    assert_eq!(&h.as_str()[26..29], "ABC");
    h.replace(b"^h");
    assert_eq!(h.as_str(), "^h");
}

#[test]
fn history_is_16_bytes() {
    assert_eq!(std::mem::size_of::<History>(), 16);
}

#[test]
fn history_keeps_fifteen_letters_inline_then_spills() {
    let mut h = History::default();
    for _ in 0..INLINE {
        h.push(b'A');
    }
    assert!(matches!(h.0, Repr::Inline { .. }));
    h.push(b'B');
    assert!(matches!(h.0, Repr::Spilled(_)));
    assert_eq!(h.as_str(), "AAAAAAAAAAAAAAAB");
}
