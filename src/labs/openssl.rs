//! The OpenSSL client: `openssl s_client`, run as a child process with a
//! request on its stdin, and what it reported.
//!
//! s_client is the TLS engineer's probe: it names the version and the ALPN
//! protocol agreed, and with `-msg` every alert each way. Its words are the
//! client witness of a TLS lab: `closed` after the server's close_notify
//! (SSL_ERROR_ZERO_RETURN), `unexpected eof while reading` for a FIN
//! without one (OpenSSL 3 then sends a fatal `decode_error` alert of its
//! own), `errno=104` (ECONNRESET) for a RST, and `SSL alert number N` for a
//! fatal alert such as no_application_protocol (120, RFC 7301 §3.2).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::http::pattern_byte;

/// How to run s_client.
#[derive(Clone, Debug)]
pub struct OpensslRequest {
    /// The bytes written to its stdin (the HTTP request).
    pub request: Vec<u8>,
    /// The CA file (`-CAfile`).
    pub ca: PathBuf,
    /// ALPN protocols offered (`-alpn`), in order; none leaves it out.
    pub alpn: Vec<String>,
    /// SNI and the name verified (`-servername`, `-verify_hostname`).
    pub server_name: String,
    /// Give up after this many seconds.
    pub timeout_secs: u32,
}

/// What s_client reported.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OpensslOutcome {
    /// Its exit status (-1 when killed at the time limit).
    pub exit_code: i32,
    /// The version agreed (`TLSv1.3`).
    pub version: Option<String>,
    /// `ALPN protocol: X`; `None` for `No ALPN negotiated`.
    pub alpn: Option<String>,
    /// The HTTP status of the response it printed (0 when none).
    pub status: u16,
    /// Body bytes it printed (the lab's body pattern, counted).
    pub body_bytes: u64,
    /// It received the server's close_notify (`-msg`: `<<< ... close_notify`).
    pub close_notify_received: bool,
    /// It sent a close_notify of its own.
    pub close_notify_sent: bool,
    /// Alerts it sent other than close_notify (`decode_error` after a
    /// truncation).
    pub alerts_sent: Vec<String>,
    /// The fatal alert number it received (`SSL alert number N`).
    pub alert_received: Option<u8>,
    /// OpenSSL's first error line (`... unexpected eof while reading ...`).
    pub error: Option<String>,
    /// Its read failed with ECONNRESET (`errno=104`).
    pub saw_reset: bool,
}

impl OpensslOutcome {
    /// A FIN arrived without close_notify: OpenSSL 3's "unexpected eof".
    pub fn saw_truncation(&self) -> bool {
        self.error
            .as_deref()
            .is_some_and(|e| e.contains("unexpected eof"))
    }
}

/// Why s_client could not be asked.
pub type Error = super::peer::PeerError;

fn not_run(e: std::io::Error) -> Error {
    Error::of("openssl", "scripts/setup installs it", e)
}

/// Runs `openssl s_client` against `server` and gathers what it said.
///
/// # Errors
///
/// Only when openssl cannot be started or its message file not made.
pub fn run(server: SocketAddr, req: &OpensslRequest) -> Result<OpensslOutcome, Error> {
    let msg = tempfile::NamedTempFile::new().map_err(not_run)?;
    let mut cmd = Command::new("timeout");
    // `timeout` bounds a peer that never closes; -ign_eof keeps s_client
    // reading after its stdin ends, to the server's own end.
    cmd.arg(req.timeout_secs.max(1).to_string())
        .args(["openssl", "s_client", "-connect", &server.to_string()])
        .arg("-CAfile")
        .arg(&req.ca)
        .args(["-servername", &req.server_name])
        .args(["-verify_hostname", &req.server_name, "-verify_return_error"])
        .args(["-ign_eof", "-msg", "-msgfile"])
        .arg(msg.path());
    if !req.alpn.is_empty() {
        cmd.args(["-alpn", &req.alpn.join(",")]);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(not_run)?;
    if let Some(mut stdin) = child.stdin.take() {
        let request = req.request.clone();
        std::thread::spawn(move || {
            // s_client may stop reading its input (a failed handshake).
            let _ = stdin.write_all(&request);
        });
    }
    let stderr = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = e.read_to_end(&mut s);
            s
        })
    });
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_end(&mut stdout);
    }
    let status = child.wait().map_err(not_run)?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    let msgs = std::fs::read(msg.path()).unwrap_or_default();
    let code = match status.code() {
        // timeout(1)'s own status for a command it had to stop.
        Some(124) | None => -1,
        Some(c) => c,
    };
    Ok(parse(
        code,
        &stdout,
        &String::from_utf8_lossy(&stderr),
        &String::from_utf8_lossy(&msgs),
    ))
}

