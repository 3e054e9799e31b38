//! Helpers for the analyzer's integration tests: a pcap writer for synthetic
//! conversations (etherparse builds the frames) and a runner for the `lab`
//! binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use etherparse::PacketBuilder;

/// Frames of a classic pcap file (Ethernet, microsecond timestamps).
#[derive(Default)]
pub struct Pcap {
    frames: Vec<(i64, Vec<u8>)>,
}

impl Pcap {
    /// Adds one frame captured at `micros` since the epoch.
    pub fn push(&mut self, micros: i64, frame: Vec<u8>) {
        self.frames.push((micros, frame));
    }

    /// The file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&65535u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        for (ts, data) in &self.frames {
            out.extend_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
            out.extend_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
        }
        out
    }

    /// Adds every frame of `other`, keeping the frames in time order (frames
    /// with the same time keep their order).
    pub fn merge(&mut self, other: &Pcap) {
        self.frames.extend(other.frames.iter().cloned());
        self.frames.sort_by_key(|(ts, _)| *ts);
    }

    /// The same frames, each rewritten by `f` (to wrap it in a tunnel, say).
    pub fn map(&self, f: impl Fn(&[u8]) -> Vec<u8>) -> Pcap {
        Pcap {
            frames: self.frames.iter().map(|(ts, d)| (*ts, f(d))).collect(),
        }
    }

    /// Writes the file into `dir` and returns its path.
    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.bytes()).expect("write the test pcap");
        path
    }
}

/// What one side sends next.
#[derive(Clone, Copy, Debug)]
pub enum Send {
    Syn,
    SynAck,
    Ack,
    Data(usize),
    Fin,
    RstAck,
}

/// A scripted TCP conversation between a client and a server over IPv4,
/// keeping both sequence numbers; one frame every millisecond.
pub struct Conversation {
    pub client: ([u8; 4], u16),
    pub server: ([u8; 4], u16),
    next: [u32; 2],
    pub micros: i64,
    pub pcap: Pcap,
}

impl Conversation {
    pub fn new(client_port: u16, server_port: u16) -> Self {
        Conversation {
            client: ([10, 0, 0, 1], client_port),
            server: ([10, 0, 0, 2], server_port),
            next: [1_000, 90_000],
            micros: 1_700_000_000_000_000,
            pcap: Pcap::default(),
        }
    }

    fn send(&mut self, side: usize, what: Send) -> &mut Self {
        self.send_with(side, what, None)
    }

    /// The client sends these bytes (in one segment).
    pub fn c_bytes(&mut self, payload: &[u8]) -> &mut Self {
        self.send_with(0, Send::Data(payload.len()), Some(payload))
    }

    /// The server sends these bytes (in one segment).
    pub fn s_bytes(&mut self, payload: &[u8]) -> &mut Self {
        self.send_with(1, Send::Data(payload.len()), Some(payload))
    }

    fn send_with(&mut self, side: usize, what: Send, bytes: Option<&[u8]>) -> &mut Self {
        let (src, dst) = if side == 0 {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let seq = self.next[side];
        let ack = self.next[1 - side];
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, side as u8 + 1], [2, 0, 0, 0, 0, 9])
            .ipv4(src.0, dst.0, 64)
            .tcp(src.1, dst.1, seq, 64240);
        let (b, payload, used) = match what {
            Send::Syn => (b.syn(), vec![], 1),
            Send::SynAck => (b.syn().ack(ack), vec![], 1),
            Send::Ack => (b.ack(ack), vec![], 0),
            Send::Data(n) => (
                b.psh().ack(ack),
                bytes.map_or_else(|| vec![b'x'; n], <[u8]>::to_vec),
                n as u32,
            ),
            Send::Fin => (b.fin().ack(ack), vec![], 1),
            Send::RstAck => (b.rst().ack(ack), vec![], 0),
        };
        let mut frame = Vec::with_capacity(b.size(payload.len()));
        b.write(&mut frame, &payload).expect("build frame");
        self.pcap.push(self.micros, frame);
        self.micros += 1_000;
        self.next[side] = self.next[side].wrapping_add(used);
        self
    }

    /// The client sends.
    pub fn c(&mut self, what: Send) -> &mut Self {
        self.send(0, what)
    }

    /// The server sends.
    pub fn s(&mut self, what: Send) -> &mut Self {
        self.send(1, what)
    }

    /// Lets time pass.
    pub fn wait_ms(&mut self, ms: i64) -> &mut Self {
        self.micros += ms * 1_000;
        self
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self) -> &mut Self {
        self.c(Send::Syn).s(Send::SynAck).c(Send::Ack)
    }

    /// Request and response with their ACKs.
    pub fn exchange(&mut self, request: usize, response: usize) -> &mut Self {
        self.c(Send::Data(request))
            .s(Send::Ack)
            .s(Send::Data(response))
            .c(Send::Ack)
    }
}

/// The `lab` binary built for these tests.
pub fn lab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lab"))
}

/// Runs `lab` with `args` (and `stdin` bytes, if any).
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = lab();
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run lab");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        // A command that refuses its arguments exits without reading its
        // input: the pipe then breaks, which is its right, and what it
        // printed is what the test judges.
        if let Err(e) = pipe.write_all(bytes) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "feed stdin: {e}");
        }
    }
    child.wait_with_output().expect("lab finishes")
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The rows of Zeek TSV output as maps from field name to value.
pub fn zeek_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#fields\t") {
            fields = rest.split('\t').map(str::to_string).collect();
        } else if !line.starts_with('#') && !line.is_empty() {
            rows.push(
                fields
                    .iter()
                    .cloned()
                    .zip(line.split('\t').map(str::to_string))
                    .collect(),
            );
        }
    }
    rows
}
