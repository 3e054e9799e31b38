//! One TCP connection's record: both endpoints, Zeek's roles, the history,
//! the timers, and the frame numbers the teardown verdict cites.
//!
//! The record is built and updated by the tracker (`tracker.rs`) and owned by
//! the flow table until Zeek's rules remove it; then it is handed out by
//! value, read by [`crate::teardown`] and [`crate::report`], and dropped.
//!
//! Endpoints are stored by *index*: `ep[0]` sent the packet that created the
//! connection, `ep[1]` is its peer. Zeek's originator is `ep[orig]`; a role
//! flip (`docs/zeek-conn-state.md` §2.6) toggles `orig` and appends `^`, and each
//! endpoint keeps its own counters as it changes role.

use std::net::IpAddr;

use crate::capture::Timestamp;
use crate::flow::key::{Ends, FlowKey, TransportProto};
use crate::wire::{Endpoint, TunnelId};

use super::conn_state::ConnState;
use super::endpoint::{EndpointState, TcpEndpoint};
use super::history::{History, Letter, OnceMask};
use super::rare::Rare;
use super::timers::{TimerBits, Timers};

/// Why the flow table removed a connection (which Zeek rule ended it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    /// Still open when the input ended.
    #[default]
    EndOfInput,
    /// A SYN on the same 4-tuple started a new connection (§7.2).
    Reuse,
    /// Unanswered SYN, 5 s (§7.1 attempt timer).
    AttemptTimer,
    /// 5 s after a completed close (§7.1 close timer).
    CloseTimer,
    /// Idle after a close (§7.1 expire timer).
    ExpireTimer,
    /// No packets for the inactivity timeout (§7.1).
    InactivityTimer,
}

impl Removal {
    /// Stable lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Removal::EndOfInput => "end_of_input",
            Removal::Reuse => "reuse",
            Removal::AttemptTimer => "attempt_timer",
            Removal::CloseTimer => "close_timer",
            Removal::ExpireTimer => "expire_timer",
            Removal::InactivityTimer => "inactivity_timer",
        }
    }
}

/// Frame numbers kept cheaply: the connection's first frame in full, the
/// others as offsets from it plus one (0 = none). A connection would have to
/// span more than 4 billion frames of its capture for an offset to saturate.
///
/// Packed to 4-byte alignment so the record does not pad it to 32 bytes; its
/// fields are only ever read by value.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, packed(4))]
pub(in crate::flow) struct Frames {
    pub(in crate::flow) first: u64,
    /// The first pure SYN of the connection (its sender is `Connection::syn_by`).
    pub(in crate::flow) syn: u32,
    pub(in crate::flow) fin: [u32; 2],
    pub(in crate::flow) rst: [u32; 2],
}

impl Frames {
    pub(in crate::flow) fn offset(&self, frame: u64) -> u32 {
        let d = frame.saturating_sub(self.first).saturating_add(1);
        u32::try_from(d).unwrap_or(u32::MAX)
    }

    pub(in crate::flow) fn get(&self, off: u32) -> Option<u64> {
        (off != 0).then(|| self.first + u64::from(off) - 1)
    }
}

/// One TCP connection.
#[derive(Clone, Debug)]
pub struct Connection {
    pub(in crate::flow) id: u64,
    pub(in crate::flow) ends: Ends,
    pub(in crate::flow) ep: [TcpEndpoint; 2],
    pub(in crate::flow) orig: u8,
    /// `ts`: time of the packet that created the connection (ns).
    pub(in crate::flow) start: i64,
    /// Zeek's `last_time` (ns): last processed packet until both sides closed.
    pub(in crate::flow) last: i64,
    pub(in crate::flow) history: History,
    pub(in crate::flow) once: OnceMask,
    pub(in crate::flow) frames: Frames,
    /// Which endpoint sent the first pure SYN: 0 none, 1 `ep[0]`, 2 `ep[1]`.
    pub(in crate::flow) syn_by: u8,
    pub(in crate::flow) timers: Timers,
    pub(in crate::flow) timer_bits: TimerBits,
    pub(in crate::flow) removal: Removal,
    /// Per endpoint, the relative sequence number up to which Zeek's
    /// reassembler has its stream contiguous (low 32 bits; `gaps.rs`).
    pub(in crate::flow) delivered: [u32; 2],
    /// Counters and state few connections need, allocated on first use.
    pub(in crate::flow) rare: Option<Box<Rare>>,
}

