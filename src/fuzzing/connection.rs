//! The fuzz targets of a TCP connection's way through the analyzer: one
//! direction's reassembly, and a connection's segments through the
//! application stage (held and not held, which must agree).

/// One direction reassembled from operations the input describes. Layout:
/// four bytes of initial sequence number, a window selector, then operations
/// of four bytes `[op, seq_hi, seq_lo, len]`: a segment (op even) of `len`
/// bytes at `base + seq`, an acknowledgement (op odd) of `base + seq`, and
/// finally the end of the direction. Every byte carries its offset's low
/// eight bits, so the output can be checked whatever the order.
///
/// Invariants: pieces come in offset order with no gap between them; data
/// bytes are the bytes sent at those offsets; what waits never exceeds the
/// window for long (past it the direction stops and holds nothing).
pub fn reassembly(data: &[u8]) {
    use crate::stream::{Piece, Reassembler};
    let Some((head, ops)) = data.split_first_chunk::<5>() else {
        return;
    };
    let base = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let window = 16 + usize::from(head[4]) * 16;
    let mut r = Reassembler::new(base, window);
    let mut expected = 0u64;
    let mut check = |p: Piece<'_>| match p {
        Piece::Data { offset, bytes } => {
            assert_eq!(offset, expected, "data out of order");
            for (i, &b) in bytes.iter().enumerate() {
                assert_eq!(
                    b,
                    (offset + i as u64) as u8,
                    "wrong byte at {}",
                    offset + i as u64
                );
            }
            expected += bytes.len() as u64;
        }
        Piece::Gap { offset, len } => {
            assert_eq!(offset, expected, "gap out of order");
            assert!(len > 0, "empty gap");
            expected += len;
        }
    };
    for op in ops.chunks_exact(4) {
        let at = u32::from(u16::from_be_bytes([op[1], op[2]]));
        let seq = base.wrapping_add(at);
        if op[0] % 2 == 0 {
            let payload: Vec<u8> = (0..op[3]).map(|i| (at + u32::from(i)) as u8).collect();
            r.segment(seq, &payload, &mut check);
        } else {
            r.acknowledged(seq, &mut check);
        }
        assert!(r.waiting_bytes() <= window);
    }
    r.finish(&mut check);
    assert_eq!(r.waiting_bytes(), 0);
}

/// One connection's segments through the analyzer's application stage
/// ([`crate::app::ConnectionDecoder`]: in-flight bytes, reassembly,
/// protocol detection, the HTTP/1 to HTTP/2 switch, the ladder), and the
/// same segments through a [`crate::app::Held`] connection, which lets its
/// decoders go once both directions ended: the two reports must agree.
///
/// Input: records of `[sel, seq_lo, seq_hi, ack_lo, ack_hi, len, payload…]`:
/// `sel`'s top bit is the sender (0 client), its low bits pick SYN, FIN, RST
/// and ACK; sequence and acknowledgment numbers move by the signed 16-bit
/// deltas from each side's own running values, so retransmissions,
/// overlaps, holes and wrap-around all occur. The first payload bytes steer
/// detection: seeds start with an HTTP/1 request or the HTTP/2 preface.
pub fn app_connection(data: &[u8]) {
    use crate::app::{AppOptions, ConnectionDecoder, Direction, Held};
    use crate::wire::{SeqNum, TcpFlags, TcpSegment};
    let opts = AppOptions {
        window: 4096,
        ladder: true,
        keylog: None,
        ip_trail: false,
    };
    let mut held = Held::new(opts.clone());
    let mut d = ConnectionDecoder::new(opts);
    let mut seq = [0xffff_f000u32, 0x7fff_ff00u32];
    let mut ack = [0u32; 2];
    let mut rest = data;
    let mut frame = 0u64;
    while rest.len() >= 6 {
        let (head, tail) = rest.split_at(6);
        let i = usize::from(head[0] >> 7);
        let bits = head[0] & 0x0f;
        let flags = TcpFlags::from_bits(
            (u8::from(bits & 1 != 0) * 0x02) // SYN
                | u8::from(bits & 2 != 0) // FIN (0x01)
                | (u8::from(bits & 4 != 0) * 0x04) // RST
                | (u8::from(bits & 8 != 0) * 0x10), // ACK
        );
        let ds = i16::from_le_bytes([head[1], head[2]]);
        let da = i16::from_le_bytes([head[3], head[4]]);
        let len = usize::from(head[5]).min(tail.len());
        let (payload, next) = tail.split_at(len);
        rest = next;
        seq[i] = seq[i].wrapping_add_signed(i32::from(ds));
        ack[i] = seq[1 - i].wrapping_add_signed(i32::from(da));
        frame += 1;
        let seg = TcpSegment {
            seq: SeqNum(seq[i]),
            ack: SeqNum(ack[i]),
            flags,
            payload_len: len as u32 + u32::from(head[5] & 0x80 != 0) * 100,
            payload,
            ..TcpSegment::UNSET
        };
        let sender = [Direction::ClientToServer, Direction::ServerToClient][i];
        d.segment(
            frame,
            crate::capture::Timestamp(frame as i64),
            sender,
            &seg,
            payload,
        );
        let ts = crate::capture::Timestamp(frame as i64);
        held.segment(frame, ts, sender, &seg, payload);
        seq[i] = seq[i].wrapping_add(len as u32);
    }
    let report = d.finish();
    assert_eq!(held.finish(), report, "settling changed the report");
    assert_eq!(report.exchanges().len(), report.delivered.len());
    for r in report.rst.iter().flatten() {
        for &n in r.lost_in.iter().chain(&r.unacked_in) {
            assert!(n < report.exchanges().len(), "an index past the exchanges");
        }
    }
    if let Some(ladder) = &report.ladder {
        assert!(ladder.windows(2).all(|w| w[0].frame <= w[1].frame));
        assert!(
            ladder
                .iter()
                .all(|s| s.frame <= frame && !s.labels.is_empty())
        );
    }
}
