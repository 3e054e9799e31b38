//! Flow control (RFC 9113 §5.2, §6.9) and the client's settings (§6.5):
//! the windows each side may send into, WINDOW_UPDATE both ways, and the
//! window change a new SETTINGS_INITIAL_WINDOW_SIZE makes (§6.9.2).

use super::session::{Session, conn_err, stream_err};
use crate::proto::h2::settings::MAX_WINDOW;
use crate::proto::h2::{ErrorCode, Frame, FrameError, SettingId};

impl Session {
    /// Applies one of the client's settings (§6.5.2), with the window
    /// adjustment a new SETTINGS_INITIAL_WINDOW_SIZE makes (§6.9.2).
    pub(super) fn apply_setting(&mut self, id: SettingId, value: u32) -> Result<(), FrameError> {
        let before = self.peer.initial_window_size;
        self.peer
            .apply(id, value)
            .map_err(|bad| conn_err(bad.code, "a SETTINGS value out of range"))?;
        match id {
            SettingId::InitialWindowSize => {
                let delta = i64::from(value) - i64::from(before);
                for s in self.streams.values_mut() {
                    s.send_window += delta;
                    if s.send_window > i64::from(MAX_WINDOW) {
                        return Err(conn_err(
                            ErrorCode::FlowControlError,
                            "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window",
                        ));
                    }
                }
            }
            SettingId::HeaderTableSize => {
                // Our encoder may use at most what the client's decoder
                // allows; 4096 is plenty for a few response fields.
                let size = (value as usize).min(4096);
                self.encoder.set_max_table_size(size);
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn on_window_update(
        &mut self,
        stream: u32,
        increment: u32,
    ) -> Result<(), FrameError> {
        if stream == 0 {
            self.send_window += i64::from(increment);
            if self.send_window > i64::from(MAX_WINDOW) {
                // §6.9.1: a window above 2^31−1 is a FLOW_CONTROL_ERROR.
                return Err(conn_err(
                    ErrorCode::FlowControlError,
                    "connection window over 2^31-1",
                ));
            }
            return Ok(());
        }
        self.check_not_idle(stream, "WINDOW_UPDATE on an idle stream")?;
        if let Some(s) = self.streams.get_mut(&stream) {
            s.send_window += i64::from(increment);
            if s.send_window > i64::from(MAX_WINDOW) {
                return Err(stream_err(
                    stream,
                    ErrorCode::FlowControlError,
                    "stream window over 2^31-1",
                ));
            }
        }
        // A closed stream's WINDOW_UPDATE may cross our END_STREAM: ignored
        // (§5.1 "closed").
        Ok(())
    }

    pub(super) fn on_data(
        &mut self,
        stream: u32,
        end_stream: bool,
        data_len: u32,
        padding: u32,
        body: &[u8],
    ) -> Result<(), FrameError> {
        self.check_not_idle(stream, "DATA on an idle stream")?;
        // Padding counts against the windows (§6.1) but is no body.
        let len = data_len + padding;
        // §6.9: every DATA frame counts against the connection window, even
        // on a stream that is gone.
        self.recv_window -= i64::from(len);
        if self.recv_window < 0 {
            return Err(conn_err(
                ErrorCode::FlowControlError,
                "DATA beyond the connection window",
            ));
        }
        self.window_update(0, len);
        let Some(s) = self.streams.get_mut(&stream) else {
            return Err(stream_err(
                stream,
                ErrorCode::StreamClosed,
                "DATA on a closed stream",
            ));
        };
        if !s.state.remote_open() {
            // §6.1: DATA on a half-closed (remote) stream.
            return Err(stream_err(
                stream,
                ErrorCode::StreamClosed,
                "DATA after END_STREAM",
            ));
        }
        s.recv_window -= i64::from(len);
        if s.recv_window < 0 {
            return Err(stream_err(
                stream,
                ErrorCode::FlowControlError,
                "DATA beyond the stream window",
            ));
        }
        s.request.body_bytes += u64::from(data_len);
        if end_stream && s.request.length_differs() {
            return Err(stream_err(
                stream,
                ErrorCode::ProtocolError,
                "DATA differs from content-length",
            ));
        }
        if end_stream {
            self.end_of_request(stream, body);
        } else {
            self.window_update(stream, len);
        }
        Ok(())
    }

    /// Gives the client back `len` bytes of window (we discard DATA at
    /// once, so we never hold it back).
    fn window_update(&mut self, stream: u32, len: u32) {
        if len == 0 {
            return;
        }
        if stream == 0 {
            self.recv_window += i64::from(len);
        } else if let Some(s) = self.streams.get_mut(&stream) {
            s.recv_window += i64::from(len);
        }
        Frame::WindowUpdate {
            stream,
            increment: len,
        }
        .encode(&mut self.out);
    }
}
