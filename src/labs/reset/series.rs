//! A series of runs (`--repeat`): how many matched the expected verdict, how
//! many had witnesses that disagree, and which run to show.
//!
//! A run matches when its packet verdict equals the expected ending or, with
//! none expected, the first run's. Verdicts are compared as values: a run
//! whose capture showed no connection (`None`) matches only another such.
//! A TLS run can also be held to its TLS ending ([`Expect::CloseNotify`],
//! [`Expect::Truncation`]), read from the packets with the key log.

use super::document;
use super::run::ResetRun;
use crate::teardown::Ending;

/// What `--expect` holds a run to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// TCP's ending (`fin`, `rst`).
    Ending(Ending),
    /// TLS: the server's close_notify came before TCP's end (RFC 8446 §6.1).
    CloseNotify,
    /// TLS: TCP ended with no close_notify from the server.
    Truncation,
}

impl Expect {
    /// The `--expect` word.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Ending(e) => e.name(),
            Expect::CloseNotify => "close-notify",
            Expect::Truncation => "truncation",
        }
    }

    /// What `r` showed, in this expectation's words (`none` for a TLS
    /// expectation on a cleartext run).
    pub fn seen(self, r: &ResetRun) -> &'static str {
        match self {
            Expect::Ending(_) => r.verdict.ending_name(),
            Expect::CloseNotify | Expect::Truncation => {
                r.tls.as_ref().map_or("none", |t| t.ending.name())
            }
        }
    }

    fn matches(self, r: &ResetRun) -> bool {
        match self {
            Expect::Ending(e) => r.verdict.ending == Some(e),
            tls => tls.seen(r) == tls.name(),
        }
    }
}
/// The bookkeeping of a series, fed one run at a time.
#[derive(Debug, Default)]
pub struct Series {
    expect: Option<Expect>,
    runs: usize,
    matched: usize,
    disagreed: usize,
    first: Option<ResetRun>,
    first_miss: Option<ResetRun>,
}

impl Series {
    /// A series checked against `expect`, or against its first run's
    /// verdict when `None`.
    pub fn new(expect: Option<Expect>) -> Self {
        Series {
            expect,
            ..Series::default()
        }
    }

    /// Counts one finished run.
    pub fn add(&mut self, r: ResetRun) {
        let matched = match (self.expect, &self.first) {
            (Some(e), _) => e.matches(&r),
            (None, Some(f)) => r.verdict.ending == f.verdict.ending,
            (None, None) => true,
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

    /// The expected ending, if one was given.
    pub fn expect(&self) -> Option<Expect> {
        self.expect
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
        self.expect.is_some() && self.matched < planned
    }

    /// The counts for the JSON document of a series of `planned` runs.
    pub fn document(&self, planned: usize) -> document::Series<'static> {
        document::Series {
            repeat: planned,
            matched: self.matched,
            expect: self.expect.map(Expect::name),
            runs_with_disagreements: self.disagreed,
        }
    }
}
