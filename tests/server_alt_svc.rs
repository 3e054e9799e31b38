//! `lab serve --alt-svc` against curl 7.88's Alt-Svc cache (`--alt-svc
//! FILE`, Debian's curl from scripts/setup): over https, on HTTP/1.1 and
//! HTTP/2, curl stores the alternative; over http it stores nothing, even
//! when the demonstration flag makes the server send the field (RFC 9114
//! §3.1.2: an http:// origin cannot use HTTP/3). A listener pair sends it
//! on the TLS listener only; the default sends none.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

const LAB: &str = env!("CARGO_BIN_EXE_lab");
const VALUE: &str = "h3=\":8443\"; ma=3600";

/// `lab serve ARGS` on free ports: the child, the cleartext and the TLS
/// address (each if listening).
struct Serve {
    child: Child,
    plain: Option<String>,
    tls: Option<String>,
}

impl Serve {
    #[track_caller]
    fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(LAB)
            .args(["serve", "--port", "0"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .expect("lab serve starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let kind = if line.contains("event=listening-tls") {
                    "tls"
                } else if line.contains("event=listening") {
                    "plain"
                } else {
                    continue;
                };
                let addr = line
                    .split_whitespace()
                    .find_map(|kv| kv.strip_prefix("addr="))
                    .map(String::from);
                let _ = tx.send((kind, addr));
            }
        });
        let tls_wanted = args.iter().any(|a| *a == "--tls" || *a == "--tls-port");
        let plain_wanted = !args.contains(&"--tls");
        let mut s = Serve {
            child,
            plain: None,
            tls: None,
        };
        while (tls_wanted && s.tls.is_none()) || (plain_wanted && s.plain.is_none()) {
            let (kind, addr) = rx
                .recv_timeout(Duration::from_secs(20))
                .expect("lab serve logs its listening addresses");
            match kind {
                "tls" => s.tls = addr,
                _ => s.plain = addr,
            }
        }
        s
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// curl's response header block and the entry lines of its Alt-Svc cache
/// after one request.
#[track_caller]
fn curl(url: &str, extra: &[&str]) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("altsvc.txt");
    let out = Command::new("curl")
        .args(["-sS", "-k", "-o", "/dev/null", "-D", "-", "--alt-svc"])
        .arg(&cache)
        .args(extra)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("curl cannot run ({e}): install it with scripts/setup"));
    assert!(out.status.success(), "curl failed: {out:?}");
    let cache = std::fs::read_to_string(&cache).unwrap_or_default();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        cache
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(String::from)
            .collect(),
    )
}

/// A cache line's fields before the expiry (`h1 127.0.0.1 PORT h3 127.0.0.1 8443`).
fn entry(line: &str) -> String {
    line.split_whitespace()
        .take(6)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn curl_caches_the_alternative_over_https_on_http11_and_h2() {
    let s = Serve::start(&["--tls", "--alt-svc", VALUE]);
    let addr = s.tls.clone().expect("TLS address");
    let port = addr.rsplit(':').next().expect("port");
    for (flag, alpn, header) in [
        ("--http1.1", "h1", "Alt-Svc: h3=\":8443\"; ma=3600"),
        ("--http2", "h2", "alt-svc: h3=\":8443\"; ma=3600"),
    ] {
        let (head, cache) = curl(&format!("https://{addr}/"), &[flag]);
        assert!(
            head.lines().any(|l| l.trim_end() == header),
            "{flag}: {head}"
        );
        assert_eq!(cache.len(), 1, "{flag}: {cache:?}");
        // RFC 7838 §3: an empty host is the origin's own.
        assert_eq!(
            entry(&cache[0]),
            format!("{alpn} 127.0.0.1 {port} h3 127.0.0.1 8443"),
            "{flag}"
        );
    }
}

#[test]
fn only_the_tls_listener_sends_it_and_curl_ignores_it_over_http() {
    let s = Serve::start(&["--tls-port", "0", "--alt-svc", VALUE]);
    let (head, cache) = curl(&format!("http://{}/", s.plain.as_ref().unwrap()), &[]);
    assert!(!head.to_ascii_lowercase().contains("alt-svc"), "{head}");
    assert!(cache.is_empty(), "{cache:?}");
    let (_, cache) = curl(&format!("https://{}/", s.tls.as_ref().unwrap()), &[]);
    assert_eq!(cache.len(), 1, "{cache:?}");
    drop(s);

    // The demonstration: sent over http, and still not cached.
    let s = Serve::start(&["--alt-svc", VALUE, "--alt-svc-cleartext-demo"]);
    let (head, cache) = curl(&format!("http://{}/", s.plain.as_ref().unwrap()), &[]);
    assert!(
        head.lines()
            .any(|l| l.trim_end() == "Alt-Svc: h3=\":8443\"; ma=3600"),
        "{head}"
    );
    assert!(
        cache.is_empty(),
        "curl cached an alternative from http: {cache:?}"
    );
}

#[test]
fn by_default_no_alternative_is_advertised() {
    let s = Serve::start(&["--tls"]);
    let (head, cache) = curl(&format!("https://{}/", s.tls.as_ref().unwrap()), &[]);
    assert!(!head.to_ascii_lowercase().contains("alt-svc"), "{head}");
    assert!(cache.is_empty(), "{cache:?}");
}

#[test]
fn bad_values_and_cleartext_are_refused_at_start() {
    let run = |args: &[&str]| {
        let out = Command::new(LAB)
            .arg("serve")
            .args(args)
            .output()
            .expect("lab runs");
        assert!(!out.status.success(), "{args:?} started");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = run(&["--alt-svc", VALUE]);
    assert!(
        e.contains("RFC 9114 §3.1.2") && e.lines().count() == 1,
        "{e}"
    );
    let e = run(&["--tls", "--alt-svc", "h3=:8443"]);
    assert!(
        e.contains("RFC 7838 §3") && e.contains("alt-authority"),
        "{e}"
    );
    let e = run(&["--tls", "--alt-svc", VALUE, "--alt-svc-cleartext-demo"]);
    assert!(e.contains("cleartext listener"), "{e}");
}
