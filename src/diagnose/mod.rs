//! Why each RST happened and whether it mattered, from the packets alone.
//!
//! Beside the pipeline's last stage: it reads what the analyzer already
//! decided for a finished connection (its [`Teardown`], its flow record,
//! and its [`AppReport`]: exchanges, bytes in flight at the RST, the
//! timeline) and, for a connection that a RST ended, returns a
//! [`Diagnosis`]:
//!
//! - the [`Cause`] (`cause.rs`), each with the RFC or kernel rule it rests
//!   on and the frames that decided it ([`Evidence`], one line of text per
//!   frame, for whoever writes them back into a capture);
//! - the [`Impact`] (`impact.rs`): harmful only when the packets show
//!   application bytes lost, benign only when both sides had finished,
//!   uncertain between (precision first: a benign RST called harmful is a
//!   defect);
//! - what the client got ([`ResponseSeen`]), and the phase in Cloudflare
//!   Radar's terms ([`RadarPhase`], `radar.rs`);
//! - whether the RST's IP header is its claimed sender's at all
//!   ([`MiddleboxSigns`], `middlebox.rs`, from the IP marks `lab
//!   diagnose` asks the analyzer to keep);
//! - the shape of the exchange the RST met, and what common clients
//!   report for it (`words.rs`, measured by tests/client_words.rs).
//!
//! Calls go one way: this facade → `cause.rs`, `impact.rs`, `radar.rs`,
//! `words.rs` → `middlebox.rs`, `evidence.rs`, `facts.rs`. Nothing here
//! prints; `report::diagnosis`
//! words it. One pass: a diagnosis is made as each connection is handed
//! out, and only connections with a RST allocate one.

mod cause;
mod evidence;
mod facts;
mod impact;
mod middlebox;
mod radar;
mod tally;
#[cfg(test)]
mod tests;
pub mod words;

use crate::app::AppReport;
use crate::flow::Connection;
use crate::teardown::{Reset, Teardown};
use crate::wire::Endpoint;

pub use cause::{Cause, CauseKind, KeepAliveRace, UnknownShape, UnreadProof};
pub use evidence::{Evidence, Witness};
pub use impact::{Benign, Harm, Impact, Uncertainty};
pub use middlebox::{IdSign, MiddleboxSigns, PairedRst, SendsAfter, Timing, TtlSign};
pub use radar::RadarPhase;
pub use tally::Tally;

use facts::Facts;

/// What the analyzer's application stage must keep for a diagnosis: the
/// defaults, and each side's IP marks (which `middlebox.rs` reads).
pub fn app_options() -> crate::app::AppOptions {
    crate::app::AppOptions {
        ip_trail: true,
        ..crate::app::AppOptions::default()
    }
}

/// The last response the server sent before the RST, and whether the
/// client's TCP acknowledged all of it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSeen {
    /// Index of its exchange in the connection's exchanges.
    pub exchange: usize,
    /// The request line's method and target, when decoded.
    pub request: Option<(String, String)>,
    /// Its status.
    pub status: u16,
    /// Every byte of it acknowledged by the client before the RST; `None`
    /// when the packets cannot tell.
    pub acknowledged: Option<bool>,
}

/// One connection's RST, diagnosed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// The connection's id (as in `lab analyze`).
    pub id: u64,
    /// The client's address and port.
    pub client: Endpoint,
    /// The server's.
    pub server: Endpoint,
    /// The connection's first RST.
    pub rst: Reset,
    /// Why it was sent.
    pub cause: Cause,
    /// Whether it mattered.
    pub impact: Impact,
    /// The last response and whether it reached the client's TCP.
    pub response: Option<ResponseSeen>,
    /// Requests (exchange indices) that reached the server and drew no
    /// response before the RST.
    pub unanswered: Vec<usize>,
    /// Bytes the RST's sender had sent that its peer had not acknowledged.
    pub lost_bytes: Option<u64>,
    /// Bytes the peer had sent that the RST's sender had not acknowledged
    /// (the RST's own acknowledgment number included).
    pub unacked_bytes: Option<u64>,
    /// The phase in Cloudflare Radar's terms.
    pub radar: RadarPhase,
    /// The deciding frames, in frame order.
    pub evidence: Vec<Evidence>,
    /// How the RST met the exchange, as a client feels it: the key to
    /// what common clients report ([`words`]).
    pub shape: Option<words::Shape>,
}

impl Diagnosis {
    /// The diagnosis of a finished connection, or `None` when no RST
    /// ended it. `app` is its application report (decoding on); without
    /// one, the application-layer facts are taken as unknown.
    pub fn of(t: &Teardown, c: &Connection, app: Option<&AppReport>) -> Option<Self> {
        let rst = t.first_rst?;
        let f = Facts::new(t, c, app, rst);
        let cause = cause::decide(&f);
        let impact = impact::decide(&f, &cause);
        let mut evidence = evidence::collect(&f, &cause);
        evidence.sort_by_key(|e| e.frame);
        evidence.dedup_by(|a, b| a.frame == b.frame && a.witness == b.witness);
        Some(Diagnosis {
            id: c.id(),
            client: t.client,
            server: t.server,
            rst,
            radar: radar::phase(&f),
            response: f.response(),
            unanswered: f.unanswered.clone(),
            shape: words::shape(&f, &cause),
            lost_bytes: f.loss.and_then(|l| l.lost_bytes),
            unacked_bytes: f.loss.and_then(|l| l.unacked_bytes),
            cause,
            impact,
            evidence,
        })
    }

    /// The deciding frame numbers, in order.
    pub fn frames(&self) -> impl Iterator<Item = u64> + '_ {
        self.evidence.iter().map(|e| e.frame)
    }
}
