//! nginx from Debian as a real reverse proxy in front of the teaching
//! server: a generated configuration in a private directory, its own
//! loopback port, one process, and its error log kept for the witness.
//!
//! What a user meets is nginx's answer (a 502, a response cut short) and
//! one line in its error log; the RST behind them is on the upstream leg,
//! which only a capture of both legs shows.

use std::io::{self, Read as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::peer::PeerError;

/// How to install nginx, for the one-line error.
const INSTALL: &str = "apt-get install nginx (scripts/setup does)";

/// How long nginx has to start listening.
const START_BOUND: Duration = Duration::from_secs(5);

/// How nginx talks to the upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxySettings {
    /// Keep upstream connections open between requests (`keepalive` in
    /// the upstream block, HTTP/1.1 and no `Connection: close` upstream):
    /// the setting behind the keep-alive race through a proxy.
    pub upstream_keepalive: bool,
}

/// Why nginx could not be put in front of the server.
#[derive(Debug, thiserror::Error)]
pub enum NginxError {
    /// nginx is missing or would not start.
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// Its directory or configuration could not be written.
    #[error("cannot prepare nginx's directory: {0}")]
    Files(#[source] io::Error),
    /// It exited or never listened.
    #[error("nginx did not start: {0}")]
    Start(String),
}

/// A line of nginx's error log, its prefix (time, pid, connection
/// number) and its trailing context (`, client: ...`) cut away.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    /// `error`, `warn`, ...
    pub level: String,
    /// What it says, e.g. `recv() failed (104: Connection reset by peer)
    /// while reading response header from upstream`.
    pub message: String,
    /// The request line it names, when it names one.
    pub request: Option<String>,
}

/// A running nginx; stopped (and its directory removed) on drop.
pub struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    addr: SocketAddr,
}

impl Nginx {
    /// Starts nginx on a free loopback port, proxying everything to
    /// `upstream`, and waits until it listens.
    ///
    /// # Errors
    ///
    /// [`NginxError`]: not installed, files not writable, no listener.
    pub fn start(upstream: SocketAddr, settings: ProxySettings) -> Result<Nginx, NginxError> {
        let dir = tempfile::Builder::new()
            .prefix("wirelab-nginx-")
            .tempdir()
            .map_err(NginxError::Files)?;
        let port = free_port().map_err(NginxError::Files)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), addr, upstream, settings))
            .map_err(NginxError::Files)?;
        let child = Command::new("nginx")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| PeerError::of("nginx", INSTALL, e))?;
        let mut nginx = Nginx { child, dir, addr };
        nginx.wait_listening()?;
        Ok(nginx)
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The error log's path.
    pub fn error_log(&self) -> PathBuf {
        self.dir.path().join("error.log")
    }

    /// The log's lines at level `warn` and above, in order.
    pub fn problems(&self) -> Vec<LogLine> {
        std::fs::read_to_string(self.error_log())
            .unwrap_or_default()
            .lines()
            .filter_map(parse_line)
            .filter(|l| {
                matches!(
                    l.level.as_str(),
                    "warn" | "error" | "crit" | "alert" | "emerg"
                )
            })
            .collect()
    }

    /// The log's lines at level `error` and above: nginx's account of a
    /// failed exchange (`recv() failed (104: ...)`), without its notes on
    /// buffering a large body to a file (`warn`).
    pub fn errors(&self) -> Vec<LogLine> {
        self.problems()
            .into_iter()
            .filter(|l| l.level != "warn")
            .collect()
    }

    fn wait_listening(&mut self) -> Result<(), NginxError> {
        let until = Instant::now() + START_BOUND;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                let last = err.lines().last().unwrap_or("").to_string();
                return Err(NginxError::Start(format!("{status}: {last}")));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(100)).is_ok() {
                return Ok(());
            }
            if Instant::now() > until {
                return Err(NginxError::Start(format!(
                    "not listening on {} after {} s",
                    self.addr,
                    START_BOUND.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // One process (master_process off): SIGKILL leaves no worker behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port the kernel says is free now (nginx cannot report an ephemeral
/// one; the short window before it binds is accepted).
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The configuration: one process in the foreground, logs and temporary
/// files in `dir`, one server proxying to `upstream`.
fn config(
    dir: &std::path::Path,
    listen: SocketAddr,
    upstream: SocketAddr,
    s: ProxySettings,
) -> String {
    let d = dir.display();
    // Upstream keep-alive needs HTTP/1.1 and an empty Connection header
    // (nginx sends `Connection: close` upstream by default).
    let (keepalive, upstream_http) = if s.upstream_keepalive {
        (
            "    keepalive 4;\n",
            "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n",
        )
    } else {
        ("", "")
    };
    format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log info;\nevents {{ worker_connections 64; }}\nhttp {{\n  \
         access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  \
         scgi_temp_path {d}/scgi;\n  client_max_body_size 16m;\n  upstream lab {{\n    \
         server {upstream};\n{keepalive}  }}\n  server {{\n    listen {listen};\n    \
         location / {{\n      proxy_pass http://lab;\n{upstream_http}    }}\n  }}\n}}\n"
    )
}

/// `2026/12/03 17:27:22 [error] 3297#3297: *1 recv() failed (...) while
/// reading response header from upstream, client: 127.0.0.1, server: ,
/// request: "GET / HTTP/1.1", upstream: "...", host: "..."`.
fn parse_line(line: &str) -> Option<LogLine> {
    let (_, rest) = line.split_once(" [")?;
    let (level, rest) = rest.split_once("] ")?;
    let (_, rest) = rest.split_once(": ")?;
    let rest = match rest.strip_prefix('*') {
        Some(r) => r.split_once(' ').map_or(r, |(_, m)| m),
        None => rest,
    };
    let (message, context) = rest.split_once(", client: ").unwrap_or((rest, ""));
    let request = context
        .split_once("request: \"")
        .and_then(|(_, r)| r.split_once('"'))
        .map(|(r, _)| r.to_string());
    Some(LogLine {
        level: level.to_string(),
        message: message.to_string(),
        request,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_keeps_its_level_words_and_request() {
        let l = parse_line(
            "2026/12/03 17:27:22 [error] 3297#3297: *1 recv() failed (104: Connection reset by \
             peer) while reading response header from upstream, client: 127.0.0.1, server: , \
             request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:1/\", host: \"x\"",
        )
        .unwrap();
        assert_eq!(l.level, "error");
        assert_eq!(
            l.message,
            "recv() failed (104: Connection reset by peer) while reading response header from upstream"
        );
        assert_eq!(l.request.as_deref(), Some("GET / HTTP/1.1"));
        let n = parse_line("2026/12/03 17:27:22 [notice] 1#1: using the \"epoll\" event method")
            .unwrap();
        assert_eq!((n.level.as_str(), n.request), ("notice", None));
        assert_eq!(parse_line("garbage"), None);
    }

    #[test]
    fn keepalive_adds_the_upstream_pool_and_http11() {
        let dir = std::path::Path::new("/d");
        let a = SocketAddr::from(([127, 0, 0, 1], 1));
        let b = SocketAddr::from(([127, 0, 0, 1], 2));
        let on = config(
            dir,
            a,
            b,
            ProxySettings {
                upstream_keepalive: true,
            },
        );
        let off = config(
            dir,
            a,
            b,
            ProxySettings {
                upstream_keepalive: false,
            },
        );
        assert!(on.contains("keepalive 4;") && on.contains("proxy_http_version 1.1;"));
        assert!(!off.contains("keepalive") && off.contains("listen 127.0.0.1:1;"));
        assert!(off.contains("server 127.0.0.1:2;"));
    }
}
