//! What a conversation showed: the report types (exchanges and how each
//! ended, HTTP/2 frames, where decoding stopped) and how they are read
//! from the decoders once both directions ended.

use crate::proto::h2::{ErrorCode, FrameType};

use super::super::Direction;
use super::super::detect::Protocol;
use super::super::h2::{self as app_h2, H2Decoder};
use super::super::http1::{self, End, Outcome};
use super::super::negotiation::{self, Negotiation};
use super::super::tls::TlsReport;
use super::{BOTH, Conversation, State};

/// How one exchange (a request and its response) ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeOutcome {
    /// Both messages complete.
    Complete,
    /// A RST from this side ended the connection inside the exchange.
    CutByRst(Direction),
    /// This side's FIN ended its message early.
    CutByFin(Direction),
    /// The capture ended inside the exchange.
    CutByCaptureEnd,
    /// The request was complete and the server's direction ended without a
    /// response.
    NeverAnswered,
    /// HTTP/2: the stream was reset (RST_STREAM, RFC 9113 §6.4).
    StreamReset(Direction, ErrorCode),
    /// Decoding stopped inside it (a gap, unreadable bytes).
    Undecoded,
    /// The bytes ran out without an end (the connection is still open).
    InProgress,
}

impl ExchangeOutcome {
    /// The stable name (JSON `outcome`).
    pub fn name(self) -> &'static str {
        use Direction::{ClientToServer as C, ServerToClient as S};
        match self {
            ExchangeOutcome::Complete => "complete",
            ExchangeOutcome::CutByRst(C) => "cut_by_client_rst",
            ExchangeOutcome::CutByRst(S) => "cut_by_server_rst",
            ExchangeOutcome::CutByFin(C) => "cut_by_client_fin",
            ExchangeOutcome::CutByFin(S) => "cut_by_server_fin",
            ExchangeOutcome::CutByCaptureEnd => "cut_by_capture_end",
            ExchangeOutcome::NeverAnswered => "never_answered",
            ExchangeOutcome::StreamReset(C, _) => "stream_reset_by_client",
            ExchangeOutcome::StreamReset(S, _) => "stream_reset_by_server",
            ExchangeOutcome::Undecoded => "undecoded",
            ExchangeOutcome::InProgress => "in_progress",
        }
    }
}

/// Body bytes of one message: seen, and announced when the head said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyCount {
    /// Bytes seen (HTTP/2: DATA payload).
    pub seen: u64,
    /// Bytes announced (Content-Length), when known.
    pub expected: Option<u64>,
}

/// One exchange, HTTP/1 or an HTTP/2 stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeReport {
    /// HTTP/2 stream id; `None` for HTTP/1.
    pub stream: Option<u32>,
    /// Request method (held in place when short: [`super::super::Text`]).
    pub method: Option<super::super::Text>,
    /// Request target (`:path`).
    pub target: Option<super::super::Text>,
    /// Final status.
    pub status: Option<u16>,
    /// Where it ended up.
    pub outcome: ExchangeOutcome,
    /// The request's body.
    pub request_body: Option<BodyCount>,
    /// The response's body.
    pub response_body: Option<BodyCount>,
    /// Server-direction stream offsets of the response: its first byte, and
    /// one past its last once it ended.
    pub response_range: Option<(u64, Option<u64>)>,
    /// Client-direction stream offsets of the request, as above.
    pub request_range: Option<(u64, Option<u64>)>,
    /// HTTP/2: server-direction offset just past the frame that completed
    /// the response.
    pub h2_response_end: Option<u64>,
    /// HTTP/1: the response's body runs to the close (RFC 9112 §6.3 rule 8).
    pub until_close: bool,
    /// The response's `Alt-Svc` (RFC 7838 §3), as sent: where else the
    /// origin is served, e.g. `h3=":8443"; ma=86400` for HTTP/3.
    pub alt_svc: Option<String>,
}

impl ExchangeReport {
    /// `None` without a response; else where it ended, if it did.
    pub fn response_end(&self) -> Option<Option<u64>> {
        match (self.stream, self.response_range) {
            (None, r) => r.map(|(_, end)| end),
            (Some(_), _) => self.status.map(|_| self.h2_response_end),
        }
    }
}

