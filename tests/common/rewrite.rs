//! The reference captures (`captures/*.pcap`, recorded by `lab reset`) turned
//! into the shapes of files written elsewhere: other link types, pcapng with
//! several interfaces, IPsec headers, IPv6 and concatenated files. Everything
//! is rewritten in code from the project's own recordings.

/// One record: time in microseconds since the epoch, on-the-wire length,
/// captured bytes.
#[derive(Clone, Debug)]
pub struct Record {
    pub micros: i64,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

/// The records of a reference capture (little-endian, microseconds,
/// Ethernet, as `lab reset` writes them).
pub fn records(name: &str) -> Vec<Record> {
    let path = format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let b = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    assert_eq!(b[..4], [0xd4, 0xc3, 0xb2, 0xa1], "{path}: not a LE µs pcap");
    assert_eq!(b[20..24], [1, 0, 0, 0], "{path}: not Ethernet");
    let word = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let caplen = word(at + 8) as usize;
        out.push(Record {
            micros: i64::from(word(at)) * 1_000_000 + i64::from(word(at + 4)),
            orig_len: word(at + 12),
            data: b[at + 16..at + 16 + caplen].to_vec(),
        });
        at += 16 + caplen;
    }
    assert!(!out.is_empty(), "{path}: no records");
    out
}

/// A classic pcap (LE, µs) whose header's link-type field is `link_field`
/// (the LINKTYPE_ value, with FCS bits above it if wanted).
pub fn pcap(link_field: u32, records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 262_144, link_field] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for r in records {
        for v in [
            (r.micros / 1_000_000) as u32,
            (r.micros % 1_000_000) as u32,
            r.data.len() as u32,
            r.orig_len,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&r.data);
    }
    out
}

/// Appends one pcapng block (LE), padding the body to 4 bytes.
pub fn block(out: &mut Vec<u8>, block_type: u32, body: &[u8]) {
    let len = 12 + body.len().next_multiple_of(4);
    out.extend_from_slice(&block_type.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(body);
    out.resize(out.len() + body.len().next_multiple_of(4) - body.len(), 0);
    out.extend_from_slice(&(len as u32).to_le_bytes());
}

/// A Section Header Block body of version `major.minor`.
pub fn shb(major: u16, minor: u16) -> Vec<u8> {
    let mut b = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    b.extend_from_slice(&major.to_le_bytes());
    b.extend_from_slice(&minor.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes());
    b
}

/// An Enhanced Packet Block body (µs units, the default resolution).
pub fn epb(interface: u32, r: &Record) -> Vec<u8> {
    let ts = r.micros as u64;
    let mut b = Vec::new();
    for v in [
        interface,
        (ts >> 32) as u32,
        ts as u32,
        r.data.len() as u32,
        r.orig_len,
    ] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&r.data);
    b.resize(b.len().next_multiple_of(4), 0);
    b
}

/// A pcapng file: one interface per entry of `links`, then the packets,
/// each on the interface its index names.
pub fn pcapng(links: &[u16], packets: &[(u32, Record)]) -> Vec<u8> {
    let mut out = Vec::new();
    block(&mut out, 0x0a0d_0d0a, &shb(1, 0));
    for link in links {
        let mut idb = link.to_le_bytes().to_vec();
        idb.extend_from_slice(&[0, 0]);
        idb.extend_from_slice(&262_144u32.to_le_bytes());
        block(&mut out, 1, &idb);
    }
    for (iface, r) in packets {
        block(&mut out, 6, &epb(*iface, r));
    }
    out
}

/// The IP packet of an Ethernet frame (what raw-IP link types carry).
pub fn strip_ethernet(r: &Record) -> Record {
    Record {
        micros: r.micros,
        orig_len: r.orig_len - 14,
        data: r.data[14..].to_vec(),
    }
}

/// Inserts `header` between an Ethernet frame's IPv4 header and its
/// payload, as protocol `proto`, the old protocol becoming the header's
/// first byte (next header). The total length grows accordingly; the
/// header checksum is not recomputed (checksums are not validated).
pub fn insert_after_ipv4(r: &Record, proto: u8, header: &[u8]) -> Record {
    let d = &r.data;
    assert_eq!(d[12..14], [0x08, 0x00], "IPv4 in Ethernet");
    let ihl = usize::from(d[14] & 0x0f) * 4;
    let mut ip = d[14..14 + ihl].to_vec();
    let mut h = header.to_vec();
    h[0] = ip[9];
    ip[9] = proto;
    let total = u16::from_be_bytes([ip[2], ip[3]]) as usize + h.len();
    ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    let mut data = d[..14].to_vec();
    data.extend_from_slice(&ip);
    data.extend_from_slice(&h);
    data.extend_from_slice(&d[14 + ihl..]);
    Record {
        micros: r.micros,
        orig_len: r.orig_len + h.len() as u32,
        data,
    }
}

/// An IPsec Authentication Header (RFC 4302 §2) of 24 bytes: the fixed 12
/// and a 12-byte ICV (HMAC-SHA1-96). Its Payload Len is 24/4 − 2 = 4.
pub fn ah_header(spi: u32, seq: u32) -> Vec<u8> {
    let mut h = vec![0, 4, 0, 0];
    h.extend_from_slice(&spi.to_be_bytes());
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&[0xa5; 12]);
    h
}

/// The same records moved in time by `delta` microseconds.
pub fn shifted(records: &[Record], delta: i64) -> Vec<Record> {
    records
        .iter()
        .map(|r| Record {
            micros: r.micros + delta,
            ..r.clone()
        })
        .collect()
}
