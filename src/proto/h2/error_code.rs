//! HTTP/2 error codes (RFC 9113 §7), carried by RST_STREAM (a stream ends)
//! and GOAWAY (the connection ends). The same code in the two frames means
//! two different things: the type that carries it is always said with it.

use std::fmt;

/// An error code; values without a name are kept (§7: "unknown or
/// unsupported error codes MUST NOT trigger any special behavior").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0x0: graceful shutdown, or a stream no longer needed.
    NoError,
    /// 0x1: a protocol error was detected.
    ProtocolError,
    /// 0x2: the endpoint failed.
    InternalError,
    /// 0x3: flow-control limits were violated.
    FlowControlError,
    /// 0x4: SETTINGS were not acknowledged in time.
    SettingsTimeout,
    /// 0x5: a frame arrived after the stream was half-closed.
    StreamClosed,
    /// 0x6: a frame had an invalid size.
    FrameSizeError,
    /// 0x7: the stream was refused before any processing.
    RefusedStream,
    /// 0x8: the stream is no longer needed.
    Cancel,
    /// 0x9: the header compression context cannot be kept.
    CompressionError,
    /// 0xa: the CONNECT tunnel was reset or closed abnormally.
    ConnectError,
    /// 0xb: the peer behaves in a way that might generate excessive load.
    EnhanceYourCalm,
    /// 0xc: the transport does not meet minimum security requirements.
    InadequateSecurity,
    /// 0xd: HTTP/1.1 is required instead.
    Http11Required,
    /// Any other value.
    Unknown(u32),
}

const NAMED: [(ErrorCode, &str); 14] = [
    (ErrorCode::NoError, "NO_ERROR"),
    (ErrorCode::ProtocolError, "PROTOCOL_ERROR"),
    (ErrorCode::InternalError, "INTERNAL_ERROR"),
    (ErrorCode::FlowControlError, "FLOW_CONTROL_ERROR"),
    (ErrorCode::SettingsTimeout, "SETTINGS_TIMEOUT"),
    (ErrorCode::StreamClosed, "STREAM_CLOSED"),
    (ErrorCode::FrameSizeError, "FRAME_SIZE_ERROR"),
    (ErrorCode::RefusedStream, "REFUSED_STREAM"),
    (ErrorCode::Cancel, "CANCEL"),
    (ErrorCode::CompressionError, "COMPRESSION_ERROR"),
    (ErrorCode::ConnectError, "CONNECT_ERROR"),
    (ErrorCode::EnhanceYourCalm, "ENHANCE_YOUR_CALM"),
    (ErrorCode::InadequateSecurity, "INADEQUATE_SECURITY"),
    (ErrorCode::Http11Required, "HTTP_1_1_REQUIRED"),
];

impl ErrorCode {
    /// The code for a value on the wire.
    pub fn from_u32(v: u32) -> Self {
        NAMED
            .get(v as usize)
            .map_or(ErrorCode::Unknown(v), |(code, _)| *code)
    }

    /// The value on the wire.
    pub fn to_u32(self) -> u32 {
        match self {
            ErrorCode::Unknown(v) => v,
            known => NAMED
                .iter()
                .position(|(c, _)| *c == known)
                .expect("every named code is in the table") as u32,
        }
    }

    /// The RFC's name, or `None` for an unknown value.
    pub fn name(self) -> Option<&'static str> {
        match self {
            ErrorCode::Unknown(_) => None,
            known => NAMED.iter().find(|(c, _)| *c == known).map(|(_, n)| *n),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:x}", self.to_u32()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_names_round_trip() {
        for v in 0..=0xd {
            let code = ErrorCode::from_u32(v);
            assert_eq!(code.to_u32(), v);
            assert!(code.name().is_some());
        }
        assert_eq!(ErrorCode::from_u32(0x8).to_string(), "CANCEL");
        assert_eq!(ErrorCode::from_u32(0xd).to_string(), "HTTP_1_1_REQUIRED");
        assert_eq!(ErrorCode::from_u32(0x1234), ErrorCode::Unknown(0x1234));
        assert_eq!(ErrorCode::Unknown(0x1234).to_string(), "0x1234");
    }
}
