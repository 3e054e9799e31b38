//! A diagnosis written back where people look: a comment on each deciding
//! frame of an annotated copy (`lab diagnose --annotate`, Wireshark's
//! `frame.comment`) and a note in the ladder (`--ladder`). Each is one
//! line: the cause, harmful or benign, and, on the RST, what the client
//! saw.

use crate::diagnose::Diagnosis;

/// The diagnosis's heading: `#id cause (impact)`.
fn heading(d: &Diagnosis) -> String {
    format!("#{} {} ({})", d.id, d.cause.kind(), d.impact.name())
}

/// (frame, comment) for each deciding frame, in frame order; the RST's
/// own comment also says what the client saw.
pub fn frame_comments(d: &Diagnosis) -> Vec<(u64, String)> {
    let head = heading(d);
    d.evidence
        .iter()
        .map(|e| {
            let mut line = format!("lab diagnose {head}: {}", e.witness);
            if e.frame == d.rst.frame && matches!(e.witness, crate::diagnose::Witness::Rst(..)) {
                line.push_str(&format!("; {}; client: {}", d.impact, super::client_saw(d)));
            }
            (e.frame, line)
        })
        .collect()
}

/// The words the ladder adds after the connection's verdict.
pub fn ladder_note(d: &Diagnosis) -> String {
    format!(
        "Diagnosis: {} by the {}, {}. Client: {}",
        d.cause.kind(),
        d.rst.sender,
        d.impact.name(),
        super::client_saw(d)
    )
}
