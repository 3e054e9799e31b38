//! The run's one-line verdict, shared by the text report and the JSON
//! document so that the two can never disagree: what was discovered, each
//! fact read from the packets except Alt-Svc, which is the client's word
//! (it travels inside TLS; [`super::expect`] reads it the same way).

use serde::Serialize;

use super::run::DiscoverRun;

/// What the run discovered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// A DNS answer in the capture carried an HTTPS record (ServiceMode).
    pub https_record: bool,
    /// The client received an Alt-Svc naming `h3`.
    pub alt_svc_h3: bool,
    /// What the first QUIC connection showed.
    pub quic: QuicVerdict,
}

/// The first QUIC connection, as the verdict sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuicVerdict {
    /// ALPN `h3` and an HTTP/3 response.
    H3Used,
    /// A QUIC connection, but no HTTP/3 response in it.
    NoH3Response,
    /// No QUIC connection from a client that speaks HTTP/3.
    Missing,
    /// No QUIC connection, and none was to be made (curl, dig).
    NotTried,
}

impl Verdict {
    /// The verdict of `r`.
    pub fn of(r: &DiscoverRun) -> Verdict {
        let t = &r.timeline;
        let quic = match t.quic.first() {
            Some(q)
                if q.alpn.as_deref() == Some("h3")
                    && q.http3
                        .as_ref()
                        .is_some_and(|h| h.exchanges.iter().any(|e| e.status.is_some())) =>
            {
                QuicVerdict::H3Used
            }
            Some(_) => QuicVerdict::NoH3Response,
            None if r.options.client.speaks_h3() => QuicVerdict::Missing,
            None => QuicVerdict::NotTried,
        };
        Verdict {
            https_record: t.dns.iter().any(|m| m.https().is_some()),
            alt_svc_h3: r
                .client
                .tcp
                .as_ref()
                .and_then(|f| f.alt_svc.as_deref())
                .is_some_and(|v| v.contains("h3=")),
            quic,
        }
    }

    /// The line after `VERDICT`, in the words `--expect` uses.
    pub fn words(&self) -> String {
        let mut parts = Vec::new();
        if self.https_record {
            parts.push("HTTPS record answered");
        }
        if self.alt_svc_h3 {
            parts.push("Alt-Svc h3 seen");
        }
        match self.quic {
            QuicVerdict::H3Used => parts.push("HTTP/3 used"),
            QuicVerdict::NoH3Response => parts.push("QUIC without an HTTP/3 response"),
            QuicVerdict::Missing => parts.push("no QUIC connection"),
            QuicVerdict::NotTried => {}
        }
        if parts.is_empty() {
            "nothing discovered".into()
        } else {
            parts.join(", ")
        }
    }
}
