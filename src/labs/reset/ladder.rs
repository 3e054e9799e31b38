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
use std::path::Path;

use crate::capture::{self, Timestamp};
use crate::report::ConnectionReport;
use crate::wire::{self, DecodeOptions, Decoded, Endpoint, SeqNum, TcpFlags};

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
    /// The first line of HTTP in the payload, when it starts one.
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

/// Reads the capture again and sorts its TCP packets into one
/// [`Conversation`] per reported connection. Sequence numbers are made
/// relative to each side's first sequence number (its SYN, or one before its
/// first segment when the SYN was not captured).
///
/// # Errors
///
/// When the capture cannot be read.
pub fn conversations(
    path: &Path,
    connections: &[ConnectionReport],
) -> Result<Vec<Conversation>, capture::Error> {
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
    let mut source = capture::open_file(path)?;
    while let Some(frame) = source.next_frame()? {
        let Decoded::Tcp(seg) = wire::decode(&frame, &DecodeOptions::default()) else {
            continue;
        };
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
        let t0 = *first_ts[i].get_or_insert(frame.ts);
        let c = &connections[i].teardown.frames;
        let deciding =
            [c.client_fin, c.server_fin, c.client_rst, c.server_rst].contains(&Some(frame.number));
        out[i].rungs.push(Rung {
            frame: frame.number,
            ts: frame.ts,
            ms: (frame.ts.0 - t0.0) as f64 / 1e6,
            from_client,
            flags: seg.flags,
            seq: seg.seq.0.wrapping_sub(own.0),
            ack,
            len: seg.payload_len,
            http: http_line(seg.payload),
            deciding,
        });
    }
    Ok(out)
}

/// The first line of an HTTP request or status line at the start of a
/// payload, if the payload starts one.
fn http_line(payload: &[u8]) -> Option<String> {
    const STARTS: [&[u8]; 9] = [
        b"HTTP/",
        b"GET ",
        b"POST ",
        b"PUT ",
        b"HEAD ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
    ];
    if !STARTS.iter().any(|s| payload.starts_with(s)) {
        return None;
    }
    let end = payload
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(payload.len());
    let line = &payload[..end];
    line.iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ')
        .then(|| String::from_utf8_lossy(line).into_owned())
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
