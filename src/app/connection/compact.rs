//! A settled connection's HTTP/1 exchanges in a compact form: the report of
//! an exchange is 216 bytes (its method and target in place when short,
//! [`Text`]), while a plain HTTP/1 exchange (a known method, a short target,
//! offsets and body sizes under 4 GiB, no Alt-Svc) fits in 64 bytes with
//! nothing on the heap. Closed connections waiting out Zeek's timer hold
//! their exchanges this way ([`super::Settled`]); the report is rebuilt,
//! field for field, when the connection is handed out.
//!
//! The reassembly figures of both directions are packed the same way
//! ([`Streams`]): four counts each, in 32 bits while they fit.
//!
//! An exchange that does not fit (HTTP/2, an extension method, a long
//! target, a large offset) is not squeezed: the connection keeps its
//! reports as they are ([`Kept::Full`]).

use crate::app::conversation::{BodyCount, ExchangeOutcome, ExchangeReport};
use crate::app::{Direction, Text};

use super::StreamFigures;

/// Bytes of a target kept inline; longer ones keep the full report.
const TARGET: usize = 23;

/// Method tokens by code (0 is no request). RFC 9110 §9.1: a method is
/// case-sensitive, so only these exact spellings are coded.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT",
];

// Which of the optional parts are present (`Compact::has`).
const STATUS: u16 = 1;
const REQUEST_BODY: u16 = 1 << 1;
const REQUEST_EXPECTED: u16 = 1 << 2;
const RESPONSE_BODY: u16 = 1 << 3;
const RESPONSE_EXPECTED: u16 = 1 << 4;
const REQUEST_RANGE: u16 = 1 << 5;
const REQUEST_END: u16 = 1 << 6;
const RESPONSE_RANGE: u16 = 1 << 7;
const RESPONSE_END: u16 = 1 << 8;
const UNTIL_CLOSE: u16 = 1 << 9;
const TARGET_SET: u16 = 1 << 10;

/// One HTTP/1 exchange's report, packed (see the module documentation).
/// Ranges are kept as a start and a length, the length relative to the
/// message's first byte, each packed only when it fits in 32 bits (a
/// message past 4 GiB into the stream, or longer, keeps its full report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Compact {
    request_start: u32,
    request_len: u32,
    response_start: u32,
    response_len: u32,
    request_seen: u32,
    request_expected: u32,
    response_seen: u32,
    response_expected: u32,
    status: u16,
    has: u16,
    /// Index into [`METHODS`] plus one; 0 without a request.
    method: u8,
    outcome: u8,
    target_len: u8,
    target: [u8; TARGET],
}

/// The outcomes an HTTP/1 exchange can have, by code.
const OUTCOMES: [ExchangeOutcome; 9] = [
    ExchangeOutcome::Complete,
    ExchangeOutcome::CutByRst(Direction::ClientToServer),
    ExchangeOutcome::CutByRst(Direction::ServerToClient),
    ExchangeOutcome::CutByFin(Direction::ClientToServer),
    ExchangeOutcome::CutByFin(Direction::ServerToClient),
    ExchangeOutcome::CutByCaptureEnd,
    ExchangeOutcome::NeverAnswered,
    ExchangeOutcome::Undecoded,
    ExchangeOutcome::InProgress,
];

/// A settled connection's exchanges.
#[derive(Debug, Clone)]
pub(super) enum Kept {
    /// All of them compact; one (most connections) without a heap block.
    One(Compact),
    Compact(Vec<Compact>),
    /// Any other, as reported (none at all is an empty `Full`).
    Full(Vec<ExchangeReport>),
}

impl Kept {
    pub(super) fn new(exchanges: Vec<ExchangeReport>) -> Self {
        // Most connections carry one exchange: no list is made for it.
        if let [one] = exchanges.as_slice()
            && let Some(c) = Compact::new(one)
        {
            return Kept::One(c);
        }
        // All or nothing: a connection keeps one form for its exchanges,
        // so that their order needs no record of which form each is in.
        // One that does not pack (an extension method, a range past
        // 4 GiB) costs memory only; the report is the same either way.
        let compact: Option<Vec<Compact>> = exchanges.iter().map(Compact::new).collect();
        match compact {
            Some(c) if !c.is_empty() => Kept::Compact(c),
            _ => Kept::Full(exchanges),
        }
    }

