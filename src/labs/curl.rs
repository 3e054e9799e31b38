//! The real client: curl, run as a child process, and what it reported.
//!
//! curl is the tool people meet this reset in ("curl: (56) Recv failure:
//! Connection reset by peer"). It fails only when it still needs bytes after
//! the RST: a Linux client first reads what was queued before the reset. Its
//! exit code, its error line, the status and body size it got, and whether it
//! silently retried on a fresh connection (it does so only on a reused
//! connection that delivered no response byte) are the client witness.

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

/// How to run curl.
#[derive(Clone, Debug, Default)]
pub struct CurlRequest {
    /// URLs, fetched in order on one connection where curl can reuse it.
    pub paths: Vec<String>,
    /// A request body of this many bytes (POST), if any.
    pub body: Option<usize>,
    /// Leave curl's output unread this long: once the pipe fills, curl stops
    /// reading its socket, like a slow reader, and the server's response backs
    /// up into the server's send queue.
    pub pause: Option<std::time::Duration>,
    /// Speak HTTP/1.0 (`--http1.0`).
    pub http10: bool,
    /// Speak HTTP/2, chosen this way (`--http2` or `--http2-prior-knowledge`).
    pub http2: Option<super::H2Way>,
    /// Give up after this many seconds.
    pub max_time_secs: u32,
    /// Over TLS (`https://`), trusting this CA.
    pub tls: Option<CurlTls>,
}

/// curl over TLS.
#[derive(Clone, Debug)]
pub struct CurlTls {
    /// The CA file (`--cacert`).
    pub ca: std::path::PathBuf,
    /// What curl offers in ALPN: `--http1.1` offers `http/1.1`, `--http2`
    /// offers `h2,http/1.1`, `--no-alpn` offers nothing; curl has no other.
    pub alpn: CurlAlpn,
}

/// The ALPN offers curl can make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CurlAlpn {
    /// `--http1.1`: `http/1.1`.
    Http11,
    /// `--http2`: `h2`, `http/1.1`.
    H2,
    /// `--no-alpn`: no extension.
    None,
}

impl CurlAlpn {
    /// The offer curl makes for a list, when it can make it.
    pub fn of(list: &[String]) -> Option<CurlAlpn> {
        match list {
            [] => Some(CurlAlpn::None),
            [one] if one == "http/1.1" => Some(CurlAlpn::Http11),
            [a, b] if a == "h2" && b == "http/1.1" => Some(CurlAlpn::H2),
            _ => None,
        }
    }
}

/// What curl's `-v` said of TLS.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CurlTlsSeen {
    /// `SSL connection using TLSv1.3 / ...`: the version.
    pub version: Option<String>,
    /// `ALPN: server accepted X`.
    pub alpn: Option<String>,
    /// `(IN), TLS alert, close notify`: the server's close_notify arrived.
    pub close_notify_received: bool,
    /// `(OUT), TLS alert, close notify`: curl sent its own.
    pub close_notify_sent: bool,
}

/// What curl reported.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CurlOutcome {
    /// curl's exit code: 0 success, 56 receive failure, 52 empty reply, ...
    pub exit_code: i32,
    /// curl's error line, e.g. `curl: (56) Recv failure: Connection reset by peer`.
    pub error: Option<String>,
    /// The last HTTP status curl saw (0 when none).
    pub status: u16,
    /// Body bytes curl received, over all URLs.
    pub body_bytes: u64,
    /// How many connections curl opened.
    pub connects: u32,
    /// curl's own note that it retried on a fresh connection, if it did.
    pub retried: Option<String>,
    /// What it said of TLS (`None` over cleartext).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<CurlTlsSeen>,
}

impl CurlOutcome {
    /// curl's error said the connection was reset (ECONNRESET: the
    /// server's RST), as in `(56) Recv failure`.
    pub fn saw_reset(&self) -> bool {
        super::peer::reports_reset(self.error.as_deref())
    }
}

/// Why curl could not be asked.
pub type Error = super::peer::PeerError;

fn not_run(e: std::io::Error) -> Error {
    Error::of("curl", "scripts/setup installs it", e)
}

/// Runs curl against `server` and gathers what it said.
///
/// # Errors
///
/// Only when curl cannot be started; any failure of the transfer is part of
/// the outcome.
pub fn run(server: SocketAddr, req: &CurlRequest) -> Result<CurlOutcome, Error> {
    let mut cmd = Command::new("curl");
    // -v shows curl's retry notes; -sS keeps the progress meter away but the
    // error line in. --write-out speaks once per URL, on stderr, so that the
    // bodies alone go to stdout (a pipe this process reads, or delays).
    cmd.args(["-v", "-sS"])
        .args(["--max-time", &req.max_time_secs.max(1).to_string()])
        .args([
            "-w",
            "%{stderr}wirelab %{http_code} %{size_download} %{num_connects}\\n",
        ]);
    if req.http10 {
        cmd.arg("--http1.0");
    }
    if let Some(tls) = &req.tls {
        cmd.arg("--cacert").arg(&tls.ca);
        cmd.arg(match tls.alpn {
            CurlAlpn::Http11 => "--http1.1",
            CurlAlpn::H2 => "--http2",
            CurlAlpn::None => "--no-alpn",
        });
    }
    match req.http2 {
        Some(super::H2Way::Upgrade) => {
            cmd.arg("--http2");
        }
        Some(super::H2Way::PriorKnowledge) => {
            cmd.arg("--http2-prior-knowledge");
        }
        None => {}
    }
    if req.body.is_some() {
        // curl's own defaults are kept: above 1 MiB it sends
        // `Expect: 100-continue` and holds the body back until the server
        // answers (RFC 9110 §10.1.1); below, the body follows the head at once.
        // The body goes through stdin: a large one would not fit in argv.
        cmd.args(["--data-binary", "@-"]);
    }
    let paths: Vec<String> = if req.paths.is_empty() {
        vec!["/".into()]
    } else {
        req.paths.clone()
    };
    let scheme = if req.tls.is_some() { "https" } else { "http" };
    for p in &paths {
        cmd.arg(format!("{scheme}://{server}{p}"));
    }
    cmd.stdin(if req.body.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(not_run)?;
    if let (Some(n), Some(mut stdin)) = (req.body, child.stdin.take()) {
        std::thread::spawn(move || {
            use std::io::Write;
            // curl may stop reading its input early (an early answer): a
            // failed write here is part of the experiment, not an error.
            let _ = stdin.write_all(&vec![b'x'; n]);
        });
    }
    let stderr = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = e.read_to_string(&mut s);
            s
        })
    });
    if let Some(pause) = req.pause {
        std::thread::sleep(pause);
    }
    if let Some(mut out) = child.stdout.take() {
        let _ = std::io::copy(&mut out, &mut std::io::sink());
    }
    let status = child.wait().map_err(not_run)?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    let mut outcome = parse(status.code().unwrap_or(-1), &stderr);
    if req.tls.is_some() {
        outcome.tls = Some(parse_tls(&stderr));
    }
    Ok(outcome)
}

