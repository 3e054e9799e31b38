//! The fuzz targets of the decoders behind `--keylog` on QUIC: 1-RTT
//! frames, HTTP/3 streams, QPACK field sections and encoder streams.

use crate::app::h3::H3Decoder;
use crate::proto::h3::{DynamicTable, FrameReader, qpack};
use crate::proto::quic::{Frame, Frames, Side};

/// A decrypted 1-RTT payload: every frame read, the STREAM frames fed to
/// an HTTP/3 decoder as the client's and as the server's. Invariants: a
/// STREAM frame's data lies inside the payload; the report keeps its caps.
pub fn quic_one_rtt(data: &[u8]) {
    let mut h3 = H3Decoder::default();
    for f in Frames::one_rtt(data) {
        if let Ok(Frame::Stream {
            id,
            offset,
            fin,
            data: bytes,
        }) = f
        {
            assert!(bytes.len() <= data.len());
            h3.stream(1, Side::Client, id, offset, fin, bytes);
            h3.stream(2, Side::Server, id, offset, fin, bytes);
        }
    }
    if let Some(r) = h3.finish() {
        assert!(r.problems.len() <= crate::app::h3::MAX_H3_PROBLEMS);
        assert!(r.frames.len() <= crate::app::h3::MAX_FRAMES);
    }
}

/// `[cut, stream…]`: one stream's bytes fed to the frame reader in two
/// pieces cut at `cut`, and whole: both readings hand out the same frames.
pub fn h3_frames(data: &[u8]) {
    let [cut, stream @ ..] = data else {
        return;
    };
    let cut = usize::from(*cut).min(stream.len());
    let mut whole = Vec::new();
    let a = FrameReader::default().feed(stream, &mut |f| {
        whole.push((f.kind, f.len, f.payload.to_vec()))
    });
    let mut pieces = Vec::new();
    let mut r = FrameReader::default();
    let b = r
        .feed(&stream[..cut], &mut |f| {
            pieces.push((f.kind, f.len, f.payload.to_vec()))
        })
        .and_then(|()| {
            r.feed(&stream[cut..], &mut |f| {
                pieces.push((f.kind, f.len, f.payload.to_vec()))
            })
        });
    if a.is_ok() && b.is_ok() {
        assert_eq!(whole, pieces);
    }
}

/// `[split, encoder stream…, field section…]`: the bytes before `split`
/// build a dynamic table (with a 4096-byte maximum), the rest is decoded
/// as a field section with it and without it. Invariant: a section that
/// decodes without the table decodes the same with it.
pub fn qpack_section(data: &[u8]) {
    let [split, rest @ ..] = data else {
        return;
    };
    let (encoder, section) = rest.split_at(usize::from(*split).min(rest.len()));
    let mut table = DynamicTable::default();
    table.set_max_capacity(4096);
    let _ = table.encoder_bytes(encoder);
    let with = qpack::decode_with(section, Some(&table));
    if let Ok(without) = qpack::decode_section(section) {
        assert_eq!(with, Ok(without));
    }
}
