//! The clients' words table (`wirelab::diagnose::words::TABLE`) stays true:
//! every measured row is run here. For each shape the teaching server is
//! staged so that its RST meets the exchange that way; curl, Python's
//! http.client, Python requests and Node.js are run against it, and nginx
//! (a real reverse proxy, with curl behind it) in front of it; what each
//! says must be one of the row's words. curl's run is also captured and
//! `lab diagnose` must give it that shape, so the diagnosis's "what clients
//! report" is the table's row for what the packets show.
//!
//! Two shapes have no read mode of `lab serve`: a server that resets before
//! any response byte and one that resets mid-upload are plain sockets here,
//! closed with the request unread (Linux then sends RST, RFC 2525 §2.17).
//!
//! Needs root (the capture), curl, Debian's /usr/bin/python3 with
//! python3-requests, node and nginx (scripts/setup installs them); a
//! missing one fails the test with the package to install.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::Lab;
use wirelab::capture::LiveCapture;
use wirelab::diagnose::words::{self, Client, Shape, Source};
use wirelab::http::Framing;
use wirelab::labs::nginx::{Nginx, ProxySettings};
use wirelab::server::{Config, ReadMode};

/// Bytes the upload shape sends: under curl's 1 MiB `Expect: 100-continue`
/// threshold, so the body follows the head at once.
const UPLOAD: usize = 600_000;

/// A response cut short: Content-Length promises 100 000 bytes, 64 come.
const PARTIAL: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n\
    abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl";

/// A staged server: the teaching server, or a socket that resets.
enum Stage {
    Lab(Lab),
    Raw(SocketAddr),
}

impl Stage {
    fn addr(&self) -> SocketAddr {
        match self {
            Stage::Lab(l) => l.addr,
            Stage::Raw(a) => *a,
        }
    }

    fn accepted(self) -> Option<u64> {
        match self {
            Stage::Lab(l) => Some(l.stop().accepted),
            Stage::Raw(_) => None,
        }
    }
}

/// A socket that accepts, reads at most `read` bytes of what arrives,
/// writes `reply`, waits for more to queue and closes: RST, as the
/// request is unread.
fn resetting(read: usize, reply: &'static [u8]) -> Stage {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = vec![0u8; read.max(1)];
            if read == 0 {
                let _ = conn.peek(&mut buf);
            } else {
                let _ = conn.read(&mut buf);
            }
            let _ = conn.write_all(reply);
            std::thread::sleep(Duration::from_millis(50));
            drop(conn);
        }
    });
    Stage::Raw(addr)
}

fn stage(shape: Shape) -> Stage {
    let lab = |config: Config| Stage::Lab(common::start_with(config));
    let no_read = Config {
        mode: ReadMode::NoRead,
        keep_alive: false,
        ..Config::default()
    };
    match shape {
        Shape::BeforeResponse => resetting(0, b""),
        Shape::Upload => resetting(65_536, b""),
        // The head and 64 of 100 000 body bytes, then the reset. (The
        // lab's "large body, slow reader" cuts its response as surely only
        // when the client stops reading: a fast reader, nginx, gets all.)
        Shape::PartialResponse => resetting(0, PARTIAL),
        Shape::CloseDelimited => lab(Config {
            framing: Framing::Close,
            ..no_read
        }),
        Shape::WholeResponse => lab(Config {
            framing: Framing::Length,
            ..no_read
        }),
        Shape::KeepAliveRace => lab(Config {
            framing: Framing::Length,
            keep_alive: true,
            keepalive_race: true,
            idle_timeout: Duration::from_millis(100),
            ..Config::default()
        }),
    }
}

