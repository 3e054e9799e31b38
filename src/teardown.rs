//! How each connection ended: the teaching verdict, read from its record.
//!
//! The fourth stage of the analyzer pipeline (capture → wire → flow →
//! **teardown** → report). Where Zeek's `conn_state` speaks of originator and
//! responder, the teaching verdict speaks of **client** (the side that sent
//! the first SYN, when one was captured; otherwise Zeek's originator) and
//! **server**, and says:
//!
//! - how it ended ([`Ending`]): `fin` when both sides sent FIN (RFC 9293 §3.6)
//!   before any RST; `rst` when a RST aborted it (RFC 9293 §3.5.2–3.5.3);
//!   `refused` when the server's RST answered the client's SYN (nothing was
//!   listening, RFC 9293 §3.10.7.1); `half-closed` when only one side sent
//!   FIN; `unanswered` when the client's SYN drew no packet at all from the
//!   server; `open` otherwise (still open when the capture ended);
//! - who closed first: the sender of the first FIN in frame order (an orderly
//!   close; a RST is reported separately, never as a close);
//! - who sent RST and in which phase ([`RstPhase`]), decided when the RST
//!   was seen, from the packets alone:
//!   - `handshake`: before any handshake completed (a refusal, or an aborted
//!     attempt);
//!   - `after_own_fin`: the sender had sent its FIN before;
//!   - `data_after_close`: the sender had sent its FIN and the peer then sent
//!     new data, the case RFC 1122 §4.2.2.13 and RFC 2525 §2.16 answer with
//!     RST;
//!   - `after_peer_fin`: the sender had not sent FIN, the peer had;
//!   - `unread_data`: no FIN either way, and the peer had sent the RST's
//!     sender payload. This is the wire shape of `close()` with unread data
//!     (RFC 1122 §4.2.2.13, RFC 2525 §2.17), but packets cannot show what the
//!     application read: an `SO_LINGER` zero-timeout abort after reading
//!     everything looks the same. The kernel's counters (TcpExtTCPAbortOnClose
//!     against TcpExtTCPAbortOnData) tell them apart;
//!   - `without_fin`: no FIN either way and no payload received;
//! - bytes each way (Zeek's sequence-based sizes: acknowledged bytes that the
//!   capture missed are included);
//! - the frame numbers that decided it: the client's first SYN, each side's
//!   first FIN and first RST (Wireshark's "Go to packet").

use std::fmt;

use crate::flow::{Connection, RstPhase, Side};
use crate::wire::Endpoint;

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// Both sides sent FIN before any RST: a graceful close both ways.
    Fin,
    /// A RST aborted the connection.
    Rst,
    /// The server answered the client's SYN with RST.
    Refused,
    /// One side sent FIN, the other neither FIN nor RST.
    HalfClosed,
    /// No FIN or RST seen: still open when the capture ended (or its end was
    /// not captured).
    Open,
    /// The client's SYN got no packet back.
    Unanswered,
}

impl Ending {
    /// Every verdict, in a fixed order.
    pub const ALL: [Ending; 6] = [
        Ending::Fin,
        Ending::Rst,
        Ending::Refused,
        Ending::HalfClosed,
        Ending::Open,
        Ending::Unanswered,
    ];

    /// The stable name used in every output and by `--expect`.
    pub fn name(self) -> &'static str {
        match self {
            Ending::Fin => "fin",
            Ending::Rst => "rst",
            Ending::Refused => "refused",
            Ending::HalfClosed => "half-closed",
            Ending::Open => "open",
            Ending::Unanswered => "unanswered",
        }
    }

    /// Parses [`Ending::name`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == s)
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Client or server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The side that sent the first SYN (or Zeek's originator).
    Client,
    /// The other side.
    Server,
}

impl Role {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A side's first RST.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Reset {
    /// Who sent it.
    pub sender: Role,
    /// How it related to the close.
    pub phase: RstPhase,
    /// Its frame number.
    pub frame: u64,
}

/// The frames that decided the verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Frames {
    /// The connection's first frame.
    pub first: u64,
    /// The client's first SYN.
    pub syn: Option<u64>,
    /// The client's first FIN.
    pub client_fin: Option<u64>,
    /// The server's first FIN.
    pub server_fin: Option<u64>,
    /// The client's first RST.
    pub client_rst: Option<u64>,
    /// The server's first RST.
    pub server_rst: Option<u64>,
}

/// The teaching verdict for one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Teardown {
    /// How it ended.
    pub ending: Ending,
    /// The client's address and port.
    pub client: Endpoint,
    /// The server's address and port.
    pub server: Endpoint,
    /// True when the client is known from its SYN; false when it is only
    /// Zeek's originator (the handshake was not captured).
    pub client_from_syn: bool,
    /// Who sent the first FIN (RSTs are reported separately).
    pub closed_first: Option<Role>,
    /// The first RST by frame order, if any.
    pub first_rst: Option<Reset>,
    /// The client's first RST.
    pub client_rst: Option<Reset>,
    /// The server's first RST.
    pub server_rst: Option<Reset>,
    /// Bytes from client to server.
    pub bytes_client_to_server: u64,
    /// Bytes from server to client.
    pub bytes_server_to_client: u64,
    /// Deciding frame numbers.
    pub frames: Frames,
}

