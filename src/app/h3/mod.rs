//! HTTP/3 (RFC 9114) on a QUIC connection's decrypted STREAM frames: each
//! stream put back in order ([`reassembly`]), the unidirectional streams'
//! types read, the control streams' SETTINGS and GOAWAY, and each request
//! stream's HEADERS (QPACK, static table and literals) and DATA lengths
//! gathered into exchanges ([`report`]).

mod reassembly;
pub mod report;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use crate::proto::h3::frame::{self, FrameSeen, ty, varint};
use crate::proto::h3::{DynamicTable, Field, FrameReader, H3Error, QpackError, StreamType, qpack};
use crate::proto::quic::Side;

use reassembly::Reassembly;
pub use report::{
    GoawaySeen, H3Exchange, H3FrameSeen, H3Problem, H3Report, MAX_EXCHANGES, MAX_FRAMES,
    MAX_H3_PROBLEMS, SettingsSeen, UniStreamSeen,
};

/// What one direction of a stream carries.
#[derive(Debug, Clone)]
enum Role {
    /// A bidirectional stream: a request (client) or response (server).
    Message,
    /// A unidirectional stream whose type is not read yet: its first bytes.
    Preamble(Vec<u8>),
    /// A push stream whose Push ID is not read yet (§4.6).
    PushId(Vec<u8>),
    /// A unidirectional stream of frames (control, push).
    Frames,
    /// A QPACK encoder stream: its bytes are counted.
    Encoder,
    /// Anything else: read past.
    Ignored,
}

#[derive(Debug, Clone)]
struct Stream {
    bytes: Reassembly,
    role: Role,
    frames: FrameReader,
    failed: bool,
}

/// The HTTP/3 decoder of one QUIC connection.
#[derive(Debug, Default)]
pub struct H3Decoder {
    streams: HashMap<(u64, Side), Stream>,
    report: H3Report,
    /// Streams carried data: there is something to report.
    seen: bool,
    /// Where exchanges past [`MAX_EXCHANGES`] are written.
    overflow: H3Exchange,
    /// Each side's QPACK dynamic table (client, server), rebuilt from its
    /// encoder stream.
    tables: [DynamicTable; 2],
    /// Field sections waiting for encoder stream inserts (RFC 9204
    /// §2.1.2): capture frame, sender, stream, section.
    blocked: Vec<(u64, Side, u64, Vec<u8>)>,
}

fn at(side: Side) -> usize {
    usize::from(side == Side::Server)
}

/// Field sections held while blocked, per connection.
const MAX_BLOCKED: usize = 64;

/// RFC 9000 §2.1: bit 1 of a stream ID marks a unidirectional stream.
fn unidirectional(id: u64) -> bool {
    id & 0x2 != 0
}

impl H3Decoder {
    /// A STREAM frame from `from`, in capture frame `frame`.
    pub fn stream(&mut self, frame: u64, from: Side, id: u64, offset: u64, fin: bool, data: &[u8]) {
        self.seen = true;
        let st = self.streams.entry((id, from)).or_insert_with(|| Stream {
            bytes: Reassembly::default(),
            role: if unidirectional(id) {
                Role::Preamble(Vec::new())
            } else {
                Role::Message
            },
            frames: FrameReader::default(),
            failed: false,
        });
        if st.failed {
            return;
        }
        // The usual frame, in order with no gap before it: read where it
        // lies.
        if let Some(run) = st.bytes.in_order(offset, data) {
            if !run.is_empty() {
                self.bytes(frame, from, id, run);
            }
            return self.fin(frame, from, id, fin);
        }
        let mut ordered = Vec::new();
        if let Err(max) = st
            .bytes
            .insert(offset, data, &mut |b| ordered.extend_from_slice(b))
        {
            st.failed = true;
            return self.problem(frame, from, id, H3Error::Held(max));
        }
        if !ordered.is_empty() {
            self.bytes(frame, from, id, &ordered);
        }
        self.fin(frame, from, id, fin);
    }

