//! One stream's life on the server side (RFC 9113 §5.1), with the RFC's
//! names for its states, and its two flow-control windows (§5.2, §6.9).
//!
//! The server never pushes (§8.4), so the two "reserved" states never
//! occur: a stream goes idle → open → half-closed (remote) when the
//! client's END_STREAM arrives → closed when our END_STREAM is sent, or
//! straight to closed by RST_STREAM either way.

/// The states of §5.1 that a server without push can reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StreamState {
    /// HEADERS received without END_STREAM: both sides may send.
    Open,
    /// The client sent END_STREAM: it sends nothing more but
    /// WINDOW_UPDATE, PRIORITY and RST_STREAM; we still answer. After an
    /// h2c upgrade stream 1 starts here (RFC 7540 §3.2).
    HalfClosedRemote,
    /// We sent END_STREAM before the client did (an early answer): we
    /// still read what it sends.
    HalfClosedLocal,
    /// Both sides are done, or one reset the stream.
    Closed,
}

impl StreamState {
    /// The RFC's name.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamState::Open => "open",
            StreamState::HalfClosedRemote => "half-closed-remote",
            StreamState::HalfClosedLocal => "half-closed-local",
            StreamState::Closed => "closed",
        }
    }

    /// The client may still send DATA or trailers (§5.1).
    pub fn remote_open(self) -> bool {
        matches!(self, StreamState::Open | StreamState::HalfClosedLocal)
    }

    /// Counts against SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2: "open" or
    /// either "half-closed" state).
    pub fn is_active(self) -> bool {
        self != StreamState::Closed
    }
}

impl std::fmt::Display for StreamState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the client asked on a stream, as far as the server answers it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// `:method`.
    pub method: String,
    /// `:path` (or the HTTP/1.1 target, for the upgraded stream 1).
    pub path: String,
    /// Request body bytes received so far.
    pub body_bytes: u64,
    /// The request's `content-length`, if it sent one.
    pub content_length: Option<u64>,
}

impl Request {
    /// §8.1.1: a request whose DATA adds up to another length than its
    /// `content-length` is malformed.
    pub fn length_differs(&self) -> bool {
        self.content_length.is_some_and(|n| n != self.body_bytes)
    }
}

/// One stream.
#[derive(Debug)]
pub struct Stream {
    /// Its §5.1 state.
    pub state: StreamState,
    /// What we may still send (§6.9.1: it can go negative after the client
    /// lowers SETTINGS_INITIAL_WINDOW_SIZE, §6.9.2).
    pub send_window: i64,
    /// What the client may still send before our next WINDOW_UPDATE.
    pub recv_window: i64,
    /// The request.
    pub request: Request,
    /// The response: body bytes still to send (`None` until it is queued).
    pub response_left: Option<usize>,
    /// The offset in the body of the next DATA byte.
    pub response_sent: usize,
    /// The status of the queued response.
    pub status: u16,
}

impl Stream {
    /// A stream whose request headers just arrived.
    pub fn new(state: StreamState, send_window: u32, recv_window: u32, request: Request) -> Self {
        Stream {
            state,
            send_window: i64::from(send_window),
            recv_window: i64::from(recv_window),
            request,
            response_left: None,
            response_sent: 0,
            status: 0,
        }
    }

    /// The client's END_STREAM arrived (§5.1).
    pub fn remote_ended(&mut self) {
        self.state = match self.state {
            StreamState::Open => StreamState::HalfClosedRemote,
            _ => StreamState::Closed,
        };
    }

    /// Our END_STREAM went out (§5.1).
    pub fn local_ended(&mut self) {
        self.state = match self.state {
            StreamState::Open => StreamState::HalfClosedLocal,
            _ => StreamState::Closed,
        };
    }
}
