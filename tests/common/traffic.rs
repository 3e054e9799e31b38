//! Small synthetic captures of several interleaved TCP connections, one of each
//! teardown verdict, written as pcap or pcapng in several link types: the
//! material of the damaged-capture and chunking tests.

use std::io::Cursor;

use etherparse::PacketBuilder;
use wirelab::analyze::{AnalyzeOptions, analyze};
use wirelab::capture::FileReader;
use wirelab::report::{ConnectionReport, Report};

/// One captured packet: when, which connection, the Ethernet frame.
#[derive(Clone, Debug)]
pub struct Packet {
    pub ts_ns: i64,
    pub conn: usize,
    pub frame: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Seg {
    Syn,
    SynAck,
    Ack,
    Data(usize),
    Fin,
    Rst,
}

/// Builds one connection's packets; `side` 0 is the client.
struct Conn {
    id: usize,
    port: u16,
    next: [u32; 2],
    ts_ns: i64,
    out: Vec<Packet>,
}

impl Conn {
    fn new(id: usize, start_ns: i64) -> Conn {
        Conn {
            id,
            port: 40_000 + id as u16,
            next: [1_000 + id as u32 * 7, 4_000_000_000 - id as u32],
            ts_ns: start_ns,
            out: Vec::new(),
        }
    }

    fn send(&mut self, side: usize, seg: Seg) -> &mut Conn {
        let client = ([10, 0, 0, 1], self.port);
        let server = ([10, 0, 0, 2], 80);
        let (src, dst) = if side == 0 {
            (client, server)
        } else {
            (server, client)
        };
        let (seq, ack) = (self.next[side], self.next[1 - side]);
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, side as u8 + 1], [2, 0, 0, 0, 0, 9])
            .ipv4(src.0, dst.0, 64)
            .tcp(src.1, dst.1, seq, 65535);
        let (b, len, used) = match seg {
            Seg::Syn => (b.syn(), 0, 1),
            Seg::SynAck => (b.syn().ack(ack), 0, 1),
            Seg::Ack => (b.ack(ack), 0, 0),
            Seg::Data(n) => (b.psh().ack(ack), n, n as u32),
            Seg::Fin => (b.fin().ack(ack), 0, 1),
            Seg::Rst => (b.rst().ack(ack), 0, 0),
        };
        let payload = vec![b'a' + self.id as u8; len];
        let mut frame = Vec::with_capacity(b.size(len));
        b.write(&mut frame, &payload).expect("frame builds");
        self.out.push(Packet {
            ts_ns: self.ts_ns,
            conn: self.id,
            frame,
        });
        // Sequence numbers wrap on purpose in the server's direction.
        self.next[side] = self.next[side].wrapping_add(used);
        self.ts_ns += 1_000_000;
        self
    }
    fn c(&mut self, seg: Seg) -> &mut Conn {
        self.send(0, seg)
    }
    fn s(&mut self, seg: Seg) -> &mut Conn {
        self.send(1, seg)
    }
    fn handshake(&mut self) -> &mut Conn {
        self.c(Seg::Syn).s(Seg::SynAck).c(Seg::Ack)
    }
}

/// Six connections, interleaved 0.3 ms apart: FIN both ways, a server RST with
/// the request unread, a refused SYN, a half-close, one left open, one SYN
/// without answer. Sorted by time.
pub fn six_connections() -> Vec<Packet> {
    let t0 = 1_700_000_000_000_000_000;
    let mut conns: Vec<Conn> = (0..6)
        .map(|i| Conn::new(i, t0 + i as i64 * 300_000))
        .collect();
    conns[0]
        .handshake()
        .c(Seg::Data(40))
        .s(Seg::Ack)
        .s(Seg::Data(120))
        .c(Seg::Ack)
        .s(Seg::Fin)
        .c(Seg::Fin)
        .s(Seg::Ack);
    conns[1]
        .handshake()
        .c(Seg::Data(60))
        .s(Seg::Data(100))
        .s(Seg::Rst);
    conns[2].c(Seg::Syn).s(Seg::Rst);
    conns[3]
        .handshake()
        .c(Seg::Data(10))
        .c(Seg::Fin)
        .s(Seg::Ack);
    conns[4].handshake().c(Seg::Data(30)).s(Seg::Data(30));
    conns[5].c(Seg::Syn);
    let mut all: Vec<Packet> = conns.into_iter().flat_map(|c| c.out).collect();
    all.sort_by_key(|p| p.ts_ns);
    all
}

/// How the frames are stored.
#[derive(Clone, Copy, Debug)]
pub enum Layout {
    /// pcap, Ethernet, microseconds, little-endian.
    PcapEthernet,
    /// pcap, nanoseconds, big-endian, raw IP (LINKTYPE_RAW).
    PcapRawNanosBigEndian,
    /// pcap, Linux cooked v2.
    PcapSll2,
    /// pcapng: two interfaces (Ethernet and raw IPv4) taking turns, an unknown
    /// block and a name resolution block between packets, nanosecond resolution.
    PcapNg,
}

pub const LAYOUTS: [Layout; 4] = [
    Layout::PcapEthernet,
    Layout::PcapRawNanosBigEndian,
    Layout::PcapSll2,
    Layout::PcapNg,
];

