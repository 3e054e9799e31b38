//! What a user must hear about even when the report looks complete: a
//! capture that was not read to its end, and the like.
//!
//! The library only says *what* happened, as typed values derived from the
//! [`Summary`]; the `lab` binary prints each one once, on one line of
//! standard error, so that a pipeline reading standard output is not
//! disturbed and a person at a terminal is not misled by a quiet exit.

use std::fmt;

use super::Summary;

/// One thing worth a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The input ends inside a record (pcap) or block (pcapng): a capture
    /// copied while it was written, or cut with `head -c`. The frames before
    /// it were analyzed; the cut one was not.
    TruncatedCapture {
        /// Bytes of the cut record that were present but not read.
        bytes: u64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::TruncatedCapture { bytes } => {
                let (s, were) = if *bytes == 1 {
                    ("", "was")
                } else {
                    ("s", "were")
                };
                write!(
                    f,
                    "the capture ends inside a record: the last {bytes} byte{s} {were} not read"
                )
            }
        }
    }
}

impl Summary {
    /// The warnings this analysis deserves, in a fixed order.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        let capture = &self.capture_anomalies;
        if capture.truncated_records > 0 {
            out.push(Warning::TruncatedCapture {
                bytes: capture.truncated_bytes,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_capture_has_no_warning() {
        assert!(Summary::default().warnings().is_empty());
    }

    #[test]
    fn a_cut_record_is_one_warning_with_its_bytes() {
        let mut s = Summary::default();
        s.capture_anomalies.truncated_records = 1;
        s.capture_anomalies.truncated_bytes = 476;
        let w = s.warnings();
        assert_eq!(w, vec![Warning::TruncatedCapture { bytes: 476 }]);
        assert_eq!(
            w[0].to_string(),
            "the capture ends inside a record: the last 476 bytes were not read"
        );
        s.capture_anomalies.truncated_bytes = 1;
        assert!(
            s.warnings()[0]
                .to_string()
                .ends_with("the last 1 byte was not read")
        );
    }
}
