//! `lab reset --via nginx`: the same server behind a real reverse proxy.
//!
//! A proxy splits one exchange into two TCP connections, each with its own
//! ending: the client's leg (client ↔ proxy) and the upstream leg (proxy ↔
//! server). A RST on the upstream leg is what the server's close did; what
//! the client meets is the proxy's translation of it on the other leg (a
//! 502 when the RST came before the response head, a response cut short or
//! a whole one after it, a transparent retry for an idempotent request on a
//! reused connection, RFC 9110 §9.2.2). The capture holds both legs; this
//! module tells them apart by port and gives each its verdict, and the
//! proxy's error log is the fourth witness.

use crate::flow::ConnState;
use crate::labs::nginx::LogLine;
use crate::report::ConnectionReport;
use crate::teardown::{Ending, Role};

/// The reverse proxy put in front of the teaching server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proxy {
    /// Debian's nginx, one process, a generated configuration.
    Nginx,
}

impl Proxy {
    /// Its name as the flag spells it.
    pub fn name(self) -> &'static str {
        match self {
            Proxy::Nginx => "nginx",
        }
    }
}

/// One of the two TCP legs through the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Leg {
    /// The client's connection to the proxy.
    Client,
    /// The proxy's connection to the teaching server.
    Upstream,
}

impl Leg {
    /// The word `--expect` and the JSON document use.
    pub fn name(self) -> &'static str {
        match self {
            Leg::Client => "client",
            Leg::Upstream => "upstream",
        }
    }

    /// Who plays `role` on this leg, in words: on the client's leg the
    /// proxy is the TCP server, on the upstream leg it is the TCP client.
    pub fn party(self, role: Role, proxy: Proxy) -> &'static str {
        match (self, role) {
            (Leg::Client, Role::Client) => "the client",
            (Leg::Client, Role::Server) | (Leg::Upstream, Role::Client) => proxy.name(),
            (Leg::Upstream, Role::Server) => "the server",
        }
    }
}

/// How one connection of a leg ended, as the analyzer says.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LegConnection {
    /// The analyzer's connection id (the ladder's `connection N`).
    pub id: u64,
    /// The TCP client's address.
    pub client: String,
    /// The TCP server's address.
    pub server: String,
    /// Its ending.
    #[serde(serialize_with = "ending_name")]
    pub ending: Ending,
    /// Who sent its first RST, if one was sent.
    pub rst_by: Option<Role>,
    /// The frame of that RST.
    pub rst_frame: Option<u64>,
    /// Who closed first (sent the first FIN or RST).
    pub closed_first: Option<Role>,
    /// Zeek's `conn_state`.
    #[serde(serialize_with = "conn_state_name")]
    pub conn_state: ConnState,
    /// Zeek's `history`.
    pub history: String,
}

/// The verdict on one leg: every connection it held, in first-seen order
/// (the upstream leg holds more than one when the proxy retried).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LegVerdict {
    /// Which leg.
    pub leg: Leg,
    /// Its connections.
    pub connections: Vec<LegConnection>,
}

impl LegVerdict {
    /// The leg's ending: `rst` when any of its connections was reset (the
    /// first such connection decides), `fin` when all closed with FIN,
    /// otherwise the first other ending; `None` with no connection.
    pub fn ending(&self) -> Option<Ending> {
        if self.first_rst().is_some() {
            return Some(Ending::Rst);
        }
        self.connections
            .iter()
            .map(|c| c.ending)
            .find(|e| *e != Ending::Fin)
            .or_else(|| self.connections.first().map(|_| Ending::Fin))
    }

    /// The first connection of the leg that ended in RST.
    pub fn first_rst(&self) -> Option<&LegConnection> {
        self.connections.iter().find(|c| c.ending == Ending::Rst)
    }

    /// The leg's ending in `--expect`'s words: `rst-by-client`,
    /// `rst-by-server`, or the ending's name (`none` without a connection).
    pub fn seen(&self) -> String {
        match (self.ending(), self.first_rst().and_then(|c| c.rst_by)) {
            (Some(Ending::Rst), Some(by)) => format!("rst-by-{by}"),
            (e, _) => e.map_or("none", Ending::name).to_string(),
        }
    }
}

