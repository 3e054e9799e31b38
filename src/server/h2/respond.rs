//! Answers: a HEADERS frame, then the body in DATA frames as large as the
//! client's SETTINGS_MAX_FRAME_SIZE and both flow-control windows allow
//! (§5.2, §6.9), the last one with END_STREAM.

use super::session::Session;
use super::stream::StreamState;
use crate::proto::h2::{Frame, encode_field_block};
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
        let fields = [
            (&b":status"[..], status.to_string()),
            (b"content-type", "text/plain".into()),
            (b"content-length", body.len().to_string()),
            (b"x-wirelab-stream", stream.to_string()),
            (b"x-wirelab-request-bytes", s.request.body_bytes.to_string()),
        ];
        let mut block = Vec::new();
        self.encoder.encode(
            fields
                .iter()
                .map(|(n, v)| (*n, v.as_bytes(), Sensitivity::Plain)),
            &mut block,
        );
        let end_stream = len == 0;
        encode_field_block(
            stream,
            &block,
            end_stream,
            self.peer.max_frame_size,
            &mut self.out,
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
        let ids: Vec<u32> = self
            .streams
            .iter()
            .filter(|(_, s)| s.response_left.is_some_and(|n| n > 0))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
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
            self.events.push(Event::Stream {
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
