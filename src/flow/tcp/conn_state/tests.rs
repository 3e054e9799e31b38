use super::*;
use EndpointState as E;

fn st(os: E, rs: E, h: &str) -> ConnState {
    ConnState::of(os, rs, 1, 1, h.as_bytes())
}

#[test]
fn rstos0_regex_is_anchored_and_blocks_originator_letters() {
    assert!(rstos0_history(b"SR"));
    assert!(rstos0_history(b"SaR"));
    assert!(rstos0_history(b"^SdtWR"));
    assert!(!rstos0_history(b"SaFR"));
    assert!(!rstos0_history(b"R"));
    assert!(!rstos0_history(b"DSR"));
    assert!(!rstos0_history(b"S"));
}

#[test]
fn responder_reset_rules() {
    assert_eq!(st(E::SynSent, E::Reset, "Sr"), ConnState::REJ);
    assert_eq!(st(E::SynAckSent, E::Reset, "Hr"), ConnState::REJ);
    assert_eq!(
        ConnState::of(E::Reset, E::Reset, 0, 0, b"SrR"),
        ConnState::REJ
    );
    assert_eq!(st(E::Reset, E::Reset, "ShADadRr"), ConnState::RSTR);
    assert_eq!(st(E::Partial, E::Reset, "Dr"), ConnState::RSTRH);
    assert_eq!(st(E::Inactive, E::Reset, "^r"), ConnState::RSTRH);
    assert_eq!(st(E::Closed, E::Reset, "ShADadFr"), ConnState::RSTR);
}

#[test]
fn originator_reset_rules() {
    assert_eq!(st(E::Reset, E::Inactive, "SR"), ConnState::RSTOS0);
    assert_eq!(st(E::Reset, E::Inactive, "SaFR"), ConnState::OTH);
    assert_eq!(st(E::Reset, E::Inactive, "R"), ConnState::OTH);
    assert_eq!(st(E::Reset, E::Established, "ShR"), ConnState::RSTO);
}

#[test]
fn fin_and_open_rules() {
    assert_eq!(st(E::Closed, E::Closed, "DaFfA"), ConnState::SF);
    assert_eq!(st(E::Closed, E::Inactive, "SADF"), ConnState::SH);
    assert_eq!(st(E::Closed, E::Partial, "Fa"), ConnState::SH);
    assert_eq!(st(E::Closed, E::Established, "ShADadF"), ConnState::S2);
    assert_eq!(st(E::Partial, E::Closed, "^fA"), ConnState::SHR);
    assert_eq!(st(E::Established, E::Closed, "ShADadf"), ConnState::S3);
    assert_eq!(st(E::SynSent, E::Inactive, "S"), ConnState::S0);
    assert_eq!(st(E::SynSent, E::Partial, "Sd"), ConnState::OTH);
    assert_eq!(st(E::Established, E::Established, "ShADad"), ConnState::S1);
    assert_eq!(st(E::Partial, E::Partial, "Dd"), ConnState::OTH);
    assert_eq!(st(E::SynAckSent, E::Inactive, "H"), ConnState::OTH);
}

#[test]
fn names_round_trip() {
    for c in ALL {
        assert_eq!(ConnState::parse(c.name()), Some(c));
    }
    assert_eq!(ConnState::parse("XX"), None);
}
