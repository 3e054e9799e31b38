//! One direction's parser state: where it is in the message grammar.

use crate::http::{ChunkedDecoder, Scan};

use super::{End, Stop};

/// Where a body is.
#[derive(Debug, Clone)]
pub(super) enum Body {
    /// This many bytes still to come.
    Length(u64),
    /// Inside the chunked coding.
    Chunked(ChunkedDecoder),
    /// Until the connection closes.
    UntilClose,
}

/// Why the client's bytes are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Held {
    /// The exchange whose answer decides.
    pub exchange: usize,
}

#[derive(Debug, Clone)]
pub(super) enum State {
    /// Collecting a head in `buf`.
    Head,
    /// Inside the body of this exchange's message.
    Body { exchange: usize, body: Body },
    /// Client only: waiting for the answer to an Upgrade or CONNECT; the
    /// bytes after it wait in `buf`.
    Held(Held),
    /// HTTP/1 ended (switch or tunnel): nothing more is read.
    Done,
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        matches!(
            (self, other),
            (State::Head, State::Head) | (State::Done, State::Done)
        ) || matches!((self, other), (State::Held(a), State::Held(b)) if a == b)
    }
}

#[derive(Debug, Clone)]
pub(super) struct Side {
    /// Stream offset of the next byte.
    pub offset: u64,
    /// The head being collected, or the held bytes.
    pub buf: Vec<u8>,
    /// How far the head in `buf` has been checked.
    pub scan: Scan,
    pub state: State,
    /// Boxed: most directions never stop.
    pub stop: Option<Box<Stop>>,
    pub ended: Option<End>,
}

impl Side {
    pub fn new(offset: u64) -> Self {
        Side {
            offset,
            buf: Vec::new(),
            scan: Scan::default(),
            state: State::Head,
            stop: None,
            ended: None,
        }
    }
}
