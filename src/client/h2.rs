//! The raw client speaking HTTP/2 (RFC 9113) with the library's own frame
//! layer and HPACK encoder: one request, by prior knowledge or by the h2c
//! upgrade, and an ending that leaves nothing unread on its side.
//!
//! Where curl and nghttp each end a connection their own way (lab 5), this
//! client does what RFC 9113 §6.8 asks of a peer that is done: it answers
//! the server's SETTINGS and PINGs as they come, and once its response is
//! complete it sends GOAWAY and half-closes, then reads until the server
//! closes. It never calls `close()` with bytes in its receive queue, so any
//! RST on the wire is the server's.

mod wire;

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::{ClientError, ReadEnd, SendFailure};
use crate::http::pattern_byte;
use crate::proto::h2::{
    Check, ErrorCode, Frame, PREFACE, SettingId, SettingsParams, check, encode_field_block,
    encode_http2_settings, encode_settings, parse, settings::INITIAL_WINDOW,
};
use crate::proto::hpack::{Decoder, Encoder, Sensitivity};
use wire::Wire;
pub use wire::{H2Tls, H2TlsSeen};

/// The largest frame this client accepts (the initial SETTINGS_MAX_FRAME_SIZE,
/// RFC 9113 §6.5.2: it announces no other).
const MAX_FRAME: u32 = 16_384;

/// How the client reaches HTTP/2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum H2Start {
    /// The preface on a fresh connection (RFC 9113 §3.3).
    PriorKnowledge,
    /// An HTTP/1.1 request with `Upgrade: h2c` (RFC 7540 §3.2).
    Upgrade,
    /// TLS with ALPN `h2`, then the preface (RFC 9113 §3.2).
    Alpn(H2Tls),
}

/// The one request to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H2Request {
    /// How to reach HTTP/2.
    pub start: H2Start,
    /// `:path`.
    pub path: String,
    /// Request body bytes (a POST when non-zero). By prior knowledge it is
    /// sent as DATA and must fit the server's initial window (65,535
    /// bytes: this client does not wait for WINDOW_UPDATE); by upgrade it
    /// is sent whole in HTTP/1.1 before the switch.
    pub body: usize,
    /// How long to wait for the server at any point.
    pub timeout: Duration,
}

/// What the client saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct H2Outcome {
    /// The final status of its stream, or of an HTTP/1.x answer.
    pub status: Option<u16>,
    /// Response body bytes received (DATA payload; for an HTTP/1.x answer,
    /// the bytes after its head).
    pub body_received: u64,
    /// The server answered in HTTP/1.x: an upgrade ignored, or a preface
    /// refused.
    pub http1_answer: bool,
    /// The response ended with END_STREAM.
    pub complete: bool,
    /// GOAWAY frames received: last stream id and code.
    pub goaways: Vec<(u32, ErrorCode)>,
    /// RST_STREAM received on its stream.
    pub stream_reset: Option<ErrorCode>,
    /// It sent its own GOAWAY and half-closed.
    pub sent_goaway: bool,
    /// How reading ended.
    pub end: Option<ReadEnd>,
    /// The first failed write.
    pub send_failure: Option<SendFailure>,
    /// Bytes that could not be read as HTTP/2 (why).
    pub garbage: Option<String>,
    /// Over TLS: the handshake's outcome and how TLS ended.
    pub tls: Option<H2TlsSeen>,
}

