//! Each whole frame's effect on the connection (streams opened and ended,
//! SETTINGS, GOAWAY, the rules it broke) and the label a ladder shows for it.

use std::fmt::Write as _;

use crate::proto::h2::{ErrorCode, Frame, FrameError, FrameHeader, Scope, SettingId, flags};

use super::super::Direction;
use super::{GoAway, H2Decoder, Pending, ProtocolError, index};

impl H2Decoder {
    /// A DATA frame whose payload was not kept: its length counts, less
    /// padding, which is unknown here and at most 256 bytes; the pad length
    /// byte itself is the payload's first, also not kept, so a padded DATA
    /// frame's data count is its length (an upper bound) and says so nowhere
    /// else. Padded DATA is rare in practice.
    pub(super) fn data(&mut self, sender: Direction, header: &FrameHeader, end: u64) -> String {
        let id = header.stream;
        let end_stream = header.has(flags::END_STREAM);
        let s = self.stream(id);
        s.data_bytes[index(sender)] += u64::from(header.length);
        if end_stream {
            match sender {
                Direction::ClientToServer => s.request_complete = true,
                Direction::ServerToClient => {
                    s.response_complete = true;
                    s.response_end_offset = Some(end);
                }
            }
        }
        format!(
            "DATA s{id} {} B{}",
            header.length,
            if end_stream { " END_STREAM" } else { "" }
        )
    }

    pub(super) fn frame(
        &mut self,
        sender: Direction,
        offset: u64,
        end: u64,
        frame: Frame<'_>,
    ) -> String {
        let i = index(sender);
        match frame {
            Frame::Data { .. } => unreachable!("DATA payloads are never kept"),
            Frame::Headers {
                stream,
                end_stream,
                end_headers,
                fragment,
                ..
            } => {
                let pending = Pending {
                    stream,
                    end_stream,
                    block: fragment.to_vec(),
                    offset,
                };
                let what = self.block(sender, pending, end_headers, end);
                format!("HEADERS s{stream}{what}")
            }
            Frame::PushPromise {
                stream,
                promised,
                end_headers,
                fragment,
                ..
            } => {
                // The promised request's block is decoded (it moves the
                // table) but belongs to the promised stream.
                let pending = Pending {
                    stream: promised,
                    end_stream: false,
                    block: fragment.to_vec(),
                    offset,
                };
                let what = self.block(sender, pending, end_headers, end);
                format!("PUSH_PROMISE s{stream} promised s{promised}{what}")
            }
            Frame::Continuation {
                fragment,
                end_headers,
                stream,
            } => {
                let Some(mut pending) = self.sides[i].pending.take() else {
                    self.note(ProtocolError {
                        sender,
                        offset,
                        error: FrameError {
                            code: ErrorCode::ProtocolError,
                            scope: Scope::Connection,
                            reason: "CONTINUATION without HEADERS",
                        },
                    });
                    return format!("CONTINUATION s{stream} (unexpected)");
                };
                pending.block.extend_from_slice(fragment);
                let what = self.block(sender, pending, end_headers, end);
                format!("CONTINUATION s{stream}{what}")
            }
            Frame::Priority { stream, .. } => format!("PRIORITY s{stream}"),
            Frame::RstStream { stream, code } => {
                self.stream(stream).reset = Some((sender, code));
                format!("RST_STREAM s{stream} {code}")
            }
            Frame::Settings { ack: true, .. } => {
                self.sides[i].opening.acked = true;
                "SETTINGS ACK".into()
            }
            Frame::Settings { ack: false, params } => {
                let opening = &mut self.sides[i].opening;
                if opening.settings.is_none() {
                    opening.settings = Some(params.collect());
                }
                let mut label = String::from("SETTINGS");
                // The sender's HEADER_TABLE_SIZE bounds the table of the
                // blocks it receives: the other direction's decoder.
                let other = 1 - i;
                for (id, value) in params {
                    let _ = write!(label, " {id}={value}");
                    if id == SettingId::HeaderTableSize {
                        let d = &mut self.sides[other].hpack;
                        if value as usize > d.limit() {
                            d.set_limit(value as usize);
                        }
                    }
                }
                label
            }
            Frame::Ping { ack, .. } => if ack { "PING ACK" } else { "PING" }.into(),
            Frame::GoAway {
                last_stream,
                code,
                debug,
            } => {
                let debug = String::from_utf8_lossy(&debug[..debug.len().min(256)]).into_owned();
                self.goaways.push(GoAway {
                    sender,
                    last_stream,
                    code,
                    debug,
                });
                format!("GOAWAY last={last_stream} {code}")
            }
            Frame::WindowUpdate { stream, increment } => {
                format!("WINDOW_UPDATE s{stream} +{increment}")
            }
            Frame::Unknown { header, .. } => format!("{} s{}", header.kind, header.stream),
        }
    }
}
