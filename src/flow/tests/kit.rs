//! Test helpers: synthetic segments and a scripted client/server pair that
//! keeps its own sequence numbers, driving a [`FlowTable`].

use std::net::{IpAddr, Ipv4Addr};

use crate::capture::Timestamp;
use crate::wire::{Checksum, Endpoint, SeqNum, TcpFlags, TcpSegment};

use crate::flow::{AppHook, Connection, FlowOptions, FlowTable, NoApps};

pub const SEC: i64 = 1_000_000_000;
pub const MS: i64 = 1_000_000;

/// Application knowledge for the tests of how the rules use the hook (the
/// analyzer's own rules are tested in `app::interactive`, and end to end
/// against Zeek's logs): port 2323 is interactive, `HELLO` a greeting.
#[derive(Debug)]
pub struct Knows;

pub const HELLO: &[u8] = b"HELLO";

impl AppHook for Knows {
    fn interactive_port(&self, port: u16) -> bool {
        port == 2323
    }

    fn greeting(&self, opening: &[u8]) -> bool {
        opening.starts_with(HELLO)
    }

    fn opening(&self, payload: &[u8]) -> &'static [u8] {
        if self.greeting(payload) { HELLO } else { &[] }
    }
}

pub fn ep(last: u8, port: u16) -> Endpoint {
    Endpoint {
        addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
        port,
    }
}

/// A segment under construction: `seg().syn().from(c).to(s)`.
#[derive(Clone, Copy, Debug)]
pub struct Seg {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: u32,
    pub ack: u32,
    pub syn: bool,
    pub ackf: bool,
    pub fin: bool,
    pub rst: bool,
    pub window: u16,
    pub len: u32,
    pub bad_checksum: bool,
    pub truncated: bool,
    /// The payload view the table gets (see `analyze/packet.rs`).
    pub opening: &'static [u8],
}

pub fn seg() -> Seg {
    Seg {
        src: ep(1, 40000),
        dst: ep(2, 80),
        seq: 1000,
        ack: 0,
        syn: false,
        ackf: false,
        fin: false,
        rst: false,
        window: 512,
        len: 0,
        bad_checksum: false,
        truncated: false,
        opening: &[],
    }
}

impl Seg {
    pub fn from(mut self, e: Endpoint) -> Self {
        self.src = e;
        self
    }
    pub fn to(mut self, e: Endpoint) -> Self {
        self.dst = e;
        self
    }
    pub fn syn(mut self) -> Self {
        self.syn = true;
        self
    }
    pub fn fin(mut self) -> Self {
        self.fin = true;
        self
    }
    pub fn rst(mut self) -> Self {
        self.rst = true;
        self
    }
    pub fn ack(mut self, n: u32) -> Self {
        self.ackf = true;
        self.ack = n;
        self
    }
    pub fn seq(mut self, n: u32) -> Self {
        self.seq = n;
        self
    }
    pub fn len(mut self, n: u32) -> Self {
        self.len = n;
        self
    }
    pub fn window(mut self, w: u16) -> Self {
        self.window = w;
        self
    }
    pub fn bad_checksum(mut self) -> Self {
        self.bad_checksum = true;
        self
    }
    /// The snap length cut its payload.
    pub fn truncated(mut self) -> Self {
        self.truncated = true;
        self
    }

    pub fn build(&self) -> TcpSegment<'static> {
        TcpSegment {
            src: self.src,
            dst: self.dst,
            seq: SeqNum(self.seq),
            ack: SeqNum(self.ack),
            flags: TcpFlags::new(self.syn, self.ackf, self.fin, self.rst),
            window: self.window,
            payload_len: self.len,
            ip_len: 40 + self.len,
            payload: self.opening,
            payload_truncated: self.truncated,
            checksum: if self.bad_checksum {
                Checksum::Invalid
            } else {
                Checksum::Unchecked
            },
            tunnel: None,
            tunnel_parent: None,
            ip: crate::wire::IpMarks::default(),
        }
    }
}

/// A flow table, a clock and the connections it emitted.
pub struct Harness {
    pub table: FlowTable,
    pub out: Vec<Connection>,
    pub now: i64,
    pub frame: u64,
}

impl Harness {
    /// A table without application knowledge ([`NoApps`]).
    pub fn new() -> Self {
        Harness::with_app(&NoApps)
    }

    pub fn with_app(app: &'static dyn AppHook) -> Self {
        Harness {
            table: FlowTable::new(FlowOptions::zeek(app)),
            out: Vec::new(),
            now: 1_000 * SEC,
            frame: 0,
        }
    }

