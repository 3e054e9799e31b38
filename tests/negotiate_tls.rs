//! `lab negotiate --tls`: the ALPN decision read from the capture of a real
//! curl or openssl s_client handshake with the teaching server, and tshark
//! (with the key log the lab kept beside the capture) as the oracle for
//! where each side's word is: the offer in the ClientHello, the choice in
//! the ServerHello (TLS 1.2) or EncryptedExtensions (TLS 1.3), or alert 120.
//!
//! Needs root (capture, a network namespace), curl, openssl and tshark
//! (scripts/setup): without them these tests fail, they never skip.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use wirelab::app::negotiation::{AlpnAnswer, AlpnSeenIn, Negotiation};
use wirelab::labs::negotiate::{self, NegotiateRun, document, render};
use wirelab::labs::reset::tls::{TlsLab, keylog_beside};
use wirelab::labs::reset::{self, ClientKind, Conflict, ResetOptions};
use wirelab::server::{Alpn, Http2, ReadMode, TlsVersions};

struct Kept {
    _dir: tempfile::TempDir,
    pcap: PathBuf,
    n: NegotiateRun,
}

fn negotiate(client: ClientKind, lab: TlsLab) -> Kept {
    let dir = tempfile::tempdir().expect("temp dir");
    let pcap = dir.path().join("alpn.pcap");
    let opts = ResetOptions {
        client,
        mode: ReadMode::Drain,
        save_pcap: Some(pcap.clone()),
        tls: Some(lab),
        ..ResetOptions::default()
    };
    let n = negotiate::run(&opts).unwrap_or_else(|e| panic!("needs root, curl, openssl: {e}"));
    Kept { _dir: dir, pcap, n }
}

fn offer(list: &[&str]) -> Vec<String> {
    list.iter().map(|p| p.to_string()).collect()
}