    /// The reports, those kept whole moved out.
    pub(super) fn reports(self) -> Vec<ExchangeReport> {
        match self {
            Kept::Full(r) => r,
            packed => packed.to_reports(),
        }
    }

    /// The reports, those kept whole copied.
    pub(super) fn to_reports(&self) -> Vec<ExchangeReport> {
        match self {
            Kept::One(c) => vec![c.report()],
            Kept::Compact(c) => c.iter().map(Compact::report).collect(),
            Kept::Full(r) => r.clone(),
        }
    }
}

/// Both directions' reassembly figures, without `snapped_bytes` (the
/// packets fill it in at the report).
#[derive(Debug, Clone)]
pub(super) enum Streams {
    /// Delivered bytes, gaps, gap bytes, duplicate bytes, then whether the
    /// window overflowed; client then server.
    Narrow([[u32; 4]; 2], [bool; 2]),
    /// A count past 32 bits.
    Wide(Box<[StreamFigures; 2]>),
}

impl Streams {
    pub(super) fn new(f: [StreamFigures; 2]) -> Self {
        let counts = |s: &StreamFigures| -> Option<[u32; 4]> {
            (s.snapped_bytes == 0).then_some(())?;
            Some([
                narrow(s.delivered)?,
                narrow(s.gaps)?,
                narrow(s.gap_bytes)?,
                narrow(s.duplicate_bytes)?,
            ])
        };
        match (counts(&f[0]), counts(&f[1])) {
            (Some(c), Some(s)) => {
                Streams::Narrow([c, s], [f[0].window_overflow, f[1].window_overflow])
            }
            _ => Streams::Wide(Box::new(f)),
        }
    }

    pub(super) fn figures(&self) -> [StreamFigures; 2] {
        match self {
            Streams::Narrow(counts, overflow) => [0, 1].map(|i| {
                let [delivered, gaps, gap_bytes, duplicate_bytes] = counts[i].map(u64::from);
                StreamFigures {
                    delivered,
                    gaps,
                    gap_bytes,
                    duplicate_bytes,
                    window_overflow: overflow[i],
                    snapped_bytes: 0,
                }
            }),
            Streams::Wide(f) => **f,
        }
    }
}

/// `Some` when `n` fits in 32 bits.
fn narrow(n: u64) -> Option<u32> {
    u32::try_from(n).ok()
}