impl Teardown {
    /// Reads the verdict off a finished connection.
    pub fn of(c: &Connection) -> Self {
        let syn_is_orig = c.syn_sender_is_orig();
        let client_is_orig = syn_is_orig.unwrap_or(true);
        let (client, server): (Side<'_>, Side<'_>) = if client_is_orig {
            (c.orig(), c.resp())
        } else {
            (c.resp(), c.orig())
        };
        let reset = |side: &Side<'_>, role| {
            side.rst_frame
                .zip(side.tcp.rst_phase())
                .map(|(frame, phase)| Reset {
                    sender: role,
                    phase,
                    frame,
                })
        };
        let client_rst = reset(&client, Role::Client);
        let server_rst = reset(&server, Role::Server);
        let first_rst = match (client_rst, server_rst) {
            (Some(a), Some(b)) => Some(if a.frame <= b.frame { a } else { b }),
            (a, b) => a.or(b),
        };
        let frames = Frames {
            first: c.first_frame(),
            syn: client.syn_frame,
            client_fin: client.fin_frame,
            server_fin: server.fin_frame,
            client_rst: client.rst_frame,
            server_rst: server.rst_frame,
        };
        let ending = ending(&frames, first_rst, server_rst, server.tcp.pkts());
        let closed_first = match (client.fin_frame, server.fin_frame) {
            (Some(a), Some(b)) => Some(if a <= b { Role::Client } else { Role::Server }),
            (Some(_), None) => Some(Role::Client),
            (None, Some(_)) => Some(Role::Server),
            (None, None) => None,
        };
        Teardown {
            ending,
            client: client.addr,
            server: server.addr,
            client_from_syn: syn_is_orig.is_some(),
            closed_first,
            first_rst,
            client_rst,
            server_rst,
            bytes_client_to_server: client.bytes,
            bytes_server_to_client: server.bytes,
            frames,
        }
    }
}

/// The verdict rules, in order (see the module documentation).
fn ending(
    f: &Frames,
    first_rst: Option<Reset>,
    server_rst: Option<Reset>,
    server_pkts: u64,
) -> Ending {
    let both_fins = f.client_fin.zip(f.server_fin);
    match first_rst {
        Some(r) => match both_fins {
            // A RST after both FINs does not undo a graceful close (it
            // typically answers a segment that arrived after the close).
            Some((a, b)) if a < r.frame && b < r.frame => Ending::Fin,
            _ if server_rst
                .is_some_and(|s| s.phase == RstPhase::Handshake && s.frame == r.frame)
                && f.syn.is_some() =>
            {
                Ending::Refused
            }
            _ => Ending::Rst,
        },
        None if both_fins.is_some() => Ending::Fin,
        None if f.client_fin.is_some() || f.server_fin.is_some() => Ending::HalfClosed,
        None if f.syn.is_some() && server_pkts == 0 => Ending::Unanswered,
        None => Ending::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames() -> Frames {
        Frames {
            first: 1,
            syn: Some(1),
            ..Frames::default()
        }
    }

    fn rst(sender: Role, phase: RstPhase, frame: u64) -> Option<Reset> {
        Some(Reset {
            sender,
            phase,
            frame,
        })
    }

    #[test]
    fn ending_fin_both_ways() {
        let f = Frames {
            client_fin: Some(7),
            server_fin: Some(8),
            ..frames()
        };
        assert_eq!(ending(&f, None, None, 3), Ending::Fin);
    }

    #[test]
    fn ending_fin_survives_late_rst() {
        let f = Frames {
            client_fin: Some(7),
            server_fin: Some(8),
            server_rst: Some(10),
            ..frames()
        };
        let r = rst(Role::Server, RstPhase::AfterOwnFin, 10);
        assert_eq!(ending(&f, r, r, 3), Ending::Fin);
    }

    #[test]
    fn ending_rst_after_one_fin() {
        let f = Frames {
            server_fin: Some(8),
            server_rst: Some(10),
            ..frames()
        };
        let r = rst(Role::Server, RstPhase::AfterOwnFin, 10);
        assert_eq!(ending(&f, r, r, 3), Ending::Rst);
    }

    #[test]
    fn ending_refused_by_server_rst_in_handshake() {
        let f = Frames {
            server_rst: Some(2),
            ..frames()
        };
        let r = rst(Role::Server, RstPhase::Handshake, 2);
        assert_eq!(ending(&f, r, r, 1), Ending::Refused);
    }

    #[test]
    fn ending_client_abort_in_handshake_is_rst() {
        let r = rst(Role::Client, RstPhase::Handshake, 2);
        assert_eq!(ending(&frames(), r, None, 0), Ending::Rst);
    }

    #[test]
    fn ending_half_closed_unanswered_open() {
        let f = Frames {
            client_fin: Some(5),
            ..frames()
        };
        assert_eq!(ending(&f, None, None, 2), Ending::HalfClosed);
        assert_eq!(ending(&frames(), None, None, 0), Ending::Unanswered);
        assert_eq!(ending(&frames(), None, None, 2), Ending::Open);
        let midstream = Frames {
            first: 1,
            ..Frames::default()
        };
        assert_eq!(ending(&midstream, None, None, 0), Ending::Open);
    }

    #[test]
    fn ending_names_round_trip() {
        for e in Ending::ALL {
            assert_eq!(Ending::parse(e.name()), Some(e));
        }
    }
}