    /// A STREAM frame's FIN bit: a request or response ends.
    fn fin(&mut self, frame: u64, from: Side, id: u64, fin: bool) {
        if fin && !unidirectional(id) {
            let x = self.exchange(id);
            // A retransmitted FIN (RFC 9000 §13.3) is not a later end.
            match from {
                Side::Client => x.request_end.get_or_insert(frame),
                Side::Server => x.response_end.get_or_insert(frame),
            };
        }
    }

    fn problem(&mut self, frame: u64, by: Side, stream: u64, error: H3Error) {
        if self.report.problems.len() < MAX_H3_PROBLEMS {
            self.report.problems.push(H3Problem {
                frame,
                by,
                stream,
                error,
            });
        }
    }

    /// The exchange of request stream `id` (a scratch one past the cap).
    fn exchange(&mut self, id: u64) -> &mut H3Exchange {
        let xs = &mut self.report.exchanges;
        match xs.iter().position(|x| x.stream == id) {
            Some(i) => &mut xs[i],
            None if xs.len() < MAX_EXCHANGES => {
                xs.push(H3Exchange {
                    stream: id,
                    ..H3Exchange::default()
                });
                xs.last_mut().expect("just pushed")
            }
            // Past the cap: a scratch exchange, never reported.
            None => &mut self.overflow,
        }
    }

