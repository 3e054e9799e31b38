//! HTTP/2 framing (RFC 9113): the connection preface, frame headers, the ten
//! frame types with their rules, SETTINGS, and error codes. Field blocks are
//! decoded by [`super::hpack`]; stream and connection state live with their
//! users (the server and the analyzer), which see the same frames.
//!
//! - [`preface`]: the client's 24 bytes (§3.4)
//! - [`header`]: the 9-byte frame header and the size check (§4.1, §4.2)
//! - [`frame`]: parsing each type and its errors (§6, §5.4)
//! - [`encode`]: writing frames, and a field block split into HEADERS and
//!   CONTINUATION (§4.3)
//! - [`settings`]: SETTINGS parameters (§6.5.2)
//! - [`http2_settings`]: the h2c upgrade's `HTTP2-Settings` field (RFC 7540
//!   §3.2.1)
//! - [`error_code`]: error codes (§7)

pub mod encode;
pub mod error_code;
pub mod frame;
pub mod header;
pub mod http2_settings;
pub mod preface;
pub mod settings;
#[cfg(test)]
mod tests;

pub use encode::{encode_field_block, encode_field_block_with, encode_settings};
pub use error_code::ErrorCode;
pub use frame::{Frame, FrameError, PrioritySpec, Scope, SettingsParams, parse};
pub use header::{Check, FrameHeader, FrameType, HEADER_LEN, check, flags};
pub use http2_settings::{base64url, decode_http2_settings, encode_http2_settings};
pub use preface::{PREFACE, PrefaceMatch, match_preface};
pub use settings::{SettingId, Settings};
