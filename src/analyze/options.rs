//! What an analysis is asked to do ([`AnalyzeOptions`], [`Scope`]) and why
//! it can stop ([`Error`]). Every other part of the analyzer reads these
//! types, and this module reads none of them but the leaf `app_rules.rs`
//! (the flow table's application knowledge, part of the defaults).

use std::net::IpAddr;

use crate::app::AppOptions;
use crate::capture;
use crate::flow::{Connection, FlowOptions};

use super::app_rules::APP_RULES;
use crate::wire::{DecodeOptions, Endpoint};

/// Why an analysis stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The capture could not be read.
    #[error(transparent)]
    Capture(#[from] capture::Error),
    /// The `--filter` expression compiles for none of the capture's link
    /// types (the first one's complaint is given).
    #[error("bad filter {filter:?} for link type {link}: {message}")]
    Filter {
        /// The expression given.
        filter: String,
        /// The LINKTYPE_ value it was compiled for.
        link: u32,
        /// libpcap's message.
        message: String,
    },
}

/// Which connections to report: all, or those touching one of the ports or
/// addresses given (either side).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Ports; empty means any.
    pub ports: Vec<u16>,
    /// Addresses; empty means any.
    pub hosts: Vec<IpAddr>,
}

impl Scope {
    /// Whether a connection is in scope.
    pub fn matches(&self, c: &Connection) -> bool {
        self.matches_ends(c.orig().addr, c.resp().addr)
    }

    /// Whether a conversation between these two endpoints is in scope (a
    /// QUIC connection's, which the flow table does not hold).
    pub fn matches_ends(&self, o: Endpoint, r: Endpoint) -> bool {
        if self.ports.is_empty() && self.hosts.is_empty() {
            return true;
        }
        let port_ok =
            self.ports.is_empty() || self.ports.contains(&o.port) || self.ports.contains(&r.port);
        let host_ok =
            self.hosts.is_empty() || self.hosts.contains(&o.addr) || self.hosts.contains(&r.addr);
        port_ok && host_ok
    }
}

/// How to analyze.
#[derive(Clone, Debug)]
pub struct AnalyzeOptions {
    /// Decoding (checksum validation).
    pub decode: DecodeOptions,
    /// Flow-table settings; by default Zeek's, with the application stage's
    /// rules for interactive services ([`super::AppRules`]).
    pub flow: FlowOptions,
    /// A BPF expression (tcpdump syntax) applied to each frame of a file, as
    /// libpcap would apply it while capturing. Live captures pass it to
    /// libpcap instead.
    pub filter: Option<String>,
    /// Which connections to report.
    pub scope: Scope,
    /// The application stage (stream reassembly and decoders): `None`
    /// leaves payloads unread, as the connection log needs.
    pub app: Option<AppOptions>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            decode: DecodeOptions::default(),
            flow: FlowOptions::zeek(&APP_RULES),
            filter: None,
            scope: Scope::default(),
            app: None,
        }
    }
}
