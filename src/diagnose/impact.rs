//! Whether a RST mattered. Harmful only on the packets' evidence of lost
//! application bytes; benign only when both sides had finished; uncertain
//! otherwise. A benign RST called harmful would bury the real ones, so
//! every doubt goes to "uncertain", never to "harmful".

use std::fmt;

use crate::teardown::Role;

use super::cause::{Cause, UnknownShape};
use super::facts::Facts;

/// Why a RST is harmful: which application bytes were lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Harm {
    /// Requests reached the server and drew no response.
    Unanswered {
        /// How many.
        requests: usize,
    },
    /// A response was not acknowledged whole by the client's TCP before
    /// the RST (its kernel may drop the queued part, RFC 9293 §3.10.7.4).
    ResponseNotAcknowledged {
        /// The exchange.
        exchange: usize,
    },
    /// An HTTP/1 request was still arriving (its body incomplete) when the
    /// server reset, and nothing answered it: the upload was cut.
    UploadCut {
        /// The exchange.
        exchange: usize,
    },
    /// Bytes of a message (a request or response, an upload) the RST
    /// destroyed unacknowledged.
    MessageCut {
        /// The bytes.
        bytes: u64,
    },
    /// Bytes of a stream the capture could not decode (TLS without keys,
    /// another protocol) were destroyed unacknowledged.
    BytesCut {
        /// The bytes.
        bytes: u64,
    },
}

/// Why a RST is benign: both sides had finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benign {
    /// No connection was made: no application byte existed.
    NoConnection,
    /// Both sides had sent FIN.
    BothFins,
    /// TLS had closed first.
    CloseNotify,
    /// The peer had closed (FIN) and every request was answered and
    /// acknowledged.
    PeerFinished,
    /// The client reset after every response had reached it whole.
    ClientDone,
}

/// Why the packets cannot say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uncertainty {
    /// Nothing was lost on the wire, but the client had not finished: it
    /// may report a reset on its next read or write, and a stack that
    /// discards received data on RST loses what it had not read yet.
    ClientStillOpen,
    /// Bytes died that belonged to no decoded message.
    StrayBytes {
        /// The bytes.
        bytes: u64,
    },
    /// Nothing decoded and nothing lost: no way to tell what the
    /// application expected.
    Undecoded,
}

/// Whether the RST mattered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impact {
    /// Application bytes were lost.
    Harmful(Harm),
    /// Both sides had finished.
    Benign(Benign),
    /// The packets cannot tell.
    Uncertain(Uncertainty),
}

impl Impact {
    /// The stable name: harmful, benign, uncertain.
    pub fn name(&self) -> &'static str {
        match self {
            Impact::Harmful(_) => "harmful",
            Impact::Benign(_) => "benign",
            Impact::Uncertain(_) => "uncertain",
        }
    }

    /// Harmful?
    pub fn is_harmful(&self) -> bool {
        matches!(self, Impact::Harmful(_))
    }
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Impact::Harmful(h) => match h {
                Harm::Unanswered { requests: 1 } => {
                    write!(f, "a request reached the server and was never answered")
                }
                Harm::Unanswered { requests } => {
                    write!(
                        f,
                        "{requests} requests reached the server and were never answered"
                    )
                }
                Harm::ResponseNotAcknowledged { exchange } => write!(
                    f,
                    "response {} was not acknowledged whole by the client before the RST",
                    exchange + 1
                ),
                Harm::UploadCut { exchange } => write!(
                    f,
                    "request {} was still being sent when the server reset, and nothing \
                     answered it: the upload was cut",
                    exchange + 1
                ),
                Harm::MessageCut { bytes } => {
                    write!(f, "{bytes} bytes of a message died unacknowledged")
                }
                Harm::BytesCut { bytes } => write!(
                    f,
                    "{bytes} bytes of the undecoded stream died unacknowledged"
                ),
            },
            Impact::Benign(b) => f.write_str(match b {
                Benign::NoConnection => "no connection was made: no application byte existed",
                Benign::BothFins => "both sides had closed with FIN",
                Benign::CloseNotify => "TLS had closed (close_notify) before the RST",
                Benign::PeerFinished => {
                    "the peer had closed and every request was answered and acknowledged"
                }
                Benign::ClientDone => "the client reset after every response had reached it whole",
            }),
            Impact::Uncertain(u) => match u {
                Uncertainty::ClientStillOpen => f.write_str(
                    "nothing was lost on the wire, but the client had not finished: it may \
                     report a reset, and a stack that drops received data on RST loses what \
                     it had not read",
                ),
                Uncertainty::StrayBytes { bytes } => write!(
                    f,
                    "{bytes} bytes died unacknowledged, but they belonged to no request"
                ),
                Uncertainty::Undecoded => f.write_str(
                    "nothing was lost on the wire and no protocol was decoded to say more",
                ),
            },
        }
    }
}

