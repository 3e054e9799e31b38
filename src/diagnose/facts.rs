//! The facts a diagnosis reads, gathered once from the teardown verdict,
//! the flow record and the application report, in the RST sender's terms.

use crate::app::ip_trail::{RstForm, RstMarks};
use crate::app::timeline::{Moment, Timeline};
use crate::app::{AppReport, ExchangeOutcome, ExchangeReport, RstLoss};
use crate::flow::Connection;
use crate::teardown::{Reset, Role, Teardown};

use super::ResponseSeen;

/// What the rules look at.
pub(super) struct Facts<'a> {
    pub t: &'a Teardown,
    pub rst: Reset,
    pub app: Option<&'a AppReport>,
    /// In flight at the sender's first RST.
    pub loss: Option<RstLoss>,
    /// Exchanges the lost bytes (the sender's) belonged to.
    pub lost_in: &'a [usize],
    /// Exchanges the unacknowledged bytes (the peer's) belonged to.
    pub unacked_in: &'a [usize],
    /// Requests that reached the server and drew no response.
    pub unanswered: Vec<usize>,
    /// The sender sent nothing but RSTs (its letters in Zeek's history).
    pub sender_only_rst: bool,
    /// The client's packets in the record (Zeek's pkts for its side).
    pub client_pkts: u64,
}

impl<'a> Facts<'a> {
    pub fn new(t: &'a Teardown, c: &Connection, app: Option<&'a AppReport>, rst: Reset) -> Self {
        let i = role_index(rst.sender);
        let report = app.and_then(|a| a.rst[i].as_ref());
        let client_is_orig = c.syn_sender_is_orig().unwrap_or(true);
        let sender_is_orig = (rst.sender == Role::Client) == client_is_orig;
        // Zeek's history: the originator's letters upper case, the
        // responder's lower case.
        let sender_only_rst = c
            .history()
            .chars()
            .filter(|ch| ch.is_ascii_alphabetic() && ch.is_ascii_uppercase() == sender_is_orig)
            .all(|ch| ch.eq_ignore_ascii_case(&'r'));
        let client = if client_is_orig { c.orig() } else { c.resp() };
        let exchanges = app.map_or(&[][..], |a| a.exchanges());
        Facts {
            t,
            rst,
            app,
            loss: report.map(|r| r.loss),
            lost_in: report.map_or(&[][..], |r| &r.lost_in),
            unacked_in: report.map_or(&[][..], |r| &r.unacked_in),
            unanswered: exchanges
                .iter()
                .enumerate()
                .filter(|(_, e)| unanswered(e))
                .map(|(n, _)| n)
                .collect(),
            sender_only_rst,
            client_pkts: client.tcp.pkts(),
        }
    }

    pub fn exchanges(&self) -> &'a [ExchangeReport] {
        self.app.map_or(&[][..], |a| a.exchanges())
    }

    pub fn timeline(&self) -> Option<&'a Timeline> {
        self.app.map(|a| &a.timeline)
    }

    /// Was the connection's payload decoded as HTTP (exchanges found)?
    pub fn http(&self) -> bool {
        !self.exchanges().is_empty()
    }

    /// Did the response of exchange `n` reach the client's TCP whole?
    pub fn delivered(&self, n: usize) -> Option<bool> {
        self.app.and_then(|a| a.delivered.get(n).copied().flatten())
    }

    /// The sender's bytes its peer had not acknowledged.
    pub fn lost(&self) -> u64 {
        self.loss.and_then(|l| l.lost_bytes).unwrap_or(0)
    }

    /// The peer's bytes the sender had not acknowledged.
    pub fn unacked(&self) -> u64 {
        self.loss.and_then(|l| l.unacked_bytes).unwrap_or(0)
    }

    /// The RST's own marks, when `lab diagnose` kept each side's trail.
    pub fn rst_marks(&self) -> Option<RstMarks> {
        let trail = self.app.and_then(|a| a.ip_trail.as_deref())?;
        trail.sides[role_index(self.rst.sender)]
            .rst
            .filter(|r| r.at.frame.get() == self.rst.frame)
    }

    /// The RST's TCP form, when the trail was kept.
    pub fn rst_form(&self) -> Option<RstForm> {
        self.rst_marks().map(|r| r.form)
    }

    /// The peer's last packet before the connection's first RST.
    pub fn peer_last(&self) -> Option<Moment> {
        self.last_of(1 - role_index(self.rst.sender))
    }

    /// The sender's own last packet before it.
    pub fn own_last(&self) -> Option<Moment> {
        self.last_of(role_index(self.rst.sender))
    }

    fn last_of(&self, side: usize) -> Option<Moment> {
        let trail = self.app.and_then(|a| a.ip_trail.as_deref())?;
        trail.sides[side]
            .last
            .filter(|m| m.frame.get() < self.rst.frame)
    }

    /// The RST answers the peer's last segment in the form of a TCP that
    /// has no connection for it (RFC 9293 §3.10.7.1), and its sender had
    /// not closed: no FIN of its own explains the answer.
    pub fn answered_without_connection(&self) -> bool {
        self.rst_form() == Some(RstForm::Answer) && self.fin_before(self.rst.sender).is_none()
    }

    /// Both FINs came before the RST.
    pub fn both_fins_before(&self) -> bool {
        let f = &self.t.frames;
        f.client_fin
            .zip(f.server_fin)
            .is_some_and(|(a, b)| a < self.rst.frame && b < self.rst.frame)
    }

    /// The FIN frame of `role`, if it came before the RST.
    pub fn fin_before(&self, role: Role) -> Option<u64> {
        let f = match role {
            Role::Client => self.t.frames.client_fin,
            Role::Server => self.t.frames.server_fin,
        };
        f.filter(|&n| n < self.rst.frame)
    }

    /// The last exchange with a response.
    pub fn response(&self) -> Option<ResponseSeen> {
        let (n, e) = self
            .exchanges()
            .iter()
            .enumerate()
            .rev()
            .find(|(_, e)| e.status.is_some())?;
        Some(ResponseSeen {
            exchange: n,
            request: e
                .method
                .as_deref()
                .map(str::to_owned)
                .zip(e.target.as_deref().map(str::to_owned)),
            status: e.status?,
            acknowledged: self.delivered(n),
        })
    }

    /// The last HTTP/1 exchange, when its request had begun but not ended
    /// at the server's RST and drew no response.
    pub fn cut_upload(&self) -> Option<usize> {
        if self.rst.sender != Role::Server {
            return None;
        }
        let n = self.exchanges().len().checked_sub(1)?;
        let e = &self.exchanges()[n];
        let cut =
            e.stream.is_none() && e.status.is_none() && matches!(e.request_range, Some((_, None)));
        cut.then_some(n)
    }

    /// A response not acknowledged whole before the RST.
    pub fn undelivered(&self) -> Option<usize> {
        (0..self.exchanges().len()).find(|&n| self.delivered(n) == Some(false))
    }
}

/// A request that was complete and drew no response before the end.
fn unanswered(e: &ExchangeReport) -> bool {
    let complete_request = e.request_range.is_some_and(|(_, end)| end.is_some());
    e.status.is_none()
        && complete_request
        && matches!(
            e.outcome,
            ExchangeOutcome::NeverAnswered | ExchangeOutcome::CutByRst(_)
        )
}

pub(super) fn role_index(r: Role) -> usize {
    match r {
        Role::Client => 0,
        Role::Server => 1,
    }
}