fn tool(program: &str, package: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is not installed: apt-get install {package} (scripts/setup does)"
    );
    Command::new(program)
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// curl's words: `exit N: (N) message`, or `exit 0` (with its silent
/// retry named when its verbose output shows one).
fn curl(shape: Shape, addr: SocketAddr, body: &Path) -> String {
    let mut cmd = tool("curl", "curl");
    cmd.args(["-sS", "-v", "-o", "/dev/null"]);
    let base = format!("http://{addr}");
    match shape {
        Shape::KeepAliveRace => {
            cmd.args([format!("{base}/first"), "-o".into(), "/dev/null".into()]);
            cmd.arg(format!("{base}/second"));
        }
        Shape::Upload => {
            cmd.arg("--data-binary")
                .arg(format!("@{}", body.display()))
                .arg(&base);
        }
        _ => {
            cmd.arg(&base);
        }
    }
    let out = cmd.output().expect("curl runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().unwrap_or(-1);
    if code == 0 {
        return if stderr.contains("Connection died, retrying a fresh connect") {
            "exit 0 after `Connection died, retrying a fresh connect` (a silent retry)".into()
        } else {
            "exit 0".into()
        };
    }
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("curl: ("))
        .unwrap_or("(no message)");
    format!("exit {code}: {}", line.trim_start_matches("curl: "))
}

/// Python (http.client or requests) or Node: the script's one line.
fn script(client: Client, shape: Shape, addr: SocketAddr) -> String {
    let mut cmd = match client {
        Client::PythonHttpClient | Client::PythonRequests => {
            let mut c = tool("/usr/bin/python3", "python3");
            let file = if client == Client::PythonRequests {
                "requests_client.py"
            } else {
                "http_client.py"
            };
            c.arg(scripts().join(file));
            c
        }
        Client::Node => {
            let mut c = tool("node", "nodejs");
            c.arg(scripts().join("node_client.js"));
            c
        }
        other => unreachable!("{other:?} is not scripted"),
    };
    cmd.arg(addr.port().to_string());
    match shape {
        Shape::KeepAliveRace => {
            cmd.arg("--race");
        }
        Shape::Upload => {
            cmd.args(["--upload", &UPLOAD.to_string()]);
        }
        _ => {}
    }
    let out = cmd.output().expect("client runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "python3-requests is not installed (scripts/setup does): {stderr}"
    );
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // The staged servers answer 200 with 128 bytes; the table words it
    // for any response.
    if said == "no error: status 200, 128 body bytes" {
        return "no error: the whole response".into();
    }
    said
}

