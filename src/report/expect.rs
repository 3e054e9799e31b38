//! `--expect`: turning a report into an assertion for CI.
//!
//! An [`Expectation`] names one teaching verdict (`fin`, `rst`, `refused`,
//! `half-closed`, `open`, `unanswered`), one Zeek `conn_state`
//! (`conn_state=SF`) or one exact history (`history=ShADadFf`). Every
//! connection in scope must meet every expectation; [`Checker`] remembers the
//! first one (lowest id) that does not, with a one-line reason.

use std::fmt;
use std::str::FromStr;

use crate::flow::ConnState;
use crate::teardown::Ending;

use super::ConnectionReport;
use super::table::frames_cell;

/// One expected property of every connection in scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// The teaching verdict.
    Ending(Ending),
    /// Zeek's `conn_state`.
    ConnState(ConnState),
    /// Zeek's `history`, exactly (`-` for an empty one).
    History(String),
}

/// Why an expectation could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown expectation {0:?}: use fin, rst, refused, half-closed, open, unanswered, conn_state=STATE (SF, S0, REJ, RSTO, ...) or history=LETTERS"
)]
pub struct ParseError(String);

impl FromStr for Expectation {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(e) = Ending::parse(s) {
            Ok(Expectation::Ending(e))
        } else if let Some(v) = s.strip_prefix("conn_state=") {
            ConnState::parse(v)
                .map(Expectation::ConnState)
                .ok_or_else(|| ParseError(s.to_string()))
        } else if let Some(v) = s.strip_prefix("history=") {
            let v = if v == "-" { "" } else { v };
            Ok(Expectation::History(v.to_string()))
        } else {
            Err(ParseError(s.to_string()))
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Ending(e) => write!(f, "{e}"),
            Expectation::ConnState(c) => write!(f, "conn_state={c}"),
            Expectation::History(h) if h.is_empty() => write!(f, "history=-"),
            Expectation::History(h) => write!(f, "history={h}"),
        }
    }
}

impl Expectation {
    /// Whether the connection meets it.
    pub fn holds(&self, c: &ConnectionReport) -> bool {
        match self {
            Expectation::Ending(e) => c.teardown.ending == *e,
            Expectation::ConnState(s) => c.zeek.conn_state == *s,
            Expectation::History(h) => c.zeek.history == *h,
        }
    }
}

/// One line describing a connection: endpoints, verdict, RST, Zeek fields,
/// deciding frames.
pub fn describe(c: &ConnectionReport) -> String {
    let t = &c.teardown;
    let rst = match t.first_rst {
        Some(r) => format!(", {} sent RST ({})", r.sender, r.phase.name()),
        None => String::new(),
    };
    let history = if c.zeek.history.is_empty() {
        "-"
    } else {
        &c.zeek.history
    };
    format!(
        "connection {} {} → {} ended {}{rst}, zeek {} {}, frames {}",
        c.id,
        t.client,
        t.server,
        t.ending,
        c.zeek.conn_state,
        history,
        frames_cell(t)
    )
}

/// Checks connections one by one, in any order.
#[derive(Debug, Default)]
pub struct Checker {
    expectations: Vec<Expectation>,
    checked: u64,
    first_failure: Option<(u64, String)>,
}

impl Checker {
    /// A checker for these expectations.
    pub fn new(expectations: Vec<Expectation>) -> Self {
        Checker {
            expectations,
            ..Checker::default()
        }
    }

    /// True when there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.expectations.is_empty()
    }

    /// Checks one connection.
    pub fn check(&mut self, c: &ConnectionReport) {
        self.checked += 1;
        if let Some(e) = self.expectations.iter().find(|e| !e.holds(c)) {
            let earlier = self
                .first_failure
                .as_ref()
                .is_some_and(|(id, _)| *id < c.id);
            if !earlier {
                self.first_failure = Some((c.id, format!("{}, expected {e}", describe(c))));
            }
        }
    }

    /// `Ok(n)` when all `n` connections met every expectation; otherwise the
    /// one-line reason naming the first that did not (or saying that no
    /// connection was in scope).
    pub fn verdict(&self) -> Result<u64, String> {
        if let Some((_, why)) = &self.first_failure {
            Err(why.clone())
        } else if self.checked == 0 {
            Err("no connection in scope to check".to_string())
        } else {
            Ok(self.checked)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            "fin".parse::<Expectation>().unwrap(),
            Expectation::Ending(Ending::Fin)
        );
        assert_eq!(
            "half-closed".parse::<Expectation>().unwrap(),
            Expectation::Ending(Ending::HalfClosed)
        );
        assert_eq!(
            "conn_state=RSTR".parse::<Expectation>().unwrap(),
            Expectation::ConnState(ConnState::RSTR)
        );
        assert_eq!(
            "history=ShADadFf".parse::<Expectation>().unwrap(),
            Expectation::History("ShADadFf".into())
        );
        assert!("conn_state=XX".parse::<Expectation>().is_err());
        assert!("graceful".parse::<Expectation>().is_err());
    }
}