/// What the proxy added to a run: where it listened, each leg's verdict and
/// its error log.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ProxyRun {
    /// Which proxy.
    pub proxy: Proxy,
    /// Where the client connected.
    pub addr: String,
    /// The client's leg.
    pub client_leg: LegVerdict,
    /// The upstream leg.
    pub upstream_leg: LegVerdict,
    /// The error log's lines at level error and above, in order: the
    /// fourth witness (nginx's `recv() failed (104: ...)`).
    pub error_log: Vec<LogLine>,
}

impl ProxyRun {
    /// The verdict of `leg`.
    pub fn leg(&self, leg: Leg) -> &LegVerdict {
        match leg {
            Leg::Client => &self.client_leg,
            Leg::Upstream => &self.upstream_leg,
        }
    }
}

/// The connections of `conns` whose TCP server listens on `port`, in order.
pub fn on_port(conns: &[ConnectionReport], port: u16) -> Vec<ConnectionReport> {
    conns
        .iter()
        .filter(|c| c.teardown.server.port == port)
        .cloned()
        .collect()
}

/// The verdict of `leg` from its connections.
pub fn verdict(leg: Leg, conns: &[ConnectionReport]) -> LegVerdict {
    LegVerdict {
        leg,
        connections: conns
            .iter()
            .map(|c| {
                let t = &c.teardown;
                LegConnection {
                    id: c.id,
                    client: t.client.to_string(),
                    server: t.server.to_string(),
                    ending: t.ending,
                    rst_by: t.first_rst.map(|r| r.sender),
                    rst_frame: t.first_rst.map(|r| r.frame),
                    closed_first: t.closed_first,
                    conn_state: c.zeek.conn_state,
                    history: c.zeek.history.clone(),
                }
            })
            .collect(),
    }
}

fn ending_name<S: serde::Serializer>(e: &Ending, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(e.name())
}

fn conn_state_name<S: serde::Serializer>(c: &ConnState, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(ending: Ending, rst_by: Option<Role>) -> LegConnection {
        LegConnection {
            id: 1,
            client: "127.0.0.1:1".into(),
            server: "127.0.0.1:2".into(),
            ending,
            rst_by,
            rst_frame: rst_by.map(|_| 7),
            closed_first: rst_by,
            conn_state: ConnState::SF,
            history: String::new(),
        }
    }

    #[test]
    fn a_leg_is_reset_when_any_of_its_connections_was() {
        let retried = LegVerdict {
            leg: Leg::Upstream,
            connections: vec![
                conn(Ending::Rst, Some(Role::Server)),
                conn(Ending::Fin, None),
            ],
        };
        assert_eq!(retried.ending(), Some(Ending::Rst));
        assert_eq!(retried.seen(), "rst-by-server");
        let graceful = LegVerdict {
            leg: Leg::Client,
            connections: vec![conn(Ending::Fin, None)],
        };
        assert_eq!(graceful.seen(), "fin");
        let open = LegVerdict {
            leg: Leg::Client,
            connections: vec![conn(Ending::Fin, None), conn(Ending::Open, None)],
        };
        assert_eq!(open.ending(), Some(Ending::Open));
        let none = LegVerdict {
            leg: Leg::Client,
            connections: vec![],
        };
        assert_eq!((none.ending(), none.seen().as_str()), (None, "none"));
    }

    #[test]
    fn the_proxy_is_the_server_of_one_leg_and_the_client_of_the_other() {
        assert_eq!(Leg::Client.party(Role::Server, Proxy::Nginx), "nginx");
        assert_eq!(Leg::Upstream.party(Role::Client, Proxy::Nginx), "nginx");
        assert_eq!(
            Leg::Upstream.party(Role::Server, Proxy::Nginx),
            "the server"
        );
        assert_eq!(Leg::Client.party(Role::Client, Proxy::Nginx), "the client");
    }
}
