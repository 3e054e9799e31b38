//! Connections from segments: the flow table, per-endpoint TCP state, and
//! Zeek's `conn_state` and `history`.
//!
//! The third stage of the analyzer pipeline (capture → wire → **flow** →
//! teardown → report). [`FlowTable`] takes decoded TCP segments in capture
//! order, finds or creates their connection, runs Zeek's per-packet rules on
//! it (`tcp/`), fires Zeek's timers on packet time, and hands each
//! connection out once, by value, when Zeek would remove it: after its close
//! timer, attempt timer, expire or inactivity timer, on reuse of the 4-tuple,
//! or at the end of the input. Memory is therefore bounded by the connections
//! open at one time, not by the length of the capture.
//!
//! Three parts, and calls go one way between them: this facade and the table
//! (`table.rs`) → Zeek's TCP rules and the record they update (`tcp/`) →
//! leaves that know no TCP rule: storage (`store/`: slab, lookup index,
//! timing wheel, prefetch hints), the direction-free key (`key.rs`), the
//! anomaly counts (`anomaly.rs`) and the questions the rules ask of
//! application detection ([`AppHook`], `app_hook.rs`, answered from outside
//! this module). Unit tests sit in `tests/`.
//!
//! Every rule is described in `docs/zeek-conn-state.md` (Zeek 9.1.0-dev, default
//! `zeek -C -r` settings) and cites its section.
//!
//! Known limits, each a documented simplification:
//! - content gaps (`G`/`g`, `missed_bytes`, §12) do not count Zeek's 10 MiB
//!   limit on buffered data, and give a direction up past 4096 waiting
//!   out-of-order ranges instead;
//! - no `X` letter (application analyzers);
//! - a close is never deferred for undelivered reassembled data;
//! - Zeek's cap of 300 timer expirations per packet is not modelled;
//! - SSH/FTP analyzer confirmation (1-hour inactivity timeout) is approximated
//!   by both sides sending a greeting ([`AppHook::greeting`]: an `SSH-`
//!   banner); FTP relies on port 21 ([`AppHook::interactive_port`]).

mod anomaly;
mod app_hook;
mod key;
pub(crate) mod store;
mod table;
mod tcp;

#[cfg(test)]
mod tests;

pub use anomaly::{FlowAnomalies, TimeWentBack};
pub use app_hook::{AppHook, NoApps};
pub use key::{FlowHash, FlowKey, TransportProto};
pub use table::{Applied, FlowOptions, FlowTable};
pub use tcp::{
    ConnState, Connection, EndpointState, History, Letter, PortSet, Removal, RstPhase, Side,
    TcpEndpoint,
};
