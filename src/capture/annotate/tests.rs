//! The annotator on pcap and pcapng files written byte by byte (the file
//! reader's own test builders): frames unchanged, comments where asked,
//! other blocks and comments kept, damage refused. tshark reads real
//! copies in `tests/annotate_tshark.rs`.

use super::*;
use crate::capture::tests::{Ng, pcap_file, syn_frame};
use crate::capture::{FileReader, read_u16, read_u32};

/// (number, ts, link, data, orig_len) of every frame, as the reader sees them.
type Row = (u64, i64, u32, Vec<u8>, u32);

fn frames(bytes: &[u8]) -> Vec<Row> {
    let mut r = FileReader::new(bytes).expect("readable");
    let mut rows = Vec::new();
    while let Some(f) = r.next_frame().expect("no io error") {
        rows.push((f.number, f.ts.0, f.link.0, f.data.to_vec(), f.orig_len));
    }
    assert_eq!(r.anomalies().damaged_records, 0, "{:?}", r.anomalies());
    rows
}

/// Every packet block's comments, by frame number, read from the blocks.
fn comments_in(ng: &[u8]) -> Vec<(u64, Vec<String>)> {
    let (mut at, mut big, mut number) = (0, false, 0);
    let mut found = Vec::new();
    while at + 12 <= ng.len() {
        if ng[at..at + 4] == [0x0a, 0x0d, 0x0d, 0x0a] {
            big = ng[at + 8] == 0x1a;
        }
        let block_type = read_u32(ng, at, big);
        let len = read_u32(ng, at + 4, big) as usize;
        let body = &ng[at + 8..at + len - 4];
        if matches!(block_type, 2 | 3 | 6) {
            number += 1;
        }
        if matches!(block_type, 2 | 6) {
            let caplen = read_u32(body, 12, big) as usize;
            let mut opts = &body[(20 + caplen).next_multiple_of(4)..];
            let mut texts = Vec::new();
            while opts.len() >= 4 && read_u16(opts, 0, big) != 0 {
                let n = usize::from(read_u16(opts, 2, big));
                if read_u16(opts, 0, big) == 1 {
                    texts.push(String::from_utf8(opts[4..4 + n].to_vec()).unwrap());
                }
                opts = &opts[(4 + n).next_multiple_of(4)..];
            }
            if !texts.is_empty() {
                found.push((number, texts));
            }
        }
        at += len;
    }
    assert_eq!(at, ng.len(), "the copy ends on a block boundary");
    found
}

fn run(input: &[u8], comments: &Comments) -> (Vec<u8>, Annotated) {
    let mut out = Vec::new();
    let done = annotate(input, &mut out, comments).expect("annotated");
    (out, done)
}

fn notes(list: &[(u64, &str)]) -> Comments {
    let mut c = Comments::new();
    for (f, t) in list {
        c.add(*f, *t).unwrap();
    }
    c
}

