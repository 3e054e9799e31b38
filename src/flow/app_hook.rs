//! What Zeek's TCP rules ask of application detection, as a trait the flow
//! stage owns and the analyzer answers (`analyze` implements it with the
//! rules of `app::interactive`): the flow stage never imports `stream` or
//! `app`, and a table built without application knowledge says so.
//!
//! Zeek lets application knowledge touch a TCP connection's record in one
//! way this crate models: the 1-hour inactivity timeout of interactive
//! services (Zeek's `base/protocols/conn/inactivity.zeek`,
//! `docs/zeek-conn-state.md` §7.1). It is set when a connection is
//! established on one of the service ports Zeek lists
//! (`port_inactivity_timeouts`), and when Zeek's SSH or FTP analyzer confirms
//! its protocol (`analyzer_inactivity_timeouts`), for which both sides
//! opening with their greeting stands in. The timeout decides when an idle
//! connection is removed, so these answers change how a capture splits into
//! rows, and with that the rows' `conn_state` and `history`; they never
//! change a connection's direction (the port rule reads it: the table picks
//! the service port, see `tcp/machine.rs`). The greetings also name the
//! conn.log `service` ([`super::Connection::greetings`]).

/// The application questions of the per-packet rules. Called on the flow
/// stage's hot path: `greeting` only for a segment whose payload view is not
/// empty, `interactive_port` once per established connection.
pub trait AppHook: std::fmt::Debug + Sync {
    /// Whether a connection established with `service_port` as its service
    /// port gets the interactive timeout (Zeek's `port_inactivity_timeouts`).
    fn interactive_port(&self, service_port: u16) -> bool;

    /// Whether `opening`, the start of a segment's captured payload as the
    /// table is given it, is one side's greeting of an interactive protocol;
    /// once both sides have sent theirs, the protocol counts as confirmed.
    fn greeting(&self, opening: &[u8]) -> bool;

    /// What [`AppHook::greeting`] reads of `payload`, as a view that
    /// outlives the captured frame, so a packet summary handed to the table
    /// keeps no captured bytes: `greeting(opening(p))` equals `greeting(p)`.
    fn opening(&self, payload: &[u8]) -> &'static [u8];
}

/// No application knowledge: no port is interactive and no payload a
/// greeting. A table built with it keeps the 1-minute and 5-minute timeouts
/// for every connection.
#[derive(Debug)]
pub struct NoApps;

impl AppHook for NoApps {
    fn interactive_port(&self, _: u16) -> bool {
        false
    }

    fn greeting(&self, _: &[u8]) -> bool {
        false
    }

    fn opening(&self, _: &[u8]) -> &'static [u8] {
        &[]
    }
}