/// What the HTTP/2 frames showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http2Report {
    /// Frames per type, client then server.
    pub frames: [Vec<(FrameType, u64)>; 2],
    /// GOAWAY frames in order.
    pub goaways: Vec<app_h2::GoAway>,
    /// Frames that broke a rule of RFC 9113.
    pub protocol_errors: u64,
    /// How each side opened it, client then server.
    pub openings: [app_h2::Opening; 2],
}

/// Where and why decoding stopped in one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The direction.
    pub sender: Direction,
    /// Stream offset.
    pub offset: u64,
    /// Why.
    pub reason: String,
}

/// What a conversation showed, at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationReport {
    /// The protocol.
    pub protocol: Protocol,
    /// Exchanges in order (HTTP/1 by request, HTTP/2 by stream id).
    pub exchanges: Vec<ExchangeReport>,
    /// HTTP/2 details, when it was HTTP/2.
    pub http2: Option<Http2Report>,
    /// The first place decoding stopped, if it did.
    pub decode_error: Option<DecodeError>,
    /// How the protocol was chosen, when the client tried HTTP/2.
    pub negotiation: Option<Negotiation>,
    /// TLS details, when it was TLS.
    pub tls: Option<TlsReport>,
}

impl Conversation {
    /// What the conversation showed. Call after both directions ended.
    pub fn report(&self) -> Option<ConversationReport> {
        let protocol = self.protocol()?;
        let count = self.http1.as_deref().map_or(0, |h| h.exchanges().len())
            + self.h2.as_deref().map_or(0, |h| h.streams().len());
        let mut exchanges = Vec::with_capacity(count);
        let mut decode_error = None;
        if let Some(h1) = self.http1.as_deref() {
            let switched = h1
                .switch()
                .filter(|_| self.h2.is_some())
                .map(|s| s.exchange);
            for (n, e) in h1.exchanges().iter().enumerate() {
                if Some(n) != switched {
                    exchanges.push(self.http1_exchange(e));
                }
            }
            for d in BOTH {
                if let (None, Some(s)) = (&decode_error, h1.stopped(d)) {
                    decode_error = Some(DecodeError {
                        sender: d,
                        offset: s.offset,
                        reason: s.reason.clone(),
                    });
                }
            }
        }
        let http2 = self.h2.as_deref().map(|h2| {
            for s in h2.streams().values() {
                exchanges.push(self.h2_exchange(h2, s));
            }
            for d in BOTH {
                if let (None, Some(s)) = (&decode_error, h2.stopped(d)) {
                    decode_error = Some(DecodeError {
                        sender: d,
                        offset: s.offset,
                        reason: s.reason.clone(),
                    });
                }
            }
            let (errors, more) = h2.protocol_errors();
            Http2Report {
                frames: BOTH.map(|d| h2.frame_counts(d).iter().map(|(k, n)| (*k, *n)).collect()),
                goaways: h2.goaways().to_vec(),
                protocol_errors: errors.len() as u64 + more,
                openings: BOTH.map(|d| h2.opening(d).clone()),
            }
        });
        let negotiation = negotiation::read(
            self.prior_knowledge,
            self.state == State::Refused,
            self.http1.as_deref(),
            self.h2.as_deref(),
        );
        let tls = self.tls.as_deref().map(|conn| {
            let tls = &conn.decoder;
            for d in BOTH {
                if let (None, Some(s)) = (&decode_error, tls.stopped(d)) {
                    decode_error = Some(DecodeError {
                        sender: d,
                        offset: s.offset,
                        reason: s.reason.clone(),
                    });
                }
            }
            let mut report = tls.report();
            if let Some(keys) = &conn.keys {
                report.with_keys(keys);
            }
            report
        });
        let (tls, exchanges, http2, decode_error) = match (tls, self.tls.as_deref()) {
            (Some(mut report), Some(conn)) => match conn.inside.report() {
                // Decrypted: the exchanges are those inside.
                Some((inner, r)) => {
                    report.inner = Some(inner);
                    let error = decode_error.or(r.decode_error);
                    (Some(report), r.exchanges, r.http2, error)
                }
                None => (Some(report), exchanges, http2, decode_error),
            },
            (tls, _) => (tls, exchanges, http2, decode_error),
        };
        Some(ConversationReport {
            protocol,
            exchanges,
            http2,
            decode_error,
            negotiation,
            tls,
        })
    }

