use super::*;

#[test]
fn size_counts_payload_without_syn_and_fin() {
    let mut e = TcpEndpoint::default();
    e.init_seqs(1000, 1000, 1001);
    e.advance_last_seq(1001 + 79);
    e.mark(FIN_SEEN);
    e.advance_last_seq(1001 + 79 + 1);
    assert_eq!(e.size(EndpointState::Established), 79);
}

#[test]
fn size_uses_acknowledged_sequence_when_larger() {
    let mut e = TcpEndpoint::default();
    e.init_seqs(0, 0, 1);
    e.advance_ack_seq(501);
    assert_eq!(e.size(EndpointState::Established), 500);
}

#[test]
fn size_spans_sequence_wrap() {
    let mut e = TcpEndpoint::default();
    let isn = u32::MAX - 9;
    e.init_seqs(isn, isn, isn.wrapping_add(1));
    e.advance_last_seq(isn.wrapping_add(1).wrapping_add(100));
    assert_eq!(e.seq_wraps, 1);
    assert_eq!(e.size(EndpointState::Established), 100);
}

#[test]
fn size_zero_for_aborted_half_open_attempt() {
    let mut e = TcpEndpoint::default();
    e.init_seqs(100, 100, 101);
    e.advance_ack_seq(300);
    e.prev_state = EndpointState::SynSent;
    e.state = EndpointState::Reset;
    assert_eq!(e.size(EndpointState::Inactive), 0);
    assert_eq!(e.size(EndpointState::Established), 199);
}

#[test]
fn relative_sequence_negative_without_wraps_is_underflow() {
    let mut e = TcpEndpoint::default();
    e.init_seqs(1000, 1000, 1001);
    let (rel, under) = e.relative(990, 1001, 0);
    assert!(under);
    assert_eq!(rel, (-10i64) as u64);
    let (rel, under) = e.relative(1011, 1001, 0);
    assert!(!under);
    assert_eq!(rel, 11);
}
