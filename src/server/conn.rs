//! What the loop and a connection handler (`h1/`, `h2/`) say to each other:
//! the state the loop lends while driving a connection ([`Cx`]) and what it
//! must do afterwards ([`Next`]).

use std::time::Instant;

use super::log::{Cause, CloseEnding, Event};
use super::{Config, Stats};

/// Shared state the loop lends to a connection while driving it.
pub(super) struct Cx<'a> {
    pub config: &'a Config,
    /// Scratch space for peeks and discarded reads.
    pub scratch: &'a mut [u8],
    /// The deterministic response body, built once.
    pub body: &'a [u8],
    pub stats: &'a mut Stats,
    /// Events for this connection: (connection id, event).
    pub events: &'a mut Vec<(u64, Event)>,
    pub now: Instant,
}

/// What the loop must do after driving a connection.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Wait for the next event or timer.
    Wait,
    /// The turn is used up with work left: drive again soon. Edge-triggered
    /// readiness will not report bytes that are already queued, so the loop must
    /// remember this connection itself.
    Yield,
    /// Deregister and drop the socket; log how it ended.
    Finished {
        end: CloseEnding,
        cause: Cause,
        unread: usize,
    },
}
