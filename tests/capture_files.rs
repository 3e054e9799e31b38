//! Reading capture files: every trace of the Zeek corpus is read by
//! wirelab's own reader and compared frame by frame with libpcap's reader;
//! the encapsulations in it decode to the TCP segments Wireshark finds; and
//! `-` reads standard input.
//!
//! The corpus is part of the repository (`tests/data/zeek/traces`); when it
//! is missing these tests fail, they do not skip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use wirelab::capture::{FileReader, open_file};
use wirelab::wire::{DecodeOptions, Decoded, TunnelKind, decode};

/// The corpus of Zeek test traces.
#[track_caller]
fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zeek/traces");
    assert!(
        dir.is_dir(),
        "the Zeek trace corpus is missing at {}: these tests need it (it is part of the repository)",
        dir.display()
    );
    dir
}

/// Every trace file in the corpus, sorted.
fn traces() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("corpus directory is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "expected the corpus' 36 traces, found {}",
        files.len()
    );
    files
}

/// (timestamp µs, captured length, original length) of every frame, by libpcap.
fn libpcap_frames(path: &Path) -> Vec<(i64, usize, u32)> {
    let mut cap = pcap::Capture::from_file(path).expect("libpcap opens the trace");
    let mut out = Vec::new();
    loop {
        match cap.next_packet() {
            Ok(p) => out.push((
                p.header.ts.tv_sec * 1_000_000 + p.header.ts.tv_usec,
                p.data.len(),
                p.header.len,
            )),
            Err(pcap::Error::NoMorePackets) => break,
            Err(e) => panic!("libpcap fails on {}: {e}", path.display()),
        }
    }
    out
}

#[test]
fn every_corpus_trace_reads_frame_for_frame_like_libpcap() {
    for path in traces() {
        let expected = libpcap_frames(&path);
        let mut reader = open_file(&path).expect("wirelab opens the trace");
        let mut got = Vec::new();
        while let Some(f) = reader.next_frame().expect("no read error") {
            assert_eq!(
                f.number as usize,
                got.len() + 1,
                "frame numbers count from 1"
            );
            got.push((f.ts.0.div_euclid(1_000), f.data.len(), f.orig_len));
        }
        assert_eq!(
            got.len(),
            expected.len(),
            "frame count of {}",
            path.display()
        );
        assert_eq!(got, expected, "frames of {}", path.display());
        assert!(
            reader.anomalies().is_empty(),
            "{} is clean, yet {:?}",
            path.display(),
            reader.anomalies()
        );
    }
}

/// Decoded TCP segments and bad-header TCP packets in one trace.
fn tcp_counts(name: &str) -> (usize, usize) {
    let mut reader = open_file(&corpus().join(name)).expect("trace opens");
    let (mut tcp, mut bad) = (0, 0);
    while let Some(frame) = reader.next_frame().expect("no read error") {
        match decode(&frame, &DecodeOptions::default()) {
            Decoded::Tcp(_) => tcp += 1,
            Decoded::TcpBadHeader { .. } => bad += 1,
            Decoded::Udp(_) | Decoded::Skip(_) => {}
        }
    }
    (tcp, bad)
}

#[test]
fn corpus_encapsulations_decode_to_the_tcp_wireshark_sees() {
    // Counts from `tshark -r TRACE -Y tcp`: no tunnels in these traces.
    let cases = [
        // Half the frames wrap Ethernet in Cisco FabricPath (0x8903).
        ("cisco-fabric-path.pcap", 32, 0),
        // 802.1Q, then an MPLS label stack on two of the three frames.
        ("mpls-in-vlan.pcap", 3, 0),
        // 802.1Q, 802.1ah I-TAG, customer 802.1Q.
        ("pbb.pcap", 8, 0),
        // QinQ (two 802.1Q tags), PPPoE session, PPP.
        ("pppoe-over-qinq.pcap", 86, 0),
        // 802.1Q, VN-Tag, 802.1Q; the TCP data offset is broken (Zeek: history `-`).
        ("vntag_vlan_sandwich_clean.pcap", 0, 1),
        // Ethernet padding after short segments.
        ("tcp-http-with-padding.pcap", 25, 0),
        // One segment has an IPv4 total length of 0 (segmentation offload);
        // Zeek counts it with the captured length.
        ("ldap__missing_krbtgt_ldap_request.pcapng", 82, 0),
        // BSD loopback (LINKTYPE_NULL).
        ("http__connect-with-header.pcap", 58, 0),
    ];
    for (name, tcp, bad) in cases {
        assert_eq!(
            tcp_counts(name),
            (tcp, bad),
            "{name}: (tcp segments, bad headers)"
        );
    }
}

