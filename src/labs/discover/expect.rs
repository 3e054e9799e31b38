//! `--expect` on the discovery lab: what a CI pipeline holds a run to,
//! each read from the packets (the client's word is a witness, not the
//! judge), except the Alt-Svc header, which travels encrypted inside TLS
//! and is read from what the client received.

use super::run::DiscoverRun;
use super::timeline::close_kind;
use crate::server::H3Close;

/// One expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A QUIC connection chose `h3` (EncryptedExtensions, read with the
    /// key log) and carried an HTTP/3 response.
    H3Used,
    /// The HTTP/3 connection ended this way (RFC 9000 §10).
    QuicClose(H3Close),
    /// The client received an `Alt-Svc` naming an `h3` alternative.
    AltSvcSeen,
    /// A DNS answer in the capture carried an `HTTPS` record listing `h3`.
    HttpsRecord,
}

impl Expect {
    /// Parses the `--expect` word: `h3-used`, `quic-close=graceful`,
    /// `alt-svc-seen`, `https-record`.
    pub fn parse(s: &str) -> Option<Expect> {
        match s {
            "h3-used" => Some(Expect::H3Used),
            "alt-svc-seen" => Some(Expect::AltSvcSeen),
            "https-record" => Some(Expect::HttpsRecord),
            _ => {
                let close = s.strip_prefix("quic-close=")?;
                H3Close::ALL
                    .into_iter()
                    .find(|c| c.as_str() == close)
                    .map(Expect::QuicClose)
            }
        }
    }

    /// The `--expect` word.
    pub fn name(self) -> String {
        match self {
            Expect::H3Used => "h3-used".into(),
            Expect::QuicClose(c) => format!("quic-close={c}"),
            Expect::AltSvcSeen => "alt-svc-seen".into(),
            Expect::HttpsRecord => "https-record".into(),
        }
    }

    /// `None` when `r` matches, else what it showed instead.
    pub fn check(self, r: &DiscoverRun) -> Option<String> {
        let t = &r.timeline;
        match self {
            Expect::H3Used => {
                let used = t.quic.iter().any(|q| {
                    q.alpn.as_deref() == Some("h3")
                        && q.http3
                            .as_ref()
                            .is_some_and(|h| h.exchanges.iter().any(|e| e.status.is_some()))
                });
                (!used).then(|| match t.quic.first() {
                    None => "no QUIC connection in the capture".into(),
                    Some(q) => format!(
                        "no HTTP/3 response on QUIC (ALPN chosen: {})",
                        q.alpn.as_deref().unwrap_or("unknown")
                    ),
                })
            }
            Expect::QuicClose(want) => {
                let Some(q) = t.quic.first() else {
                    return Some("no QUIC connection in the capture".into());
                };
                match close_kind(q) {
                    Some(seen) if seen == want => None,
                    Some(seen) => Some(format!("quic-close={seen}")),
                    None => Some(format!("a QUIC ending of {}", q.ending.name())),
                }
            }
            Expect::AltSvcSeen => {
                let seen = r.client.tcp.as_ref().and_then(|f| f.alt_svc.as_deref());
                match seen {
                    Some(v) if v.contains("h3=") => None,
                    Some(v) => Some(format!("Alt-Svc without h3: {v}")),
                    None => Some(match &r.client.tcp {
                        None => format!(
                            "no TCP fetch ({} goes to QUIC directly)",
                            r.client.kind.as_str()
                        ),
                        Some(_) => "no Alt-Svc header in the response".into(),
                    }),
                }
            }
            Expect::HttpsRecord => {
                let h3 = t.dns.iter().any(|m| {
                    m.https()
                        .is_some_and(|s| s.https_protocols().iter().any(|p| p == b"h3"))
                });
                (!h3).then(|| "no DNS answer with an HTTPS record listing h3".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_parses_back_to_itself() {
        let all = [
            Expect::H3Used,
            Expect::AltSvcSeen,
            Expect::HttpsRecord,
            Expect::QuicClose(H3Close::Graceful),
            Expect::QuicClose(H3Close::Abrupt),
            Expect::QuicClose(H3Close::Idle),
            Expect::QuicClose(H3Close::StatelessReset),
        ];
        for e in all {
            assert_eq!(Expect::parse(&e.name()), Some(e));
        }
        for bad in [
            "",
            "h3",
            "quic-close",
            "quic-close=",
            "quic-close=fin",
            "rst",
        ] {
            assert_eq!(Expect::parse(bad), None, "{bad:?}");
        }
    }
}