#[test]
fn pcap_becomes_pcapng_with_the_same_frames_and_our_comments() {
    let f = syn_frame(1);
    for big in [false, true] {
        for magic in [0xa1b2_c3d4, 0xa1b2_3c4d, 0xa1b2_cd34] {
            let pcap = pcap_file(
                big,
                magic,
                1,
                &[
                    (100, 5, &f, 60),
                    (101, 999_999, &f[..21], 60),
                    (102, 7, &f, 60),
                ],
            );
            let c = notes(&[
                (2, "server RST, 0 bytes unread"),
                (2, "second line"),
                (9, "x"),
            ]);
            let (ng, done) = run(&pcap, &c);
            assert_eq!(&ng[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
            assert_eq!(frames(&ng), frames(&pcap), "magic {magic:x}, big {big}");
            assert_eq!(
                comments_in(&ng),
                vec![(
                    2,
                    vec!["server RST, 0 bytes unread".into(), "second line".into()]
                )]
            );
            assert_eq!(done.frames, 3);
            assert_eq!(done.comments, 2);
            let nowhere = Unplaced {
                frame: 9,
                why: UnplacedWhy::NoSuchFrame,
            };
            assert_eq!(done.unplaced, vec![nowhere]);
            // The section is in the pcap file's byte order.
            assert_eq!(ng[8] == 0x1a, big);
        }
    }
}

#[test]
fn pcapng_keeps_every_block_and_comment_and_adds_ours() {
    let f = syn_frame(7);
    let mut ng = Ng::new();
    ng.shb(false).idb(1, &[(9, &[9])]);
    // An EPB that already has a comment (frame 1).
    let mut epb = [
        1u32.to_le_bytes(),
        0u32.to_le_bytes(),
        77u32.to_le_bytes(),
        (f.len() as u32).to_le_bytes(),
        (f.len() as u32).to_le_bytes(),
    ]
    .concat();
    epb[..4].copy_from_slice(&0u32.to_le_bytes());
    epb.extend_from_slice(&f);
    epb.resize(epb.len().next_multiple_of(4), 0);
    epb.extend_from_slice(&[1, 0, 3, 0, b'o', b'l', b'd', 0, 0, 0, 0, 0]);
    ng.block(6, &epb);
    ng.block(0x0bad, b"copy me\0")
        .block(0x4000_0bad, b"drop me\0");
    ng.block(0x1234_5678, b"unknown");
    ng.pb(0, 88, &f).spb(&f);
    // A big-endian section: its interfaces start again.
    ng.shb(true).idb(101, &[]).epb(0, 99, &f[14..], 46);
    let input = ng.out.clone();
    let c = notes(&[
        (1, "ours"),
        (2, "on the old packet block"),
        (3, "lost"),
        (4, "big"),
    ]);
    let (out, done) = run(&input, &c);
    assert_eq!(frames(&out), frames(&input));
    assert_eq!(
        comments_in(&out),
        vec![
            (1, vec!["old".into(), "ours".into()]),
            (2, vec!["on the old packet block".into()]),
            (4, vec!["big".into()]),
        ]
    );
    let spb = Unplaced {
        frame: 3,
        why: UnplacedWhy::SimplePacketBlock,
    };
    assert_eq!(done.unplaced, vec![spb]);
    assert_eq!((done.frames, done.comments, done.dropped_blocks), (4, 3, 1));
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("copy me") && text.contains("unknown"));
    assert!(!text.contains("drop me"));
}

#[test]
fn a_section_length_becomes_not_specified() {
    let f = syn_frame(1);
    let mut ng = Ng::new();
    ng.shb(false);
    // Give the section a length, as a writer that knew it would.
    ng.out[16..24].copy_from_slice(&1234u64.to_le_bytes());
    ng.idb(1, &[]).epb(0, 1, &f, 60);
    let (out, _) = run(&ng.out, &notes(&[(1, "x")]));
    assert_eq!(&out[16..24], &[0xff; 8]);
    // Without comments the rest is byte for byte the input.
    let (same, _) = run(&ng.out, &Comments::new());
    assert_eq!(same[24..], ng.out[24..]);
}

#[test]
fn damage_is_an_error_and_a_cut_tail_is_counted() {
    let f = syn_frame(1);
    let mut pcap = pcap_file(false, 0xa1b2_c3d4, 1, &[(1, 0, &f, 60), (2, 0, &f, 60)]);
    let good = pcap.clone();
    // The second record claims 50 MB.
    let second = 24 + 16 + f.len();
    pcap[second + 8..second + 12].copy_from_slice(&50_000_000u32.to_le_bytes());
    let err = annotate(&pcap[..], Vec::new(), &Comments::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "damaged capture at byte {second}: a record claims 50000000 bytes, more than any \
             capture holds; an annotated copy would have to drop it"
        )
    );
    let (out, done) = run(&good[..good.len() - 5], &notes(&[(1, "a")]));
    assert_eq!(done.frames, 1);
    assert_eq!(done.truncated_bytes, 16 + f.len() as u64 - 5);
    assert_eq!(comments_in(&out), vec![(1, vec!["a".into()])]);

    let mut ng = Ng::new();
    ng.shb(false).idb(1, &[]).epb(0, 1, &f, 60);
    let n = ng.out.len();
    ng.out[n - 4] ^= 4;
    let err = annotate(&ng.out[..], Vec::new(), &Comments::new()).unwrap_err();
    assert!(
        err.to_string().contains("two length fields disagree"),
        "{err}"
    );
    let mut ng = Ng::new();
    ng.shb(false).epb(0, 1, &f, 60);
    let err = annotate(&ng.out[..], Vec::new(), &Comments::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the pcapng packet block at byte 28 names interface 0, which its section does not describe"
    );
    let err = annotate(
        &b"GET / HTTP/1.1\r\n\r\n......"[..],
        Vec::new(),
        &Comments::new(),
    );
    assert!(
        err.unwrap_err()
            .to_string()
            .starts_with("not a capture file")
    );
}

#[test]
fn comments_are_checked_when_added() {
    let mut c = Comments::new();
    assert_eq!(c.add(0, "x"), Err(CommentError::FrameZero));
    let long = "é".repeat(MAX_COMMENT / 2 + 1);
    assert!(matches!(
        c.add(3, long),
        Err(CommentError::TooLong { frame: 3, .. })
    ));
    assert!(c.is_empty());
    let edge = "a".repeat(MAX_COMMENT);
    c.add(1, edge.clone()).unwrap();
    let pcap = pcap_file(false, 0xa1b2_c3d4, 1, &[(1, 0, &syn_frame(1), 60)]);
    let (out, _) = run(&pcap, &c);
    assert_eq!(comments_in(&out), vec![(1, vec![edge])]);
}

/// A reader that hands out at most 5 bytes per call.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = 5.min(out.len()).min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn short_reads_make_the_same_copy() {
    let f = syn_frame(3);
    let mut ng = Ng::new();
    ng.shb(true).idb(1, &[]).epb(0, 5, &f, 60).epb(0, 6, &f, 60);
    let c = notes(&[(2, "two")]);
    let (whole, _) = run(&ng.out, &c);
    let mut trickled = Vec::new();
    annotate(Trickle(&ng.out), &mut trickled, &c).unwrap();
    assert_eq!(whole, trickled);
}