fn parse_tls(stderr: &str) -> CurlTlsSeen {
    let mut seen = CurlTlsSeen::default();
    for line in stderr.lines().filter_map(|l| l.strip_prefix("* ")) {
        if let Some(v) = line.strip_prefix("SSL connection using ") {
            seen.version = v.split(" / ").next().map(str::to_string);
        } else if let Some(p) = line.strip_prefix("ALPN: server accepted ") {
            seen.alpn = Some(p.trim().to_string());
        } else if line.contains("(IN), TLS alert, close notify") {
            seen.close_notify_received = true;
        } else if line.contains("(OUT), TLS alert, close notify") {
            seen.close_notify_sent = true;
        }
    }
    seen
}

fn parse(exit_code: i32, stderr: &str) -> CurlOutcome {
    let mut status = 0;
    let mut body_bytes = 0;
    let mut connects = 0;
    for line in stderr.lines().filter_map(|l| l.strip_prefix("wirelab ")) {
        let mut f = line.split_whitespace();
        let code: u16 = f.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        if code != 0 {
            status = code;
        }
        body_bytes += f.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        connects += f.next().and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
    }
    let error = stderr
        .lines()
        .find(|l| l.starts_with("curl: ("))
        .map(str::to_string);
    let retried = stderr
        .lines()
        .find(|l| l.contains("retrying a fresh connect"))
        .map(|l| l.trim_start_matches("* ").to_string());
    CurlOutcome {
        exit_code,
        error,
        status,
        body_bytes,
        connects,
        retried,
        tls: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_tls_words() {
        let seen = parse_tls(
            "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384\n\
             * ALPN: server accepted http/1.1\n\
             * TLSv1.3 (IN), TLS alert, close notify (256):\n\
             * TLSv1.3 (OUT), TLS alert, close notify (256):\n",
        );
        assert_eq!(seen.version.as_deref(), Some("TLSv1.3"));
        assert_eq!(seen.alpn.as_deref(), Some("http/1.1"));
        assert!(seen.close_notify_received && seen.close_notify_sent);
        assert_eq!(
            parse_tls("* Closing connection 0\n"),
            CurlTlsSeen::default()
        );
        assert_eq!(
            CurlAlpn::of(&["h2".into(), "http/1.1".into()]),
            Some(CurlAlpn::H2)
        );
        assert_eq!(CurlAlpn::of(&["h2".into()]), None);
    }

    #[test]
    fn parse_reset_after_status() {
        let o = parse(
            56,
            "* Connected\nwirelab 200 5 1\ncurl: (56) Recv failure: Connection reset by peer\n",
        );
        assert_eq!(o.status, 200);
        assert_eq!(o.body_bytes, 5);
        assert_eq!(
            o.error.as_deref(),
            Some("curl: (56) Recv failure: Connection reset by peer")
        );
        assert_eq!(o.retried, None);
        assert!(o.saw_reset());
        // An empty reply is the server's FIN before any answer: no reset.
        assert!(!parse(52, "curl: (52) Empty reply from server\n").saw_reset());
    }

    #[test]
    fn parse_silent_retry_over_two_urls() {
        let o = parse(
            0,
            "wirelab 200 10 1\n* Connection died, retrying a fresh connect (retry count: 1)\n\
             wirelab 200 10 1\n",
        );
        assert_eq!((o.status, o.body_bytes, o.connects), (200, 20, 2));
        assert!(!o.saw_reset(), "a retry says the connection died, not how");
        assert!(o.retried.unwrap().starts_with("Connection died"));
        assert_eq!(o.error, None);
    }

    /// curl against a real listener that answers without reading and closes:
    /// the RST costs curl the close-delimited body's end, so it exits 56.
    #[test]
    fn real_curl_sees_reset_from_unread_close() {
        use std::io::Write;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut b = [0u8; 1];
            c.peek(&mut b).unwrap();
            c.write_all(b"HTTP/1.1 200 OK\r\n\r\nhello").unwrap();
        });
        let o = run(
            addr,
            &CurlRequest {
                max_time_secs: 5,
                ..Default::default()
            },
        )
        .expect("curl must be installed for this test");
        t.join().unwrap();
        assert_eq!(o.exit_code, 56, "{o:?}");
        assert_eq!(o.status, 200);
    }
}
