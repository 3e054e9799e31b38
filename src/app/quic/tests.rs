use super::*;

fn endpoint(port: u16) -> Endpoint {
    Endpoint {
        addr: [127, 0, 0, 1].into(),
        port,
    }
}

#[test]
fn only_an_initial_or_a_full_size_long_header_starts_a_connection() {
    // A v1 Initial (type 0b00, fixed bit set), however short.
    assert!(starts_connection(&[0xc3, 0, 0, 0, 1, 0, 0]));
    // v2's Initial is type 0b01 (RFC 9369 §3.2); its 0b00 is a Retry.
    assert!(starts_connection(&[0xd3, 0x6b, 0x33, 0x43, 0xcf]));
    assert!(!starts_connection(&[0xc3, 0x6b, 0x33, 0x43, 0xcf]));
    // v1 Handshake, a short header, the fixed bit clear: not a start.
    assert!(!starts_connection(&[0xe3, 0, 0, 0, 1]));
    assert!(!starts_connection(&[0x43, 0, 0, 0, 1]));
    assert!(!starts_connection(&[0x83, 0, 0, 0, 1]));
    // Another version only in a datagram of 1200 bytes or more (RFC 9000
    // §14.1); a DNS query with the top bit of its id set is shorter.
    let mut other = vec![0xc0, 0x1a, 0x2a, 0x3a, 0x4a];
    assert!(!starts_connection(&other));
    other.resize(1200, 0);
    assert!(starts_connection(&other));
    // Version Negotiation answers; it never starts.
    let mut vn = vec![0x80, 0, 0, 0, 0];
    vn.resize(1200, 0);
    assert!(!starts_connection(&vn));
}

#[test]
fn datagrams_that_start_nothing_are_left_to_other_decoders() {
    let mut t = QuicTracker::default();
    let dns_like = [0x12, 0x34, 0x01, 0x00, 0x00, 0x01];
    assert!(!t.datagram(1, Timestamp(0), endpoint(5353), endpoint(53), &dns_like));
    // A truncated Initial starts a connection and is its problem.
    assert!(t.datagram(
        2,
        Timestamp(0),
        endpoint(40000),
        endpoint(443),
        &[0xc0, 0, 0, 0, 1, 8]
    ));
    // The answer, either way round, belongs to it.
    assert!(t.datagram(3, Timestamp(1), endpoint(443), endpoint(40000), &[0x40]));
    let r = t.finish(Timestamp(2));
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].client.port, r[0].server.port), (40000, 443));
    assert_eq!(r[0].problems[0].frame, 2);
    assert!(matches!(
        r[0].problems[0].error,
        crate::proto::quic::QuicError::Truncated { .. }
    ));
    assert_eq!(r[0].ending, QuicEnding::UnknownEncrypted);
}

#[test]
fn a_connection_without_an_idle_timeout_is_held_to_the_end() {
    // A truncated Initial: no transport parameters, so no idle timeout
    // says when its endpoints forget it.
    let mut t = QuicTracker::default();
    let initial = [0xc0, 0, 0, 0, 1, 8];
    assert!(t.datagram(1, Timestamp(0), endpoint(40000), endpoint(443), &initial));
    // An hour on, the same pair is still the same connection.
    let hour = Timestamp(3600 * Timestamp::SECOND);
    assert!(t.datagram(2, hour, endpoint(443), endpoint(40000), &[0x40]));
    let r = t.finish(hour);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].datagrams, 2);
}
