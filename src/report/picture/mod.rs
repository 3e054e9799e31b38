//! Ladder pictures: the connections in scope drawn as a sequence diagram,
//! for people who would rather look than read.
//!
//! [`Ladder`] gathers what the table's `--frames` ladder shows (the frames
//! that completed messages, and the SYN, FIN and RST frames the verdict
//! names) with each frame's capture time, and two renderers draw it:
//! [`mermaid`] (a `sequenceDiagram` that GitHub renders from Markdown) and
//! [`svg`] (a self-contained SVG document, time top to bottom). Both escape
//! every label: an HTTP target can hold any byte a client sent.
//!
//! Every endpoint is one lifeline, so connections to one server share its
//! line and their interleaving shows.

pub mod mermaid;
mod quic;
pub mod svg;
mod text;

use std::fmt;

use crate::app::quic::QuicEnding;
use crate::capture::Timestamp;
use crate::teardown::{Ending, Role, Teardown};
use crate::wire::Endpoint;

use super::ConnectionReport;

/// Most connections drawn in one picture; more would be unreadable (the
/// rest is counted in [`Ladder::omitted`]; `--port` and `--host` narrow).
pub const MAX_CONNECTIONS: usize = 50;

/// What a step is, for its arrow's style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// The client's SYN.
    Syn,
    /// A FIN (RFC 9293 §3.6): an orderly close of one direction.
    Fin,
    /// A RST (RFC 9293 §3.5.2): an abort.
    Rst,
    /// A frame that completed application messages.
    Message,
    /// A QUIC client's first Initial (RFC 9000 §17.2.2).
    Initial,
    /// A packet carrying QUIC's CONNECTION_CLOSE (RFC 9000 §19.19): neither
    /// a FIN nor a RST.
    Close,
    /// A QUIC stateless reset (RFC 9000 §10.3).
    StatelessReset,
    /// An ICMP error quoting a datagram (RFC 9000 §14.2.1).
    Icmp,
    /// Not an arrow: a QUIC connection's silence past its idle timeout
    /// (RFC 9000 §10.1), drawn as a note after its last packet.
    Silence,
}

impl StepKind {
    /// Order among the steps of one frame: the messages first, then the
    /// flag or ending, a silence after everything.
    fn rank(self) -> u8 {
        match self {
            StepKind::Message => 0,
            StepKind::Silence => 2,
            _ => 1,
        }
    }
}

/// Which connection a step belongs to: TCP's by the table's id, QUIC's by
/// its number in the QUIC section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnId {
    /// A TCP connection (`#ID`).
    Tcp(u64),
    /// A QUIC connection (`QUIC N`).
    Quic(u64),
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnId::Tcp(n) => write!(f, "#{n}"),
            ConnId::Quic(n) => write!(f, "QUIC {n}"),
        }
    }
}

/// How a drawn connection ended, for its note's colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// A TCP connection's verdict.
    Tcp(Ending),
    /// A QUIC connection's.
    Quic(QuicEnding),
}

/// One arrow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The frame number.
    pub frame: u64,
    /// Its capture time, when known.
    pub ts: Option<Timestamp>,
    /// Which connection ([`Connection::id`]).
    pub connection: ConnId,
    /// Its sender.
    pub from: Role,
    /// Its style.
    pub kind: StepKind,
    /// Its label (raw: the renderers escape it).
    pub text: String,
}

/// One connection's lifelines and verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The report's id.
    pub id: ConnId,
    /// The client's address.
    pub client: Endpoint,
    /// The server's address.
    pub server: Endpoint,
    /// The verdict in one line (raw).
    pub verdict: String,
    /// How it ended.
    pub ending: Ended,
    /// Ladder steps the analyzer counted but did not keep.
    pub dropped: u64,
}

/// The picture's contents: connections and their steps in frame order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ladder {
    /// The connections drawn.
    pub connections: Vec<Connection>,
    /// All their steps, by frame number.
    pub steps: Vec<Step>,
    /// Connections in scope left out past [`MAX_CONNECTIONS`].
    pub omitted: u64,
}

impl Ladder {
    /// An empty ladder.
    pub fn new() -> Self {
        Ladder::default()
    }

