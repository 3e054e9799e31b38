//! Answers: a HEADERS frame, then the body in DATA frames as large as the
//! client's SETTINGS_MAX_FRAME_SIZE and both flow-control windows allow
//! (§5.2, §6.9), the last one with END_STREAM.

use super::session::Session;
use super::stream::StreamState;
use crate::proto::h2::{Frame, encode_field_block_with};
use crate::proto::hpack::Sensitivity;
use crate::server::log::Event;

impl Session {
    /// Queues the normal response on `stream`.
    pub(super) fn respond(&mut self, stream: u32, body: &[u8]) {
        self.respond_status(stream, self.limits.status, body);
    }

    /// Queues a response with `status` and the server's body on `stream`
    /// (HEAD gets the header fields only, RFC 9110 §9.3.2).
    pub(super) fn respond_status(&mut self, stream: u32, status: u16, body: &[u8]) {
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        let head_only = s.request.method == "HEAD";
        let len = if head_only { 0 } else { body.len() };
        s.status = status;
        self.responded += 1;
        s.response_left = Some(len);
        let (mut a, mut b, mut c, mut d) = ([0; 20], [0; 20], [0; 20], [0; 20]);
        // The stream id changes with every response, the request's body size
        // often: §6.2.2 literals, not dynamic table entries (see Varying).
        let fields = [
            (
                &b":status"[..],
                decimal(status.into(), &mut a),
                Sensitivity::Plain,
            ),
            (b"content-type", b"text/plain", Sensitivity::Plain),
            (
                b"content-length",
                decimal(body.len() as u64, &mut b),
                Sensitivity::Plain,
            ),
            (
                b"x-wirelab-stream",
                decimal(stream.into(), &mut c),
                Sensitivity::Varying,
            ),
            (
                b"x-wirelab-request-bytes",
                decimal(s.request.body_bytes, &mut d),
                Sensitivity::Varying,
            ),
        ];
        // The same on every response: the dynamic table keeps it (§2.3.2).
        let alt_svc = self
            .alt_svc
            .as_deref()
            .map(|v| (&b"alt-svc"[..], v, Sensitivity::Plain));
        let end_stream = len == 0;
        let encoder = &mut self.encoder;
        encode_field_block_with(
            stream,
            end_stream,
            self.peer.max_frame_size,
            &mut self.out,
            |out| encoder.encode(fields.into_iter().chain(alt_svc), out),
        );
        if end_stream {
            self.local_end(stream);
        }
        self.pump(body);
    }

    /// Sends what the windows allow of every pending body, lowest stream
    /// first.
    pub(super) fn pump(&mut self, body: &[u8]) {
        let max = self.peer.max_frame_size as usize;
        // The next stream with body left, found afresh each time rather
        // than collected first: no list to allocate per call.
        let mut from = 0;
        while let Some(id) = self
            .streams
            .range(from..)
            .find(|(_, s)| s.response_left.is_some_and(|n| n > 0))
            .map(|(id, _)| *id)
        {
            from = id + 1;
            while self.send_window > 0 {
                let Some(s) = self.streams.get_mut(&id) else {
                    break;
                };
                let left = s.response_left.unwrap_or(0);
                let room = s.send_window.min(self.send_window);
                if left == 0 || room <= 0 {
                    break;
                }
                let n = left.min(max).min(room as usize);
                let from = s.response_sent;
                s.response_sent += n;
                s.send_window -= n as i64;
                s.response_left = Some(left - n);
                self.send_window -= n as i64;
                let end_stream = left == n;
                Frame::Data {
                    stream: id,
                    end_stream,
                    data: &body[from..from + n],
                    padding: 0,
                }
                .encode(&mut self.out);
                if end_stream {
                    self.local_end(id);
                }
            }
        }
    }

    /// Our END_STREAM went out on `stream`.
    fn local_end(&mut self, stream: u32) {
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        s.local_ended();
        if s.state == StreamState::Closed {
            let (status, sent) = (s.status, s.response_sent);
            self.streams.remove(&stream);
            self.answered += 1;
            self.event(Event::Stream {
                id: stream,
                state: StreamState::Closed,
                method: None,
                target: None,
                request_bytes: None,
                status: Some(status),
                body_bytes: Some(sent),
            });
            if self.limits.shutdown_after_answer {
                self.begin_shutdown();
            }
        }
    }
}

/// `n` in decimal, written into `buf` (a field value without a `String`).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}
