//! A ladder's label: what one captured frame completed.

use crate::proto::h2::FrameType;

/// A message label for a ladder: `GET /a`, `HTTP/1.1 200`, `HEADERS s1
/// :status 200`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The text.
    pub text: String,
    /// For an HTTP/2 frame: its type and stream.
    pub h2: Option<(FrameType, u32)>,
}

impl Label {
    /// A label that is not an HTTP/2 frame.
    pub fn text(text: String) -> Self {
        Label { text, h2: None }
    }
}
