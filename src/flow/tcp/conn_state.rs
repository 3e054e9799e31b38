//! Zeek's `conn_state` summary of a TCP connection.
//!
//! Computed once, when the connection is removed, from the final endpoint
//! states, the two sizes and the whole history string, by the ordered rules of
//! `docs/zeek-conn-state.md` §4 (Zeek's `conn_state()` in
//! `base/protocols/conn/main.zeek`). PARTIAL counts as inactive there, which is
//! why midstream connections are never S1, S2, S3 or RSTO.

use std::fmt;

use super::endpoint::EndpointState;

/// The conn.log `conn_state` values for TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ConnState {
    /// Attempt seen, no reply.
    S0,
    /// Established, not terminated.
    S1,
    /// Normal establishment and termination (or both FINs, even midstream).
    SF,
    /// Attempt rejected.
    REJ,
    /// Established, originator closed, no reply from the responder.
    S2,
    /// Established, responder closed, no reply from the originator.
    S3,
    /// Established, originator aborted (RST).
    RSTO,
    /// Responder sent a RST.
    RSTR,
    /// Originator sent a SYN then a RST; no SYN-ACK from the responder.
    RSTOS0,
    /// Responder sent a RST and the originator looked inactive.
    RSTRH,
    /// Originator sent a SYN then a FIN; no SYN-ACK ("half-open").
    SH,
    /// Responder sent a FIN; the originator looked inactive.
    SHR,
    /// Midstream traffic, or anything else.
    OTH,
}

impl ConnState {
    /// The conn.log spelling.
    pub fn name(self) -> &'static str {
        match self {
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::SF => "SF",
            ConnState::REJ => "REJ",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::RSTO => "RSTO",
            ConnState::RSTR => "RSTR",
            ConnState::RSTOS0 => "RSTOS0",
            ConnState::RSTRH => "RSTRH",
            ConnState::SH => "SH",
            ConnState::SHR => "SHR",
            ConnState::OTH => "OTH",
        }
    }

    /// Parses the conn.log spelling.
    pub fn parse(s: &str) -> Option<Self> {
        ALL.iter().copied().find(|c| c.name() == s)
    }

    /// §4, rules in order; the first match wins.
    pub fn of(
        os: EndpointState,
        rs: EndpointState,
        orig_size: u64,
        resp_size: u64,
        history: &[u8],
    ) -> Self {
        use EndpointState as E;
        let o_inactive = os.is_inactive_like();
        let r_inactive = rs.is_inactive_like();
        if rs == E::Reset {
            // Rule 1: the responder reset.
            if matches!(os, E::SynSent | E::SynAckSent)
                || (os == E::Reset && orig_size == 0 && resp_size == 0)
            {
                ConnState::REJ
            } else if o_inactive {
                ConnState::RSTRH
            } else {
                ConnState::RSTR
            }
        } else if os == E::Reset {
            // Rule 2: only the originator reset.
            if r_inactive {
                if rstos0_history(history) {
                    ConnState::RSTOS0
                } else {
                    ConnState::OTH
                }
            } else {
                ConnState::RSTO
            }
        } else if os == E::Closed && rs == E::Closed {
            ConnState::SF
        } else if os == E::Closed {
            if r_inactive {
                ConnState::SH
            } else {
                ConnState::S2
            }
        } else if rs == E::Closed {
            if o_inactive {
                ConnState::SHR
            } else {
                ConnState::S3
            }
        } else if os == E::SynSent && rs == E::Inactive {
            // Exactly INACTIVE: a PARTIAL responder does not count here.
            ConnState::S0
        } else if os == E::Established && rs == E::Established {
            ConnState::S1
        } else {
            ConnState::OTH
        }
    }
}

const ALL: [ConnState; 13] = [
    ConnState::S0,
    ConnState::S1,
    ConnState::SF,
    ConnState::REJ,
    ConnState::S2,
    ConnState::S3,
    ConnState::RSTO,
    ConnState::RSTR,
    ConnState::RSTOS0,
    ConnState::RSTRH,
    ConnState::SH,
    ConnState::SHR,
    ConnState::OTH,
];

/// Zeek's anchored match of `^\^?S[^HAFGIQ]*R.*$` against the whole history:
/// an optional `^`, an `S`, then an `R` reached before any uppercase
/// H, A, F, G, I or Q (letters from the originator that show it did more
/// than a SYN).
fn rstos0_history(h: &[u8]) -> bool {
    let rest = h.strip_prefix(b"^").unwrap_or(h);
    let Some(after_s) = rest.strip_prefix(b"S") else {
        return false;
    };
    for &c in after_s {
        match c {
            b'R' => return true,
            b'H' | b'A' | b'F' | b'G' | b'I' | b'Q' => return false,
            _ => {}
        }
    }
    false
}

impl fmt::Display for ConnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests;