/// Read-only view of one endpoint in its current Zeek role.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    /// Address and port.
    pub addr: Endpoint,
    /// TCP bookkeeping of that side.
    pub tcp: &'a TcpEndpoint,
    /// Bytes it sent (Zeek's `orig_bytes`/`resp_bytes`, §6.2).
    pub bytes: u64,
    /// First pure SYN it sent.
    pub syn_frame: Option<u64>,
    /// First FIN it sent.
    pub fin_frame: Option<u64>,
    /// First RST it sent.
    pub rst_frame: Option<u64>,
}

impl Connection {
    pub(in crate::flow) fn new(
        id: u64,
        src: Endpoint,
        dst: Endpoint,
        t: i64,
        now: i64,
        frame: u64,
    ) -> Self {
        Connection {
            id,
            ends: Ends::new(src, dst),
            ep: [TcpEndpoint::default(), TcpEndpoint::default()],
            orig: 0,
            start: t,
            last: t,
            history: History::default(),
            once: OnceMask::default(),
            frames: Frames {
                first: frame,
                ..Frames::default()
            },
            syn_by: 0,
            timers: Timers::new(now),
            timer_bits: TimerBits::default(),
            removal: Removal::EndOfInput,
            // Zeek's reassembler starts at relative sequence number 1, the
            // first octet after the SYN.
            delivered: [1, 1],
            rare: None,
        }
    }

    /// Sequential id in first-seen order, starting at 1.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Address and port of endpoint `i` (0: sender of the first packet).
    #[inline]
    pub(in crate::flow) fn addr(&self, i: usize) -> Endpoint {
        self.ends.get(i)
    }

    /// Port of endpoint `i`.
    pub(in crate::flow) fn port(&self, i: usize) -> u16 {
        self.ends.port(i)
    }

    /// The transport protocol: always TCP for this record, so it is derived
    /// rather than stored and the record keeps its size.
    #[inline]
    pub const fn transport(&self) -> TransportProto {
        TransportProto::Tcp
    }

    /// The direction-free key.
    pub fn key(&self) -> FlowKey {
        FlowKey::new(self.transport(), self.addr(0), self.addr(1))
    }

    /// The lookup hash of [`Connection::key`], without ordering the ends
    /// (the hash combines them commutatively).
    pub(in crate::flow) fn hash(&self) -> u32 {
        crate::flow::key::hash_pair(self.addr(0), self.addr(1))
    }

    /// Whether this connection is between `a` and `b` (either direction).
    #[inline]
    pub(in crate::flow) fn joins(&self, a: Endpoint, b: Endpoint) -> bool {
        if let (
            Ends::V4 {
                addrs: [x, y],
                ports: [p0, p1],
            },
            IpAddr::V4(aa),
            IpAddr::V4(bb),
        ) = (&self.ends, a.addr, b.addr)
        {
            // The common IPv4 case without building `IpAddr`s to compare.
            return (*x == aa && *p0 == a.port && *y == bb && *p1 == b.port)
                || (*x == bb && *p0 == b.port && *y == aa && *p1 == a.port);
        }
        let (x, y) = (self.addr(0), self.addr(1));
        (x == a && y == b) || (x == b && y == a)
    }

    /// Index of the endpoint that sent from `src`. With both ends on the same
    /// address and port, every packet is the originator's, as in Zeek.
    #[inline]
    pub(in crate::flow) fn sender_index(&self, src: Endpoint) -> usize {
        let (same, first) = match (&self.ends, src.addr) {
            (
                Ends::V4 {
                    addrs: [x, y],
                    ports: [p0, p1],
                },
                IpAddr::V4(s),
            ) => (x == y && p0 == p1, *x == s && *p0 == src.port),
            _ => {
                let first = self.addr(0);
                (first == self.addr(1), src == first)
            }
        };
        if same {
            usize::from(self.orig)
        } else if first {
            0
        } else {
            1
        }
    }

    pub(in crate::flow) fn is_orig(&self, i: usize) -> bool {
        i == usize::from(self.orig)
    }

    pub(in crate::flow) fn orig_ep(&self) -> &TcpEndpoint {
        &self.ep[usize::from(self.orig)]
    }