impl Compact {
    /// The packed form of `r`, if it has one.
    pub(super) fn new(r: &ExchangeReport) -> Option<Compact> {
        if r.stream.is_some() || r.h2_response_end.is_some() || r.alt_svc.is_some() {
            return None;
        }
        let mut c = Compact {
            request_start: 0,
            request_len: 0,
            response_start: 0,
            response_len: 0,
            request_seen: 0,
            request_expected: 0,
            response_seen: 0,
            response_expected: 0,
            status: r.status.unwrap_or(0),
            has: 0,
            method: 0,
            outcome: OUTCOMES.iter().position(|&o| o == r.outcome)? as u8,
            target_len: 0,
            target: [0; TARGET],
        };
        if let Some(m) = &r.method {
            c.method = METHODS.iter().position(|k| m == k)? as u8 + 1;
        }
        if let Some(t) = &r.target {
            let t = t.as_bytes();
            c.target.get_mut(..t.len())?.copy_from_slice(t);
            c.target_len = t.len() as u8;
            c.has |= TARGET_SET;
        }
        if r.status.is_some() {
            c.has |= STATUS;
        }
        if r.until_close {
            c.has |= UNTIL_CLOSE;
        }
        let body = |b: Option<BodyCount>, flags: (u16, u16)| -> Option<(u32, u32, u16)> {
            let Some(b) = b else {
                return Some((0, 0, 0));
            };
            let expected = b.expected.map_or(Some(0), narrow)?;
            let has = flags.0 | if b.expected.is_some() { flags.1 } else { 0 };
            Some((narrow(b.seen)?, expected, has))
        };
        let (seen, expected, has) = body(r.request_body, (REQUEST_BODY, REQUEST_EXPECTED))?;
        (c.request_seen, c.request_expected) = (seen, expected);
        c.has |= has;
        let (seen, expected, has) = body(r.response_body, (RESPONSE_BODY, RESPONSE_EXPECTED))?;
        (c.response_seen, c.response_expected) = (seen, expected);
        c.has |= has;
        let range = |r: Option<(u64, Option<u64>)>, flags: (u16, u16)| -> Option<(u32, u32, u16)> {
            let Some((start, end)) = r else {
                return Some((0, 0, 0));
            };
            let len = match end {
                Some(e) => narrow(e.checked_sub(start)?)?,
                None => 0,
            };
            let has = flags.0 | if end.is_some() { flags.1 } else { 0 };
            Some((narrow(start)?, len, has))
        };
        let (start, len, has) = range(r.request_range, (REQUEST_RANGE, REQUEST_END))?;
        (c.request_start, c.request_len) = (start, len);
        c.has |= has;
        let (start, len, has) = range(r.response_range, (RESPONSE_RANGE, RESPONSE_END))?;
        (c.response_start, c.response_len) = (start, len);
        c.has |= has;
        Some(c)
    }

    fn is(&self, flag: u16) -> bool {
        self.has & flag != 0
    }

