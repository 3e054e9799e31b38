//! The frames that decided a diagnosis, each with what it shows, in one
//! line (a frame comment in a capture, a line in a ladder).

use std::fmt;

use crate::teardown::Role;

use super::cause::{Cause, CauseKind};
use super::facts::Facts;
use super::middlebox::{IdSign, TtlSign};

/// What one deciding frame shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Witness {
    /// The client's SYN that a RST answered.
    SynRefused,
    /// A side's FIN.
    Fin(Role),
    /// The last payload before the connection went quiet.
    QuietSince,
    /// A request (method and target, when decoded) that drew no response.
    UnansweredRequest(Option<(String, String)>),
    /// The peer's data after the sender's FIN.
    DataAfterFin(Role),
    /// The segment a RST answers as a TCP without the connection does.
    NoConnection(Role),
    /// A side's last packet before that answer: it still had the
    /// connection then.
    StillConnected(Role),
    /// The RST itself, with the cause it was given.
    Rst(Role, CauseKind),
    /// A RST's IP marks, beside its claimed sender's usual ones.
    StrangeMarks(Role, Option<TtlSign>, Option<IdSign>),
    /// The claimed sender's last packet before the RST: the marks it
    /// usually sets.
    UsualMarks(Role),
    /// The claimed sender's first packet after "its" RST, of how many.
    SendsAfterRst(Role, u32),
}

/// One deciding frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Its number.
    pub frame: u64,
    /// What it shows.
    pub witness: Witness,
}

impl fmt::Display for Witness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Witness::SynRefused => {
                f.write_str("the client's SYN, answered by RST: nothing listening")
            }
            Witness::Fin(r) => write!(f, "the {r}'s FIN: it had finished sending"),
            Witness::QuietSince => f.write_str("the last bytes before the connection went idle"),
            Witness::UnansweredRequest(Some((m, t))) => {
                write!(
                    f,
                    "request {m} {t} reaches the server; it is never answered"
                )
            }
            Witness::UnansweredRequest(None) => {
                f.write_str("a request reaches the server; it is never answered")
            }
            Witness::DataAfterFin(r) => {
                write!(f, "the {r} sends data after the other side's FIN")
            }
            Witness::NoConnection(r) => write!(
                f,
                "the {r}'s segment that the RST answers: it reached no connection"
            ),
            Witness::StillConnected(r) => write!(
                f,
                "the {r}'s last packet before the RST: its TCP still had the connection"
            ),
            Witness::Rst(r, k) => write!(f, "RST by the {r}: {k} ({})", k.rule()),
            Witness::StrangeMarks(r, ttl, id) => {
                write!(f, "a RST said to be the {r}'s, with ")?;
                let mut said = Vec::new();
                if let Some(t) = ttl {
                    said.push(format!(
                        "TTL {} where the {r}'s packets carry {}",
                        t.seen, t.usual
                    ));
                }
                if let Some(i) = id {
                    said.push(format!(
                        "IP ID {:#06x} where the {r}'s counter stood at {:#06x}{}",
                        i.seen,
                        i.last,
                        if i.copies_peer {
                            " (a copy of the other side's last one)"
                        } else {
                            ""
                        }
                    ));
                }
                f.write_str(&said.join(" and "))
            }
            Witness::UsualMarks(r) => {
                write!(
                    f,
                    "the {r}'s last packet before the RST: its own TTL and IP ID"
                )
            }
            Witness::SendsAfterRst(r, n) => write!(
                f,
                "the {r} sends again after the RST ({n} packet{}): its TCP never reset",
                if *n == 1 { "" } else { "s" }
            ),
        }
    }
}

pub(super) fn collect(f: &Facts<'_>, cause: &Cause) -> Vec<Evidence> {
    let peer = match f.rst.sender {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    let mut out = vec![Evidence {
        frame: f.rst.frame,
        witness: Witness::Rst(f.rst.sender, cause.kind()),
    }];
    let mut push = |frame: Option<u64>, witness| {
        if let Some(frame) = frame {
            out.push(Evidence { frame, witness });
        }
    };
    let request = |n: usize| {
        f.exchanges().get(n).and_then(|e| {
            e.method
                .as_deref()
                .map(str::to_owned)
                .zip(e.target.as_deref().map(str::to_owned))
        })
    };
    match cause {
        Cause::Refused => push(f.t.frames.syn, Witness::SynRefused),
        Cause::AfterBothFins { forgotten } => {
            let fins = [f.fin_before(Role::Client), f.fin_before(Role::Server)];
            push(fins[0], Witness::Fin(Role::Client));
            push(fins[1], Witness::Fin(Role::Server));
            // The segment answered is often the peer's FIN, listed above.
            let answered = forgotten.map(|(frame, _)| frame);
            if !fins.contains(&answered) {
                push(answered, Witness::NoConnection(peer));
            }
        }
        Cause::KeepAliveRace(r) => {
            push(r.quiet_since.map(|m| m.frame.get()), Witness::QuietSince);
            push(
                Some(r.request.frame.get()),
                Witness::UnansweredRequest(request(r.exchange)),
            );
            push(f.fin_before(Role::Server), Witness::Fin(Role::Server));
        }
        Cause::DataAfterClose { .. } => {
            push(f.fin_before(f.rst.sender), Witness::Fin(f.rst.sender));
            let i = super::facts::role_index(peer);
            push(
                f.timeline()
                    .and_then(|t| t.last_payload[i])
                    .map(|m| m.frame.get()),
                Witness::DataAfterFin(peer),
            );
        }
        Cause::NoSocket {
            answered,
            lost_state,
            ..
        } => {
            push(
                lost_state.map(|(frame, _)| frame),
                Witness::StillConnected(f.rst.sender),
            );
            push(*answered, Witness::NoConnection(peer));
        }
        Cause::ClosedWithUnreadData { .. } | Cause::LingerZeroAbort => {
            push(f.fin_before(peer), Witness::Fin(peer));
        }
        Cause::MiddleboxSuspected(m) => {
            let r = f.rst.sender;
            if m.ttl.is_some() || m.ip_id.is_some() {
                push(Some(f.rst.frame), Witness::StrangeMarks(r, m.ttl, m.ip_id));
                push(m.usual_frame, Witness::UsualMarks(r));
            }
            if let Some(s) = m.sends_after {
                push(Some(s.first_frame), Witness::SendsAfterRst(r, s.packets));
            }
            if let Some(p) = m.pair {
                push(Some(p.frame), Witness::StrangeMarks(peer, p.ttl, p.ip_id));
            }
        }
        Cause::AfterCloseNotify | Cause::Unknown(_) => {}
    }
    // Unanswered requests are evidence whatever the cause: they are what
    // the client lost. Their first segment is known for the last one only
    // (the client's latest turn).
    if let (Some(&last), Some(turn)) = (
        f.unanswered.last(),
        f.timeline().and_then(|t| t.client_turn),
    ) && !matches!(cause, Cause::KeepAliveRace(_))
        && last + 1 == f.exchanges().len()
    {
        push(
            Some(turn.start.frame.get()),
            Witness::UnansweredRequest(request(last)),
        );
    }
    out
}