    fn http1_exchange(&self, e: &http1::Exchange) -> ExchangeReport {
        let outcome = match e.outcome() {
            Outcome::Complete => ExchangeOutcome::Complete,
            Outcome::Cut { by: End::Rst, .. } => self.rst_outcome(),
            Outcome::Cut {
                sender,
                by: End::Fin,
            } => ExchangeOutcome::CutByFin(sender),
            Outcome::Cut {
                by: End::CaptureEnd,
                ..
            } => ExchangeOutcome::CutByCaptureEnd,
            // The server's direction ended without a response: by a RST, say whose.
            Outcome::NeverAnswered if self.ended[1] == Some(End::Rst) => self.rst_outcome(),
            Outcome::NeverAnswered => ExchangeOutcome::NeverAnswered,
            Outcome::Undecoded => ExchangeOutcome::Undecoded,
            Outcome::InProgress => ExchangeOutcome::InProgress,
        };
        let body = |m: &http1::Message| BodyCount {
            seen: m.body_bytes,
            expected: m.expected_body(),
        };
        ExchangeReport {
            stream: None,
            method: e.request.as_ref().map(|r| r.method.as_str().into()),
            target: e.request.as_ref().map(|r| r.target.as_str().into()),
            status: e.response.as_ref().map(|r| r.status),
            outcome,
            request_body: e.request.as_ref().map(|r| body(&r.message)),
            response_body: e.response.as_ref().map(|r| body(&r.message)),
            response_range: e.response_range(),
            request_range: e.request.as_ref().map(|r| (r.message.start, r.message.end)),
            h2_response_end: None,
            until_close: e
                .response
                .as_ref()
                .is_some_and(|r| r.message.framing == http1::Framing::UntilClose),
            alt_svc: e
                .response
                .as_ref()
                .and_then(|r| r.message.fields.alt_svc())
                .map(str::to_owned),
        }
    }

    fn rst_outcome(&self) -> ExchangeOutcome {
        ExchangeOutcome::CutByRst(self.rst_by.unwrap_or(Direction::ServerToClient))
    }

    fn h2_exchange(&self, h2: &H2Decoder, s: &app_h2::Stream) -> ExchangeReport {
        let outcome = if let Some((by, code)) = s.reset {
            ExchangeOutcome::StreamReset(by, code)
        } else if s.request_complete && s.response_complete {
            ExchangeOutcome::Complete
        } else if h2.stopped(Direction::ClientToServer).is_some()
            || h2.stopped(Direction::ServerToClient).is_some()
        {
            ExchangeOutcome::Undecoded
        } else if self.rst_by.is_some() {
            self.rst_outcome()
        } else if self.ended[1] == Some(End::Fin) && s.status.is_none() && s.request_complete {
            ExchangeOutcome::NeverAnswered
        } else if self.ended[1] == Some(End::Fin) && !s.response_complete {
            ExchangeOutcome::CutByFin(Direction::ServerToClient)
        } else if self.ended[0] == Some(End::Fin) && !s.request_complete {
            ExchangeOutcome::CutByFin(Direction::ClientToServer)
        } else if self.ended.contains(&Some(End::CaptureEnd)) {
            ExchangeOutcome::CutByCaptureEnd
        } else {
            ExchangeOutcome::InProgress
        };
        ExchangeReport {
            stream: Some(s.id),
            method: s.method.as_deref().map(Into::into),
            target: s.target.as_deref().map(Into::into),
            status: s.status,
            outcome,
            request_body: Some(BodyCount {
                seen: s.data_bytes[0],
                expected: None,
            }),
            response_body: s.status.map(|_| BodyCount {
                seen: s.data_bytes[1],
                expected: None,
            }),
            response_range: None,
            request_range: None,
            h2_response_end: s.response_end_offset,
            until_close: false,
            alt_svc: s.alt_svc.as_deref().map(str::to_owned),
        }
    }
}
