//! Field blocks (HEADERS or PUSH_PROMISE and their CONTINUATIONs): collected
//! until whole, decoded through the direction's HPACK decoder, and read into
//! the stream's request or response.

use std::fmt::Write as _;

use crate::proto::hpack::{DecodeErrorKind, HeaderField};

use super::super::Direction;
use super::{H2Decoder, MAX_HEADER_BLOCK, MAX_HEADER_LIST, Pending, index};

impl H2Decoder {
    /// A field block fragment arrived; decode the block once it is whole.
    /// Returns what to add to the frame's label.
    pub(super) fn block(
        &mut self,
        sender: Direction,
        pending: Pending,
        end_headers: bool,
        end: u64,
    ) -> String {
        let i = index(sender);
        if pending.block.len() > MAX_HEADER_BLOCK {
            let reason = format!(
                "field block of stream {} over {MAX_HEADER_BLOCK} bytes (CONTINUATION flood?)",
                pending.stream
            );
            self.stop(sender, pending.offset, reason);
            return " (field block too large)".into();
        }
        if !end_headers {
            self.sides[i].pending = Some(pending);
            return " (continued)".into();
        }
        let id = pending.stream;
        match self.sides[i].hpack.decode(&pending.block) {
            Ok(fields) => self.fields(sender, id, pending.end_stream, end, &fields),
            Err(e) if matches!(e.kind, DecodeErrorKind::ListTooLarge { .. }) => {
                self.stream(id).oversized_headers = true;
                format!(" (header list over {MAX_HEADER_LIST} bytes)")
            }
            Err(e) => {
                self.stop(sender, pending.offset, format!("{e}: COMPRESSION_ERROR"));
                " (HPACK error)".into()
            }
        }
    }

    pub(super) fn fields(
        &mut self,
        sender: Direction,
        id: u32,
        end_stream: bool,
        end: u64,
        fields: &[HeaderField],
    ) -> String {
        let get = |name: &[u8]| {
            fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| String::from_utf8_lossy(&f.value).into_owned())
        };
        let s = self.stream(id);
        let mut label = String::new();
        match sender {
            Direction::ClientToServer => {
                if let Some(m) = get(b":method") {
                    let target = get(b":path").or_else(|| get(b":authority"));
                    let _ = write!(label, " {m} {}", target.as_deref().unwrap_or("-"));
                    s.method = Some(m);
                    s.target = target;
                }
                if end_stream {
                    s.request_complete = true;
                }
            }
            Direction::ServerToClient => {
                if let Some(status) = get(b":status") {
                    let _ = write!(label, " :status {status}");
                    match status.parse::<u16>() {
                        Ok(code) if code >= 200 => s.status = Some(code),
                        _ => {}
                    }
                }
                let alt_svc: Vec<String> = fields
                    .iter()
                    .filter(|f| f.name == b"alt-svc")
                    .map(|f| String::from_utf8_lossy(&f.value).into_owned())
                    .collect();
                if !alt_svc.is_empty() {
                    s.alt_svc = Some(alt_svc.join(", ").into_boxed_str());
                }
                if end_stream {
                    s.response_complete = true;
                    s.response_end_offset = Some(end);
                }
            }
        }
        if end_stream {
            label.push_str(" END_STREAM");
        }
        label
    }
}
