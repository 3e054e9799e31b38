//! `lab dns` asked by real peers: `dig` (BIND 9's, bind9-dnsutils) over UDP
//! and TCP, and Python's dnspython (python3-dnspython, through
//! tests/oracle/dns_client.py). Each must decode exactly the records the
//! flags configured; a malformed query gets FORMERR and the responder keeps
//! answering. Both peers come from scripts/setup; a missing one fails the
//! test with the line that says so.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LAB: &str = env!("CARGO_BIN_EXE_lab");

struct Responder {
    child: Child,
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Responder {
    #[track_caller]
    fn start(args: &[&str]) -> Responder {
        let mut child = Command::new(LAB)
            .args(["dns", "--port", "0"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .expect("lab dns starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx): (_, Receiver<SocketAddr>) = channel();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("event=listening") {
                    let addr = line
                        .split_whitespace()
                        .find_map(|kv| kv.strip_prefix("addr="))
                        .and_then(|a| a.parse().ok());
                    if let Some(addr) = addr {
                        let _ = tx.send(addr);
                    }
                }
                sink.lock().expect("log lock").push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("lab dns logs its listening address");
        Responder {
            child,
            port: addr.port(),
            lines,
        }
    }

    #[track_caller]
    fn wait_line(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self
                .lines
                .lock()
                .expect("log lock")
                .iter()
                .find(|l| needles.iter().all(|n| l.contains(n)))
            {
                return l.clone();
            }
            assert!(Instant::now() < deadline, "no log line with {needles:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[track_caller]
    fn stop(mut self) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        let status = self.child.wait().expect("lab dns exits");
        assert!(status.success(), "lab dns exited with {status}");
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `dig @127.0.0.1 -p PORT NAME TYPE +short [+tcp]`, and its header line.
#[track_caller]
fn dig(port: u16, name: &str, rtype: &str, tcp: bool) -> (String, Vec<String>) {
    let mut cmd = Command::new("dig");
    cmd.args(["@127.0.0.1", "-p", &port.to_string(), name, rtype])
        .args(["+noall", "+comments", "+answer", "+tries=1", "+time=5"]);
    if tcp {
        cmd.arg("+tcp");
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("dig cannot run ({e}): install bind9-dnsutils with scripts/setup")
    });
    assert!(out.status.success(), "dig failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = text
        .lines()
        .find_map(|l| l.split("status: ").nth(1))
        .map(|s| s.split(',').next().unwrap_or(s).to_string())
        .unwrap_or_else(|| panic!("no status in dig's output:\n{text}"));
    let answers = text
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    (status, answers)
}

#[track_caller]
fn dnspython(port: u16, name: &str, rtype: &str, transport: &str) -> Vec<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/dns_client.py");
    let out = Command::new("/usr/bin/python3")
        .args([script, &port.to_string(), name, rtype, transport])
        .output()
        .unwrap_or_else(|e| panic!("python3 cannot run ({e}): run scripts/setup"));
    assert!(
        out.status.success(),
        "dns_client.py failed (python3-dnspython is installed by scripts/setup): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn dig_decodes_the_configured_records_over_udp_and_tcp() {
    let r = Responder::start(&[
        "--name",
        "wirelab.test",
        "--https-port",
        "8443",
        "--alpn",
        "h3,h2",
    ]);
    for tcp in [false, true] {
        assert_eq!(
            dig(r.port, "wirelab.test", "HTTPS", tcp),
            (
                "NOERROR".into(),
                vec!["wirelab.test. 300 IN HTTPS 1 . alpn=\"h3,h2\" port=8443".into()]
            )
        );
        assert_eq!(
            dig(r.port, "_8443._https.wirelab.test", "HTTPS", tcp),
            (
                "NOERROR".into(),
                vec!["_8443._https.wirelab.test. 300 IN HTTPS 1 wirelab.test. alpn=\"h3,h2\" port=8443".into()]
            )
        );
    }
    assert_eq!(
        dig(r.port, "wirelab.test", "A", false).1,
        ["wirelab.test. 300 IN A 127.0.0.1"]
    );
    assert_eq!(
        dig(r.port, "wirelab.test", "AAAA", true).1,
        ["wirelab.test. 300 IN AAAA ::1"]
    );
    assert_eq!(
        dig(r.port, "other.test", "A", false),
        ("NXDOMAIN".into(), vec![])
    );
    r.wait_line(&[
        "event=query",
        "transport=tcp",
        "qname=wirelab.test.",
        "qtype=AAAA",
        "rcode=NOERROR answers=1",
    ]);
    r.wait_line(&[
        "event=query",
        "transport=udp",
        "qname=other.test.",
        "rcode=NXDOMAIN answers=0",
    ]);
    r.stop();
}

#[test]
fn dnspython_decodes_every_param_as_configured() {
    let r = Responder::start(&[
        "--name",
        "origin.test",
        "--https-port",
        "4433",
        "--alpn",
        "h3",
        "--no-default-alpn",
    ]);
    assert_eq!(
        dnspython(r.port, "_4433._https.origin.test", "HTTPS", "udp"),
        [
            "rcode NOERROR",
            "answer _4433._https.origin.test. 300 IN HTTPS 1 origin.test. alpn=\"h3\" no-default-alpn port=\"4433\"",
            "priority 1 target origin.test.",
            "param alpn h3",
            "param no-default-alpn ",
            "param port 4433",
        ]
    );
    assert_eq!(
        dnspython(r.port, "origin.test", "HTTPS", "tcp")[2..],
        [
            "priority 1 target .",
            "param alpn h3",
            "param no-default-alpn ",
            "param port 4433"
        ]
    );
    r.stop();

    let r = Responder::start(&["--alias", "h3.wirelab.test"]);
    assert_eq!(
        dnspython(r.port, "wirelab.test", "HTTPS", "udp"),
        [
            "rcode NOERROR",
            "answer wirelab.test. 300 IN HTTPS 0 h3.wirelab.test.",
            "priority 0 target h3.wirelab.test.",
        ]
    );
    assert_eq!(
        dnspython(r.port, "h3.wirelab.test", "HTTPS", "udp")[2..],
        ["priority 1 target .", "param alpn h3,h2", "param port 8443"]
    );
    r.stop();
}

/// A broken query over UDP and over TCP, a NOTIFY, then a good query: the
/// codes RFC 1035 §4.1.1 gives, and still answering.
#[test]
fn malformed_queries_get_formerr_and_the_responder_keeps_answering() {
    let r = Responder::start(&[]);
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // id 0x4242, one question claimed, none there.
    let broken = [0x42, 0x42, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, b'w'];
    udp.send_to(&broken, ("127.0.0.1", r.port)).unwrap();
    let mut buf = [0u8; 512];
    let n = udp.recv(&mut buf).expect("an answer to a malformed query");
    assert_eq!(&buf[..2], [0x42, 0x42]);
    assert_eq!(buf[3] & 0x0f, 1, "rcode FORMERR: {:?}", &buf[..n]);

    // Opcode NOTIFY (4) on an otherwise good query.
    let mut notify = vec![0x43, 0x43, 4 << 3, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    notify.extend_from_slice(b"\x07wirelab\x04test\x00\x00\x01\x00\x01");
    udp.send_to(&notify, ("127.0.0.1", r.port)).unwrap();
    let n = udp.recv(&mut buf).expect("an answer to a NOTIFY");
    assert_eq!(buf[3] & 0x0f, 4, "rcode NOTIMP: {:?}", &buf[..n]);

    let mut tcp = TcpStream::connect(("127.0.0.1", r.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(&(broken.len() as u16).to_be_bytes()).unwrap();
    tcp.write_all(&broken).unwrap();
    let mut len = [0u8; 2];
    tcp.read_exact(&mut len).unwrap();
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(len))];
    tcp.read_exact(&mut reply).unwrap();
    assert_eq!(reply[3] & 0x0f, 1, "rcode FORMERR over TCP");
    drop(tcp);

    r.wait_line(&["transport=udp", "id=16962", "rcode=FORMERR", "malformed="]);
    r.wait_line(&["transport=udp", "id=17219", "rcode=NOTIMP"]);
    r.wait_line(&["transport=tcp", "id=16962", "rcode=FORMERR"]);
    assert_eq!(
        dig(r.port, "wirelab.test", "A", false).1,
        ["wirelab.test. 300 IN A 127.0.0.1"]
    );
    r.stop();
}
