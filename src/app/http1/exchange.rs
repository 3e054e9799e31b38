//! What the decoder reports: exchanges, each a request and its response.

use crate::http::Version;

use super::framing::{Framing, HeadFields, Note};
use crate::app::Direction;

/// How a direction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// A FIN: the sender closed its direction (a clean end of stream).
    Fin,
    /// A RST: the connection was aborted.
    Rst,
    /// The capture ended with the direction still open.
    CaptureEnd,
}

/// One message (a request, or a final response) as the bytes showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Stream offset of the head's first byte.
    pub start: u64,
    /// Stream offset one past the head's final CRLF.
    pub head_end: u64,
    /// Stream offset one past the message's last byte, once it ended.
    pub end: Option<u64>,
    /// How the body is delimited.
    pub framing: Framing,
    /// Body bytes seen (chunked: the chunk data, without the framing).
    pub body_bytes: u64,
    /// What the head says about body and connection.
    pub fields: HeadFields,
    /// Framing worth attention.
    pub notes: Vec<Note>,
    /// The direction ended inside this message.
    pub cut: Option<End>,
    /// Decoding of the direction stopped inside this message (a gap or an
    /// unreadable chunk): its end is unknown.
    pub undecoded: bool,
}

impl Message {
    /// The body bytes the head announced (Content-Length framing only).
    pub fn expected_body(&self) -> Option<u64> {
        match self.framing {
            Framing::Length(n) => Some(n),
            Framing::None => Some(0),
            _ => None,
        }
    }
}

/// A request line and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method as sent (any token).
    pub method: String,
    /// The target as sent.
    pub target: String,
    /// The version.
    pub version: Version,
    /// The message.
    pub message: Message,
}

/// A final response's status line and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The version.
    pub version: Version,
    /// The status code.
    pub status: u16,
    /// The message.
    pub message: Message,
}

/// A request and its response, as far as they went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The request; `None` for a response no request came before (a 408
    /// on an idle connection, or a client direction lost to a gap).
    pub request: Option<Request>,
    /// Interim (1xx) statuses before the final response, with the stream
    /// offset of each head (at most [`super::MAX_INTERIM`] kept).
    pub interim: Vec<(u16, u64)>,
    /// The final response (or 101), once its head was seen.
    pub response: Option<Response>,
    /// The server's direction ended before a final response came.
    pub never_answered: bool,
}

/// Where an exchange ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The request and the response both ended as their framing says.
    Complete,
    /// A direction ended inside a message: which one, and how.
    Cut {
        /// The direction that ended.
        sender: Direction,
        /// FIN, RST or the end of the capture.
        by: End,
    },
    /// The request was complete, and the server's direction ended without
    /// a final response.
    NeverAnswered,
    /// Decoding stopped (a gap, an unreadable body) inside a message.
    Undecoded,
    /// Still going when the bytes fed so far ran out.
    InProgress,
}

impl Exchange {
    pub(super) fn message_mut(&mut self, sender: Direction) -> Option<&mut Message> {
        match sender {
            Direction::ClientToServer => self.request.as_mut().map(|r| &mut r.message),
            Direction::ServerToClient => self.response.as_mut().map(|r| &mut r.message),
        }
    }

    /// Stream offsets (server direction) of the final response, from its
    /// head's first byte to one past its last byte, once it ended.
    pub fn response_range(&self) -> Option<(u64, Option<u64>)> {
        self.response
            .as_ref()
            .map(|r| (r.message.start, r.message.end))
    }

    /// Where this exchange ended up.
    pub fn outcome(&self) -> Outcome {
        let request = self.request.as_ref().map(|r| &r.message);
        let response = self.response.as_ref().map(|r| &r.message);
        if let Some(by) = request.and_then(|m| m.cut) {
            return Outcome::Cut {
                sender: Direction::ClientToServer,
                by,
            };
        }
        if let Some(by) = response.and_then(|m| m.cut) {
            return Outcome::Cut {
                sender: Direction::ServerToClient,
                by,
            };
        }
        if request.is_some_and(|m| m.undecoded) || response.is_some_and(|m| m.undecoded) {
            return Outcome::Undecoded;
        }
        let request_done = request.is_none_or(|m| m.end.is_some());
        match response {
            Some(m) if m.end.is_some() && request_done => Outcome::Complete,
            None if self.never_answered && request_done => Outcome::NeverAnswered,
            _ => Outcome::InProgress,
        }
    }
}