impl H2Outcome {
    /// How it ended, in the words of the HTTP/1 client's [`ReadEnd`]: what
    /// it was answered in, the GOAWAYs each way, then how reading ended.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.http1_answer {
            parts.push("answered in HTTP/1.x".to_string());
        }
        if !self.goaways.is_empty() {
            let last: Vec<String> = self.goaways.iter().map(|(l, _)| l.to_string()).collect();
            parts.push(format!(
                "received GOAWAY (last stream {})",
                last.join(", then ")
            ));
        }
        match (self.sent_goaway, &self.send_failure) {
            (true, None) => parts.push("sent GOAWAY and FIN".to_string()),
            (true, Some(_)) => parts.push("sent GOAWAY".to_string()),
            (false, _) => {}
        }
        let end = self
            .end
            .as_ref()
            .map_or_else(|| "no end seen".to_string(), ToString::to_string);
        match &self.send_failure {
            // Linux reports a RST once: to the write that met it. The reads
            // after it return 0, which is not the server's FIN.
            Some(f) if f.reset => parts.push(format!("a send failed: {} (server RST)", f.error)),
            Some(f) => {
                parts.push(format!("a send failed: {}", f.error));
                parts.push(end);
            }
            None => parts.push(end),
        }
        parts.join("; ")
    }
}

struct Conn {
    stream: Wire,
    sent: u64,
    out: H2Outcome,
}

impl Conn {
    fn send(&mut self, bytes: &[u8]) {
        if self.out.send_failure.is_some() {
            return;
        }
        if let Err(e) = self.stream.write_all(bytes) {
            self.failed(&e);
        } else {
            self.sent += bytes.len() as u64;
        }
    }

    /// GOAWAY is out: close_notify (over TLS) and FIN. A failure here is
    /// a send failure too: over TLS the alert is a write.
    fn half_close(&mut self) {
        if let Err(e) = self.stream.half_close() {
            self.failed(&e);
        }
    }

    fn failed(&mut self, e: &io::Error) {
        self.out.send_failure = Some(SendFailure {
            after_bytes: self.sent,
            reset: matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ),
            error: e.to_string(),
        });
    }

    /// Reads once into `buf`; `false` once the connection ended.
    fn read(&mut self, buf: &mut Vec<u8>, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || self.stream.tcp().set_read_timeout(Some(left)).is_err() {
            self.out.end = Some(ReadEnd::TimedOut);
            return false;
        }
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => self.out.end = Some(ReadEnd::Eof),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => match e.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    self.out.end = Some(ReadEnd::TimedOut);
                }
                io::ErrorKind::ConnectionReset => self.out.end = Some(ReadEnd::Reset),
                _ => self.out.end = Some(ReadEnd::Error(e.to_string())),
            },
        }
        self.out.end.is_none()
    }
}

/// The request's HEADERS (and DATA) on stream 1, by prior knowledge.
fn request_frames(req: &H2Request, out: &mut Vec<u8>) {
    let method: &[u8] = if req.body > 0 { b"POST" } else { b"GET" };
    // RFC 9113 §8.3.1: the scheme of the target URI.
    let scheme: &[u8] = match req.start {
        H2Start::Alpn(_) => b"https",
        _ => b"http",
    };
    let mut block = Vec::new();
    Encoder::new(true).encode(
        [
            (&b":method"[..], method, Sensitivity::Plain),
            (b":scheme", scheme, Sensitivity::Plain),
            (b":authority", b"wirelab", Sensitivity::Plain),
            (b":path", req.path.as_bytes(), Sensitivity::Plain),
        ],
        &mut block,
    );
    encode_field_block(1, &block, req.body == 0, MAX_FRAME, out);
    let body: Vec<u8> = (0..req.body as u64).map(pattern_byte).collect();
    let pieces: Vec<&[u8]> = body.chunks(MAX_FRAME as usize).collect();
    for (i, data) in pieces.iter().enumerate() {
        Frame::Data {
            stream: 1,
            end_stream: i + 1 == pieces.len(),
            data,
            padding: 0,
        }
        .encode(out);
    }
}

/// The upgrade request (RFC 7540 §3.2), body included.
fn upgrade_request(req: &H2Request, settings: &[(SettingId, u32)]) -> Vec<u8> {
    let method = if req.body > 0 { "POST" } else { "GET" };
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nHost: wirelab\r\nConnection: Upgrade, HTTP2-Settings\r\n\
         Upgrade: h2c\r\nHTTP2-Settings: {}\r\n",
        req.path,
        encode_http2_settings(settings)
    );
    if req.body > 0 {
        head += &format!("Content-Length: {}\r\n", req.body);
    }
    head += "\r\n";
    let mut out = head.into_bytes();
    out.extend((0..req.body as u64).map(pattern_byte));
    out
}

