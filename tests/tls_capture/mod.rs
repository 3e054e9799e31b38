//! Helpers of `tests/tls_decrypt.rs`: TLS records out of a capture with the
//! repository's own pcap reading (`capture`), TCP decoding (`wire`) and
//! stream reassembly (`stream`), a small record splitter, just enough of
//! the hellos to know the connection, and tshark as the oracle.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use wirelab::capture::open_file;
use wirelab::stream::{DEFAULT_WINDOW, Piece, Reassembler};
use wirelab::tls_decrypt::{
    ContentType, DecryptError, Decrypter, Epoch, HandshakeWatch, Hello, Random, Version,
};
use wirelab::wire::{DecodeOptions, Decoded, Endpoint, decode};

/// One TCP connection's two byte streams, in the order the capture opened
/// them (tshark's `tcp.stream` numbering).
pub struct Conn {
    pub client: Endpoint,
    pub to_server: Vec<u8>,
    pub to_client: Vec<u8>,
}

struct Building {
    client: Endpoint,
    up: Reassembler,
    down: Option<Reassembler>,
    to_server: Vec<u8>,
    to_client: Vec<u8>,
}

fn collect(out: &mut Vec<u8>) -> impl FnMut(Piece<'_>) + '_ {
    |piece| match piece {
        Piece::Data { bytes, .. } => out.extend_from_slice(bytes),
        Piece::Gap { offset, len } => panic!("capture misses {len} bytes at offset {offset}"),
    }
}

/// Every connection of a capture whose handshake it holds.
pub fn connections(path: &Path) -> Vec<Conn> {
    let mut reader = open_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut index: HashMap<(Endpoint, Endpoint), usize> = HashMap::new();
    let mut conns: Vec<Building> = Vec::new();
    while let Some(frame) = reader.next_frame().expect("capture reads") {
        let Decoded::Tcp(seg) = decode(&frame, &DecodeOptions::default()) else {
            continue;
        };
        let key = (seg.src.min(seg.dst), seg.src.max(seg.dst));
        if seg.flags.syn() && !seg.flags.ack() {
            index.insert(key, conns.len());
            conns.push(Building {
                client: seg.src,
                up: Reassembler::new(seg.seq.0.wrapping_add(1), DEFAULT_WINDOW),
                down: None,
                to_server: Vec::new(),
                to_client: Vec::new(),
            });
            continue;
        }
        let Some(&i) = index.get(&key) else { continue };
        let c = &mut conns[i];
        if seg.src == c.client {
            c.up.segment(seg.seq.0, seg.payload, &mut collect(&mut c.to_server));
        } else if seg.flags.syn() {
            c.down = Some(Reassembler::new(seg.seq.0.wrapping_add(1), DEFAULT_WINDOW));
        } else if let Some(down) = c.down.as_mut() {
            down.segment(seg.seq.0, seg.payload, &mut collect(&mut c.to_client));
        }
    }
    conns
        .into_iter()
        .map(|mut c| {
            c.up.finish(&mut collect(&mut c.to_server));
            if let Some(down) = c.down.as_mut() {
                down.finish(&mut collect(&mut c.to_client));
            }
            Conn {
                client: c.client,
                to_server: c.to_server,
                to_client: c.to_client,
            }
        })
        .collect()
}

/// Cuts a direction's bytes into records: a 5-byte header whose last two
/// bytes give the fragment's length (RFC 8446 §5.1).
pub fn records(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        assert!(
            rest.len() >= 5,
            "{} bytes left, less than a header",
            rest.len()
        );
        let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        assert!(
            rest.len() >= len,
            "record of {len} bytes cut at {}",
            rest.len()
        );
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

/// The hello fields a decrypter needs, from the first record each way
/// (RFC 8446 §4.1.2, §4.1.3; the ServerHello's supported_versions, type
/// 43, names TLS 1.3).
pub fn hello(client: &[&[u8]], server: &[&[u8]]) -> Hello {
    let ch = client[0];
    assert_eq!(
        (ch[0], ch[5]),
        (22, 1),
        "the client starts with a ClientHello"
    );
    let sh = server[0];
    assert_eq!(
        (sh[0], sh[5]),
        (22, 2),
        "the server starts with a ServerHello"
    );
    let random = |r: &[u8]| Random(r[11..43].try_into().expect("32 bytes"));
    let sid_len = usize::from(sh[43]);
    let at = 44 + sid_len;
    let suite = u16::from_be_bytes([sh[at], sh[at + 1]]);
    let mut ext = &sh[at + 5..];
    let mut version = Version::Tls12;
    while ext.len() >= 4 {
        let ty = u16::from_be_bytes([ext[0], ext[1]]);
        let len = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
        if ty == 43 && ext[4..4 + len] == [3, 4] {
            version = Version::Tls13;
        }
        ext = &ext[4 + len..];
    }
    Hello {
        version,
        suite,
        client_random: random(ch),
        server_random: random(sh),
    }
}

/// What one direction's records held once opened.
#[derive(Debug, Default)]
pub struct Plain {
    pub app_data: Vec<u8>,
    /// (level, description) of each alert.
    pub alerts: Vec<(u8, u8)>,
    /// The encrypted handshake messages' bytes, in order.
    pub handshake: Vec<u8>,
    /// The keys in use after the last record.
    pub last_epoch: Option<Epoch>,
}

/// Opens a direction's records in order; in TLS 1.3 a [`HandshakeWatch`]
/// says when the keys change. The first failure ends it, with the record's
/// index.
pub fn open_all(d: &mut Decrypter, records: &[&[u8]]) -> Result<Plain, (usize, DecryptError)> {
    let mut plain = Plain::default();
    let mut watch = HandshakeWatch::new();
    for (i, record) in records.iter().enumerate() {
        let opened = d.open(record).map_err(|e| (i, e))?;
        let (ty, bytes, epoch) = (opened.content_type, opened.bytes.to_vec(), opened.epoch);
        match ty {
            ContentType::ApplicationData => plain.app_data.extend_from_slice(&bytes),
            ContentType::Alert => plain.alerts.push((bytes[0], bytes[1])),
            ContentType::Handshake if epoch != Epoch::Clear => {
                plain.handshake.extend_from_slice(&bytes)
            }
            _ => {}
        }
        if d.version() == Version::Tls13 && epoch != Epoch::Clear {
            let change = watch
                .record(ty, &bytes)
                .expect("key changes at record ends");
            if let Some(change) = change {
                d.advance(change).expect("the change fits the keys");
            }
        }
        plain.last_epoch = Some(d.epoch());
    }
    Ok(plain)
}

/// The handshake messages' types, in order, from their bytes.
pub fn message_types(mut handshake: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    while handshake.len() >= 4 {
        let len = usize::from(handshake[1]) << 16
            | usize::from(handshake[2]) << 8
            | usize::from(handshake[3]);
        types.push(handshake[0]);
        handshake = &handshake[(4 + len).min(handshake.len())..];
    }
    types
}

/// The protocol the EncryptedExtensions message (type 8) selected with ALPN
/// (extension 16, RFC 7301 §3.1), if it did.
pub fn encrypted_alpn(handshake: &[u8]) -> Option<String> {
    let mut rest = handshake;
    while rest.len() >= 4 {
        let len = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
        if rest[0] == 8 {
            let mut ext = &rest[6..4 + len];
            while ext.len() >= 4 {
                let ty = u16::from_be_bytes([ext[0], ext[1]]);
                let n = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
                if ty == 16 {
                    // list length (2), name length (1), the one name.
                    let name_len = usize::from(ext[6]);
                    return Some(String::from_utf8_lossy(&ext[7..7 + name_len]).into_owned());
                }
                ext = &ext[4 + n..];
            }
            return None;
        }
        rest = &rest[(4 + len).min(rest.len())..];
    }
    None
}

fn tshark(args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(args)
        .output()
        .expect("tshark runs (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "tshark {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tshark prints UTF-8")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("tshark prints hex"))
        .collect()
}

/// tshark's decrypted application data of `tcp.stream` `stream`, client
/// to server and back (`-z follow,tls,raw`: node 0's lines are flush left,
/// the other node's indented; node 0 is whichever end tshark names first).
pub fn tshark_app_data(
    pcap: &Path,
    keys: &Path,
    stream: usize,
    client: Endpoint,
) -> (Vec<u8>, Vec<u8>) {
    let keylog = format!("tls.keylog_file:{}", keys.display());
    let follow = format!("follow,tls,raw,{stream}");
    let text = tshark(&[
        "-r",
        &pcap.to_string_lossy(),
        "-o",
        &keylog,
        "-q",
        "-z",
        &follow,
    ]);
    let node0 = text
        .lines()
        .find_map(|l| l.strip_prefix("Node 0: "))
        .expect("tshark names node 0");
    let node0_is_client = node0 == format!("{}:{}", client.addr, client.port);
    let (mut flush, mut indented) = (Vec::new(), Vec::new());
    let body = text
        .lines()
        .skip_while(|l| !l.starts_with("Node 1:"))
        .skip(1);
    for line in body {
        if line.starts_with("===") {
            break;
        }
        match line.strip_prefix('\t') {
            Some(hex) => indented.extend(unhex(hex.trim())),
            None => flush.extend(unhex(line.trim())),
        }
    }
    if node0_is_client {
        (flush, indented)
    } else {
        (indented, flush)
    }
}

/// tshark's fields `fields` of each frame matching `filter`, decrypting
/// with `keys`, one row per frame.
pub fn tshark_fields(pcap: &Path, keys: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let keylog = format!("tls.keylog_file:{}", keys.display());
    let mut args = vec![
        "-r",
        pcap.to_str().expect("UTF-8 path"),
        "-o",
        &keylog,
        "-Y",
        filter,
    ];
    args.extend(["-T", "fields", "-E", "separator=|"]);
    for f in fields {
        args.extend(["-e", f]);
    }
    tshark(&args)
        .lines()
        .map(|l| l.split('|').map(str::to_owned).collect())
        .collect()
}
