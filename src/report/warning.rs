//! What an analysis should say on standard error besides its report: input
//! that the analysis read but that changes how far its rows can be trusted.
//!
//! The library only describes them ([`Summary::warnings`]); the binary prints
//! each as one line. A warning that points the reader to a setting names it
//! through the caller ([`Warning::naming`]): the command line says its flag,
//! the library's own text stays neutral.

use std::fmt;

use crate::capture::Damage;
use crate::flow::TimeWentBack;

use super::Summary;

/// A link type the filter expression does not compile for: its frames
/// are left out (counted as filtered out).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Unfilterable {
    /// The LINKTYPE_ value of the interface.
    pub link: u32,
    /// libpcap's name for it, when libpcap has one.
    pub name: Option<String>,
    /// Its frames, all left out.
    pub frames: u64,
    /// libpcap's complaint.
    pub message: String,
}

/// One thing worth a line on standard error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning<'a> {
    /// The input ends inside a record (pcap) or block (pcapng): a capture
    /// copied while it was written, or cut with `head -c`. The frames before
    /// it were analyzed; the cut one was not.
    TruncatedCapture {
        /// Bytes of the cut record that were present but not read.
        bytes: u64,
    },
    /// A link type the filter could not be compiled for.
    Unfilterable(&'a Unfilterable),
    /// Timestamps go back.
    TimeWentBack(TimeWentBack),
    /// Connections whose out-of-order bytes outgrew the reassembly window:
    /// a direction of each was not decoded past that point.
    WindowOverflow {
        /// How many connections.
        connections: u64,
    },
    /// `--keylog` was given and some TLS connections it could not open:
    /// no secrets for them, or secrets that fail on their records. Their
    /// HTTP and alerts stay unread.
    TlsKeysNotUsed {
        /// TLS connections the key log was tried on.
        tried: u64,
        /// Without secrets for their client random.
        missing: u64,
        /// With secrets that fail authentication.
        mismatch: u64,
    },
    /// `--keylog` was given and some QUIC connections it could not open:
    /// their Handshake and 1-RTT packets (HTTP/3, a close in them) stay
    /// unread.
    QuicKeysNotUsed {
        /// QUIC connections the key log was tried on.
        tried: u64,
        /// Without the four secrets for their ClientHello's random.
        missing: u64,
        /// With secrets that do not open their first protected packet.
        mismatch: u64,
    },
    /// Damaged records that tcpdump and tshark stop at: how many, and the
    /// first.
    Damaged {
        /// Damaged records counted.
        count: u64,
        /// The first of them.
        first: Damage,
    },
}

impl Summary {
    /// What the analysis should warn about, in a fixed order.
    pub fn warnings(&self) -> Vec<Warning<'_>> {
        let mut out = Vec::new();
        if self.capture_anomalies.truncated_records > 0 {
            out.push(Warning::TruncatedCapture {
                bytes: self.capture_anomalies.truncated_bytes,
            });
        }
        out.extend(self.unfilterable.iter().map(Warning::Unfilterable));
        if let Some(d) = self.decode
            && d.window_overflows > 0
        {
            out.push(Warning::WindowOverflow {
                connections: d.window_overflows,
            });
        }
        if let Some(k) = self.decode.and_then(|d| d.tls_keys)
            && k.missing + k.mismatch > 0
        {
            out.push(Warning::TlsKeysNotUsed {
                tried: k.ok + k.missing + k.mismatch + k.unusable,
                missing: k.missing,
                mismatch: k.mismatch,
            });
        }
        let quic = |st| {
            self.quic
                .iter()
                .filter(|q| q.keys.as_ref().is_some_and(|k| k.status == st))
                .count() as u64
        };
        let (missing, mismatch) = (
            quic(crate::app::quic::KeysStatus::Missing),
            quic(crate::app::quic::KeysStatus::Mismatch),
        );
        if missing + mismatch > 0 {
            out.push(Warning::QuicKeysNotUsed {
                tried: self.quic.iter().filter(|q| q.keys.is_some()).count() as u64,
                missing,
                mismatch,
            });
        }
        if let Some(back) = self.time_went_back {
            out.push(Warning::TimeWentBack(back));
        }
        if let Some(first) = self.capture_anomalies.first_damage {
            out.push(Warning::Damaged {
                count: self.capture_anomalies.damaged_records,
                first,
            });
        }
        out
    }
}

/// Seconds with up to three decimals, as a person reads them.
fn seconds(ns: i64) -> String {
    let ms = ns / 1_000_000;
    if ms == 0 {
        // A step under a millisecond (packets reordered by a multi-queue
        // capture): microseconds, not "0".
        format!("0.{:06}", ns / 1_000)
    } else if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        format!("{}.{:03}", ms / 1000, ms % 1000)
    }
}