/// The status on an HTTP/1.x status line at the start of `head`.
fn http1_status(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\r').next()?;
    let text = std::str::from_utf8(line).ok()?;
    text.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()
}

/// Connects to `addr` and makes the request.
///
/// # Errors
///
/// Only [`ClientError::Connect`]; everything after the connect is in the
/// [`H2Outcome`].
pub fn run(addr: SocketAddr, req: &H2Request) -> Result<H2Outcome, ClientError> {
    let stream = TcpStream::connect_timeout(&addr, req.timeout)
        .map_err(|source| ClientError::Connect { addr, source })?;
    let _ = stream.set_nodelay(true);
    let stream = match &req.start {
        H2Start::Alpn(t) => match Wire::tls(stream, t) {
            Ok(w) => w,
            Err(e) => {
                return Ok(H2Outcome {
                    garbage: Some(format!("TLS setup: {e}")),
                    ..H2Outcome::default()
                });
            }
        },
        _ => Wire::Plain(stream),
    };
    let mut c = Conn {
        stream,
        sent: 0,
        out: H2Outcome::default(),
    };
    let deadline = Instant::now() + req.timeout;
    // Push is refused (a client may, §6.5.2), everything else left at its
    // initial value.
    let settings = [(SettingId::EnablePush, 0)];
    let mut preface = PREFACE.to_vec();
    encode_settings(&settings, &mut preface);
    let mut buf = Vec::new();
    match req.start {
        H2Start::PriorKnowledge | H2Start::Alpn(_) => {
            request_frames(req, &mut preface);
            c.send(&preface);
        }
        H2Start::Upgrade => {
            c.send(&upgrade_request(req, &settings));
            // The answer's head: a 101, or an HTTP/1.x response.
            let head_end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                if !c.read(&mut buf, deadline) {
                    return Ok(finish(c, &buf));
                }
            };
            if http1_status(&buf) != Some(101) {
                c.out.http1_answer = true;
                c.out.status = http1_status(&buf);
                http1_rest(&mut c, buf.split_off(head_end), deadline);
                return Ok(finish(c, &[]));
            }
            buf.drain(..head_end);
            // RFC 7540 §3.2: after the 101 the client sends its preface; the
            // answer comes on stream 1, whose request is already complete.
            c.send(&preface);
        }
    }
    frames(&mut c, buf, deadline);
    Ok(finish(c, &[]))
}

/// After an HTTP/1.x head: counts the body to the end of the connection.
fn http1_rest(c: &mut Conn, body: Vec<u8>, deadline: Instant) {
    let mut buf = body;
    while c.read(&mut buf, deadline) {}
    c.out.body_received = buf.len() as u64;
}

fn finish(c: Conn, buf: &[u8]) -> H2Outcome {
    let mut out = c.out;
    out.tls = c.stream.seen();
    if !buf.is_empty() {
        out.garbage = Some(format!(
            "{} bytes without a complete HTTP/1 head",
            buf.len()
        ));
    }
    out
}

