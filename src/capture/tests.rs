//! File reader tests: pcap and pcapng written byte by byte here, both byte
//! orders, timestamp resolutions, several sections and interfaces, damage,
//! truncation, and a seeded no-panic sweep through reader and decoder.

use super::*;
use crate::wire::{DecodeOptions, decode};

/// A small Ethernet/IPv4/TCP SYN frame (60 bytes, with padding).
pub(super) fn syn_frame(port: u16) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    v.extend_from_slice(&[
        0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    v.extend_from_slice(&port.to_be_bytes());
    v.extend_from_slice(&[
        0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    ]);
    v.extend_from_slice(&[0; 6]);
    v
}

/// Writes numbers in one byte order.
#[derive(Clone, Copy)]
struct Order(bool);

impl Order {
    fn u16(self, v: u16) -> [u8; 2] {
        if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(self, v: u32) -> [u8; 4] {
        if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
}

/// A classic pcap file; `magic` picks µs, ns or the modified format.
pub(super) fn pcap_file(
    big: bool,
    magic: u32,
    link: u32,
    records: &[(u32, u32, &[u8], u32)],
) -> Vec<u8> {
    let o = Order(big);
    let mut v = Vec::new();
    v.extend_from_slice(&o.u32(magic));
    v.extend_from_slice(&o.u16(2));
    v.extend_from_slice(&o.u16(4));
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&o.u32(65535));
    v.extend_from_slice(&o.u32(link));
    for &(secs, frac, data, orig) in records {
        v.extend_from_slice(&o.u32(secs));
        v.extend_from_slice(&o.u32(frac));
        v.extend_from_slice(&o.u32(data.len() as u32));
        v.extend_from_slice(&o.u32(orig));
        if magic == 0xa1b2_cd34 {
            v.extend_from_slice(&[0; 8]);
        }
        v.extend_from_slice(data);
    }
    v
}

/// A pcapng writer.
pub(super) struct Ng {
    pub(super) out: Vec<u8>,
    o: Order,
}

impl Ng {
    pub(super) fn new() -> Self {
        Ng {
            out: Vec::new(),
            o: Order(false),
        }
    }
    pub(super) fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let padded = body.len().next_multiple_of(4);
        let len = (padded + 12) as u32;
        let o = self.o;
        self.out.extend_from_slice(&o.u32(block_type));
        self.out.extend_from_slice(&o.u32(len));
        self.out.extend_from_slice(body);
        self.out.resize(self.out.len() + padded - body.len(), 0);
        self.out.extend_from_slice(&o.u32(len));
        self
    }
    pub(super) fn shb(&mut self, big: bool) -> &mut Self {
        self.o = Order(big);
        let o = self.o;
        let body = [&o.u32(0x1a2b_3c4d)[..], &o.u16(1), &o.u16(0), &[0xff; 8]].concat();
        self.block(0x0a0d_0d0a, &body)
    }
    pub(super) fn idb(&mut self, link: u16, opts: &[(u16, &[u8])]) -> &mut Self {
        let o = self.o;
        let mut body = [&o.u16(link)[..], &[0, 0], &o.u32(0)].concat();
        for (code, value) in opts {
            body.extend_from_slice(&o.u16(*code));
            body.extend_from_slice(&o.u16(value.len() as u16));
            body.extend_from_slice(value);
            body.resize(body.len().next_multiple_of(4), 0);
        }
        body.extend_from_slice(&[0; 4]);
        self.block(1, &body)
    }
    pub(super) fn epb(&mut self, iface: u32, ts: u64, data: &[u8], orig: u32) -> &mut Self {
        let o = self.o;
        let head = [
            o.u32(iface),
            o.u32((ts >> 32) as u32),
            o.u32(ts as u32),
            o.u32(data.len() as u32),
            o.u32(orig),
        ];
        let body = [&head.concat()[..], data].concat();
        self.block(6, &body)
    }
    pub(super) fn pb(&mut self, iface: u16, ts: u64, data: &[u8]) -> &mut Self {
        let o = self.o;
        let head = [
            &o.u16(iface)[..],
            &o.u16(0),
            &o.u32((ts >> 32) as u32),
            &o.u32(ts as u32),
            &o.u32(data.len() as u32),
            &o.u32(data.len() as u32),
        ]
        .concat();
        self.block(2, &[&head[..], data].concat())
    }
    pub(super) fn spb(&mut self, data: &[u8]) -> &mut Self {
        let body = [&self.o.u32(data.len() as u32)[..], data].concat();
        self.block(3, &body)
    }
}

/// (number, ts, link, captured length, original length) of every frame.
type Row = (u64, i64, u32, usize, u32);

fn read_all(bytes: &[u8]) -> (Vec<Row>, CaptureAnomalies) {
    let mut r = FileReader::new(bytes).expect("readable header");
    let mut rows = Vec::new();
    while let Some(f) = r.next_frame().expect("no io error") {
        rows.push((f.number, f.ts.0, f.link.0, f.data.len(), f.orig_len));
    }
    (rows, r.anomalies().clone())
}

fn open_err(bytes: &[u8]) -> String {
    match FileReader::new(bytes) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn pcap_both_byte_orders_and_resolutions() {
    let f = syn_frame(1);
    for big in [false, true] {
        let micros = pcap_file(
            big,
            0xa1b2_c3d4,
            1,
            &[(100, 5, &f, 60), (101, 999_999, &f[..20], 60)],
        );
        let (rows, anomalies) = read_all(&micros);
        assert_eq!(
            rows,
            vec![
                (1, 100_000_005_000, 1, 60, 60),
                (2, 101_999_999_000, 1, 20, 60)
            ]
        );
        assert!(anomalies.is_empty());
        let nanos = pcap_file(big, 0xa1b2_3c4d, 101, &[(100, 123_456_789, &f, 60)]);
        assert_eq!(read_all(&nanos).0, vec![(1, 100_123_456_789, 101, 60, 60)]);
    }
}

#[test]
fn pcap_modified_format_has_longer_record_headers() {
    let f = syn_frame(1);
    let bytes = pcap_file(false, 0xa1b2_cd34, 1, &[(1, 0, &f, 60), (2, 0, &f, 60)]);
    assert_eq!(read_all(&bytes).0.len(), 2);
}

#[test]
fn pcap_zero_length_record_is_a_frame() {
    let bytes = pcap_file(
        false,
        0xa1b2_c3d4,
        1,
        &[(1, 0, &[], 0), (2, 0, &syn_frame(1), 60)],
    );
    let (rows, anomalies) = read_all(&bytes);
    assert_eq!(rows.iter().map(|r| r.3).collect::<Vec<_>>(), vec![0, 60]);
    assert!(anomalies.is_empty());
}

#[test]
fn pcap_truncated_last_record_is_counted_and_earlier_frames_kept() {
    let f = syn_frame(1);
    let bytes = pcap_file(false, 0xa1b2_c3d4, 1, &[(1, 0, &f, 60), (2, 0, &f, 60)]);
    let (rows, anomalies) = read_all(&bytes[..bytes.len() - 7]);
    assert_eq!(rows.len(), 1);
    assert_eq!(anomalies.truncated_records, 1);
    // The second record (16-byte header + 60) lost its last 7 bytes.
    assert_eq!(anomalies.truncated_bytes, 76 - 7);
    let (rows, anomalies) = read_all(&bytes[..24 + 76 + 9]);
    assert_eq!((rows.len(), anomalies.truncated_records), (1, 1));
    // Cut inside the record header: the 9 bytes present are not read.
    assert_eq!(anomalies.truncated_bytes, 9);
}

#[test]
fn pcap_damaged_record_header_is_skipped_and_reading_resumes() {
    let f = syn_frame(1);
    let mut bytes = pcap_file(
        false,
        0xa1b2_c3d4,
        1,
        &[(1, 0, &f, 60), (2, 0, &f, 60), (3, 0, &f, 60)],
    );
    // Second record's captured length becomes absurd.
    let second = 24 + 16 + 60;
    bytes[second + 8..second + 12].copy_from_slice(&0x7fff_ff00u32.to_le_bytes());
    let (rows, anomalies) = read_all(&bytes);
    assert_eq!(
        rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        vec![1_000_000_000, 3_000_000_000]
    );
    assert_eq!(anomalies.damaged_records, 1);
    assert_eq!(anomalies.skipped_bytes, 76);
}

#[test]
fn pcap_huge_length_at_the_end_does_not_allocate_it() {
    let mut bytes = pcap_file(false, 0xa1b2_c3d4, 1, &[(1, 0, &syn_frame(1), 60)]);
    bytes.extend_from_slice(&[
        1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    let (rows, anomalies) = read_all(&bytes);
    assert_eq!(rows.len(), 1);
    assert_eq!(anomalies.damaged_records, 1);
}

#[test]
fn pcapng_sections_interfaces_link_types_and_resolutions() {
    let f = syn_frame(1);
    let mut ng = Ng::new();
    ng.shb(false)
        .idb(1, &[])
        .epb(0, 1_000_000, &f, 60)
        .block(0x1234, &[1, 2, 3, 4])
        .block(4, &[0, 0, 0, 0])
        .spb(&f)
        .pb(0, 2_000_000, &f);
    // A big-endian section: its interfaces replace the first section's.
    let offset = 1000i64.to_be_bytes();
    ng.shb(true)
        .idb(101, &[(9, &[9])])
        .idb(0, &[(9, &[0x80 | 10]), (14, &offset)])
        .epb(1, 2048, &f[14..], 46)
        .epb(0, 1_500_000_000, &f[14..], 46)
        .epb(7, 0, &f, 60);
    let (rows, anomalies) = read_all(&ng.out);
    assert_eq!(
        rows,
        vec![
            (1, 1_000_000_000, 1, 60, 60),
            (2, 1_000_000_000, 1, 60, 60),
            (3, 2_000_000_000, 1, 60, 60),
            (4, 1_002_000_000_000, 0, 46, 46),
            (5, 1_500_000_000, 101, 46, 46),
        ]
    );
    assert_eq!(anomalies.unknown_blocks, 1);
    assert_eq!(anomalies.unknown_interface, 1);
    assert_eq!(
        (anomalies.damaged_records, anomalies.truncated_records),
        (0, 0)
    );
}

#[test]
fn pcapng_block_with_disagreeing_lengths_is_skipped_and_reading_resumes() {
    let f = syn_frame(1);
    let mut ng = Ng::new();
    ng.shb(false).idb(1, &[]).epb(0, 1, &f, 60);
    let damaged_at = ng.out.len();
    ng.epb(0, 2, &f, 60).epb(0, 3, &f, 60);
    let mut bytes = ng.out.clone();
    bytes[damaged_at + 4] = 0x60; // leading length no longer matches
    let (rows, anomalies) = read_all(&bytes);
    assert_eq!(
        rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        vec![1_000, 3_000]
    );
    assert_eq!(anomalies.damaged_records, 1);
}

#[test]
fn pcapng_packet_overrunning_its_block_is_damage() {
    let f = syn_frame(1);
    let mut ng = Ng::new();
    ng.shb(false).idb(1, &[]);
    let at = ng.out.len();
    ng.epb(0, 1, &f, 60).epb(0, 2, &f, 60);
    let mut bytes = ng.out.clone();
    bytes[at + 20..at + 24].copy_from_slice(&200u32.to_le_bytes());
    let (rows, anomalies) = read_all(&bytes);
    assert_eq!(rows.len(), 1);
    assert_eq!(anomalies.damaged_records, 1);
}

#[test]
fn unreadable_inputs_give_one_line_errors() {
    assert!(open_err(b"").contains("empty"));
    assert!(open_err(&[0x1f, 0x8b, 8, 0]).contains("gzip"));
    assert!(open_err(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).contains("cut short"));
    let mut v3 = pcap_file(false, 0xa1b2_c3d4, 1, &[]);
    v3[4] = 3;
    assert!(open_err(&v3).contains("version 3.4"));
    let mut ng = Ng::new();
    ng.shb(false);
    let mut bad_bom = ng.out.clone();
    bad_bom[8] = 0;
    assert!(open_err(&bad_bom).contains("byte-order magic"));
    for e in [open_err(b"\x7fELF\x02\x01"), open_err(b"ab")] {
        assert!(e.starts_with("not a capture file"), "{e}");
        assert!(!e.contains('\n'));
    }
}

use crate::test_rng::Rng;

/// Runs reader and decoder to the end; any error is fine, a panic is not.
fn read_and_decode(bytes: &[u8]) -> usize {
    let Ok(mut r) = FileReader::new(bytes) else {
        return 0;
    };
    let opts = DecodeOptions {
        validate_checksums: true,
    };
    let mut n = 0;
    while let Ok(Some(f)) = r.next_frame() {
        std::hint::black_box(decode(&f, &opts));
        n += 1;
    }
    n
}

fn samples() -> Vec<Vec<u8>> {
    let f = syn_frame(1);
    let pcap = pcap_file(
        true,
        0xa1b2_3c4d,
        1,
        &[(1, 0, &f, 60), (2, 0, &f[..30], 60), (3, 0, &f, 60)],
    );
    let mut ng = Ng::new();
    ng.shb(false)
        .idb(1, &[(9, &[6])])
        .epb(0, 1, &f, 60)
        .spb(&f)
        .shb(true)
        .idb(113, &[(9, &[0x85]), (14, &[0; 8])])
        .pb(0, 7, &f)
        .block(99, &[0; 5]);
    vec![pcap, ng.out.clone()]
}

#[test]
fn every_truncation_reads_to_the_end_without_panic() {
    for sample in samples() {
        let whole = read_and_decode(&sample);
        assert!(whole >= 3);
        for len in 0..sample.len() {
            assert!(read_and_decode(&sample[..len]) <= whole, "prefix {len}");
        }
    }
}

#[test]
fn seeded_byte_flips_read_to_the_end_without_panic() {
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    for sample in samples() {
        for _ in 0..3000 {
            let mut bytes = sample.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() % bytes.len() as u64) as usize;
                bytes[at] = rng.next() as u8;
            }
            read_and_decode(&bytes);
        }
    }
}

#[test]
fn timestamp_before_the_epoch_prints_sign_then_magnitude() {
    // A pcapng if_tsoffset can put a frame before 1970; `%.6f` of -0.5 is
    // "-0.500000", not one second earlier.
    assert_eq!(Timestamp(-500_000_000).zeek(), "-0.500000");
    assert_eq!(Timestamp(-1_500_000_000).zeek(), "-1.500000");
    assert_eq!(Timestamp(-1).zeek(), "-0.000000");
    assert_eq!(
        Timestamp(1_362_692_526_939_084_999).zeek(),
        "1362692526.939084"
    );
}