/// tshark's `field` over the packets `filter` selects, decrypting with the
/// key log kept beside the capture.
#[track_caller]
fn tshark(pcap: &Path, filter: &str, field: &str) -> Vec<String> {
    let keylog = keylog_beside(pcap);
    let port = raw(
        pcap,
        &[
            "-Y",
            "tcp.flags.syn==1 && tcp.flags.ack==0",
            "-T",
            "fields",
            "-e",
            "tcp.dstport",
        ],
    );
    let port = port.first().expect("a SYN in the capture");
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-d", &format!("tcp.port=={port},tls")])
        .args(["-o", &format!("tls.keylog_file:{}", keylog.display())])
        .args(["-Y", filter, "-T", "fields", "-e", field])
        .output()
        .unwrap_or_else(|e| panic!("tshark is required by this test ({e}): run scripts/setup"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[track_caller]
fn raw(pcap: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("tshark is required by this test ({e}): run scripts/setup"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn curl_over_tls13_gets_h2_and_the_choice_is_read_from_encrypted_extensions() {
    let k = negotiate(
        ClientKind::Curl,
        TlsLab {
            offer: offer(&["h2", "http/1.1"]),
            ..TlsLab::default()
        },
    );
    let Some(Negotiation::Alpn(a)) = &k.n.negotiation else {
        panic!("{:?}", k.n.negotiation)
    };
    assert_eq!(a.offered, Some(offer(&["h2", "http/1.1"])));
    assert_eq!(
        a.answer,
        AlpnAnswer::Chosen {
            protocol: "h2".into(),
            seen_in: AlpnSeenIn::EncryptedExtensions,
        }
    );
    assert_eq!(k.n.run.client.status, 200);
    // tshark: the offer in the ClientHello (type 1), the choice only in the
    // decrypted EncryptedExtensions (type 8), none in the ServerHello.
    assert_eq!(
        tshark(
            &k.pcap,
            "tls.handshake.type==1",
            "tls.handshake.extensions_alpn_str"
        ),
        vec!["h2,http/1.1"]
    );
    assert_eq!(
        tshark(
            &k.pcap,
            "tls.handshake.type==8",
            "tls.handshake.extensions_alpn_str"
        ),
        vec!["h2"]
    );
    // Without the key log tshark sees no choice from the server at all.
    let port = &raw(
        &k.pcap,
        &[
            "-Y",
            "tcp.flags.syn==1 && tcp.flags.ack==0",
            "-T",
            "fields",
            "-e",
            "tcp.dstport",
        ],
    )[0];
    let clear = raw(
        &k.pcap,
        &[
            "-d",
            &format!("tcp.port=={port},tls"),
            "-Y",
            &format!("tcp.srcport=={port} && tls.handshake.extensions_alpn_str"),
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
    );
    assert!(clear.is_empty(), "{clear:?}");
    // The frames the report names are tshark's.
    let hello = tshark(&k.pcap, "tls.handshake.type==1", "frame.number");
    assert_eq!(
        k.n.frames.client_hello.map(|f| f.to_string()),
        hello.first().cloned()
    );
    let text = render::text(&k.n);
    assert!(text.contains("the server chose h2"), "{text}");
    assert!(text.contains("EncryptedExtensions"), "{text}");
    let doc = document::json(&k.n);
    assert_eq!(doc["negotiation"]["path"], "alpn");
    assert_eq!(
        doc["negotiation"]["answer"]["seen_in"],
        "EncryptedExtensions"
    );
}

#[test]
fn tls12_puts_the_choice_in_the_clear_and_the_servers_order_wins() {
    let k = negotiate(
        ClientKind::Openssl,
        TlsLab {
            versions: TlsVersions::Tls12,
            alpn: vec![Alpn::Http11, Alpn::H2],
            offer: offer(&["h2", "http/1.1"]),
            ..TlsLab::default()
        },
    );
    let Some(Negotiation::Alpn(a)) = &k.n.negotiation else {
        panic!("{:?}", k.n.negotiation)
    };
    // RFC 7301 §3.2: the server picks by its own preference.
    assert_eq!(
        a.answer,
        AlpnAnswer::Chosen {
            protocol: "http/1.1".into(),
            seen_in: AlpnSeenIn::ServerHello,
        }
    );
    assert_eq!(
        tshark(
            &k.pcap,
            "tls.handshake.type==2",
            "tls.handshake.extensions_alpn_str"
        ),
        vec!["http/1.1"]
    );
    let c = k.n.run.client.tls.as_ref().expect("s_client's words");
    assert_eq!(c.alpn.as_deref(), Some("http/1.1"));
    assert!(render::text(&k.n).contains("in the clear (TLS 1.2)"));
}

#[test]
fn no_overlap_is_refused_with_alert_120_as_rfc_7301_says() {
    let k = negotiate(
        ClientKind::Openssl,
        TlsLab {
            alpn: vec![Alpn::Http11],
            offer: offer(&["h2"]),
            ..TlsLab::default()
        },
    );
    let Some(Negotiation::Alpn(a)) = &k.n.negotiation else {
        panic!("{:?}", k.n.negotiation)
    };
    assert_eq!(a.answer, AlpnAnswer::Refused);
    assert_eq!(
        tshark(&k.pcap, "tls.alert_message", "tls.alert_message.desc"),
        vec!["120"]
    );
    let alert = tshark(&k.pcap, "tls.alert_message", "frame.number");
    assert_eq!(
        k.n.frames.server_hello.map(|f| f.to_string()),
        alert.first().cloned()
    );
    let c = k.n.run.client.tls.as_ref().expect("s_client's words");
    assert!(
        c.failure
            .as_deref()
            .is_some_and(|f| f.contains("no application protocol")),
        "{c:?}"
    );
    let text = render::text(&k.n);
    assert!(text.contains("no_application_protocol (120)"), "{text}");
}

#[test]
fn clients_that_cannot_make_an_offer_are_refused_before_running() {
    let opts = |client, list: &[&str]| ResetOptions {
        client,
        tls: Some(TlsLab {
            offer: offer(list),
            ..TlsLab::default()
        }),
        server_http2: Http2::Both,
        ..ResetOptions::default()
    };
    let refused = |o: ResetOptions| match negotiate::run(&o) {
        Err(reset::Error::Options(c)) => c,
        other => panic!("{:?}", other.map(|n| n.negotiation)),
    };
    assert_eq!(
        refused(opts(ClientKind::Own, &["h2", "http/1.1"])),
        Conflict::OwnTlsOffersH2
    );
    assert_eq!(
        refused(opts(ClientKind::Curl, &["h2"])),
        Conflict::CurlAlpnOffer
    );
}
