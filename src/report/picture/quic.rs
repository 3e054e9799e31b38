//! QUIC connections in the ladder, beside the TCP ones: the steps of a
//! [`QuicReport`]'s ladder record, labelled by [`crate::report::quic_steps`],
//! and the silence past the idle timeout as a note.

use crate::app::quic::{QuicMark, QuicReport};
use crate::capture::Timestamp;
use crate::proto::quic::Side;
use crate::report::quic_steps;
use crate::teardown::Role;

use super::{ConnId, Connection, Ended, Ladder, MAX_CONNECTIONS, Step, StepKind};

fn role(s: Side) -> Role {
    match s {
        Side::Client => Role::Client,
        Side::Server => Role::Server,
    }
}

/// The style of a step: its ending's, else an Initial's or a message's.
fn kind(marks: &[QuicMark]) -> StepKind {
    if marks.contains(&QuicMark::Close) {
        StepKind::Close
    } else if marks.contains(&QuicMark::StatelessReset) {
        StepKind::StatelessReset
    } else if marks.contains(&QuicMark::Icmp) {
        StepKind::Icmp
    } else if marks.contains(&QuicMark::FirstInitial) {
        StepKind::Initial
    } else {
        StepKind::Message
    }
}

impl Ladder {
    /// Adds QUIC connection `n` (its number in the QUIC section): the
    /// steps its ladder record kept (none when the analyzer kept no
    /// record), and its verdict. `time` gives a frame's capture time.
    pub fn add_quic(&mut self, n: usize, q: &QuicReport, time: impl Fn(u64) -> Option<Timestamp>) {
        if self.connections.len() >= MAX_CONNECTIONS {
            self.omitted += 1;
            return;
        }
        let id = ConnId::Quic(n as u64);
        let mut dropped = 0;
        if let Some(l) = q.ladder.as_deref() {
            dropped = l.dropped;
            for s in &l.steps {
                self.steps.push(Step {
                    frame: s.frame,
                    ts: time(s.frame),
                    connection: id,
                    from: role(s.from),
                    kind: kind(&s.marks),
                    text: quic_steps::step_label(q, s),
                });
            }
            if let Some(text) = quic_steps::silence(q) {
                self.steps.push(Step {
                    frame: l.last_frame,
                    ts: time(l.last_frame),
                    connection: id,
                    from: Role::Client,
                    kind: StepKind::Silence,
                    text,
                });
            }
        }
        self.connections.push(Connection {
            id,
            client: q.client,
            server: q.server,
            verdict: quic_steps::verdict(n, q),
            ending: Ended::Quic(q.ending),
            dropped,
        });
        self.sort();
    }
}
