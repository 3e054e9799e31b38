//! Machinery for the hostile-client tests: `lab serve` as its own process (so its
//! memory and descriptors can be read from /proc without the attacker's), the
//! descriptor limit, and a reader of sequential responses.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use wirelab::http::{Check, Limits, ResponseHead, check_response};

const LAB: &str = env!("CARGO_BIN_EXE_lab");

/// Raises this process's soft RLIMIT_NOFILE to `want` (children inherit it).
#[track_caller]
pub fn raise_fd_limit(want: u64) {
    let limit = getrlimit(Resource::Nofile);
    if limit.current.unwrap_or(u64::MAX) >= want {
        return;
    }
    let hard = limit.maximum.unwrap_or(u64::MAX);
    assert!(
        hard >= want,
        "need {want} file descriptors, the hard limit is {hard}"
    );
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(want),
            maximum: limit.maximum,
        },
    )
    .expect("raise RLIMIT_NOFILE");
}

/// `lab serve` running as a child process, its stderr log collected.
pub struct ServeProcess {
    child: Child,
    pub addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
}

impl ServeProcess {
    /// Starts `lab serve --port 0 ARGS` and waits for its `listening` line.
    #[track_caller]
    pub fn start(args: &[&str]) -> ServeProcess {
        Self::spawn(args, true)
    }

    /// As [`ServeProcess::start`], but the log is read and dropped (long runs).
    #[track_caller]
    pub fn start_unlogged(args: &[&str]) -> ServeProcess {
        Self::spawn(args, false)
    }

    #[track_caller]
    fn spawn(args: &[&str], keep_log: bool) -> ServeProcess {
        let mut child = Command::new(LAB)
            .args(["serve", "--port", "0"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .expect("lab serve starts");
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
                if keep_log {
                    sink.lock().expect("log lock").push(line);
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("lab serve logs its listening address");
        ServeProcess { child, addr, lines }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A `/proc/<pid>/status` field in KiB (VmRSS, VmHWM).
    pub fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("/proc/<pid>/status is readable");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/<pid>/status"))
    }

    /// Open descriptors of the server process.
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("/proc/<pid>/fd is readable")
            .count()
    }

    /// Log lines containing every one of `needles`.
    pub fn count(&self, needles: &[&str]) -> usize {
        let lines = self.lines.lock().expect("log lock");
        lines
            .iter()
            .filter(|l| needles.iter().all(|n| l.contains(n)))
            .count()
    }

    /// Waits until `n` log lines contain all of `needles`.
    #[track_caller]
    pub fn wait_count(&self, n: usize, needles: &[&str], within: Duration) {
        let deadline = Instant::now() + within;
        while self.count(needles) < n {
            assert!(
                Instant::now() < deadline,
                "waited {within:?} for {n} log lines with {needles:?}, saw {}",
                self.count(needles)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server with SIGTERM and checks it exits cleanly.
    #[track_caller]
    pub fn stop(mut self) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        let status = self.child.wait().expect("lab serve exits");
        assert!(status.success(), "lab serve exited with {status}");
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        // Only if a test failed before stop(): never leave a server behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kernel TCP buffer memory in pages (`/proc/net/sockstat`, "TCP: ... mem N").
pub fn tcp_mem_pages() -> u64 {
    let s = std::fs::read_to_string("/proc/net/sockstat").expect("/proc/net/sockstat");
    s.lines()
        .find(|l| l.starts_with("TCP:"))
        .and_then(|l| {
            let mut words = l.split_whitespace();
            words.find(|w| *w == "mem")?;
            words.next()?.parse().ok()
        })
        .expect("TCP mem in /proc/net/sockstat")
}

/// One response read from a stream: status and header fields.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: ResponseHead,
}

impl Reply {
    pub fn field(&self, name: &str) -> Option<String> {
        self.head.field(name)
    }
}

/// Reads Content-Length responses one after another from a blocking stream.
pub struct Replies {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Replies {
    pub fn new(stream: TcpStream) -> Replies {
        Replies {
            stream,
            buf: Vec::new(),
        }
    }

    /// Bounds every later read.
    pub fn set_read_timeout(&self, d: Duration) {
        self.stream
            .set_read_timeout(Some(d))
            .expect("set read timeout");
    }

    /// The next response, or `None` at a clean EOF between responses.
    /// Panics on a read error or a malformed response.
    #[track_caller]
    pub fn next(&mut self) -> Option<Reply> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Ok(Check::Complete(len)) = check_response(&self.buf, &Limits::default()) {
                let head = ResponseHead::parse(&self.buf[..len]).expect("well-formed response");
                let body: usize = head
                    .field("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if self.buf.len() >= len + body {
                    self.buf.drain(..len + body);
                    return Some(Reply {
                        status: head.status,
                        head,
                    });
                }
            }
            match self.stream.read(&mut chunk) {
                Ok(0) if self.buf.is_empty() => return None,
                Ok(0) => panic!(
                    "EOF inside a response: {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => panic!("read failed after {} buffered bytes: {e}", self.buf.len()),
            }
        }
    }
}

/// The p-th percentile (0-100) of sorted durations.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() - 1) * p / 100]
}