    /// Bytes of stream `id` now in order.
    fn bytes(&mut self, frame: u64, from: Side, id: u64, mut b: &[u8]) {
        let Some(st) = self.streams.get_mut(&(id, from)) else {
            return;
        };
        // A unidirectional stream's type, then a push stream's Push ID.
        if let Role::Preamble(pre) | Role::PushId(pre) = &mut st.role {
            let had = pre.len();
            pre.extend_from_slice(&b[..b.len().min(8)]);
            // A varint is at most 8 bytes: when these do not complete it,
            // `b` had fewer and is all taken.
            let Some((v, n)) = varint(pre) else {
                return;
            };
            b = &b[n - had..];
            if matches!(st.role, Role::PushId(_)) {
                st.role = Role::Frames;
            } else {
                let kind = StreamType::from_value(v);
                st.role = match kind {
                    StreamType::Control => Role::Frames,
                    StreamType::Push => Role::PushId(Vec::new()),
                    StreamType::QpackEncoder => Role::Encoder,
                    _ => Role::Ignored,
                };
                self.report.uni_streams.push(UniStreamSeen {
                    by: from,
                    frame,
                    id,
                    kind,
                });
            }
            return self.bytes(frame, from, id, b);
        }
        match st.role {
            Role::Encoder => {
                self.report.qpack_encoder_bytes[at(from)] += b.len() as u64;
                if let Err(e) = self.tables[at(from)].encoder_bytes(b) {
                    st.failed = true;
                    return self.problem(frame, from, id, H3Error::Qpack(e));
                }
                return self.unblock(from);
            }
            Role::Ignored | Role::Preamble(_) | Role::PushId(_) => return,
            Role::Message | Role::Frames => {}
        }
        let mut seen = Vec::new();
        let r = st.frames.feed(b, &mut |f: FrameSeen<'_>| {
            seen.push((f.kind, f.len, f.payload.to_vec()));
        });
        let message = matches!(st.role, Role::Message);
        st.failed = r.is_err();
        if let Err(e) = r {
            self.problem(frame, from, id, e);
        }
        for (kind, len, payload) in seen {
            if self.report.frames.len() < MAX_FRAMES {
                self.report.frames.push(H3FrameSeen {
                    frame,
                    by: from,
                    stream: id,
                    kind,
                    len,
                });
            }
            if message {
                self.message_frame(frame, from, id, kind, len, &payload);
            } else {
                self.control_frame(frame, from, id, kind, &payload);
            }
        }
    }

    /// A frame on a request stream.
    fn message_frame(
        &mut self,
        frame: u64,
        from: Side,
        id: u64,
        kind: u64,
        len: u64,
        payload: &[u8],
    ) {
        match kind {
            ty::DATA => {
                let x = self.exchange(id);
                match from {
                    Side::Client => x.request_body += len,
                    Side::Server => x.response_body += len,
                }
            }
            ty::HEADERS => {
                let fields = qpack::decode_with(payload, Some(&self.tables[at(from)]));
                if matches!(fields, Err(QpackError::Blocked { .. }))
                    && self.blocked.len() < MAX_BLOCKED
                {
                    self.blocked.push((frame, from, id, payload.to_vec()));
                    return;
                }
                self.headers(frame, from, id, fields);
            }
            _ => {}
        }
    }

    /// Sections from `from` that its encoder stream's inserts unblocked.
    fn unblock(&mut self, from: Side) {
        let inserted = self.tables[at(from)].insert_count();
        let mut i = 0;
        while i < self.blocked.len() {
            let (frame, by, id, ref section) = self.blocked[i];
            let fields = qpack::decode_with(section, Some(&self.tables[at(by)]));
            if by != from || inserted == 0 || matches!(fields, Err(QpackError::Blocked { .. })) {
                i += 1;
                continue;
            }
            self.blocked.remove(i);
            self.headers(frame, by, id, fields);
        }
    }

    /// A request's or response's field section, decoded or not.
    fn headers(&mut self, frame: u64, from: Side, id: u64, fields: Result<Vec<Field>, QpackError>) {
        let x = self.exchange(id);
        let mut fields = match fields {
            Ok(f) => f,
            Err(e) => {
                x.undecoded.get_or_insert(e);
                match from {
                    Side::Client => {
                        x.request_frame.get_or_insert(frame);
                    }
                    Side::Server => {
                        x.response_frame.get_or_insert(frame);
                    }
                }
                return;
            }
        };
        // Each name is looked up once: its value is moved out, not cloned.
        let mut get = |name: &str| {
            fields
                .iter_mut()
                .find(|f| f.name == name)
                .map(|f| std::mem::take(&mut f.value))
        };
        match from {
            Side::Client if x.request_frame.is_none() => {
                x.request_frame = Some(frame);
                x.method = get(":method");
                x.authority = get(":authority");
                x.path = get(":path");
            }
            Side::Server if x.status.is_none() => {
                let status = get(":status").and_then(|s| s.parse::<u16>().ok());
                // §4.1: 1xx responses are interim; the final one
                // follows on the same stream.
                if status.is_some_and(|s| s >= 200) || status.is_none() {
                    x.status = status;
                    x.response_frame = Some(frame);
                }
            }
            // Trailers (§4.1): not shown.
            _ => {}
        }
    }

    /// A frame on a control stream.
    fn control_frame(&mut self, frame: u64, from: Side, id: u64, kind: u64, payload: &[u8]) {
        let r = match kind {
            ty::SETTINGS => frame::settings(payload).map(|values| {
                // RFC 9204 §5: the peer's encoder may use up to this
                // capacity (0, the default, when the setting is absent).
                let max = values
                    .iter()
                    .find(|(k, _)| *k == 0x01)
                    .map_or(0, |(_, v)| *v);
                let peer = match from {
                    Side::Client => Side::Server,
                    Side::Server => Side::Client,
                };
                self.tables[at(peer)].set_max_capacity(max);
                self.report.settings.push(SettingsSeen {
                    by: from,
                    frame,
                    values,
                })
            }),
            ty::GOAWAY => frame::single_varint(payload, "GOAWAY").map(|gid| {
                self.report.goaway.push(GoawaySeen {
                    by: from,
                    frame,
                    id: gid,
                })
            }),
            _ => Ok(()),
        };
        if let Err(e) = r {
            self.problem(frame, from, id, e);
        }
    }

    /// The report, if any stream carried data.
    pub fn finish(&mut self) -> Option<H3Report> {
        // Sections still blocked: their inserts never came.
        for (frame, by, id, section) in std::mem::take(&mut self.blocked) {
            let fields = qpack::decode_with(&section, Some(&self.tables[at(by)]));
            self.headers(frame, by, id, fields);
        }
        self.seen.then(|| std::mem::take(&mut self.report))
    }
}