#[test]
fn corpus_tunnels_decode_to_the_tcp_tshark_sees_inside_them() {
    // Counts from `tshark -r TRACE -Y tcp` (for Teredo also with
    // `-d udp.port==3797,teredo`: the relay's port, which Zeek's detection
    // finds and tshark only decodes when told). Every segment comes out of
    // the tunnel named.
    let cases = [
        ("tunnels__Teredo.pcap", 55, 22, TunnelKind::Teredo),
        ("tunnels__ayiya3.pcap", 21, 21, TunnelKind::Ayiya),
        ("tunnels__geneve-47101.pcap", 24, 24, TunnelKind::Geneve),
        ("tunnels__gre-over-udp-4754.pcap", 10, 10, TunnelKind::Gre),
        // 42 downlink packets are IP fragments: the first of each carries
        // the inner headers (tshark shows TCP on the reassembled last one).
        (
            "tunnels__gtp__gtp2_different_udp_port.pcap",
            78,
            78,
            TunnelKind::Gtp,
        ),
        ("tunnels__gtp__gtp6_gtp_0x32.pcap", 31, 31, TunnelKind::Gtp),
    ];
    for (name, tcp, tunneled, kind) in cases {
        let mut reader = open_file(&corpus().join(name)).expect("trace opens");
        let (mut all, mut inside) = (0, 0);
        while let Some(frame) = reader.next_frame().expect("no read error") {
            if let Decoded::Tcp(seg) = decode(&frame, &DecodeOptions::default()) {
                all += 1;
                if seg.tunnel == Some(kind) {
                    inside += 1;
                }
            }
        }
        assert_eq!((all, inside), (tcp, tunneled), "{name}: (tcp, tunneled)");
    }
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut reader = open_file(&corpus().join("tcp-http-with-padding.pcap")).expect("trace opens");
    let mut padded = 0;
    while let Some(frame) = reader.next_frame().expect("no read error") {
        if let Decoded::Tcp(seg) = decode(&frame, &DecodeOptions::default()) {
            assert_eq!(
                seg.payload.len(),
                seg.payload_len as usize,
                "frame {}",
                frame.number
            );
            if frame.data.len() > 14 + seg.ip_len as usize {
                padded += 1;
            }
        }
    }
    assert!(padded > 0, "the trace has padded frames");
}

/// Set in the child process that `minus_reads_standard_input` starts.
const CHILD: &str = "WIRELAB_STDIN_CHILD";

#[test]
fn minus_reads_standard_input() {
    if std::env::var_os(CHILD).is_some() {
        // The child: read stdin and report the frame count.
        let mut reader = open_file(Path::new("-")).expect("stdin is a capture");
        let mut n = 0;
        while reader.next_frame().expect("no read error").is_some() {
            n += 1;
        }
        println!("frames={n}");
        return;
    }
    let trace = corpus().join("ssh__ssh.pcap");
    let bytes = std::fs::read(&trace).expect("trace readable");
    let expected = libpcap_frames(&trace).len();
    let mut child = Command::new(std::env::current_exe().expect("test binary path"))
        .args([
            "--exact",
            "minus_reads_standard_input",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("test binary starts again");
    // Written from a thread: the pipe holds less than the trace.
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().expect("child finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("trace written to the pipe");
    assert!(out.status.success(), "child failed: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("frames={expected}")),
        "expected frames={expected} in the child's output: {stdout}"
    );
}

#[test]
fn a_text_file_is_refused_in_one_line_naming_its_bytes() {
    let err = match FileReader::new(&b"GET / HTTP/1.1\r\n\r\n"[..]) {
        Ok(_) => panic!("text accepted as a capture"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("not a capture file"), "{err}");
    assert!(err.contains("47 45 54 20"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
}

#[test]
fn a_missing_file_names_its_path() {
    let err = match open_file(Path::new("/nonexistent/trace.pcap")) {
        Ok(_) => panic!("a missing file opened"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("/nonexistent/trace.pcap"), "{err}");
}

#[test]
fn a_cut_corpus_trace_keeps_every_whole_frame() {
    let trace = corpus().join("redis__django-cloud.pcapng");
    let bytes = std::fs::read(&trace).expect("trace readable");
    let all = libpcap_frames(&trace).len();
    // The last block is a 100-byte packet block: cut 30 bytes off it.
    let cut = &bytes[..bytes.len() - 30];
    let mut reader = FileReader::new(cut).expect("header intact");
    let mut n = 0;
    while reader.next_frame().expect("no read error").is_some() {
        n += 1;
    }
    assert_eq!(n, all - 1, "all but the cut last block");
    assert_eq!(reader.anomalies().truncated_records, 1);
}
