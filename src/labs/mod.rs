//! Labs: runs that join the server, a capture, a client and the analyzer, and
//! gather independent witnesses of what happened on the wire.

pub mod counters;
pub mod curl;
pub mod netns;
pub mod reset;