/// A setting a warning points the reader to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// The BPF filter expression.
    Filter,
    /// The out-of-order bytes held per direction while reassembling.
    ReassemblyWindow,
}

impl Setting {
    /// How the library's own text names it.
    pub fn plain_name(self) -> &'static str {
        match self {
            Setting::Filter => "the filter",
            Setting::ReassemblyWindow => "the reassembly-window setting",
        }
    }
}

/// A warning whose settings are named by the caller: see [`Warning::naming`].
pub struct Named<'w, 'a> {
    warning: &'w Warning<'a>,
    names: fn(Setting) -> &'static str,
}

impl<'a> Warning<'a> {
    /// The warning's text with each setting it mentions named by `names`
    /// (a command line gives its flag).
    pub fn naming(&self, names: fn(Setting) -> &'static str) -> Named<'_, 'a> {
        Named {
            warning: self,
            names,
        }
    }
}

impl fmt::Display for Warning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.naming(Setting::plain_name).fmt(f)
    }
}

impl fmt::Display for Named<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.names;
        match self.warning {
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
            Warning::Unfilterable(u) => {
                let filter = name(Setting::Filter);
                write!(f, "{filter} does not compile for link type {}", u.link)?;
                if let Some(name) = &u.name {
                    write!(f, " ({name})")?;
                }
                write!(
                    f,
                    ": {}; its {} frames count as filtered out",
                    u.message, u.frames
                )
            }
            Warning::TimeWentBack(b) => write!(
                f,
                "timestamps go back by up to {} s (at frame {}; {} packets older than one before them): \
                 connections may split into several rows; `reordercap` sorts the file",
                seconds(b.largest_ns),
                b.at_frame,
                b.frames
            ),
            Warning::WindowOverflow { connections } => write!(
                f,
                "{connections} connection{} held more out-of-order bytes than the reassembly \
                 window: those directions were not decoded past that point \
                 ({} raises it)",
                if *connections == 1 { "" } else { "s" },
                name(Setting::ReassemblyWindow)
            ),
            Warning::TlsKeysNotUsed {
                tried,
                missing,
                mismatch,
            } => {
                let not = missing + mismatch;
                write!(
                    f,
                    "the key log opened none of the records of {not} of the {tried} TLS connection{}",
                    if *tried == 1 { "" } else { "s" }
                )?;
                let mut why = Vec::new();
                if *missing > 0 {
                    why.push(format!(
                        "{missing} missing: no secrets for their client random"
                    ));
                }
                if *mismatch > 0 {
                    why.push(format!(
                        "{mismatch} mismatch: secrets that do not open their records"
                    ));
                }
                write!(
                    f,
                    " ({}); their HTTP and alerts stay unread (`keys` in each row says which)",
                    why.join("; ")
                )
            }
            Warning::QuicKeysNotUsed {
                tried,
                missing,
                mismatch,
            } => write!(
                f,
                "the key log opened no Handshake or 1-RTT packet of {} of the {tried} QUIC connection{} \
                 ({missing} missing: not all four secrets for their ClientHello's random; \
                 {mismatch} mismatch: secrets that do not open their packets); their HTTP/3 and \
                 any close in them stay unread (`keys` in each QUIC connection says which)",
                missing + mismatch,
                if *tried == 1 { "" } else { "s" }
            ),
            Warning::Damaged { count, first } => write!(
                f,
                "{count} damaged record{} that tcpdump and tshark stop at (the first at byte {}: {}); \
                 the rest of the file was analyzed",
                if *count == 1 { "" } else { "s" },
                first.offset,
                first.kind
            ),
        }
    }
}
#[cfg(test)]
mod tests {
    #[test]
    fn steps_under_a_millisecond_are_not_zero() {
        assert_eq!(super::seconds(123_456), "0.000123");
        assert_eq!(super::seconds(2_000_000_000), "2");
        assert_eq!(super::seconds(2_500_000_000), "2.500");
    }

    use super::*;

    #[test]
    fn key_log_misses_are_one_counted_line() {
        let mut s = Summary::default();
        let mut d = crate::report::DecodeCounts {
            tls_keys: Some(crate::report::TlsKeyCounts {
                ok: 3,
                missing: 2,
                mismatch: 0,
                unusable: 1,
            }),
            ..Default::default()
        };
        s.decode = Some(d);
        let w = s.warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(
            w[0].to_string(),
            "the key log opened none of the records of 2 of the 6 TLS connections \
             (2 missing: no secrets for their client random); their HTTP and alerts \
             stay unread (`keys` in each row says which)"
        );
        if let Some(k) = d.tls_keys.as_mut() {
            k.missing = 0;
        }
        s.decode = Some(d);
        assert!(
            s.warnings().is_empty(),
            "all opened or unusable: no warning"
        );
    }

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
