//! tshark as an independent reader of a capture's application layer: what
//! Wireshark's HTTP and HTTP/2 dissectors say each TCP connection carried.
//!
//! Two passes over the file:
//! 1. the SYNs: which side of each connection is the client (the SYN's
//!    sender), and so which ports are server ports;
//! 2. `-T json` of every packet with HTTP or HTTP/2, every server port decoded
//!    as HTTP (`-d tcp.port==P,http`). Wireshark's HTTP dissector follows an
//!    `Upgrade: h2c` + 101 into HTTP/2 and hands a connection that starts with
//!    the HTTP/2 preface to the HTTP/2 dissector, so one decode rule covers
//!    HTTP/1.x, h2c Upgrade and prior knowledge on the same port.
//!
//! `http.desegment_body` is off: a response head counts as soon as it is on
//! the wire, as the analyzer counts it, even when its body is cut by a RST
//! (with reassembly on, tshark shows no response at all for a body that never
//! completes). TCP reassembly stays on, so a head or an HTTP/2 frame split
//! over segments is read once, at the segment that completes it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

pub mod contract;

/// `ip:port` as the analyzer writes it (`[addr]:port` for IPv6).
pub type Endpoint = String;

/// A connection, keyed as the analyzer keys its report: client, then server.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConnKey {
    pub client: Endpoint,
    pub server: Endpoint,
}

impl fmt::Display for ConnKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.client, self.server)
    }
}

/// One HTTP/2 frame: its RFC 9113 §6 type name and stream id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H2Frame {
    pub kind: String,
    pub stream: u32,
}

impl H2Frame {
    pub fn new(kind: &str, stream: u32) -> Self {
        H2Frame {
            kind: kind.into(),
            stream,
        }
    }
}

impl fmt::Display for H2Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} s{}", self.kind, self.stream)
    }
}

/// An HTTP/1.x request line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLine {
    pub method: String,
    pub target: String,
    pub version: String,
}

impl fmt::Display for RequestLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.target)
    }
}

/// `a, b, c`.
pub fn list<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What tshark saw on one connection.
#[derive(Clone, Debug, Default)]
pub struct Conn {
    /// tshark's index of the connection (`tcp.stream`).
    pub tcp_stream: u64,
    /// HTTP/1.x request lines, in the order they were sent.
    pub requests: Vec<RequestLine>,
    /// HTTP/1.x status codes, in order, interim ones (100, 101) included.
    pub statuses: Vec<u16>,
    /// The client sent the HTTP/2 connection preface (RFC 9113 §3.4), which
    /// is not a frame.
    pub preface: bool,
    /// HTTP/2 frames the client sent, in order.
    pub client_frames: Vec<H2Frame>,
    /// HTTP/2 frames the server sent, in order.
    pub server_frames: Vec<H2Frame>,
    /// Each stream's final `:status` (a 1xx is interim, RFC 9113 §8.1).
    pub h2_status: BTreeMap<u32, u16>,
}

impl Conn {
    /// Nothing at the application layer (a SYN that was never answered, ...).
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
            && self.statuses.is_empty()
            && !self.preface
            && self.client_frames.is_empty()
            && self.server_frames.is_empty()
    }
}

/// Everything tshark saw in one capture.
#[derive(Debug, Default)]
pub struct Capture {
    pub server_ports: BTreeSet<u16>,
    pub conns: BTreeMap<ConnKey, Conn>,
}

/// RFC 9113 §6 frame type names; other types keep their number.
pub fn frame_type_name(t: u8) -> String {
    const NAMES: [&str; 10] = [
        "DATA",
        "HEADERS",
        "PRIORITY",
        "RST_STREAM",
        "SETTINGS",
        "PUSH_PROMISE",
        "PING",
        "GOAWAY",
        "WINDOW_UPDATE",
        "CONTINUATION",
    ];
    NAMES
        .get(usize::from(t))
        .map_or_else(|| format!("0x{t:02x}"), |n| n.to_string())
}

/// Runs tshark; a missing tshark is a failure that says how to get it.
fn tshark(args: &[String]) -> String {
    let out = Command::new("tshark")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("tshark cannot run ({e}): install tshark: scripts/setup"));
    assert!(
        out.status.success(),
        "tshark {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tshark writes UTF-8")
}

