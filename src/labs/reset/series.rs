//! A series of runs (`--repeat`): how many matched the expected verdict, how
//! many had witnesses that disagree, and which run to show.
//!
//! A run matches when its packet verdict equals the expected ending or, with
//! none expected, the first run's. Verdicts are compared as values: a run
//! whose capture showed no connection (`None`) matches only another such.
//! A TLS run can also be held to its TLS ending ([`Expect::CloseNotify`],
//! [`Expect::Truncation`]), read from the packets with the key log.

use super::document;
use super::proxy::Leg;
use super::run::ResetRun;
use crate::teardown::{Ending, Role};

/// What `--expect` holds a run to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// TCP's ending (`fin`, `rst`) of the lab's connection: the server's
    /// first connection, the upstream leg's through a proxy.
    Ending(Ending),
    /// TLS: the server's close_notify came before TCP's end (RFC 8446 §6.1).
    CloseNotify,
    /// TLS: TCP ended with no close_notify from the server.
    Truncation,
    /// Through a proxy: how one leg ended (`upstream:rst-by-server`), and
    /// when `by` is given, who sent its first RST (each leg's own TCP
    /// roles: the proxy is the server of the client's leg and the client
    /// of the upstream leg).
    Leg {
        /// Which leg.
        leg: Leg,
        /// Its ending (see [`LegVerdict::ending`](super::proxy::LegVerdict::ending)).
        ending: Ending,
        /// Who sent the RST, when asked.
        by: Option<Role>,
    },
    /// The status of the last response the client read (`status:502`).
    Status(u16),
}

impl Expect {
    /// The `--expect` word.
    pub fn name(self) -> String {
        match self {
            Expect::Ending(e) => e.name().to_string(),
            Expect::CloseNotify => "close-notify".into(),
            Expect::Truncation => "truncation".into(),
            Expect::Leg { leg, ending, by } => match by {
                Some(by) => format!("{}:{}-by-{by}", leg.name(), ending.name()),
                None => format!("{}:{}", leg.name(), ending.name()),
            },
            Expect::Status(s) => format!("status:{s}"),
        }
    }

    /// What `r` showed, in this expectation's words (`none` for a TLS
    /// expectation on a cleartext run, or a leg on a run without a proxy).
    pub fn seen(self, r: &ResetRun) -> String {
        match self {
            Expect::Ending(_) => r.verdict.ending_name().to_string(),
            Expect::CloseNotify | Expect::Truncation => r
                .tls
                .as_ref()
                .map_or("none", |t| t.ending.name())
                .to_string(),
            Expect::Leg { leg, by, .. } => r.proxy.as_ref().map_or("none".into(), |p| {
                let v = p.leg(leg);
                match by {
                    Some(_) => v.seen(),
                    None => v.ending().map_or("none", Ending::name).to_string(),
                }
            }),
            Expect::Status(_) => match r.client.status {
                0 => "no status".into(),
                s => format!("status:{s}"),
            },
        }
    }

    /// Why `r` ended as it did, for the one-line failure.
    pub fn reason(self, r: &ResetRun) -> String {
        match (self, &r.tls) {
            (Expect::CloseNotify | Expect::Truncation, Some(t)) => t.reason.clone(),
            (
                Expect::Status(_)
                | Expect::Leg {
                    leg: Leg::Client, ..
                },
                _,
            ) => {
                format!("the client: {}", r.client.end)
            }
            _ => r.verdict.reason.clone(),
        }
    }

    /// Whether `r` meets it.
    pub fn matches(self, r: &ResetRun) -> bool {
        match self {
            Expect::Ending(e) => r.verdict.ending == Some(e),
            Expect::Status(s) => r.client.status == s,
            Expect::CloseNotify | Expect::Truncation => self.seen(r) == self.name(),
            Expect::Leg { ending, by, .. } => {
                let want = match by {
                    Some(by) => format!("{}-by-{by}", ending.name()),
                    None => ending.name().to_string(),
                };
                self.seen(r) == want
            }
        }
    }
}

/// The words of a list of expectations, comma-separated as `--expect`
/// takes them.
pub fn names(expect: &[Expect]) -> String {
    expect
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// The bookkeeping of a series, fed one run at a time.
#[derive(Debug, Default)]
pub struct Series {
    expect: Vec<Expect>,
    runs: usize,
    matched: usize,
    disagreed: usize,
    first: Option<ResetRun>,
    first_miss: Option<ResetRun>,
}

impl Series {
    /// A series checked against every one of `expect`, or against its
    /// first run's verdict when there is none.
    pub fn new(expect: Vec<Expect>) -> Self {
        Series {
            expect,
            ..Series::default()
        }
    }

    /// Counts one finished run.
    pub fn add(&mut self, r: ResetRun) {
        let matched = match (self.expect.is_empty(), &self.first) {
            (false, _) => self.expect.iter().all(|e| e.matches(&r)),
            (true, Some(f)) => r.verdict.ending == f.verdict.ending,
            (true, None) => true,
        };
        self.runs += 1;
        if !r.disagreements.is_empty() {
            self.disagreed += 1;
        }
        if matched {
            self.matched += 1;
        } else if self.first_miss.is_none() {
            self.first_miss = Some(r.clone());
        }
        if self.first.is_none() {
            self.first = Some(r);
        }
    }

    /// The expectations given (none: the first run's verdict).
    pub fn expect(&self) -> &[Expect] {
        &self.expect
    }

    /// The first expectation `r` does not meet.
    pub fn missed(&self, r: &ResetRun) -> Option<Expect> {
        self.expect.iter().copied().find(|e| !e.matches(r))
    }

    /// Runs counted.
    pub fn runs(&self) -> usize {
        self.runs
    }

    /// Runs that matched.
    pub fn matched(&self) -> usize {
        self.matched
    }

    /// Runs whose witnesses disagreed.
    pub fn disagreed(&self) -> usize {
        self.disagreed
    }

    /// The first run.
    pub fn first(&self) -> Option<&ResetRun> {
        self.first.as_ref()
    }

    /// The run worth showing: the first that missed, otherwise the first.
    pub fn shown(&self) -> Option<&ResetRun> {
        self.first_miss.as_ref().or(self.first.as_ref())
    }

    /// Whether an expected ending was given and some of `planned` runs
    /// did not match it (a series cut short counts its missing runs).
    pub fn expectation_failed(&self, planned: usize) -> bool {
        !self.expect.is_empty() && self.matched < planned
    }

    /// The counts for the JSON document of a series of `planned` runs.
    pub fn document(&self, planned: usize) -> document::Series {
        document::Series {
            repeat: planned,
            matched: self.matched,
            expect: (!self.expect.is_empty()).then(|| names(&self.expect)),
            runs_with_disagreements: self.disagreed,
        }
    }
}
