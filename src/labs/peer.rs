//! Running a real client as a witness (curl, nghttp): why it could not be
//! run, in one shape for every tool.

use std::io;

/// Why a peer tool could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// The tool is not on PATH.
    #[error("{tool} is not installed (not found on PATH): {install}")]
    Missing {
        /// The command's name.
        tool: &'static str,
        /// How to install it.
        install: &'static str,
    },
    /// The tool could not start or be waited for.
    #[error("cannot run {tool}: {source}")]
    Spawn {
        /// The command's name.
        tool: &'static str,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

/// Whether a tool's error line reports ECONNRESET, the peer's RST: both
/// curl and nghttp print the C library's words for it (`strerror`,
/// "Connection reset by peer"). The one place a witness reads a reset from
/// a tool's text.
pub fn reports_reset(line: Option<&str>) -> bool {
    line.is_some_and(|l| l.contains("reset by peer"))
}

impl PeerError {
    /// The error of starting or waiting for `tool`.
    pub fn of(tool: &'static str, install: &'static str, e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::NotFound {
            PeerError::Missing { tool, install }
        } else {
            PeerError::Spawn { tool, source: e }
        }
    }
}