/// The frame as the layout's link type carries it.
fn relink(frame: &[u8], link: u32) -> Vec<u8> {
    match link {
        1 => frame.to_vec(),
        101 | 228 => frame[14..].to_vec(),
        276 => {
            let mut v = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6];
            v.extend_from_slice(&frame[6..12]);
            v.extend_from_slice(&[0, 0]);
            v.extend_from_slice(&frame[14..]);
            v
        }
        other => panic!("no such layout link {other}"),
    }
}

fn pcap(packets: &[Packet], link: u32, nanos: bool, big: bool, snaplen: usize) -> Vec<u8> {
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = Vec::new();
    out.extend_from_slice(&u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    out.extend_from_slice(&u16b(2));
    out.extend_from_slice(&u16b(4));
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&u32b(snaplen as u32));
    out.extend_from_slice(&u32b(link));
    for p in packets {
        let frame = relink(&p.frame, link);
        let cap = &frame[..frame.len().min(snaplen)];
        let secs = p.ts_ns.div_euclid(1_000_000_000) as u32;
        let ns = p.ts_ns.rem_euclid(1_000_000_000) as u32;
        out.extend_from_slice(&u32b(secs));
        out.extend_from_slice(&u32b(if nanos { ns } else { ns / 1_000 }));
        out.extend_from_slice(&u32b(cap.len() as u32));
        out.extend_from_slice(&u32b(frame.len() as u32));
        out.extend_from_slice(cap);
    }
    out
}

fn block(out: &mut Vec<u8>, block_type: u32, body: &[u8]) {
    let len = 12 + body.len().next_multiple_of(4);
    out.extend_from_slice(&block_type.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(body);
    out.resize(out.len() + body.len().next_multiple_of(4) - body.len(), 0);
    out.extend_from_slice(&(len as u32).to_le_bytes());
}

fn pcapng(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &shb);
    for link in [1u16, 228] {
        let mut idb = link.to_le_bytes().to_vec();
        idb.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        // if_tsresol = 9 (nanoseconds), then opt_endofopt.
        idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        block(&mut out, 1, &idb);
    }
    for (i, p) in packets.iter().enumerate() {
        if i == 3 {
            block(&mut out, 0x0000_7777, b"a block nobody knows");
            block(&mut out, 4, &[0, 0, 0, 0]);
        }
        let iface = (i % 2) as u32;
        let frame = relink(&p.frame, if iface == 0 { 1 } else { 228 });
        let ts = p.ts_ns as u64;
        let mut epb = Vec::new();
        for v in [
            iface,
            (ts >> 32) as u32,
            ts as u32,
            frame.len() as u32,
            frame.len() as u32,
        ] {
            epb.extend_from_slice(&v.to_le_bytes());
        }
        epb.extend_from_slice(&frame);
        block(&mut out, 6, &epb);
    }
    out
}

/// The file bytes of `packets` in `layout`.
pub fn write(packets: &[Packet], layout: Layout) -> Vec<u8> {
    match layout {
        Layout::PcapEthernet => pcap(packets, 1, false, false, 65_535),
        Layout::PcapRawNanosBigEndian => pcap(packets, 101, true, true, 65_535),
        Layout::PcapSll2 => pcap(packets, 276, false, false, 65_535),
        Layout::PcapNg => pcapng(packets),
    }
}

/// An Ethernet pcap whose frames are cut at `snaplen` bytes.
pub fn write_snaplen(packets: &[Packet], snaplen: usize) -> Vec<u8> {
    pcap(packets, 1, false, false, snaplen)
}

/// Analyzes capture bytes read through any reader.
pub fn analyze_reader(reader: impl std::io::Read) -> Result<Report, String> {
    let mut source = FileReader::new(reader).map_err(|e| e.to_string())?;
    analyze(&mut source, &AnalyzeOptions::default()).map_err(|e| e.to_string())
}

/// Analyzes capture bytes held in memory.
pub fn analyze_bytes(bytes: &[u8]) -> Result<Report, String> {
    analyze_reader(Cursor::new(bytes))
}

/// What must not change about a connection when other packets are damaged:
/// everything but frame numbers (which shift when earlier frames are lost) and
/// the ids (first-seen order changes when an earlier connection disappears).
pub fn verdict(c: &ConnectionReport) -> String {
    let t = &c.teardown;
    let z = &c.zeek;
    format!(
        "{} -> {} {:?} closed_first={:?} rst={:?} client_rst={:?} server_rst={:?} bytes={}/{} \
         zeek={:?} {} pkts={}/{} ip_bytes={}/{} ts={} dur={:?}",
        t.client,
        t.server,
        t.ending,
        t.closed_first,
        t.first_rst.map(|r| (r.sender, r.phase)),
        t.client_rst.map(|r| r.phase),
        t.server_rst.map(|r| r.phase),
        t.bytes_client_to_server,
        t.bytes_server_to_client,
        z.conn_state,
        z.history,
        z.orig_pkts,
        z.resp_pkts,
        z.orig_ip_bytes,
        z.resp_ip_bytes,
        z.ts.zeek(),
        z.duration.map(|d| d.zeek()),
    )
}
