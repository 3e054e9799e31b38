//! One frame applied to the session: the per-type rules of RFC 9113 §6
//! and the stream states of §5.1.

use super::super::stream::StreamState;
use super::{Session, Shutdown, conn_err, stream_err};
use crate::proto::h2::{ErrorCode, Frame, FrameError};
use crate::server::log::{Dir, Event, SettingValue};

impl Session {
    pub(super) fn on_frame(&mut self, frame: Frame<'_>, body: &[u8]) -> Result<(), FrameError> {
        // §3.4: the client's preface ends with a SETTINGS frame.
        if self.need_settings {
            if !matches!(frame, Frame::Settings { ack: false, .. }) {
                return Err(conn_err(
                    ErrorCode::ProtocolError,
                    "first frame after the preface is not SETTINGS",
                ));
            }
            self.need_settings = false;
        }
        // §4.3: a field block's frames come with nothing between them.
        if let Some(block) = &self.block
            && !matches!(frame, Frame::Continuation { stream, .. } if stream == block.stream)
        {
            return Err(conn_err(
                ErrorCode::ProtocolError,
                "a frame between HEADERS and its CONTINUATION",
            ));
        }
        match frame {
            Frame::Data {
                stream,
                end_stream,
                data,
                padding,
            } => self.on_data(stream, end_stream, data.len() as u32, padding, body),
            Frame::Headers {
                stream,
                end_stream,
                end_headers,
                priority,
                fragment,
                ..
            } => {
                let self_dependent = priority.is_some_and(|p| p.depends_on == stream);
                self.on_headers(
                    stream,
                    end_stream,
                    end_headers,
                    self_dependent,
                    fragment,
                    body,
                )
            }
            Frame::Continuation {
                stream,
                end_headers,
                fragment,
            } => self.on_continuation(stream, end_headers, fragment, body),
            // §5.3.2: priority signals are deprecated; accepted and ignored.
            Frame::Priority { stream, spec } if spec.depends_on == stream => Err(stream_err(
                stream,
                ErrorCode::ProtocolError,
                "stream depends on itself",
            )),
            Frame::Priority { .. } => Ok(()),
            Frame::RstStream { stream, code } => {
                self.check_not_idle(stream, "RST_STREAM on an idle stream")?;
                self.event(Event::RstStream {
                    dir: Dir::Received,
                    stream,
                    code,
                    reason: None,
                });
                if self.streams.remove(&stream).is_some() {
                    self.stream_event(stream, StreamState::Closed);
                }
                Ok(())
            }
            Frame::Settings { ack: true, .. } => {
                self.settings_acked = true;
                self.event(Event::Settings {
                    dir: Dir::Received,
                    ack: true,
                    params: Vec::new(),
                });
                Ok(())
            }
            Frame::Settings { ack: false, params } => {
                let list: Vec<SettingValue> = params
                    .map(|(id, value)| SettingValue { id, value })
                    .collect();
                self.event(Event::Settings {
                    dir: Dir::Received,
                    ack: false,
                    params: list.clone(),
                });
                for p in &list {
                    self.apply_setting(p.id, p.value)?;
                }
                // §6.5.3: acknowledge once every value is applied.
                Frame::Settings {
                    ack: true,
                    params: crate::proto::h2::SettingsParams::new(&[]),
                }
                .encode(&mut self.out);
                self.event(Event::Settings {
                    dir: Dir::Sent,
                    ack: true,
                    params: Vec::new(),
                });
                Ok(())
            }
            // §8.4: a client cannot push.
            Frame::PushPromise { .. } => Err(conn_err(
                ErrorCode::ProtocolError,
                "PUSH_PROMISE from a client",
            )),
            Frame::Ping { ack: false, data } => {
                Frame::Ping { ack: true, data }.encode(&mut self.out);
                Ok(())
            }
            Frame::Ping { ack: true, data } => {
                if self.shutdown == Shutdown::Announced(data) {
                    self.final_goaway();
                }
                Ok(())
            }
            Frame::GoAway {
                last_stream, code, ..
            } => {
                self.peer_goaway = true;
                self.event(Event::GoAway {
                    dir: Dir::Received,
                    last_stream,
                    code,
                    reason: None,
                });
                Ok(())
            }
            Frame::WindowUpdate { stream, increment } => self.on_window_update(stream, increment),
            // §5.5: unknown frame types are ignored.
            Frame::Unknown { .. } => Ok(()),
        }
    }
}
