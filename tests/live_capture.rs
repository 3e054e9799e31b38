//! Live capture with libpcap on the loopback interface: a real TCP connection
//! is opened on 127.0.0.1 and its SYN must appear with the right ports, in
//! the live frames and in the `--write` copy.
//!
//! These tests need root or CAP_NET_RAW + CAP_NET_ADMIN; without them they
//! fail with the one-line message the user would see, they do not skip.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use wirelab::capture::{FrameSource, LiveCapture, open_file};
use wirelab::wire::{DecodeOptions, Decoded, TcpSegment, decode};

/// Opens a capture on `lo` or fails with the library's own message.
#[track_caller]
fn open_lo(filter: &str, write: Option<&Path>) -> LiveCapture {
    match LiveCapture::open("lo", Some(filter), write) {
        Ok(cap) => cap,
        Err(e) => panic!("{e}"),
    }
}

/// True for a SYN without ACK from `client_port` to `server_port`.
fn is_syn(seg: &TcpSegment<'_>, client_port: u16, server_port: u16) -> bool {
    seg.flags.syn()
        && !seg.flags.ack()
        && seg.src.port == client_port
        && seg.dst.port == server_port
}

#[test]
fn loopback_capture_sees_the_syn_of_a_new_connection_with_its_ports() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
    let server_port = listener.local_addr().expect("local addr").port();
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("lo.pcap");
    let mut cap = open_lo(&format!("tcp port {server_port}"), Some(&copy));
    assert!(cap.is_live());

    let client = TcpStream::connect(("127.0.0.1", server_port)).expect("connect on loopback");
    let client_port = client.local_addr().expect("local addr").port();
    let (_accepted, _) = listener.accept().expect("accept");

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut syn_frame = None;
    let mut timeouts = 0;
    while syn_frame.is_none() && Instant::now() < deadline {
        match cap.next_frame().expect("capture keeps working") {
            Some(frame) => {
                if let Decoded::Tcp(seg) = decode(&frame, &DecodeOptions::default()) {
                    assert_eq!(
                        seg.dst.addr,
                        "127.0.0.1".parse::<std::net::IpAddr>().expect("ip")
                    );
                    if is_syn(&seg, client_port, server_port) {
                        syn_frame = Some(frame.number);
                    }
                }
            }
            None => timeouts += 1,
        }
    }
    let syn_frame = syn_frame.unwrap_or_else(|| {
        panic!("no SYN {client_port} -> {server_port} within 5 s ({timeouts} read timeouts)")
    });
    let stats = cap.stats().expect("libpcap statistics");
    assert!(stats.received >= 1, "{stats:?}");
    cap.flush().expect("copy flushed");
    drop(cap);

    // The --write copy holds the same SYN under the same frame number.
    let mut reader = open_file(&copy).expect("the copy is a capture");
    let mut found = false;
    while let Some(frame) = reader.next_frame().expect("copy readable") {
        if let Decoded::Tcp(seg) = decode(&frame, &DecodeOptions::default()) {
            found |= frame.number == syn_frame && is_syn(&seg, client_port, server_port);
        }
    }
    assert!(found, "frame {syn_frame} of the copy is the SYN");
}

#[test]
fn read_timeout_returns_none_so_the_caller_keeps_control() {
    // A port nobody uses: nothing matches the filter.
    let mut cap = open_lo("tcp port 9 and host 127.0.0.254", None);
    let start = Instant::now();
    let got = cap.next_frame().expect("capture works").map(|f| f.number);
    assert_eq!(got, None);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "returned after {:?}",
        start.elapsed()
    );
}

#[test]
fn bad_filter_is_one_line_naming_the_filter() {
    let err = match LiveCapture::open("lo", Some("tcp port nonsense-words"), None) {
        Ok(_) => panic!("a bad filter was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("tcp port nonsense-words"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

/// Set in the child that `without_capabilities_the_error_says_how_to_get_them` starts.
const CHILD: &str = "WIRELAB_NO_CAPS_CHILD";

#[test]
fn without_capabilities_the_error_says_how_to_get_them() {
    if std::env::var_os(CHILD).is_some() {
        match LiveCapture::open("lo", None, None) {
            Ok(_) => println!("opened"),
            Err(e) => println!("error: {e}"),
        }
        return;
    }
    // Root without CAP_NET_RAW and CAP_NET_ADMIN: drop them from the
    // bounding and inheritable sets of a child (util-linux setpriv).
    let out = Command::new("setpriv")
        .args([
            "--bounding-set",
            "-net_raw,-net_admin",
            "--inh-caps",
            "-net_raw,-net_admin",
        ])
        .arg(std::env::current_exe().expect("test binary path"))
        .args([
            "--exact",
            "without_capabilities_the_error_says_how_to_get_them",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .expect("setpriv (util-linux) runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("error: ") || l == &"opened")
        .unwrap_or_else(|| panic!("child said nothing useful: {out:?}"));
    assert!(line.contains("no permission to capture on lo"), "{line}");
    assert!(line.contains("run as root"), "{line}");
    assert!(
        line.contains("setcap cap_net_raw,cap_net_admin+eip"),
        "{line}"
    );
}
