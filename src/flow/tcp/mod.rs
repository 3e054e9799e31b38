//! Zeek's TCP rules and the record they update: per-packet bookkeeping
//! (`tracker.rs`), the endpoint state machine and close handling
//! (`machine.rs`), endpoint state (`endpoint.rs`), history letters
//! (`history.rs`), content gaps (`gaps.rs`), `conn_state`
//! (`conn_state.rs`), timer deadlines (`timers.rs`), the connection record
//! itself (`conn.rs`) and its rarely used part (`rare.rs`).
//!
//! The record lives here, beside the rules that are its methods, so calls
//! go one way: the table (`flow/table.rs`) calls into this module; this
//! module reads only the leaves `flow/key.rs`, `flow/anomaly.rs` and
//! `flow/store/` (for the "no deadline" and "no record" markers), never the
//! table (and `flow/app_hook.rs`, the application questions). Inside, `tracker` → `machine` → `conn` → `endpoint`, `history`,
//! `timers`, `conn_state`, `rare`; `tracker` → `gaps` (content gaps) →
//! `conn`.

pub(super) mod conn;
mod conn_state;
pub(super) mod endpoint;
mod gaps;
mod history;
pub(super) mod machine;
mod ports;
mod rare;
pub(super) mod timers;
mod tracker;

pub use conn::{Connection, Removal, Side};
pub use conn_state::ConnState;
pub use endpoint::{EndpointState, RstPhase, TcpEndpoint};
pub use history::{History, Letter};
pub use ports::PortSet;