/// Reads frames until the server ends the connection.
fn frames(c: &mut Conn, mut buf: Vec<u8>, deadline: Instant) {
    let mut hpack = Decoder::new(64 * 1024);
    let mut block: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        if first && !buf.is_empty() {
            first = false;
            // RFC 9113 §3.4: the server's preface is a SETTINGS frame; an
            // HTTP/1.x status line means it does not speak HTTP/2.
            if buf.starts_with(b"HTTP/") {
                c.out.http1_answer = true;
                c.out.status = http1_status(&buf);
                // The head may still be arriving: read until it is whole.
                let at = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    if !c.read(&mut buf, deadline) {
                        return;
                    }
                };
                http1_rest(c, buf.split_off(at), deadline);
                return;
            }
        }
        // The replies to everything this read brought go out in one write,
        // with the GOAWAY when the answer is complete: the server sees them
        // in the order they were owed.
        let mut reply = Vec::new();
        while let Ok(Check::Complete(n)) = check(&buf, MAX_FRAME) {
            let frame: Vec<u8> = buf.drain(..n).collect();
            match parse(&frame) {
                Ok(f) => handle(c, f, &mut hpack, &mut block, &mut reply),
                Err(e) => {
                    c.out
                        .garbage
                        .get_or_insert(format!("a frame broke a rule: {}", e.reason));
                }
            }
        }
        if let Err(e) = check(&buf, MAX_FRAME) {
            c.out
                .garbage
                .get_or_insert(format!("unreadable frame header: {}", e.reason));
        }
        let done = c.out.complete || c.out.stream_reset.is_some();
        let closing = done && !c.out.sent_goaway;
        if closing {
            // §6.8: say which of the server's streams were processed (none)
            // before closing; then half-close and read to the server's end.
            Frame::GoAway {
                last_stream: 0,
                code: ErrorCode::NoError,
                debug: b"",
            }
            .encode(&mut reply);
        }
        if !reply.is_empty() && !c.out.sent_goaway {
            c.send(&reply);
        }
        if closing && c.out.send_failure.is_none() {
            c.half_close();
            c.out.sent_goaway = true;
        }
        if !c.read(&mut buf, deadline) {
            return;
        }
    }
}

/// One frame from the server; what it owes the server goes into `reply`.
fn handle(
    c: &mut Conn,
    f: Frame<'_>,
    hpack: &mut Decoder,
    block: &mut Vec<u8>,
    reply: &mut Vec<u8>,
) {
    match f {
        Frame::Settings { ack: false, .. } => Frame::Settings {
            ack: true,
            params: SettingsParams::new(&[]),
        }
        .encode(reply),
        Frame::Ping { ack: false, data } => Frame::Ping { ack: true, data }.encode(reply),
        Frame::Headers {
            stream: 1,
            end_stream,
            end_headers,
            fragment,
            ..
        } => {
            block.extend_from_slice(fragment);
            c.out.complete |= end_stream;
            if end_headers {
                headers(c, hpack, block);
            }
        }
        Frame::Continuation {
            stream: 1,
            end_headers,
            fragment,
        } => {
            block.extend_from_slice(fragment);
            if end_headers {
                headers(c, hpack, block);
            }
        }
        Frame::Data {
            stream,
            end_stream,
            data,
            padding,
        } => {
            if stream == 1 {
                c.out.body_received += data.len() as u64;
                c.out.complete |= end_stream;
            }
            // Give back what the DATA used, stream and connection (§6.9),
            // so an answer larger than the initial window keeps flowing.
            let used = data.len() as u32 + padding;
            if used > 0 {
                for s in [0, stream] {
                    Frame::WindowUpdate {
                        stream: s,
                        increment: used,
                    }
                    .encode(reply);
                }
            }
        }
        Frame::RstStream { stream: 1, code } => c.out.stream_reset = Some(code),
        Frame::GoAway {
            last_stream, code, ..
        } => c.out.goaways.push((last_stream, code)),
        _ => {}
    }
}

fn headers(c: &mut Conn, hpack: &mut Decoder, block: &mut Vec<u8>) {
    match hpack.decode(block) {
        Ok(fields) => {
            let status = fields
                .iter()
                .find(|f| f.name == b":status")
                .and_then(|f| std::str::from_utf8(&f.value).ok()?.parse::<u16>().ok());
            // 1xx are interim (RFC 9113 §8.1): only a final status counts.
            if let Some(s) = status.filter(|s| *s >= 200) {
                c.out.status = Some(s);
            }
        }
        Err(e) => {
            c.out.garbage.get_or_insert(format!("HPACK: {e}"));
        }
    }
    block.clear();
}

/// The most request body this client sends by prior knowledge: the
/// server's initial stream window (RFC 9113 §6.9.2).
pub const MAX_PRIOR_BODY: usize = INITIAL_WINDOW as usize;

#[cfg(test)]
mod tests;
