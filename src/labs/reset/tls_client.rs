//! The TLS runs' clients: the raw client over rustls and `openssl
//! s_client` (curl over TLS is [`crate::labs::curl`] with `--cacert`), and
//! their witness: what each says of the handshake and of TLS's end.

use std::net::SocketAddr;
use std::time::Duration;

use super::ClientKind;
use super::tls::Files;
use super::witness::{ClientTls, ClientWitness};
use crate::client::h2::{H2Tls, H2TlsSeen};
use crate::client::tls::{TlsEnd, TlsOutcome, TlsRequest};
use crate::client::{self, ReadEnd};
use crate::labs::curl::CurlTlsSeen;
use crate::labs::openssl::{self, OpensslOutcome, OpensslRequest};

/// The name the clients verify: the lab's certificate is for `localhost`,
/// `127.0.0.1` and `::1`; a DNS name also makes them send SNI (RFC 6066 §3).
const SERVER_NAME: &str = "localhost";

/// A TLS client's result before the server's side is known.
pub(super) enum TlsResult {
    Own(TlsOutcome),
    Openssl(OpensslOutcome),
}

/// Runs the raw client over TLS: `request` (one or more HTTP/1.1
/// requests) after the handshake.
pub(super) fn own(
    addr: SocketAddr,
    request: Vec<u8>,
    pause: Option<Duration>,
    offer: &[String],
    ca_pem: &str,
) -> Result<TlsResult, client::ClientError> {
    let req = TlsRequest {
        bytes: request,
        pause,
        timeout: Duration::from_secs(5),
        ca_pem: ca_pem.to_string(),
        alpn: offer.to_vec(),
        server_name: SERVER_NAME.into(),
    };
    Ok(TlsResult::Own(client::tls::run(addr, &req)?))
}

/// The raw HTTP/2 client's TLS settings: trust the run's CA, verify
/// [`SERVER_NAME`].
pub(super) fn h2_settings(ca_pem: &str) -> H2Tls {
    H2Tls {
        ca_pem: ca_pem.to_string(),
        server_name: SERVER_NAME.into(),
    }
}

/// What the raw HTTP/2 client saw of TLS, as the witness holds it.
pub(super) fn h2_tls(seen: &H2TlsSeen) -> ClientTls {
    ClientTls {
        version: seen.version.map(str::to_string),
        alpn: seen.alpn.clone(),
        close_notify_received: seen.end == TlsEnd::CloseNotify,
        close_notify_sent: seen.sent_close_notify,
        noticed_truncation: Some(seen.end == TlsEnd::Truncated),
        failure: match &seen.end {
            TlsEnd::Failed(e) => Some(e.clone()),
            _ => None,
        },
    }
}

/// Runs `openssl s_client` with one GET on its stdin.
pub(super) fn openssl(
    addr: SocketAddr,
    request: Vec<u8>,
    offer: &[String],
    files: &Files,
) -> Result<TlsResult, crate::labs::peer::PeerError> {
    let req = OpensslRequest {
        request,
        ca: files.ca.clone(),
        alpn: offer.to_vec(),
        server_name: SERVER_NAME.into(),
        timeout_secs: 5,
    };
    Ok(TlsResult::Openssl(openssl::run(addr, &req)?))
}

/// curl's TLS words as the witness holds them. curl 7.88 says nothing of a
/// FIN without close_notify (it ignores OpenSSL's unexpected EOF), so
/// whether it noticed a truncation is unknown, not "no".
pub(super) fn curl_tls(seen: &CurlTlsSeen) -> ClientTls {
    ClientTls {
        version: seen.version.clone(),
        alpn: seen.alpn.clone(),
        close_notify_received: seen.close_notify_received,
        close_notify_sent: seen.close_notify_sent,
        noticed_truncation: None,
        failure: None,
    }
}

impl TlsResult {
    pub(super) fn witness(self, body_expected: u64) -> ClientWitness {
        match self {
            TlsResult::Own(o) => own_witness(o, body_expected),
            TlsResult::Openssl(o) => openssl_witness(o, body_expected),
        }
    }
}

fn own_witness(t: TlsOutcome, body_expected: u64) -> ClientWitness {
    let o = &t.outcome;
    let tcp = o.end.to_string();
    let end = match &t.tls_end {
        TlsEnd::CloseNotify if t.sent_close_notify => {
            format!("close_notify received, sent its own; then {tcp}")
        }
        TlsEnd::CloseNotify => format!("close_notify received; then {tcp}"),
        TlsEnd::Truncated => {
            format!("{tcp} without close_notify: truncation")
        }
        TlsEnd::Failed(e) => format!("TLS failed: {e}; then {tcp}"),
        TlsEnd::None if o.end == ReadEnd::Reset => format!("{tcp} before any close_notify"),
        TlsEnd::None => tcp,
    };
    ClientWitness {
        kind: ClientKind::Own,
        status: o.responses.last().map_or(0, |r| r.status),
        body_expected,
        body_received: o.responses.iter().map(|r| r.body_received).sum(),
        end,
        saw_reset: o.reset_seen(),
        curl_exit: None,
        curl_error: None,
        curl_retry: None,
        nghttp_exit: None,
        nghttp_error: None,
        tls: Some(ClientTls {
            version: t.version.map(str::to_string),
            alpn: t.alpn.clone(),
            close_notify_received: t.tls_end == TlsEnd::CloseNotify,
            close_notify_sent: t.sent_close_notify,
            noticed_truncation: Some(t.tls_end == TlsEnd::Truncated),
            failure: match &t.tls_end {
                TlsEnd::Failed(e) => Some(e.clone()),
                _ => None,
            },
        }),
    }
}

fn openssl_witness(o: OpensslOutcome, body_expected: u64) -> ClientWitness {
    let sent = if o.alerts_sent.is_empty() {
        String::new()
    } else {
        format!("; sent a fatal {} alert", o.alerts_sent.join(", "))
    };
    let end = match (&o.alert_received, &o.error) {
        (Some(n), Some(e)) => format!("handshake failed: {e} (alert {n})"),
        _ if o.close_notify_received && o.close_notify_sent => {
            "closed: close_notify received, sent its own".to_string()
        }
        _ if o.close_notify_received && o.saw_reset => {
            "closed: close_notify received, then read:errno=104 (ECONNRESET)".to_string()
        }
        _ if o.close_notify_received => "closed: close_notify received".to_string(),
        _ if o.saw_truncation() => format!("unexpected eof while reading: truncation{sent}"),
        _ if o.saw_reset => "read:errno=104 (ECONNRESET) before any close_notify".to_string(),
        (_, Some(e)) => e.clone(),
        _ if o.exit_code == -1 => "timed out".to_string(),
        _ => format!("exit {}", o.exit_code),
    };
    let tls = ClientTls {
        version: o.version.clone(),
        alpn: o.alpn.clone(),
        close_notify_received: o.close_notify_received,
        close_notify_sent: o.close_notify_sent,
        noticed_truncation: Some(o.saw_truncation()),
        failure: o.alert_received.and(o.error.clone()),
    };
    ClientWitness {
        kind: ClientKind::Openssl,
        status: o.status,
        body_expected,
        body_received: o.body_bytes,
        end,
        saw_reset: o.saw_reset,
        curl_exit: None,
        curl_error: None,
        curl_retry: None,
        nghttp_exit: None,
        nghttp_error: None,
        tls: Some(tls),
    }
}