    /// Adds a connection: its labelled frames (when the analyzer kept a
    /// ladder) and the SYN, FIN and RST frames of its verdict. `time`
    /// gives a frame's capture time when the caller knows it.
    pub fn add(&mut self, c: &ConnectionReport, time: impl Fn(u64) -> Option<Timestamp>) {
        if self.connections.len() >= MAX_CONNECTIONS {
            self.omitted += 1;
            return;
        }
        let t = &c.teardown;
        let mut steps = Vec::new();
        let mut step = |frame: u64, from, kind, text: String| {
            steps.push(Step {
                frame,
                ts: time(frame),
                connection: ConnId::Tcp(c.id),
                from,
                kind,
                text,
            });
        };
        let f = &t.frames;
        let tcp = [
            (f.syn, Role::Client, StepKind::Syn),
            (f.client_fin, Role::Client, StepKind::Fin),
            (f.server_fin, Role::Server, StepKind::Fin),
            (f.client_rst, Role::Client, StepKind::Rst),
            (f.server_rst, Role::Server, StepKind::Rst),
        ];
        for (frame, from, kind) in tcp {
            if let Some(n) = frame {
                step(n, from, kind, tcp_text(kind, from, t));
            }
        }
        let mut dropped = 0;
        if let Some(app) = c.app.as_deref() {
            dropped = app.ladder_dropped;
            for s in app.ladder.iter().flatten() {
                let from = match s.sender {
                    crate::app::Direction::ClientToServer => Role::Client,
                    crate::app::Direction::ServerToClient => Role::Server,
                };
                let labels: Vec<&str> = s.labels.iter().map(|l| l.text.as_str()).collect();
                step(s.frame, from, StepKind::Message, labels.join(" · "));
            }
        }
        self.connections.push(Connection {
            id: ConnId::Tcp(c.id),
            client: t.client,
            server: t.server,
            verdict: super::annotation::verdict(c.id, t),
            ending: Ended::Tcp(t.ending),
            dropped,
        });
        self.steps.extend(steps);
        self.sort();
    }

    /// Frame order; on one frame (a FIN that also carried the last bytes),
    /// the messages first, then the flag.
    fn sort(&mut self) {
        self.steps.sort_by_key(|s| (s.frame, s.kind.rank()));
    }

    /// Whether a QUIC connection is drawn (the legend names its arrows).
    pub fn has_quic(&self) -> bool {
        self.connections
            .iter()
            .any(|c| matches!(c.id, ConnId::Quic(_)))
    }

    /// The distinct endpoints in order of first appearance: the lifelines.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        let mut out: Vec<Endpoint> = Vec::new();
        for c in &self.connections {
            for e in [c.client, c.server] {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// A connection by id.
    pub fn connection(&self, id: ConnId) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// Sender and receiver endpoints of a step.
    pub fn ends(&self, s: &Step) -> Option<(Endpoint, Endpoint)> {
        let c = self.connection(s.connection)?;
        Some(match s.from {
            Role::Client => (c.client, c.server),
            Role::Server => (c.server, c.client),
        })
    }
}

/// A TCP step's label: the flag, and for a RST its phase.
fn tcp_text(kind: StepKind, from: Role, t: &Teardown) -> String {
    match kind {
        StepKind::Syn => "SYN".to_string(),
        StepKind::Fin => "FIN".to_string(),
        StepKind::Rst => {
            let r = match from {
                Role::Client => t.client_rst,
                Role::Server => t.server_rst,
            };
            match r {
                Some(r) => format!("RST ({})", r.phase.name()),
                None => "RST".to_string(),
            }
        }
        _ => String::new(),
    }
}

/// Seconds with microseconds, for axis labels.
pub(crate) fn seconds(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let us = ns.unsigned_abs() / 1_000;
    format!("{sign}{}.{:06}", us / 1_000_000, us % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    /// A two-step ladder whose request target is hostile to both formats.
    fn hostile() -> Ladder {
        let ep = |port| Endpoint {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        };
        let step = |frame, from, kind, text: &str| Step {
            frame,
            ts: Some(Timestamp(frame as i64 * 2 * Timestamp::SECOND)),
            connection: ConnId::Tcp(1),
            from,
            kind,
            text: text.to_string(),
        };
        Ladder {
            connections: vec![Connection {
                id: ConnId::Tcp(1),
                client: ep(40000),
                server: ep(80),
                verdict: "#1 ended rst; server RST (unread_data) at frame 2".into(),
                ending: Ended::Tcp(Ending::Rst),
                dropped: 0,
            }],
            steps: vec![
                step(
                    1,
                    Role::Client,
                    StepKind::Message,
                    "GET /a;b#c\nNote over P1: %%-->><script>&\"' HTTP/1.1",
                ),
                step(2, Role::Server, StepKind::Rst, "RST (unread_data)"),
            ],
            omitted: 0,
        }
    }

    #[test]
    fn mermaid_keeps_a_hostile_label_in_its_one_statement() {
        let text = mermaid::render(&hostile());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert_eq!(lines[0], "sequenceDiagram");
        assert!(lines[3].starts_with("    P1->>P2: frame 1 +0.000000s #183; GET /a#59;b#35;c"));
        assert!(!lines[3].contains('<') && !lines[3].contains("%%"));
        assert_eq!(lines[3].matches(':').count(), 1, "{}", lines[3]);
        assert!(lines[4].starts_with("    P2-xP1: frame 2 +2.000000s"));
        assert!(lines[5].starts_with("    Note over P1,P2: #35;1 ended rst#59;"));
    }

    #[test]
    fn svg_escapes_a_hostile_label_and_marks_the_idle_gap() {
        let text = svg::render(&hostile());
        assert!(!text.contains("<script>"));
        assert!(
            text.contains(
                "GET /a;b#c\\x0aNote over P1: %%--&gt;&gt;&lt;script&gt;&amp;&quot;&apos;"
            )
        );
        // Two seconds between the frames: a break, labelled.
        assert!(text.contains("idle 2.000000 s"), "{text}");
        assert!(text.contains(r#"marker-end="url(#cross)""#));
        assert!(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(text.ends_with("</svg>\n"));
    }
}