    /// The report this was made from.
    pub(super) fn report(&self) -> ExchangeReport {
        let body = |seen: u32, expected: u32, flags: (u16, u16)| {
            self.is(flags.0).then(|| BodyCount {
                seen: seen.into(),
                expected: self.is(flags.1).then_some(expected.into()),
            })
        };
        let range = |start: u32, len: u32, flags: (u16, u16)| {
            let start = u64::from(start);
            self.is(flags.0)
                .then(|| (start, self.is(flags.1).then_some(start + u64::from(len))))
        };
        let target = &self.target[..usize::from(self.target_len)];
        ExchangeReport {
            stream: None,
            method: (self.method > 0).then(|| METHODS[usize::from(self.method) - 1].into()),
            target: self
                .is(TARGET_SET)
                .then(|| Text::from(&*String::from_utf8_lossy(target))),
            status: self.is(STATUS).then_some(self.status),
            outcome: OUTCOMES[usize::from(self.outcome)],
            request_body: body(
                self.request_seen,
                self.request_expected,
                (REQUEST_BODY, REQUEST_EXPECTED),
            ),
            response_body: body(
                self.response_seen,
                self.response_expected,
                (RESPONSE_BODY, RESPONSE_EXPECTED),
            ),
            response_range: range(
                self.response_start,
                self.response_len,
                (RESPONSE_RANGE, RESPONSE_END),
            ),
            request_range: range(
                self.request_start,
                self.request_len,
                (REQUEST_RANGE, REQUEST_END),
            ),
            h2_response_end: None,
            until_close: self.is(UNTIL_CLOSE),
            alt_svc: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::h2::ErrorCode;

    fn plain() -> ExchangeReport {
        ExchangeReport {
            stream: None,
            method: Some("GET".into()),
            target: Some("/".into()),
            status: Some(200),
            outcome: ExchangeOutcome::Complete,
            request_body: Some(BodyCount {
                seen: 0,
                expected: Some(0),
            }),
            response_body: Some(BodyCount {
                seen: 2,
                expected: Some(2),
            }),
            response_range: Some((0, Some(40))),
            request_range: Some((0, Some(33))),
            h2_response_end: None,
            until_close: false,
            alt_svc: None,
        }
    }

    #[test]
    fn it_is_small() {
        assert!(size_of::<Compact>() <= 64, "{}", size_of::<Compact>());
    }

    /// Every exchange that packs comes back as it was, whatever of its
    /// optional parts are present, and at the 32-bit edges.
    #[test]
    fn what_packs_comes_back_the_same() {
        let edge = u64::from(u32::MAX);
        let mut cases = vec![plain()];
        for outcome in OUTCOMES {
            cases.push(ExchangeReport { outcome, ..plain() });
        }
        for method in METHODS {
            cases.push(ExchangeReport {
                method: Some(method.into()),
                ..plain()
            });
        }
        cases.push(ExchangeReport {
            method: None,
            target: None,
            status: None,
            request_body: None,
            response_body: None,
            response_range: None,
            request_range: None,
            until_close: true,
            ..plain()
        });
        cases.push(ExchangeReport {
            target: Some("/".repeat(TARGET).into()),
            status: Some(0),
            request_body: Some(BodyCount {
                seen: edge,
                expected: None,
            }),
            response_body: Some(BodyCount {
                seen: 0,
                expected: Some(edge),
            }),
            response_range: Some((edge, None)),
            request_range: Some((edge, Some(2 * edge))),
            ..plain()
        });
        cases.push(ExchangeReport {
            target: Some("".into()),
            response_range: Some((0, Some(0))),
            ..plain()
        });
        for r in cases {
            let c = Compact::new(&r).unwrap_or_else(|| panic!("{r:?} does not pack"));
            assert_eq!(c.report(), r);
        }
    }

    #[test]
    fn what_does_not_fit_is_kept_whole() {
        let edge = u64::from(u32::MAX);
        for r in [
            ExchangeReport {
                stream: Some(1),
                ..plain()
            },
            ExchangeReport {
                h2_response_end: Some(9),
                ..plain()
            },
            ExchangeReport {
                alt_svc: Some("h3=\":443\"".into()),
                ..plain()
            },
            ExchangeReport {
                method: Some("get".into()),
                ..plain()
            },
            ExchangeReport {
                target: Some("/".repeat(TARGET + 1).into()),
                ..plain()
            },
            ExchangeReport {
                outcome: ExchangeOutcome::StreamReset(Direction::ClientToServer, ErrorCode::Cancel),
                ..plain()
            },
            ExchangeReport {
                request_body: Some(BodyCount {
                    seen: edge + 1,
                    expected: None,
                }),
                ..plain()
            },
            ExchangeReport {
                response_range: Some((edge + 1, None)),
                ..plain()
            },
            ExchangeReport {
                response_range: Some((0, Some(edge + 1))),
                ..plain()
            },
        ] {
            assert_eq!(Compact::new(&r), None, "{r:?}");
            let kept = Kept::new(vec![plain(), r.clone()]);
            assert!(matches!(kept, Kept::Full(_)), "{kept:?}");
            assert_eq!(kept.reports(), [plain(), r]);
        }
        let two = Kept::new(vec![plain(), plain()]);
        assert!(matches!(two, Kept::Compact(_)), "{two:?}");
        assert_eq!(two.reports(), [plain(), plain()]);
        assert!(matches!(Kept::new(vec![plain()]), Kept::One(_)));
        assert_eq!(Kept::new(Vec::new()).reports(), []);
    }

    #[test]
    fn stream_figures_come_back_the_same_narrow_or_wide() {
        let edge = u64::from(u32::MAX);
        let f = |n: u64, overflow: bool| StreamFigures {
            delivered: n,
            gaps: n / 2,
            gap_bytes: n / 3,
            duplicate_bytes: n / 5,
            window_overflow: overflow,
            snapped_bytes: 0,
        };
        for (figures, narrow) in [
            ([f(0, false), f(0, false)], true),
            ([f(edge, true), f(7, false)], true),
            ([f(1, false), f(edge + 1, true)], false),
            ([f(edge * 6, false), f(1, false)], false),
        ] {
            let s = Streams::new(figures);
            assert_eq!(matches!(s, Streams::Narrow(..)), narrow, "{figures:?}");
            assert_eq!(s.figures(), figures);
        }
    }
}