fn parse(exit_code: i32, stdout: &[u8], stderr: &str, msgs: &str) -> OpensslOutcome {
    let text = String::from_utf8_lossy(stdout);
    let mut o = OpensslOutcome {
        exit_code,
        ..OpensslOutcome::default()
    };
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("New, ") {
            o.version = v.split(',').next().map(str::to_string);
        } else if let Some(p) = line.strip_prefix("ALPN protocol: ") {
            o.alpn = Some(p.trim().to_string());
        } else if line.contains("errno=104") {
            o.saw_reset = true;
        }
    }
    if let Some(at) = find(stdout, b"HTTP/1.") {
        let head = &stdout[at..];
        o.status = std::str::from_utf8(head.get(9..12).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if let Some(end) = find(head, b"\r\n\r\n") {
            // s_client prints its own notes among the data; the body is the
            // lab's deterministic pattern, so count the bytes that follow it.
            o.body_bytes = head[end + 4..]
                .iter()
                .zip(0u64..)
                .take_while(|&(&b, i)| b == pattern_byte(i))
                .count() as u64;
        }
    }
    for line in msgs.lines().filter(|l| l.contains(", Alert ")) {
        let Some(name) = line.rsplit(' ').next() else {
            continue;
        };
        match (line.starts_with("<<<"), name) {
            (true, "close_notify") => o.close_notify_received = true,
            (false, "close_notify") => o.close_notify_sent = true,
            (false, other) => o.alerts_sent.push(other.to_string()),
            (true, _) => {}
        }
    }
    for line in stderr.lines() {
        if let Some(n) = line.split("SSL alert number ").nth(1) {
            o.alert_received = n.trim().parse().ok();
        }
        if line.contains(":error:") && o.error.is_none() {
            // `40...:error:0A000126:SSL routines:ssl3_read_n:unexpected eof
            // while reading:../ssl/...`: the reason is the fifth field.
            o.error = Some(line.split(':').nth(5).unwrap_or(line).to_string());
        }
        if line.contains("errno=104") || line.contains("Connection reset") {
            o.saw_reset = true;
        }
    }
    o
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_close_with_the_alpn_and_the_alerts_read() {
        let body: Vec<u8> = (0..10).map(pattern_byte).collect();
        let mut out = b"---\nNew, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384\nALPN protocol: http/1.1\n---\nHTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
        out.extend(&body);
        out.extend(b"---\nread R BLOCK\nclosed\n");
        let msgs = "<<< TLS 1.3, Alert [length 0002], warning close_notify\n\
                    >>> TLS 1.3, Alert [length 0002], warning close_notify\n";
        let o = parse(0, &out, "depth=0 CN = localhost\n", msgs);
        assert_eq!(o.version.as_deref(), Some("TLSv1.3"));
        assert_eq!(o.alpn.as_deref(), Some("http/1.1"));
        assert_eq!((o.status, o.body_bytes), (200, 10));
        assert!(o.close_notify_received && o.close_notify_sent);
        assert!(!o.saw_truncation() && !o.saw_reset);
    }

    #[test]
    fn truncation_and_a_refused_alpn_are_named() {
        let o = parse(
            1,
            b"read R BLOCK\n",
            "4017711C887F0000:error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:../ssl/record/rec_layer_s3.c:318:\n",
            ">>> TLS 1.3, Alert [length 0002], fatal decode_error\n",
        );
        assert!(o.saw_truncation(), "{o:?}");
        assert_eq!(o.alerts_sent, vec!["decode_error"]);
        assert!(!o.close_notify_received);
        let o = parse(
            1,
            b"No ALPN negotiated\n",
            "40:error:0A000460:SSL routines:ssl3_read_bytes:tlsv1 alert no application protocol:../ssl/record/rec_layer_s3.c:1601:SSL alert number 120\n",
            "",
        );
        assert_eq!(o.alert_received, Some(120));
        assert_eq!(o.alpn, None);
        assert_eq!(
            o.error.as_deref(),
            Some("tlsv1 alert no application protocol")
        );
    }
}