    /// Moves the clock forward by `dt` nanoseconds.
    pub fn wait(&mut self, dt: i64) {
        self.now += dt;
    }

    pub fn send(&mut self, s: Seg) {
        self.frame += 1;
        let out = &mut self.out;
        self.table
            .segment(self.frame, Timestamp(self.now), &s.build(), &mut |c| {
                out.push(c.clone())
            });
        self.now += MS;
    }

    pub fn bad_header(&mut self, src: Endpoint, dst: Endpoint) {
        self.frame += 1;
        let out = &mut self.out;
        self.table
            .bad_header(self.frame, Timestamp(self.now), src, dst, &mut |c| {
                out.push(c.clone())
            });
        self.now += MS;
    }

    pub fn finish(mut self) -> Vec<Connection> {
        let out = &mut self.out;
        self.table.finish(&mut |c| out.push(c.clone()));
        self.out
    }
}

/// Which packet a side sends next.
#[derive(Clone, Copy, Debug)]
#[allow(dead_code)]
pub enum K {
    Syn,
    SynAck,
    Ack,
    Data(u32),
    /// Data that opens with [`HELLO`].
    Greeting(u32),
    Fin,
    Rst,
    RstAck,
    FinRst,
    ZeroWindowAck,
}

/// A client and a server that keep their sequence numbers: `next[0]` is the
/// client's next sequence number, `next[1]` the server's.
pub struct Pair {
    pub h: Harness,
    pub ends: [Endpoint; 2],
    pub next: [u32; 2],
}

impl Pair {
    pub fn new(client: Endpoint, server: Endpoint) -> Self {
        Pair::with_app(client, server, &NoApps)
    }

    pub fn with_app(client: Endpoint, server: Endpoint, app: &'static dyn AppHook) -> Self {
        Pair {
            h: Harness::with_app(app),
            ends: [client, server],
            next: [1_000, 50_000],
        }
    }

    pub fn http() -> Self {
        Pair::new(ep(1, 40000), ep(2, 80))
    }

    fn send(&mut self, side: usize, k: K) {
        let other = 1 - side;
        let mut s = seg()
            .from(self.ends[side])
            .to(self.ends[other])
            .seq(self.next[side]);
        let ack = self.next[other];
        let mut used = 0;
        s = match k {
            K::Syn => {
                used = 1;
                s.syn()
            }
            K::SynAck => {
                used = 1;
                s.syn().ack(ack)
            }
            K::Ack => s.ack(ack),
            K::ZeroWindowAck => s.ack(ack).window(0),
            K::Data(n) => {
                used = n;
                s.ack(ack).len(n)
            }
            K::Greeting(n) => {
                used = n;
                Seg {
                    opening: HELLO,
                    ..s.ack(ack).len(n)
                }
            }
            K::Fin => {
                used = 1;
                s.fin().ack(ack)
            }
            K::Rst => s.rst(),
            K::RstAck => s.rst().ack(ack),
            K::FinRst => s.fin().rst().ack(ack),
        };
        self.next[side] = self.next[side].wrapping_add(used);
        self.h.send(s);
    }

    pub fn c(&mut self, k: K) -> &mut Self {
        self.send(0, k);
        self
    }

    pub fn s(&mut self, k: K) -> &mut Self {
        self.send(1, k);
        self
    }

    pub fn wait(&mut self, dt: i64) -> &mut Self {
        self.h.wait(dt);
        self
    }

    /// The usual handshake: SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self) -> &mut Self {
        self.c(K::Syn).s(K::SynAck).c(K::Ack)
    }

    /// One request of `req` bytes and its response of `resp` bytes, each
    /// acknowledged by a bare ACK.
    pub fn exchange(&mut self, req: u32, resp: u32) -> &mut Self {
        self.c(K::Data(req)).s(K::Ack).s(K::Data(resp)).c(K::Ack)
    }

    pub fn finish(self) -> Vec<Connection> {
        self.h.finish()
    }
}

/// (history, conn_state) of each connection, in emission order.
pub fn summary(conns: &[Connection]) -> Vec<(String, String)> {
    conns
        .iter()
        .map(|c| (c.history().to_string(), c.conn_state().to_string()))
        .collect()
}

/// The single connection's (history, conn_state).
#[track_caller]
pub fn one(conns: &[Connection]) -> (String, String) {
    assert_eq!(
        conns.len(),
        1,
        "expected one connection: {:?}",
        summary(conns)
    );
    summary(conns).remove(0)
}
