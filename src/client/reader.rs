//! Framing the response stream as it arrives, and remembering which requests were
//! HEAD (their responses have no body, RFC 9110 §9.3.2).

use super::{ReadEnd, ResponseSummary};
use crate::http::{
    BodyFraming, BodyLength, Check, ChunkedDecoder, Limits, Method, RequestHead, ResponseHead,
    check_request, check_response, is_pattern,
};

/// For each request in `sent`, whether it was HEAD (its response has no body).
/// Stops at the first bytes that are not a request (junk).
pub(super) fn request_is_head(sent: &[u8]) -> Vec<bool> {
    let mut heads = Vec::new();
    let mut rest = sent;
    let limits = Limits::default();
    while let Ok(Check::Complete(len)) = check_request(rest, &limits) {
        let Ok(head) = RequestHead::parse(&rest[..len]) else {
            break;
        };
        heads.push(head.method == Method::Head);
        rest = &rest[len..];
        match head.body {
            BodyFraming::None => {}
            BodyFraming::Length(n) => rest = &rest[(n as usize).min(rest.len())..],
            BodyFraming::Chunked => {
                let mut d = ChunkedDecoder::new(u64::MAX);
                match d.feed(rest, |_| {}) {
                    Ok(feed) => rest = &rest[feed.consumed..],
                    Err(_) => break,
                }
            }
        }
    }
    heads
}

enum BodyState {
    Length(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
}

/// Frames the response stream incrementally.
#[derive(Default)]
pub(super) struct Reader {
    buf: Vec<u8>,
    pub(super) received: u64,
    pub(super) heads: Vec<bool>,
    pub(super) done: Vec<ResponseSummary>,
    current: Option<(ResponseSummary, BodyState)>,
    pub(super) interim: Vec<u16>,
    pub(super) garbage: Option<String>,
}

impl Reader {
    pub(super) fn complete_count(&self) -> usize {
        self.done.len()
    }

    pub(super) fn feed(&mut self, bytes: &[u8]) {
        self.received += bytes.len() as u64;
        if self.garbage.is_some() {
            return;
        }
        self.buf.extend_from_slice(bytes);
        while !self.buf.is_empty() && self.garbage.is_none() {
            if !self.step() {
                break;
            }
        }
    }

    /// One framing step; false when more bytes are needed.
    fn step(&mut self) -> bool {
        let Some((summary, body)) = &mut self.current else {
            return self.start_response();
        };
        let offset = summary.body_received;
        let take = match body {
            BodyState::Length(rem) => (*rem).min(self.buf.len() as u64) as usize,
            BodyState::UntilClose => self.buf.len(),
            BodyState::Chunked(d) => {
                let mut data = Vec::new();
                let feed = match d.feed(&self.buf, |b| data.extend_from_slice(b)) {
                    Ok(f) => f,
                    Err(e) => {
                        self.garbage = Some(format!("bad chunked response body: {e}"));
                        return false;
                    }
                };
                summary.body_is_pattern &= is_pattern(offset, &data);
                summary.body_received += data.len() as u64;
                self.buf.drain(..feed.consumed);
                if feed.done {
                    summary.body_expected = Some(summary.body_received);
                    summary.complete = true;
                    self.finish_current();
                }
                return feed.done;
            }
        };
        summary.body_is_pattern &= is_pattern(offset, &self.buf[..take]);
        summary.body_received += take as u64;
        self.buf.drain(..take);
        if let BodyState::Length(rem) = body {
            *rem -= take as u64;
            if *rem == 0 {
                summary.complete = true;
                self.finish_current();
                return true;
            }
        }
        false
    }

    fn start_response(&mut self) -> bool {
        let limits = Limits::default();
        let len = match check_response(&self.buf, &limits) {
            Ok(Check::Incomplete) => return false,
            Ok(Check::Complete(len)) => len,
            Err(e) => {
                self.garbage = Some(format!("bad response head: {e}"));
                return false;
            }
        };
        let head = match ResponseHead::parse(&self.buf[..len]) {
            Ok(h) => h,
            Err(e) => {
                self.garbage = Some(format!("bad response head: {e}"));
                return false;
            }
        };
        self.buf.drain(..len);
        if (100..200).contains(&head.status) {
            self.interim.push(head.status);
            return true;
        }
        let was_head = self.heads.get(self.done.len()).copied().unwrap_or(false);
        let framing = head.body_framing(was_head);
        let summary = ResponseSummary {
            status: head.status,
            framing,
            body_expected: match framing {
                Some(BodyLength::Length(n)) => Some(n),
                None => Some(0),
                _ => None,
            },
            body_received: 0,
            complete: false,
            body_is_pattern: true,
            fields: head
                .fields
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        String::from_utf8_lossy(&f.value).into_owned(),
                    )
                })
                .collect(),
        };
        let body = match framing {
            None | Some(BodyLength::Length(0)) => {
                self.done.push(ResponseSummary {
                    complete: true,
                    ..summary
                });
                return true;
            }
            Some(BodyLength::Length(n)) => BodyState::Length(n),
            Some(BodyLength::Chunked) => BodyState::Chunked(ChunkedDecoder::new(u64::MAX)),
            Some(BodyLength::UntilClose) => BodyState::UntilClose,
        };
        self.current = Some((summary, body));
        true
    }

    fn finish_current(&mut self) {
        if let Some((summary, _)) = self.current.take() {
            self.done.push(summary);
        }
    }

    /// The connection ended: a close-delimited body is complete only on a clean EOF
    /// (RFC 9112 §6.3 rule 8); a RST leaves it incomplete.
    pub(super) fn finish(mut self, end: &ReadEnd) -> Reader {
        if let Some((mut summary, body)) = self.current.take() {
            if matches!(body, BodyState::UntilClose) && *end == ReadEnd::Eof {
                summary.complete = true;
                summary.body_expected = Some(summary.body_received);
            }
            self.done.push(summary);
        }
        self
    }
}
