//! Ending a connection (RFC 9113 §6.8): GOAWAY after an error or at idle,
//! and the graceful shutdown that lets streams in flight finish.

use super::session::{ConnectionError, SHUTDOWN_PING, Session, Shutdown, conn_err};
use crate::proto::h2::header::MAX_STREAM_ID;
use crate::proto::h2::{ErrorCode, Frame, FrameError};
use crate::server::log::{Dir, Event};

impl Session {
    pub(super) fn connection_error(&mut self, e: FrameError) -> ConnectionError {
        self.fail(e.code, e.reason)
    }

    /// §5.4.1: GOAWAY with the last stream we processed and the code; the
    /// caller closes the connection once it is written.
    pub(super) fn fail(&mut self, code: ErrorCode, reason: &'static str) -> ConnectionError {
        self.failed = true;
        self.block = None;
        self.goaway(code, Some(reason));
        ConnectionError(conn_err(code, reason))
    }

    /// Sends GOAWAY naming the highest stream opened so far.
    pub fn goaway(&mut self, code: ErrorCode, reason: Option<&'static str>) {
        let last_stream = self.highest;
        Frame::GoAway {
            last_stream,
            code,
            debug: reason.unwrap_or("").as_bytes(),
        }
        .encode(&mut self.out);
        self.goaway_sent = Some(last_stream);
        self.event(Event::GoAway {
            dir: Dir::Sent,
            last_stream,
            code,
            reason,
        });
    }

    /// §6.8's graceful shutdown, first step: GOAWAY with 2^31−1 ("no new
    /// streams soon") and a PING; the final GOAWAY follows its ACK.
    pub fn begin_shutdown(&mut self) {
        if self.shutdown != Shutdown::No || self.failed {
            return;
        }
        Frame::GoAway {
            last_stream: MAX_STREAM_ID,
            code: ErrorCode::NoError,
            debug: b"",
        }
        .encode(&mut self.out);
        self.event(Event::GoAway {
            dir: Dir::Sent,
            last_stream: MAX_STREAM_ID,
            code: ErrorCode::NoError,
            reason: None,
        });
        Frame::Ping {
            ack: false,
            data: SHUTDOWN_PING,
        }
        .encode(&mut self.out);
        self.shutdown = Shutdown::Announced(SHUTDOWN_PING);
    }

    pub(super) fn final_goaway(&mut self) {
        self.goaway(ErrorCode::NoError, None);
        self.shutdown = Shutdown::Final;
    }
}
