//! The scripted raw client: sends exactly the bytes a lab asks for, when it asks,
//! and reports what came back and how the connection ended.
//!
//! curl hides the details a lab needs (it retries, it stops reading once a
//! Content-Length body is complete); this client does not. A [`Script`] is a list
//! of [`Step`]s (send, send slowly, wait for responses, sleep, half-close), then the
//! client reads until the server ends the connection. The [`Outcome`] says, per
//! response, the status and body bytes expected vs received, and how reading ended:
//! [`ReadEnd::Eof`] (the server's FIN) or [`ReadEnd::Reset`] (ECONNRESET, its RST).
//! An EOF is never called a reset.
//!
//! Blocking std sockets are enough here: a client has one connection and a script.
//!
//! [`h2`] is the same client speaking HTTP/2 (prior knowledge or the h2c
//! upgrade) with the library's frame layer and HPACK, for one request;
//! [`h3`] fetches over HTTP/3 with quinn and h3 (the `h3` feature).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub mod h2;
#[cfg(feature = "h3")]
pub mod h3;
mod reader;
pub mod tls;

use crate::http::{BodyLength, Version, pattern_byte};
use reader::{Reader, request_is_head};

/// A request to build. [`Request::to_bytes`] gives the wire form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Method token, sent as is (so unknown methods can be tested).
    pub method: String,
    /// Request target.
    pub target: String,
    /// Version.
    pub version: Version,
    /// Host field; `None` sends none (HTTP/1.1 then gets 400).
    pub host: Option<String>,
    /// Connection field (`close`, `keep-alive`), if any.
    pub connection: Option<String>,
    /// Body.
    pub body: RequestBody,
    /// Extra fields, in order.
    pub extra: Vec<(String, String)>,
}

/// A request body of deterministic bytes ([`pattern_byte`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestBody {
    /// No body and no framing field.
    None,
    /// `Content-Length: n` and n bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked`, `len` bytes in chunks of `chunk`.
    Chunked {
        /// Payload bytes.
        len: usize,
        /// Chunk size.
        chunk: usize,
    },
}

impl Request {
    /// `GET target HTTP/1.1` with `Host: wirelab`.
    pub fn get(target: &str) -> Self {
        Request {
            method: "GET".into(),
            target: target.into(),
            version: Version::Http11,
            host: Some("wirelab".into()),
            connection: None,
            body: RequestBody::None,
            extra: Vec::new(),
        }
    }

    /// `POST target HTTP/1.1` with a Content-Length body of `len` bytes.
    pub fn post(target: &str, len: usize) -> Self {
        Request {
            method: "POST".into(),
            body: RequestBody::Length(len),
            ..Request::get(target)
        }
    }

    /// Sets the `Connection` field.
    pub fn connection(mut self, value: &str) -> Self {
        self.connection = Some(value.into());
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// The request as bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!("{} {} {}\r\n", self.method, self.target, self.version);
        if let Some(h) = &self.host {
            head += &format!("Host: {h}\r\n");
        }
        if let Some(c) = &self.connection {
            head += &format!("Connection: {c}\r\n");
        }
        match self.body {
            RequestBody::None => {}
            RequestBody::Length(n) => head += &format!("Content-Length: {n}\r\n"),
            RequestBody::Chunked { .. } => head += "Transfer-Encoding: chunked\r\n",
        }
        for (name, value) in &self.extra {
            head += &format!("{name}: {value}\r\n");
        }
        head += "\r\n";
        let mut out = head.into_bytes();
        match self.body {
            RequestBody::None => {}
            RequestBody::Length(n) => out.extend((0..n as u64).map(pattern_byte)),
            RequestBody::Chunked { len, chunk } => {
                let body: Vec<u8> = (0..len as u64).map(pattern_byte).collect();
                crate::http::chunked_encode(&body, chunk, &mut out);
            }
        }
        out
    }
}

/// `n` bytes that are not HTTP, to send where a lab wants unread data.
pub fn junk(n: usize) -> Vec<u8> {
    b"JUNK".iter().copied().cycle().take(n).collect()
}

