use super::*;

#[test]
fn renumbered_link_types_get_the_platforms_dlt() {
    // LINKTYPE_RAW is DLT_RAW: 12 on Linux and most platforms, 14 on
    // OpenBSD (libpcap's dlt.h).
    let raw = dlt_of(101).expect("RAW has a DLT");
    assert!(raw == 12 || raw == 14, "{raw}");
    // LINKTYPE_ATM_RFC1483 (100) is DLT 11 everywhere.
    assert_eq!(dlt_of(100), Some(11));
    // The matching ranges pass through: Ethernet, SLL2.
    assert_eq!(dlt_of(1), Some(1));
    assert_eq!(dlt_of(276), Some(276));
    // And libpcap compiles for what it is given.
    let compiled = pcap::Capture::dead(pcap::Linktype(raw)).and_then(|d| d.compile("tcp", true));
    assert!(compiled.is_ok());
    assert!(
        pcap::Capture::dead(pcap::Linktype(101))
            .and_then(|d| d.compile("tcp", true))
            .is_err()
    );
}