fn endpoint(addr: &str, port: &str) -> Endpoint {
    if addr.contains(':') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    }
}

/// The HTTP/1.x status codes a server on `port` sent in `path`, read with
/// tshark's HTTP/2 dissector turned off. With it on, a connection that
/// opens with the preface is HTTP/2 both ways to tshark, so a server's
/// HTTP/1.x refusal is taken for the start of a (4.7 MB) frame and never
/// shown; with it off, tshark's HTTP dissector reads that answer.
pub fn http1_answers_without_http2(path: &Path, port: u16) -> Vec<u16> {
    let out = tshark(
        &[
            "-r",
            path.to_str().expect("UTF-8 path"),
            "-d",
            &format!("tcp.port=={port},http"),
            "--disable-protocol",
            "http2",
            "-Y",
            &format!("http.response && tcp.srcport=={port}"),
            "-T",
            "fields",
            "-e",
            "http.response.code",
        ]
        .map(String::from),
    );
    out.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// Reads `path` with tshark.
pub fn read(path: &Path) -> Capture {
    let file = path.to_str().expect("capture path is UTF-8").to_string();
    let mut capture = Capture::default();

    // Pass 1: the client of each TCP stream is the sender of its SYN.
    let syns = tshark(
        &[
            "-r",
            &file,
            "-Y",
            "tcp.flags.syn == 1 && tcp.flags.ack == 0",
            "-T",
            "fields",
            "-e",
            "tcp.stream",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
            "-e",
            "tcp.srcport",
            "-e",
            "ip.dst",
            "-e",
            "ipv6.dst",
            "-e",
            "tcp.dstport",
        ]
        .map(String::from),
    );
    let mut sides: BTreeMap<u64, ConnKey> = BTreeMap::new();
    for line in syns.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 7, "tshark SYN line {line:?}");
        let src = if f[1].is_empty() { f[2] } else { f[1] };
        let dst = if f[4].is_empty() { f[5] } else { f[4] };
        let port: u16 = f[6].parse().expect("tcp.dstport");
        capture.server_ports.insert(port);
        // A retransmitted SYN names the same connection again.
        sides
            .entry(f[0].parse().expect("tcp.stream"))
            .or_insert_with(|| ConnKey {
                client: endpoint(src, f[3]),
                server: endpoint(dst, f[6]),
            });
    }

    // Pass 2: the application layer.
    let mut args: Vec<String> = vec!["-r".into(), file];
    for port in &capture.server_ports {
        args.push("-d".into());
        args.push(format!("tcp.port=={port},http"));
    }
    args.extend(
        [
            "-o",
            "http.desegment_body:FALSE",
            "-Y",
            "http || http2",
            "-T",
            "json",
            "--no-duplicate-keys",
            "-J",
            "ip ipv6 tcp http http2",
        ]
        .map(String::from),
    );
    let packets: Value = serde_json::from_str(&tshark(&args)).expect("tshark -T json parses");
    for packet in packets.as_array().expect("a JSON array of packets") {
        let layers = &packet["_source"]["layers"];
        let tcp = &layers["tcp"];
        let stream: u64 = text(&tcp["tcp.stream"]).parse().expect("tcp.stream");
        let ip = if layers["ip"].is_null() {
            &layers["ipv6"]
        } else {
            &layers["ip"]
        };
        let src = endpoint(&first(ip, "src"), text(&tcp["tcp.srcport"]));
        let dst = endpoint(&first(ip, "dst"), text(&tcp["tcp.dstport"]));
        let key = sides.get(&stream).cloned().unwrap_or_else(|| {
            // No SYN in the capture: the side on a known server port serves.
            let dport: u16 = text(&tcp["tcp.dstport"]).parse().unwrap_or(0);
            if capture.server_ports.contains(&dport) {
                ConnKey {
                    client: src.clone(),
                    server: dst.clone(),
                }
            } else {
                ConnKey {
                    client: dst.clone(),
                    server: src.clone(),
                }
            }
        });
        let from_client = src == key.client;
        let conn = capture.conns.entry(key).or_default();
        conn.tcp_stream = stream;
        for http in each(&layers["http"]) {
            read_http1(http, conn);
        }
        for h2 in each(&layers["http2"]) {
            for frame in each(&h2["http2.stream"]) {
                read_h2_frame(frame, from_client, conn);
            }
        }
    }
    capture
}

