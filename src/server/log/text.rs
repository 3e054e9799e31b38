//! The text form of a record: one logfmt line.

use super::h2::settings_text;
use super::{Event, Record};
use crate::http::BodyFraming;

impl Record {
    /// The record as one logfmt line (without newline).
    pub fn to_text(&self) -> String {
        let mut s = format!("t={:.6}", self.t);
        if let Some(c) = self.conn {
            s += &format!(" conn={c}");
        }
        let kv = match &self.event {
            Event::Listening {
                addr,
                mode,
                framing,
            } => format!("event=listening addr={addr} mode={mode} framing={framing}"),
            Event::Accepted { peer } => format!("event=accepted peer={peer}"),
            Event::Refused { peer } => format!("event=refused peer={peer} reason=max-conns"),
            Event::Read { bytes, total } => format!("event=read bytes={bytes} total={total}"),
            Event::Request {
                seq,
                method,
                target,
                version,
                body,
                persistent,
            } => format!(
                "event=request seq={seq} method={method} target={} version={version} body={} persistent={persistent}",
                quote(target),
                match body {
                    BodyFraming::None => "none".to_string(),
                    BodyFraming::Length(n) => format!("length:{n}"),
                    BodyFraming::Chunked => "chunked".to_string(),
                }
            ),
            Event::Rejected { status, reason } => {
                format!("event=rejected status={status} reason={}", quote(reason))
            }
            Event::Continue => "event=continue status=100".to_string(),
            Event::Response {
                status,
                framing,
                body_bytes,
                bytes,
                keep_alive,
            } => format!(
                "event=response status={status} framing={framing} body_bytes={body_bytes} bytes={bytes} keep_alive={keep_alive}"
            ),
            Event::HalfClosed { cause } => format!("event=half-closed sent=FIN cause={cause}"),
            Event::Drained { bytes } => format!("event=drained bytes={bytes}"),
            Event::Timeout { timer } => format!("event=timeout timer={timer}"),
            Event::Closed { end, cause, unread } => {
                format!("event=closed end=\"{end}\" cause={cause} unread={unread}")
            }
            Event::AcceptError { error } => format!("event=accept-error error={}", quote(error)),
            Event::Preface { start } => format!("event=preface start={start}"),
            Event::Upgrade {
                seq,
                settings,
                body_bytes,
            } => format!(
                "event=upgrade to=h2c seq={seq} http2_settings={} body_bytes={body_bytes}",
                settings_text(settings)
            ),
            Event::Settings { dir, ack, params } => format!(
                "event=settings dir={dir} ack={ack} params={}",
                settings_text(params)
            ),
            Event::Stream {
                id,
                state,
                method,
                target,
                request_bytes,
                status,
                body_bytes,
            } => {
                let mut s = format!("event=stream id={id} state={state}");
                if let Some(m) = method {
                    s += &format!(" method={}", quote(m));
                }
                if let Some(t) = target {
                    s += &format!(" target={}", quote(t));
                }
                if let Some(n) = request_bytes {
                    s += &format!(" request_bytes={n}");
                }
                if let Some(st) = status {
                    s += &format!(" status={st}");
                }
                if let Some(n) = body_bytes {
                    s += &format!(" body_bytes={n}");
                }
                s
            }
            Event::GoAway {
                dir,
                last_stream,
                code,
                reason,
            } => format!(
                "event=goaway dir={dir} last_stream={last_stream} code={code}{}",
                reason_text(*reason)
            ),
            Event::RstStream {
                dir,
                stream,
                code,
                reason,
            } => format!(
                "event=rst-stream dir={dir} stream={stream} code={code}{}",
                reason_text(*reason)
            ),
            Event::ListeningTls {
                addr,
                mode,
                framing,
                alpn,
                versions,
            } => format!(
                "event=listening-tls addr={addr} mode={mode} framing={framing} alpn={} versions={versions}",
                list(alpn.iter().map(ToString::to_string))
            ),
            Event::ClientHello { sni, alpn } => {
                let sni = sni.as_deref().map_or("-".to_string(), quote);
                format!(
                    "event=client-hello sni={sni} alpn={}",
                    list(alpn.iter().map(|a| quote(a)))
                )
            }
            Event::TlsEstablished {
                version,
                suite,
                alpn,
            } => format!(
                "event=tls-established version={version} suite={suite} alpn={}",
                alpn.map_or("none".to_string(), |a| a.to_string())
            ),
            Event::TlsFailed { reason } => format!("event=tls-failed reason={}", quote(reason)),
            Event::CloseNotify { dir, answering } => match answering {
                Some(peer) => format!("event=close-notify dir={dir} answering={peer}"),
                None => format!("event=close-notify dir={dir}"),
            },
            Event::Truncation { dir } => {
                format!("event=truncation dir={dir} detail=\"FIN without close_notify\"")
            }
            Event::Stopped => "event=stopped".to_string(),
            Event::Quic(q) => super::quic::text(q),
        };
        s.push(' ');
        s + &kv
    }
}

/// Quotes a value when it holds spaces, quotes or is empty (logfmt).
pub(super) fn quote(v: &str) -> String {
    if v.is_empty() || v.contains([' ', '"', '=']) {
        format!("{v:?}")
    } else {
        v.to_string()
    }
}

/// `a,b,c`, or `-` for none.
fn list(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(",")
    }
}

fn reason_text(reason: Option<&str>) -> String {
    reason.map_or(String::new(), |r| format!(" reason={}", quote(r)))
}