/// One thing the client does, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Write these bytes (one `write_all`, so one segment on loopback when small).
    Send(Vec<u8>),
    /// Write `bytes` in pieces of `chunk`, sleeping `interval` between pieces.
    SendPaced {
        /// The bytes.
        bytes: Vec<u8>,
        /// Piece size.
        chunk: usize,
        /// Pause between pieces.
        interval: Duration,
    },
    /// Read until this many final responses are complete (or the connection ends).
    AwaitResponses(usize),
    /// Read until this many interim (1xx) responses arrived, e.g. `100 Continue`
    /// before sending a body held back with `Expect: 100-continue`.
    AwaitInterim(usize),
    /// Do nothing for a while (keep-alive race, late bytes).
    Sleep(Duration),
    /// `shutdown(Write)`: send our FIN, keep reading.
    ShutdownWrite,
    /// Close the socket now; the script ends here.
    Close,
}

/// Steps, then read until the server ends the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The steps.
    pub steps: Vec<Step>,
    /// Longest wait for any read (each await and the final read).
    pub timeout: Duration,
}

impl Script {
    /// A script that sends `bytes` in one write.
    pub fn send(bytes: Vec<u8>) -> Self {
        Script {
            steps: vec![Step::Send(bytes)],
            timeout: Duration::from_secs(10),
        }
    }

    /// Appends a step.
    pub fn then(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }
}

/// How reading ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadEnd {
    /// `read` returned 0: the server's FIN, a clean end of stream.
    Eof,
    /// `read` failed with ECONNRESET: the server's RST.
    Reset,
    /// Nothing arrived within the script's timeout.
    TimedOut,
    /// The script closed the connection itself.
    ClientClosed,
    /// Another error.
    Error(String),
}

impl std::fmt::Display for ReadEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadEnd::Eof => f.write_str("clean EOF (server FIN)"),
            ReadEnd::Reset => f.write_str("ECONNRESET (server RST)"),
            ReadEnd::TimedOut => f.write_str("timed out"),
            ReadEnd::ClientClosed => f.write_str("client closed first"),
            ReadEnd::Error(e) => write!(f, "error: {e}"),
        }
    }
}

/// A write that failed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SendFailure {
    /// Bytes written successfully before it.
    pub after_bytes: u64,
    /// ECONNRESET/EPIPE mean the server had reset the connection.
    pub reset: bool,
    /// The error.
    pub error: String,
}

/// One response as the client received it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ResponseSummary {
    /// Status code.
    pub status: u16,
    /// Framing of the body (`None`: no body, e.g. HEAD).
    pub framing: Option<BodyLength>,
    /// Body bytes announced (Content-Length), or for chunked once complete.
    pub body_expected: Option<u64>,
    /// Body bytes received.
    pub body_received: u64,
    /// The body ended where its framing says (close-delimited: with a clean EOF).
    pub complete: bool,
    /// Every body byte matched the deterministic pattern.
    pub body_is_pattern: bool,
    /// Header fields (name, value).
    pub fields: Vec<(String, String)>,
}

impl ResponseSummary {
    /// First value of a header field, case-insensitive.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What one script run saw.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Final responses, complete or not, in order.
    pub responses: Vec<ResponseSummary>,
    /// Interim (1xx) statuses received.
    pub interim: Vec<u16>,
    /// How reading ended.
    pub end: ReadEnd,
    /// The first failed write, if any.
    pub send_failure: Option<SendFailure>,
    /// Bytes written.
    pub bytes_sent: u64,
    /// Bytes read.
    pub bytes_received: u64,
    /// Bytes received that were not a valid response (why), if any.
    pub garbage: Option<String>,
    /// From connect to the end.
    pub elapsed: Duration,
}

impl Outcome {
    /// Status of the first response.
    pub fn status(&self) -> Option<u16> {
        self.responses.first().map(|r| r.status)
    }

