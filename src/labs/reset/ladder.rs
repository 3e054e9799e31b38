//! The ladder diagram: one connection's packets as a time-sequence diagram
//! between client and server, for an 80-column terminal.
//!
//! ```text
//!  frame   time ms  client 127.0.0.1:40000           server 127.0.0.1:8080
//!      1     0.000  |---S seq=0 ------------------------------------------>|
//!      2     0.013  |<------------------------------------ S. seq=0 ack=1 ---|
//! >    9     0.402  |<-------------------------------- R. seq=65 ack=80 ---|
//! ```
//!
//! Sequence and acknowledgement numbers are relative to each side's initial
//! sequence number, as Wireshark shows them. Frames that decided the verdict
//! are marked with `>` in the first column.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::capture::Timestamp;
use crate::report::ConnectionReport;
use crate::wire::{Endpoint, SeqNum, TcpFlags, TcpSegment};

/// One packet of the connection, as the diagram needs it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Rung {
    /// Frame number in the capture.
    pub frame: u64,
    /// Capture time.
    #[serde(skip)]
    pub ts: Timestamp,
    /// Milliseconds since the connection's first packet.
    pub ms: f64,
    /// Sent by the client (else by the server).
    pub from_client: bool,
    /// The segment's flags, written tcpdump's way (`S`, `S.`, `P.`, `F.`,
    /// `R.`, `R`) in the diagram and the JSON document.
    #[serde(serialize_with = "flags_as_text")]
    pub flags: TcpFlags,
    /// Relative sequence number.
    pub seq: u32,
    /// Relative acknowledgement number, when the ACK bit is set.
    pub ack: Option<u32>,
    /// Payload length.
    pub len: u32,
    /// What the frame completed, as the analyzer's decoders label it
    /// (`GET /`, `HTTP/1.1 200`, `HEADERS s1 :status 200`), `·`-separated.
    pub http: Option<String>,
    /// This frame decided the verdict.
    pub deciding: bool,
}

impl Rung {
    /// The flags as tcpdump prints them (nothing for none).
    pub fn flag_text(flags: TcpFlags) -> String {
        flags.to_string().replace("none", "")
    }
}

fn flags_as_text<S: serde::Serializer>(flags: &TcpFlags, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&Rung::flag_text(*flags))
}

/// One connection's packets, client and server named.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Conversation {
    /// The analyzer's connection id.
    pub id: u64,
    /// Client address and port.
    pub client: String,
    /// Server address and port.
    pub server: String,
    /// The packets, in capture order.
    pub rungs: Vec<Rung>,
}

/// One TCP segment as the ladder keeps it, taken from the lab's single
/// decoding pass (the payload itself is not kept, only its HTTP start line).
#[derive(Clone, Debug)]
pub struct Segment {
    /// Frame number in the capture.
    pub frame: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// Sender.
    pub src: Endpoint,
    /// Receiver.
    pub dst: Endpoint,
    /// Control bits.
    pub flags: TcpFlags,
    /// Sequence number.
    pub seq: SeqNum,
    /// Acknowledgement number (meaningful only with ACK).
    pub ack: SeqNum,
    /// Payload length as the IP header states it.
    pub len: u32,
}

impl Segment {
    /// Keeps what the ladder needs of a decoded segment.
    pub fn of(frame: u64, ts: Timestamp, seg: &TcpSegment<'_>) -> Self {
        Segment {
            frame,
            ts,
            src: seg.src,
            dst: seg.dst,
            flags: seg.flags,
            seq: seg.seq,
            ack: seg.ack,
            len: seg.payload_len,
        }
    }
}

/// Sorts the segments into one [`Conversation`] per reported connection.
/// Sequence numbers are made relative to each side's first sequence number
/// (its SYN, or one before its first segment when the SYN was not captured).
pub fn conversations(segments: &[Segment], connections: &[ConnectionReport]) -> Vec<Conversation> {
    let mut out: Vec<Conversation> = connections
        .iter()
        .map(|c| Conversation {
            id: c.id,
            client: c.teardown.client.to_string(),
            server: c.teardown.server.to_string(),
            rungs: Vec::new(),
        })
        .collect();
    let index: HashMap<(Endpoint, Endpoint), usize> = connections
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.teardown.client, c.teardown.server), i))
        .collect();
    // Keyed by direction (sender, receiver): a server endpoint is shared by
    // every connection to it.
    let mut base: HashMap<(Endpoint, Endpoint), SeqNum> = HashMap::new();
    let mut first_ts: Vec<Option<Timestamp>> = vec![None; out.len()];
    // What each frame completed, as the analyzer's decoders labelled it
    // (`crate::app`): `GET /`, `HTTP/1.1 200`, `HEADERS s1 :status 200`.
    let labels: Vec<HashMap<u64, String>> = connections
        .iter()
        .map(|c| {
            let ladder = c.app.as_ref().and_then(|a| a.ladder.as_ref());
            ladder
                .into_iter()
                .flatten()
                .map(|step| {
                    let texts: Vec<&str> = step.labels.iter().map(|l| l.text.as_str()).collect();
                    (step.frame, texts.join(" · "))
                })
                .collect()
        })
        .collect();
    for seg in segments {
        let (i, from_client) = match (
            index.get(&(seg.src, seg.dst)),
            index.get(&(seg.dst, seg.src)),
        ) {
            (Some(&i), _) => (i, true),
            (None, Some(&i)) => (i, false),
            (None, None) => continue,
        };
        let own = *base
            .entry((seg.src, seg.dst))
            .or_insert(if seg.flags.syn() {
                seg.seq
            } else {
                seg.seq - 1
            });
        let ack = seg.flags.ack().then(|| {
            base.get(&(seg.dst, seg.src))
                .map_or(seg.ack.0, |b| seg.ack.0.wrapping_sub(b.0))
        });
        let t0 = *first_ts[i].get_or_insert(seg.ts);
        let c = &connections[i].teardown.frames;
        let deciding =
            [c.client_fin, c.server_fin, c.client_rst, c.server_rst].contains(&Some(seg.frame));
        out[i].rungs.push(Rung {
            frame: seg.frame,
            ts: seg.ts,
            ms: (seg.ts.0 - t0.0) as f64 / 1e6,
            from_client,
            flags: seg.flags,
            seq: seg.seq.0.wrapping_sub(own.0),
            ack,
            len: seg.len,
            http: labels[i].get(&seg.frame).cloned(),
            deciding,
        });
    }
    out
}