/// The bytes each side sent on connection `tcp_stream` of `path`, in
/// sequence order (`-z follow,tcp,raw`): (client's, server's).
pub fn follow_raw(path: &Path, key: &ConnKey, tcp_stream: u64) -> (Vec<u8>, Vec<u8>) {
    let file = path.to_str().expect("capture path is UTF-8").to_string();
    let text = tshark(&[
        "-r".into(),
        file,
        "-q".into(),
        "-z".into(),
        format!("follow,tcp,raw,{tcp_stream}"),
    ]);
    // Node 0 is the side that sent data first; Node 1's bytes are on
    // tab-indented lines.
    let mut node0_is_client = true;
    let (mut node0, mut node1) = (Vec::new(), Vec::new());
    for line in text.lines() {
        if let Some(addr) = line.strip_prefix("Node 0: ") {
            node0_is_client = addr == key.client;
        } else if let Some(hex) = line.strip_prefix('\t') {
            node1.extend(unhex(hex));
        } else if !line.is_empty() && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            node0.extend(unhex(line));
        }
    }
    if node0_is_client {
        (node0, node1)
    } else {
        (node1, node0)
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("tshark writes hex"))
        .collect()
}

/// One HTTP/1.x message (tshark makes one `http` tree per message, so three
/// pipelined requests in one segment are three).
fn read_http1(http: &Value, conn: &mut Conn) {
    let method = find(http, "http.request.method");
    let target = find(http, "http.request.uri");
    if let (Some(method), Some(target)) = (method, target) {
        conn.requests.push(RequestLine {
            method: method.to_string(),
            target: target.to_string(),
            version: find(http, "http.request.version").unwrap_or("").to_string(),
        });
    }
    if let Some(code) = find(http, "http.response.code") {
        conn.statuses
            .push(code.parse().expect("http.response.code is a number"));
    }
}

fn read_h2_frame(frame: &Value, from_client: bool, conn: &mut Conn) {
    if frame.get("http2.magic").is_some() {
        conn.preface = true;
        return;
    }
    let Some(kind) = frame.get("http2.type") else {
        return;
    };
    let kind: u8 = text(kind).parse().expect("http2.type is a number");
    let stream: u32 = text(&frame["http2.streamid"])
        .parse()
        .expect("http2.streamid is a number");
    let h2 = H2Frame {
        kind: frame_type_name(kind),
        stream,
    };
    if from_client {
        conn.client_frames.push(h2);
    } else {
        conn.server_frames.push(h2);
        if let Some(status) = find(frame, "http2.headers.status") {
            let status: u16 = status.parse().expect(":status is a number");
            if status >= 200 {
                conn.h2_status.entry(stream).or_insert(status);
            }
        }
    }
}

/// A value tshark may write once (a value) or several times (an array, with
/// `--no-duplicate-keys`), as a list.
fn each(v: &Value) -> Vec<&Value> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn text(v: &Value) -> &str {
    match v {
        Value::String(s) => s,
        Value::Array(items) => items.first().map_or("", text),
        _ => "",
    }
}

/// `ip.src` or `ipv6.src` (`part` is "src" or "dst").
fn first(ip: &Value, part: &str) -> String {
    for name in [format!("ip.{part}"), format!("ipv6.{part}")] {
        if let Some(v) = ip.get(&name) {
            return text(v).to_string();
        }
    }
    String::new()
}

/// The first value of field `name` anywhere under `v` (tshark nests fields
/// under the tree items that hold them, e.g. the request line).
fn find<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    match v {
        Value::Object(map) => {
            if let Some(found) = map.get(name) {
                return Some(text(found));
            }
            map.values().find_map(|child| find(child, name))
        }
        Value::Array(items) => items.iter().find_map(|child| find(child, name)),
        _ => None,
    }
}