    pub(in crate::flow) fn resp_ep(&self) -> &TcpEndpoint {
        &self.ep[1 - usize::from(self.orig)]
    }

    /// Swaps originator and responder (§2.6) and appends `^`.
    pub(in crate::flow) fn flip(&mut self) {
        self.orig ^= 1;
        self.history.push(b'^');
    }

    /// The record's rarely used part, created on first use.
    pub(in crate::flow) fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Appends `letter` in the case of endpoint `i`'s current role.
    pub(in crate::flow) fn add_letter(&mut self, i: usize, letter: Letter) {
        let b = letter.for_role(self.is_orig(i));
        self.history.push(b);
    }

    fn side(&self, i: usize) -> Side<'_> {
        let f = &self.frames;
        Side {
            addr: self.addr(i),
            tcp: &self.ep[i],
            bytes: self.ep[i].size(self.ep[1 - i].state),
            syn_frame: (usize::from(self.syn_by) == i + 1)
                .then(|| f.get(f.syn))
                .flatten(),
            fin_frame: f.get(f.fin[i]),
            rst_frame: f.get(f.rst[i]),
        }
    }

    /// Zeek's originator.
    pub fn orig(&self) -> Side<'_> {
        self.side(usize::from(self.orig))
    }

    /// Zeek's responder.
    pub fn resp(&self) -> Side<'_> {
        self.side(1 - usize::from(self.orig))
    }

    /// The side that sent the first pure SYN (the client of the handshake),
    /// if any SYN was seen; `true` in the pair means it is Zeek's originator.
    pub fn syn_sender_is_orig(&self) -> Option<bool> {
        // Only one endpoint's first SYN is kept (`syn_by`), so the pair of
        // frames the sides report has at most one `Some`.
        if self.frames.syn == 0 {
            return None;
        }
        match self.syn_by {
            1 | 2 => Some(usize::from(self.syn_by) - 1 == usize::from(self.orig)),
            _ => None,
        }
    }

    /// `ts`: when the first packet of this connection was captured.
    pub fn ts(&self) -> Timestamp {
        Timestamp(self.start)
    }

    /// Zeek's `last_time`.
    pub fn last_time(&self) -> Timestamp {
        Timestamp(self.last)
    }

    /// `duration`, when positive (Zeek leaves it and the byte counts unset
    /// otherwise, §6.2).
    pub fn duration(&self) -> Option<Timestamp> {
        let d = self.last.saturating_sub(self.start);
        (d > 0).then_some(Timestamp(d))
    }

    /// The history letters (empty when none; Zeek logs `-`).
    pub fn history(&self) -> &str {
        self.history.as_str()
    }

    /// The history letters as bytes (ASCII), without the UTF-8 check of
    /// [`Connection::history`].
    pub fn history_bytes(&self) -> &[u8] {
        self.history.as_bytes()
    }

    /// Zeek's `conn_state` (§4).
    pub fn conn_state(&self) -> ConnState {
        let (o, r) = (self.orig_ep(), self.resp_ep());
        ConnState::of(
            o.state,
            r.state,
            o.size(r.state),
            r.size(o.state),
            self.history.as_bytes(),
        )
    }

    /// Whether both sides opened with an interactive protocol's greeting
    /// (as the table's [`crate::flow::AppHook`] judged it; the analyzer's
    /// knows SSH's version banner, RFC 4253 §4.2): the stand-in for Zeek's
    /// analyzer confirmation.
    pub fn greetings(&self) -> bool {
        use super::endpoint::GREETING;
        self.ep[0].has(GREETING) && self.ep[1].has(GREETING)
    }

    /// The tunnels its segments came out of (Zeek's `tunnel_parents`):
    /// none for a connection seen without encapsulation.
    pub fn tunnel_parents(&self) -> impl Iterator<Item = TunnelId> + '_ {
        self.ends.parents().into_iter().flatten()
    }

    /// The connection's first frame number.
    pub fn first_frame(&self) -> u64 {
        self.frames.first
    }

    /// Which Zeek rule removed it.
    pub fn removal(&self) -> Removal {
        self.removal
    }

    /// Final endpoint states, originator first.
    pub fn states(&self) -> (EndpointState, EndpointState) {
        (self.orig_ep().state, self.resp_ep().state)
    }
}