/// The impact of the RST `f` describes, whose cause is `cause`.
pub(super) fn decide(f: &Facts<'_>, cause: &Cause) -> Impact {
    if let Some(h) = harm(f) {
        return Impact::Harmful(h);
    }
    let benign = match cause {
        Cause::Refused | Cause::Unknown(UnknownShape::HandshakeAbort) if f.lost() == 0 => {
            Some(Benign::NoConnection)
        }
        Cause::AfterBothFins { .. } => Some(Benign::BothFins),
        Cause::AfterCloseNotify => Some(Benign::CloseNotify),
        _ => None,
    };
    if let Some(b) = benign {
        return Impact::Benign(b);
    }
    let peer = match f.rst.sender {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    // Every exchange answered and acknowledged (harm() found none that
    // was not); what remains is whether the client was done. The client
    // deciding to reset once it had everything is done, whatever stray
    // bytes (HTTP/2 control frames, say) were still coming.
    let all_acknowledged =
        f.http() && (0..f.exchanges().len()).all(|n| f.delivered(n) == Some(true));
    if all_acknowledged && f.rst.sender == Role::Client {
        return Impact::Benign(Benign::ClientDone);
    }
    let stray = f.unacked() + f.lost();
    if stray > 0 {
        return Impact::Uncertain(Uncertainty::StrayBytes { bytes: stray });
    }
    if !f.http() {
        return Impact::Uncertain(Uncertainty::Undecoded);
    }
    if all_acknowledged && f.fin_before(peer).is_some() {
        return Impact::Benign(Benign::PeerFinished);
    }
    Impact::Uncertain(Uncertainty::ClientStillOpen)
}

/// Lost application bytes, on the packets' evidence.
fn harm(f: &Facts<'_>) -> Option<Harm> {
    if !f.unanswered.is_empty() {
        return Some(Harm::Unanswered {
            requests: f.unanswered.len(),
        });
    }
    if let Some(n) = f.undelivered() {
        return Some(Harm::ResponseNotAcknowledged { exchange: n });
    }
    // Linux acknowledges body bytes as they arrive, so an upload the
    // server's RST cut often leaves nothing unacknowledged: the request
    // that never ended, with no response, is the evidence.
    if let Some(n) = f.cut_upload() {
        return Some(Harm::UploadCut { exchange: n });
    }
    let within = |exchanges: &[usize], bytes: u64| if exchanges.is_empty() { 0 } else { bytes };
    let in_messages = within(f.lost_in, f.lost()) + within(f.unacked_in, f.unacked());
    if in_messages > 0 {
        return Some(Harm::MessageCut { bytes: in_messages });
    }
    // Undecoded payload: any byte destroyed may have mattered, and there
    // is no message boundary to say otherwise.
    let cut = f.lost() + f.unacked();
    if !f.http() && cut > 0 && f.app.is_some_and(|a| a.conversation.is_some()) {
        return Some(Harm::BytesCut { bytes: cut });
    }
    None
}
