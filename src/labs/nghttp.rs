//! The second real HTTP/2 client: nghttp (Debian's `nghttp2-client`), run as
//! a child process, and what it reported.
//!
//! nghttp is nghttp2's own client, an implementation independent of curl's
//! use of the same library's framing. It is run with `-v` (every frame it
//! sent and received, on stdout) and `-n` (the body discarded), so that the
//! status, the body's size and the GOAWAYs are read from its frame trace.
//!
//! Its exit status says little: nghttp 1.52 exits 0 even when the connection
//! failed and no request was answered. What it says on stderr does: its last
//! line (`Some requests were not processed. total=1, processed=0`) is the
//! client witness's message.

use std::net::SocketAddr;
use std::process::{Command, Stdio};

use super::H2Way;

/// How to run nghttp.
#[derive(Clone, Debug)]
pub struct NghttpRequest {
    /// Upgrade (`-u`) or prior knowledge (nghttp's default).
    pub way: H2Way,
    /// The path asked for.
    pub path: String,
    /// Give up after this many seconds (`--timeout`).
    pub timeout_secs: u32,
}

/// What nghttp reported.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NghttpOutcome {
    /// Its exit status (0 even for most failures: see the module's note).
    pub exit_code: i32,
    /// Its last non-empty line on stderr, if it wrote one.
    pub last_error: Option<String>,
    /// The last `:status` it received (0 when none).
    pub status: u16,
    /// Body bytes: the lengths of the DATA frames it received.
    pub body_bytes: u64,
    /// It received a GOAWAY (RFC 9113 §6.8).
    pub goaway_received: bool,
    /// It sent a GOAWAY.
    pub goaway_sent: bool,
}

impl NghttpOutcome {
    /// nghttp's last line said the connection was reset (ECONNRESET).
    pub fn saw_reset(&self) -> bool {
        super::peer::reports_reset(self.last_error.as_deref())
    }
}

/// Why nghttp could not be asked.
pub type Error = super::peer::PeerError;

fn not_run(e: std::io::Error) -> Error {
    Error::of("nghttp", "scripts/setup installs nghttp2-client", e)
}

/// Runs nghttp against `server` and gathers what it said.
///
/// # Errors
///
/// Only when nghttp cannot be started; any failure of the transfer is part
/// of the outcome.
pub fn run(server: SocketAddr, req: &NghttpRequest) -> Result<NghttpOutcome, Error> {
    let mut cmd = Command::new("nghttp");
    cmd.args(["-n", "-v"])
        .arg(format!("--timeout={}", req.timeout_secs.max(1)));
    if req.way == H2Way::Upgrade {
        cmd.arg("-u");
    }
    cmd.arg(format!("http://{server}{}", req.path))
        .stdin(Stdio::null());
    let out = cmd.output().map_err(not_run)?;
    Ok(parse(
        out.status.code().unwrap_or(-1),
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
    ))
}

fn parse(exit_code: i32, stdout: &str, stderr: &str) -> NghttpOutcome {
    let mut status = 0;
    let mut body_bytes = 0;
    let mut goaway_received = false;
    let mut goaway_sent = false;
    for line in stdout.lines() {
        // `[  0.001] recv (stream_id=13) :status: 200`; after an upgrade the
        // 101's head is printed without a pseudo-header and is not a status.
        let Some((_, rest)) = line.split_once("] ") else {
            continue;
        };
        if let Some(v) = rest
            .strip_prefix("recv (stream_id=")
            .and_then(|r| r.split_once(") :status: "))
        {
            status = v.1.trim().parse().unwrap_or(status);
        } else if let Some(r) = rest.strip_prefix("recv DATA frame <length=") {
            let n: u64 = r
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            body_bytes += n;
        } else if rest.starts_with("recv GOAWAY frame") {
            goaway_received = true;
        } else if rest.starts_with("send GOAWAY frame") {
            goaway_sent = true;
        }
    }
    let last_error = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(str::to_string);
    NghttpOutcome {
        exit_code,
        last_error,
        status,
        body_bytes,
        goaway_received,
        goaway_sent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_frame_trace() {
        let out = "[  0.001] recv (stream_id=13) :status: 200\n\
                   [  0.001] recv DATA frame <length=128, flags=0x01, stream_id=13>\n\
                   [  0.001] recv GOAWAY frame <length=8, flags=0x00, stream_id=0>\n\
                   [  0.001] send GOAWAY frame <length=8, flags=0x00, stream_id=0>\n";
        let o = parse(0, out, "");
        assert_eq!((o.status, o.body_bytes), (200, 128));
        assert!(o.goaway_received && o.goaway_sent);
        assert_eq!(o.last_error, None);
    }

    #[test]
    fn parse_last_error_line() {
        let o = parse(
            0,
            "",
            "[ERROR] Could not connect to the address 127.0.0.1\n\
             Some requests were not processed. total=1, processed=0\n",
        );
        assert_eq!(
            o.last_error.as_deref(),
            Some("Some requests were not processed. total=1, processed=0")
        );
        assert_eq!(o.status, 0);
    }
}