    /// A RST was seen, by a read or by a write.
    pub fn reset_seen(&self) -> bool {
        self.end == ReadEnd::Reset || self.send_failure.as_ref().is_some_and(|f| f.reset)
    }
}

/// The client could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `connect` failed (a refused connection is the server's RST to our SYN).
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: io::Error,
    },
}

/// Connects to `addr` and runs `script`.
///
/// # Errors
///
/// Only [`ClientError::Connect`]; everything after the connect is in the [`Outcome`].
pub fn run(addr: SocketAddr, script: &Script) -> Result<Outcome, ClientError> {
    let start = Instant::now();
    let stream = TcpStream::connect_timeout(&addr, script.timeout)
        .map_err(|source| ClientError::Connect { addr, source })?;
    // Pieces must leave as written: no Nagle coalescing of paced or late bytes.
    let _ = stream.set_nodelay(true);
    let mut run = Run {
        stream,
        timeout: script.timeout,
        reader: Reader::default(),
        sent: Vec::new(),
        send_failure: None,
        end: None,
    };
    for step in &script.steps {
        match step {
            Step::Send(bytes) => run.send(bytes),
            Step::SendPaced {
                bytes,
                chunk,
                interval,
            } => {
                for (i, piece) in bytes.chunks((*chunk).max(1)).enumerate() {
                    if i > 0 {
                        std::thread::sleep(*interval);
                    }
                    run.send(piece);
                }
            }
            Step::AwaitResponses(n) => run.read_until(|r| r.complete_count() >= *n),
            Step::AwaitInterim(n) => run.read_until(|r| r.interim.len() >= *n),
            Step::Sleep(d) => std::thread::sleep(*d),
            Step::ShutdownWrite => {
                let _ = run.stream.shutdown(Shutdown::Write);
            }
            Step::Close => {
                run.end.get_or_insert(ReadEnd::ClientClosed);
                break;
            }
        }
    }
    run.read_until(|_| false);
    let end = run.end.clone().unwrap_or(ReadEnd::TimedOut);
    let reader = run.reader.finish(&end);
    Ok(Outcome {
        responses: reader.done,
        interim: reader.interim,
        end,
        send_failure: run.send_failure,
        bytes_sent: run.sent.len() as u64,
        bytes_received: reader.received,
        garbage: reader.garbage,
        elapsed: start.elapsed(),
    })
}

struct Run {
    stream: TcpStream,
    timeout: Duration,
    reader: Reader,
    sent: Vec<u8>,
    send_failure: Option<SendFailure>,
    end: Option<ReadEnd>,
}

impl Run {
    fn send(&mut self, bytes: &[u8]) {
        if self.send_failure.is_some() {
            return;
        }
        let mut done = 0;
        while done < bytes.len() {
            match self.stream.write(&bytes[done..]) {
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let reset = matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                    );
                    self.send_failure = Some(SendFailure {
                        after_bytes: (self.sent.len() + done) as u64,
                        reset,
                        error: e.to_string(),
                    });
                    break;
                }
            }
        }
        self.sent.extend_from_slice(&bytes[..done]);
        self.reader.heads = request_is_head(&self.sent);
    }

    /// Reads until `enough` or the connection ends (the end is kept).
    fn read_until(&mut self, enough: impl Fn(&Reader) -> bool) {
        let deadline = Instant::now() + self.timeout;
        let mut buf = vec![0u8; 64 * 1024];
        while self.end.is_none() && !enough(&self.reader) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                self.end = Some(ReadEnd::TimedOut);
                break;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => self.end = Some(ReadEnd::Eof),
                Ok(n) => self.reader.feed(&buf[..n]),
                Err(e) => match e.kind() {
                    io::ErrorKind::Interrupted => {}
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                        self.end = Some(ReadEnd::TimedOut)
                    }
                    io::ErrorKind::ConnectionReset => self.end = Some(ReadEnd::Reset),
                    _ => self.end = Some(ReadEnd::Error(e.to_string())),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests;
