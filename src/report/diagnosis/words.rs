//! The clients' words under a diagnosis: for the RST's shape, what each
//! client in `diagnose::words::TABLE` reports, cited rows marked so.

use std::fmt::Write as _;

use crate::diagnose::Diagnosis;
use crate::diagnose::words::{self, Source};

/// Lines naming what each common client reports for `d`'s shape, or none.
pub fn lines(d: &Diagnosis, out: &mut String) {
    let Some(shape) = d.shape else { return };
    let _ = writeln!(out, "  What clients report for this shape ({shape}):");
    for w in words::of(shape) {
        let cited = match w.source {
            Source::Measured => "",
            Source::Cited(_) => " (cited)",
        };
        let _ = writeln!(
            out,
            "    {:<19} {}{cited}",
            w.client.name(),
            w.says.join(" | or | ")
        );
    }
}

/// The same as JSON: `{"shape", "clients": [{"client", "says", "source"}]}`.
pub fn json(d: &Diagnosis) -> serde_json::Value {
    let Some(shape) = d.shape else {
        return serde_json::Value::Null;
    };
    let clients: Vec<_> = words::of(shape)
        .map(|w| {
            serde_json::json!({
                "client": w.client.name(),
                "says": w.says,
                "source": match w.source {
                    Source::Measured => "measured",
                    Source::Cited(url) => url,
                },
            })
        })
        .collect();
    serde_json::json!({ "shape": shape.name(), "clients": clients })
}
