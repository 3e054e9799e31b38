//! The verdict as comments on the frames that decided it, for a capture
//! copy made with [`crate::capture::annotate`]: each FIN and RST frame the
//! table's `frames` column names gets a line, and the deciding one (the
//! first RST of a reset or refused connection, the second FIN of a graceful
//! close, the FIN of a half-close) also the verdict.

use crate::teardown::{Ending, Role, Teardown};

use super::ConnectionReport;

/// The verdict in one line, as the table's row says it: how it ended, who
/// closed first, who sent RST in which phase.
pub fn verdict(id: u64, t: &Teardown) -> String {
    let mut line = format!("#{id} ended {}", t.ending.name());
    if let Some(r) = t.closed_first {
        line.push_str(&format!("; {r} closed first"));
    }
    if let Some(r) = t.first_rst {
        line.push_str(&format!(
            "; {} RST ({}) at frame {}",
            r.sender,
            r.phase.name(),
            r.frame
        ));
    }
    line
}

/// The frame whose packet settled the verdict, if one did.
pub fn deciding_frame(t: &Teardown) -> Option<u64> {
    let f = &t.frames;
    match t.ending {
        Ending::Rst | Ending::Refused => t.first_rst.map(|r| r.frame),
        Ending::Fin => f.client_fin.max(f.server_fin),
        Ending::HalfClosed => f.client_fin.or(f.server_fin),
        Ending::Open | Ending::Unanswered => None,
    }
}

/// (frame, comment) for each FIN and RST frame of the connection, in frame
/// order; every comment starts with `wirelab #ID` so that a reader of the
/// copy tells connections apart.
pub fn frame_comments(c: &ConnectionReport) -> Vec<(u64, String)> {
    let t = &c.teardown;
    let f = &t.frames;
    let decider = deciding_frame(t);
    let mut out = Vec::new();
    let marks = [
        (f.client_fin, Role::Client, "FIN".to_string()),
        (f.server_fin, Role::Server, "FIN".to_string()),
        (f.client_rst, Role::Client, rst(t.client_rst)),
        (f.server_rst, Role::Server, rst(t.server_rst)),
    ];
    for (frame, who, what) in marks {
        let Some(frame) = frame else { continue };
        let mut line = format!(
            "wirelab #{} {} → {}: {who} {what}",
            c.id, t.client, t.server
        );
        if decider == Some(frame) {
            line.push_str(&format!("; the connection ended {}", t.ending.name()));
            if let Some(r) = t.closed_first {
                line.push_str(&format!(", {r} closed first"));
            }
        }
        out.push((frame, line));
    }
    out.sort_by_key(|e| e.0);
    out
}

fn rst(r: Option<crate::teardown::Reset>) -> String {
    match r {
        Some(r) => format!("RST ({})", r.phase.name()),
        None => "RST".to_string(),
    }
}