/// Renders every conversation, one diagram each.
pub fn render_all(convs: &[Conversation]) -> String {
    let mut out = String::new();
    for (n, c) in convs.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        if convs.len() > 1 {
            let _ = writeln!(out, "connection {}:", c.id);
        }
        out.push_str(&render(&c.rungs, &c.client, &c.server));
    }
    out
}

/// The width of the arrow part of a line.
const SPAN: usize = 54;

/// Renders the diagram. Lines stay within 80 columns; an HTTP line longer
/// than the arrow is cut with `…`.
pub fn render(rungs: &[Rung], client: &str, server: &str) -> String {
    let mut out = String::new();
    let head_client = format!("client {client}");
    let head_server = format!("server {server}");
    let room = SPAN.saturating_sub(head_client.chars().count());
    if head_server.chars().count() < room {
        let _ = writeln!(out, " frame   time ms  {head_client}{head_server:>room$}");
    } else {
        // Long (IPv6) endpoints: the server's name goes on a line of its own.
        let _ = writeln!(out, " frame   time ms  {head_client}");
        let _ = writeln!(out, "{:18}{head_server:>SPAN$}", "");
    }
    for r in rungs {
        let mark = if r.deciding { '>' } else { ' ' };
        let mut label = format!("{} seq={}", Rung::flag_text(r.flags), r.seq);
        if let Some(a) = r.ack {
            let _ = write!(label, " ack={a}");
        }
        if r.len > 0 {
            let _ = write!(label, " len={}", r.len);
        }
        let _ = writeln!(
            out,
            "{mark}{:>5}  {:>8.3}  {}",
            r.frame,
            r.ms,
            arrow(&label, r.from_client)
        );
        if let Some(h) = &r.http {
            let text = clip(h, SPAN - 4);
            let _ = writeln!(out, "{:18}|  {text:<w$}|", "", w = SPAN - 4);
        }
    }
    out
}

/// `|---label ------>|` for client to server, `|<------ label ---|` back.
fn arrow(label: &str, to_server: bool) -> String {
    let label = clip(label, SPAN - 10);
    let fill = "-".repeat(SPAN - 7 - label.chars().count());
    if to_server {
        format!("|---{label} {fill}>|")
    } else {
        format!("|<{fill} {label} --|")
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(max - 1).collect();
        c.push('…');
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rung(frame: u64, from_client: bool, flags: TcpFlags, len: u32, deciding: bool) -> Rung {
        Rung {
            frame,
            ts: Timestamp(0),
            ms: frame as f64 * 0.1,
            from_client,
            flags,
            seq: 1,
            ack: Some(1),
            len,
            http: (len > 0).then(|| {
                "GET /a/very/long/path/that/goes/on/and/on/and/on/forever HTTP/1.1".into()
            }),
            deciding,
        }
    }

    #[test]
    fn lines_fit_in_80_columns_and_mark_deciding_frames() {
        let rungs = [
            rung(1, true, TcpFlags::new(true, false, false, false), 0, false),
            rung(4, true, TcpFlags::from_bits(0x18), 78, false),
            rung(9, false, TcpFlags::new(false, true, false, true), 0, true),
        ];
        let text = render(&rungs, "127.0.0.1:40000", "127.0.0.1:8080");
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "too wide: {line:?}");
        }
        let last = text.lines().last().unwrap();
        assert!(last.starts_with('>'), "{text}");
        assert!(
            last.contains("|<") && last.contains("R. seq=1 ack=1"),
            "{text}"
        );
        assert!(text.contains("|---P. seq=1 ack=1 len=78 -"), "{text}");
        assert!(text.contains('…'), "long HTTP line is clipped: {text}");
    }
}
