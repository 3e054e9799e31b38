//! A connection's bytes once it is known to speak HTTP: fed to the HTTP/1
//! decoder, handed over to HTTP/2 after a `101` to `Upgrade: h2c` (RFC 7540
//! §3.2) or from the start with prior knowledge, a preface the server
//! answered in HTTP/1.x, and the labels of the HTTP/1 heads for a ladder.

use super::super::Direction;
use super::super::h2::H2Decoder;
use super::super::http1::Http1Decoder;
use super::{Conversation, Label, State, index};

impl Conversation {
    /// The server's first bytes after a preface read as HTTP/1.x: `HTTP/`
    /// cannot start an HTTP/2 connection, whose server preface is a
    /// SETTINGS frame (RFC 9113 §3.4); as a frame header those bytes would
    /// announce a 4.7 MB frame.
    pub(super) fn refuses(&self, offset: u64, bytes: &[u8]) -> bool {
        let probe = b"HTTP/";
        let n = bytes.len().min(probe.len());
        self.h2_next[1] == Some(offset)
            && self.h2_start() == Some(offset)
            && bytes[..n] == probe[..n]
    }

    /// The preface was refused: the server's direction gets an HTTP/1
    /// decoder from here on (its answer has no request it can pair with:
    /// the preface is not an HTTP/1 request), the client's stays HTTP/2.
    pub(super) fn refused(&mut self, offset: u64, bytes: &[u8], label: &mut impl FnMut(Label)) {
        self.state = State::Refused;
        self.h2_next[1] = None;
        self.http1 = Some(Box::new(Http1Decoder::new(0, offset)));
        self.http1(Direction::ServerToClient, offset, bytes, label);
    }

    pub(super) fn http1(
        &mut self,
        sender: Direction,
        offset: u64,
        bytes: &[u8],
        label: &mut impl FnMut(Label),
    ) {
        let i = index(sender);
        if self.h2_next[i].is_some() {
            return self.feed_h2(sender, offset, bytes, label);
        }
        let Some(h1) = self.http1.as_deref_mut() else {
            return;
        };
        h1.feed(sender, bytes);
        if self.labels {
            self.http1_labels(label);
        }
        self.switch_to_h2(label);
        // Bytes of this piece past the switch point belong to HTTP/2.
        if let Some(next) = self.h2_next[i]
            && next < offset + bytes.len() as u64
        {
            let skip = next.saturating_sub(offset) as usize;
            self.feed_h2(sender, offset + skip as u64, &bytes[skip..], label);
        }
    }

    /// After a `101` to `Upgrade: h2c`: starts the HTTP/2 decoder, and each
    /// direction once its switch point is known.
    pub(super) fn switch_to_h2(&mut self, label: &mut impl FnMut(Label)) {
        let Some(h1) = self.http1.as_deref_mut() else {
            return;
        };
        let Some(sw) = h1.switch().cloned() else {
            return;
        };
        let Some(start) = sw.h2_start() else {
            return;
        };
        if self.h2.is_none() {
            self.h2 = Some(Box::new(H2Decoder::new(
                start,
                sw.client_offset.unwrap_or(0),
                sw.server_offset,
            )));
            self.h2_next[1] = Some(sw.server_offset);
        }
        if self.h2_next[0].is_none()
            && let Some(at) = sw.client_offset
        {
            self.h2_next[0] = Some(at);
            let held = h1.take_held();
            if !held.is_empty() {
                self.feed_h2(Direction::ClientToServer, at, &held, label);
            }
        }
    }

    pub(super) fn feed_h2(
        &mut self,
        sender: Direction,
        offset: u64,
        bytes: &[u8],
        label: &mut impl FnMut(Label),
    ) {
        let i = index(sender);
        let (Some(h2), Some(next)) = (self.h2.as_deref_mut(), self.h2_next[i]) else {
            return;
        };
        // Only bytes from the switch point on, once each.
        let skip = next.saturating_sub(offset);
        if skip >= bytes.len() as u64 {
            return;
        }
        let bytes = &bytes[skip as usize..];
        self.h2_next[i] = Some(offset + skip + bytes.len() as u64);
        h2.feed(sender, bytes, &mut |f| {
            if f.kind.is_some() {
                label(Label {
                    text: f.label,
                    h2: f.kind.map(|k| (k, f.stream)),
                });
            }
        });
    }

    /// Labels for the HTTP/1 heads completed since the last call.
    pub(super) fn http1_labels(&mut self, label: &mut impl FnMut(Label)) {
        let Some(h1) = self.http1.as_deref() else {
            return;
        };
        for (n, e) in h1.exchanges().iter().enumerate() {
            if n == self.labelled.len() {
                self.labelled.push((false, 0, false));
            }
            let done = &mut self.labelled[n];
            if let (false, Some(r)) = (done.0, &e.request) {
                done.0 = true;
                // The request line as sent; the response's below without
                // its reason phrase, which is free text (RFC 9112 §4).
                label(Label {
                    text: format!("{} {} {}", r.method, r.target, version_text(r.version)),
                    h2: None,
                });
            }
            while done.1 < e.interim.len() {
                label(Label {
                    text: format!("HTTP/1.1 {}", e.interim[done.1].0),
                    h2: None,
                });
                done.1 += 1;
            }
            if let (false, Some(r)) = (done.2, &e.response) {
                done.2 = true;
                label(Label {
                    text: format!("{} {}", version_text(r.version), r.status),
                    h2: None,
                });
            }
        }
    }
}

fn version_text(v: crate::http::Version) -> &'static str {
    match v {
        crate::http::Version::Http10 => "HTTP/1.0",
        crate::http::Version::Http11 => "HTTP/1.1",
    }
}
