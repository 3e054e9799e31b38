//! Writing frames (RFC 9113 §4.1, §6) for the server's side.

use super::frame::{Frame, SettingsParams};
use super::header::{FrameHeader, FrameType, HEADER_LEN, flags};
use super::settings::SettingId;

impl Frame<'_> {
    /// Appends the frame as it goes on the wire. Padding is written as
    /// zeros (§6.1), the pad length byte counted in `padding`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; HEADER_LEN]);
        let mut bits = 0;
        let pad = |out: &mut Vec<u8>, padding: u32, bits: &mut u8| {
            if padding > 0 {
                *bits |= flags::PADDED;
                out.push((padding - 1) as u8);
            }
        };
        let mut trailing = 0;
        match *self {
            Frame::Data {
                end_stream,
                data,
                padding,
                ..
            } => {
                pad(out, padding, &mut bits);
                out.extend_from_slice(data);
                trailing = padding.saturating_sub(1);
                bits |= if end_stream { flags::END_STREAM } else { 0 };
            }
            Frame::Headers {
                end_stream,
                end_headers,
                priority,
                fragment,
                padding,
                ..
            } => {
                pad(out, padding, &mut bits);
                if let Some(p) = priority {
                    bits |= flags::PRIORITY;
                    p.encode(out);
                }
                out.extend_from_slice(fragment);
                trailing = padding.saturating_sub(1);
                bits |= if end_stream { flags::END_STREAM } else { 0 };
                bits |= if end_headers { flags::END_HEADERS } else { 0 };
            }
            Frame::Priority { spec, .. } => spec.encode(out),
            Frame::RstStream { code, .. } => out.extend_from_slice(&code.to_u32().to_be_bytes()),
            Frame::Settings { ack, params } => {
                bits |= if ack { flags::ACK } else { 0 };
                out.extend_from_slice(params.bytes());
            }
            Frame::PushPromise {
                end_headers,
                promised,
                fragment,
                padding,
                ..
            } => {
                pad(out, padding, &mut bits);
                out.extend_from_slice(&promised.to_be_bytes());
                out.extend_from_slice(fragment);
                trailing = padding.saturating_sub(1);
                bits |= if end_headers { flags::END_HEADERS } else { 0 };
            }
            Frame::Ping { ack, data } => {
                bits |= if ack { flags::ACK } else { 0 };
                out.extend_from_slice(&data);
            }
            Frame::GoAway {
                last_stream,
                code,
                debug,
            } => {
                out.extend_from_slice(&last_stream.to_be_bytes());
                out.extend_from_slice(&code.to_u32().to_be_bytes());
                out.extend_from_slice(debug);
            }
            Frame::WindowUpdate { increment, .. } => {
                out.extend_from_slice(&increment.to_be_bytes());
            }
            Frame::Continuation {
                end_headers,
                fragment,
                ..
            } => {
                out.extend_from_slice(fragment);
                bits |= if end_headers { flags::END_HEADERS } else { 0 };
            }
            Frame::Unknown { header, payload } => {
                bits = header.flags;
                out.extend_from_slice(payload);
            }
        }
        out.resize(out.len() + trailing as usize, 0);
        let header = FrameHeader {
            length: (out.len() - start - HEADER_LEN) as u32,
            kind: self.kind(),
            flags: bits,
            stream: self.stream(),
        };
        out[start..start + HEADER_LEN].copy_from_slice(&header.to_bytes());
    }
}

/// Appends a field block as one HEADERS frame and as many CONTINUATION
/// frames as `max_frame_size` requires (§4.3: they must follow each other
/// with nothing between).
pub fn encode_field_block(
    stream: u32,
    block: &[u8],
    end_stream: bool,
    max_frame_size: u32,
    out: &mut Vec<u8>,
) {
    let max = max_frame_size as usize;
    let mut chunks = block.chunks(max.max(1));
    let first = chunks.next().unwrap_or(&[]);
    let mut rest = chunks.peekable();
    Frame::Headers {
        stream,
        end_stream,
        end_headers: rest.peek().is_none(),
        priority: None,
        fragment: first,
        padding: 0,
    }
    .encode(out);
    while let Some(fragment) = rest.next() {
        Frame::Continuation {
            stream,
            end_headers: rest.peek().is_none(),
            fragment,
        }
        .encode(out);
    }
}

/// Appends a field block as [`encode_field_block`] does, the block written
/// by `write` straight behind the HEADERS frame's header: when it fits one
/// frame, as it usually does, no buffer holds it on the way.
pub fn encode_field_block_with(
    stream: u32,
    end_stream: bool,
    max_frame_size: u32,
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>),
) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER_LEN]);
    write(out);
    let length = out.len() - start - HEADER_LEN;
    if length > max_frame_size as usize {
        let block = out.split_off(start + HEADER_LEN);
        out.truncate(start);
        encode_field_block(stream, &block, end_stream, max_frame_size, out);
        return;
    }
    let header = FrameHeader {
        length: length as u32,
        kind: FrameType::Headers,
        flags: flags::END_HEADERS | if end_stream { flags::END_STREAM } else { 0 },
        stream,
    };
    out[start..start + HEADER_LEN].copy_from_slice(&header.to_bytes());
}

/// Appends a SETTINGS frame carrying `params` in order (§6.5.1).
pub fn encode_settings(params: &[(SettingId, u32)], out: &mut Vec<u8>) {
    let mut payload = Vec::with_capacity(params.len() * 6);
    for (id, value) in params {
        payload.extend_from_slice(&id.to_u16().to_be_bytes());
        payload.extend_from_slice(&value.to_be_bytes());
    }
    Frame::Settings {
        ack: false,
        params: SettingsParams::new(&payload),
    }
    .encode(out);
}
