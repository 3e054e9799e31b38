//! The annotator on any bytes: never a panic, errors in one line, and when
//! it succeeds the copy reads back with the input's frames (number, time,
//! link type, bytes, length) and with every comment that had a place.

use crate::capture::FileReader;
use crate::capture::annotate::{Comments, UnplacedWhy, annotate};

/// (number, ns, link, bytes, orig_len) of every frame the reader yields.
type Row = (u64, i64, u32, Vec<u8>, u32);

fn rows(bytes: &[u8]) -> Option<Vec<Row>> {
    let mut r = FileReader::new(bytes).ok()?;
    let mut out = Vec::new();
    while let Ok(Some(f)) = r.next_frame() {
        out.push((f.number, f.ts.0, f.link.0, f.data.to_vec(), f.orig_len));
    }
    Some(out)
}

/// `[selector, capture...]`: the selector picks the commented frames (a
/// start in 1..=8 and a stride in 1..=16, up to frame 64); each comment
/// holds characters a careless writer would trip on.
pub fn annotate_capture(data: &[u8]) {
    let Some((&selector, capture)) = data.split_first() else {
        return;
    };
    let mut comments = Comments::new();
    let stride = u64::from(selector >> 4) + 1;
    let mut frame = u64::from(selector % 8) + 1;
    while frame <= 64 {
        comments
            .add(frame, format!("frame {frame}; #1 <rst> & \"fin\"\n\u{0}é"))
            .expect("a short comment");
        frame += stride;
    }
    let mut out = Vec::new();
    let done = match annotate(capture, &mut out, &comments) {
        Ok(done) => done,
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "{message}");
            return;
        }
    };
    let input = rows(capture).expect("the annotator read it, so the reader does");
    let copy = rows(&out).expect("the copy is a capture");
    assert_eq!(input, copy, "the copy changed the frames");
    assert_eq!(done.frames, input.len() as u64);
    let spb = done
        .unplaced
        .iter()
        .filter(|u| u.why == UnplacedWhy::SimplePacketBlock)
        .count() as u64;
    let placeable: u64 = comments
        .iter()
        .filter(|(f, _)| *f <= done.frames)
        .map(|(_, c)| c.len() as u64)
        .sum();
    assert_eq!(done.comments, placeable - spb);
}