/// nginx in front of the staged server, curl behind it: what curl got
/// and nginx's error-log lines (warn and above).
fn through_nginx(shape: Shape, upstream: SocketAddr, body: &Path) -> String {
    tool("nginx", "nginx");
    let proxy = Nginx::start(
        upstream,
        ProxySettings {
            upstream_keepalive: shape == Shape::KeepAliveRace,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{}", proxy.addr());
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-o", "/dev/null", "-w", "%{http_code} "]);
    match shape {
        Shape::KeepAliveRace => {
            cmd.args([format!("{base}/first"), "-o".into(), "/dev/null".into()]);
            cmd.arg(format!("{base}/second"));
        }
        Shape::Upload => {
            cmd.arg("--data-binary")
                .arg(format!("@{}", body.display()))
                .arg(&base);
        }
        _ => {
            cmd.arg(&base);
        }
    }
    let out = cmd.output().expect("curl runs");
    // The staged servers answer 200: the table says "the upstream's status".
    let statuses = match String::from_utf8_lossy(&out.stdout).trim() {
        "200" => "the upstream's status".to_string(),
        "200 200" => "the upstream's status to both requests".to_string(),
        other => other.replace(' ', ", "),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let retried = if shape == Shape::KeepAliveRace {
        " (the second after a retry on a new upstream connection)"
    } else {
        ""
    };
    let client = match out.status.code() {
        Some(0) => format!("{statuses} to its client{retried}"),
        Some(code) => {
            let line = stderr
                .lines()
                .last()
                .unwrap_or("")
                .trim_start_matches("curl: ");
            // The count of missing bytes varies with timing.
            let line = mask_count(line);
            format!("{statuses}, the body cut short, to its client (curl exit {code}: {line})")
        }
        None => "curl killed".into(),
    };
    // nginx writes its log line as it gives up; give it a moment.
    std::thread::sleep(Duration::from_millis(100));
    let problems: Vec<String> = proxy
        .problems()
        .into_iter()
        .filter(|l| l.level == "error")
        .map(|l| l.message)
        .collect();
    let log = if problems.is_empty() {
        "nothing at level error".to_string()
    } else {
        problems.join(" / ")
    };
    format!("{client}; error log: {log}")
}

fn mask_count(line: &str) -> String {
    line.split(' ')
        .map(|w| {
            if w.len() > 1 && w.bytes().all(|b| b.is_ascii_digit()) {
                "N"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Captures curl's run of `shape` and returns the shapes `lab diagnose`
/// gives its RSTs.
fn diagnosed_shapes(shape: Shape, dir: &Path, body: &Path) -> Vec<String> {
    let stage = stage(shape);
    let addr = stage.addr();
    let pcap = dir.join(format!("{}.pcap", shape.name()));
    let mut cap = LiveCapture::open_with_snaplen(
        "lo",
        Some(&format!("tcp port {}", addr.port())),
        Some(&pcap),
        262_144,
    )
    .unwrap_or_else(|e| panic!("this test captures on lo and needs root: {e}"));
    let done = Arc::new(AtomicBool::new(false));
    let words = std::thread::scope(|s| {
        let flag = Arc::clone(&done);
        let client = s.spawn(move || {
            let w = curl(shape, addr, body);
            flag.store(true, Ordering::SeqCst);
            w
        });
        while !done.load(Ordering::SeqCst) {
            let _ = cap.next_frame().expect("capture works");
        }
        client.join().unwrap()
    });
    let until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < until {
        let _ = cap.next_frame().expect("capture works");
    }
    cap.flush().expect("capture written");
    drop(cap);
    drop(stage);
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["diagnose", "--format", "json"])
        .arg(&pcap)
        .output()
        .expect("lab diagnose runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let shapes: Vec<String> = doc["diagnoses"]
        .as_array()
        .expect("diagnoses")
        .iter()
        .filter_map(|d| d["client_words"]["shape"].as_str().map(String::from))
        .collect();
    assert!(
        words::row(shape, Client::Curl).is_some_and(|r| r.says.contains(&words.as_str())),
        "{shape}: curl said `{words}` while captured"
    );
    shapes
}

#[test]
fn every_measured_row_is_what_the_client_says() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("upload.bin");
    std::fs::write(&body, vec![b'u'; UPLOAD]).unwrap();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for shape in Shape::ALL {
        for row in words::of(shape).filter(|r| r.source == Source::Measured) {
            let stage = stage(shape);
            let addr = stage.addr();
            let said = match row.client {
                Client::Curl => curl(shape, addr, &body),
                Client::Nginx => through_nginx(shape, addr, &body),
                c => script(c, shape, addr),
            };
            let accepted = stage.accepted();
            if row.client == Client::Nginx && shape == Shape::KeepAliveRace {
                // The 200 came from a second upstream connection: nginx
                // retried after the RST (its log says why).
                assert_eq!(accepted, Some(2), "nginx's retry: {said}");
            }
            if !row.says.contains(&said.as_str()) {
                wrong.push(format!(
                    "{shape} / {}: says `{said}`, the table has {:?}",
                    row.client.name(),
                    row.says
                ));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "the table drifted:\n{}", wrong.join("\n"));
    assert!(checked >= 30, "only {checked} rows measured");
}

#[test]
fn the_diagnosis_gives_each_staged_rst_its_shape() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("upload.bin");
    std::fs::write(&body, vec![b'u'; UPLOAD]).unwrap();
    for shape in Shape::ALL {
        let shapes = diagnosed_shapes(shape, dir.path(), &body);
        assert_eq!(shapes, vec![shape.name().to_string()], "{shape}");
    }
}

#[test]
fn every_shape_has_a_measured_row_for_each_installable_client_and_cited_ones_a_source() {
    for shape in Shape::ALL {
        for client in [
            Client::Curl,
            Client::PythonHttpClient,
            Client::PythonRequests,
            Client::Node,
            Client::Nginx,
        ] {
            let row = words::row(shape, client);
            assert!(
                row.is_some_and(|r| r.source == Source::Measured && !r.says.is_empty()),
                "{shape} / {client:?}: {row:?}"
            );
        }
    }
    for row in words::TABLE {
        if let Source::Cited(url) = row.source {
            assert!(url.starts_with("https://"), "{row:?}");
        }
    }
}
