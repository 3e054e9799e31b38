//! The lab's clients, driven from its thread: the raw client (HTTP/1.x,
//! HTTP/2, or over TLS), curl, nghttp and openssl s_client, and each one's
//! result turned into the client witness.

use std::time::Duration;

use super::run::Error;
use super::tls::Files;
use super::tls_client::{self, TlsResult};
use super::witness::ClientWitness;
use super::{ClientKind, Proto, ResetOptions};
use crate::client::{self, Request, Script, Step};
use crate::http::Version;
use crate::labs::curl::{self, CurlAlpn, CurlRequest, CurlTls};
use crate::labs::nghttp::{self, NghttpRequest};

/// The client's result before the server's side is known.
pub(super) enum ClientResult {
    Own(client::Outcome),
    OwnH2(client::h2::H2Outcome),
    Curl(curl::CurlOutcome),
    Nghttp(nghttp::NghttpOutcome),
    Tls(TlsResult),
}

impl ClientResult {
    pub(super) fn witness(self, body_expected: u64) -> ClientWitness {
        match self {
            ClientResult::Own(o) => ClientWitness {
                kind: ClientKind::Own,
                status: o.responses.last().map_or(0, |r| r.status),
                body_expected,
                body_received: o.responses.iter().map(|r| r.body_received).sum(),
                end: match &o.send_failure {
                    Some(f) if f.reset => format!("{} (a send failed: {})", o.end, f.error),
                    _ => o.end.to_string(),
                },
                saw_reset: o.reset_seen(),
                curl_exit: None,
                curl_error: None,
                curl_retry: None,
                nghttp_exit: None,
                nghttp_error: None,
                tls: None,
            },
            ClientResult::OwnH2(o) => ClientWitness {
                kind: ClientKind::Own,
                status: o.status.unwrap_or(0),
                body_expected,
                body_received: o.body_received,
                end: o.summary(),
                saw_reset: o.end == Some(client::ReadEnd::Reset)
                    || o.send_failure.as_ref().is_some_and(|f| f.reset),
                curl_exit: None,
                curl_error: None,
                curl_retry: None,
                nghttp_exit: None,
                nghttp_error: None,
                tls: o.tls.as_ref().map(tls_client::h2_tls),
            },
            ClientResult::Curl(c) => ClientWitness {
                kind: ClientKind::Curl,
                status: c.status,
                body_expected,
                body_received: c.body_bytes,
                end: match c.exit_code {
                    0 => "transfer complete".to_string(),
                    _ => c
                        .error
                        .clone()
                        .unwrap_or_else(|| format!("exit {}", c.exit_code)),
                },
                // A retry says the reused connection died, not how: a FIN
                // (EOF) and a RST both make curl retry.
                saw_reset: c.saw_reset(),
                tls: c.tls.as_ref().map(tls_client::curl_tls),
                curl_exit: Some(c.exit_code),
                curl_error: c.error,
                curl_retry: c.retried,
                nghttp_exit: None,
                nghttp_error: None,
            },
            ClientResult::Nghttp(n) => ClientWitness {
                kind: ClientKind::Nghttp,
                status: n.status,
                body_expected,
                body_received: n.body_bytes,
                // nghttp's exit status is 0 even when nothing was answered:
                // its last line and the GOAWAYs in its trace say more.
                end: match (&n.last_error, n.goaway_received, n.goaway_sent) {
                    (Some(e), _, _) => e.clone(),
                    (None, true, true) => "received GOAWAY, sent its own GOAWAY".into(),
                    (None, true, false) => "received GOAWAY".into(),
                    (None, false, true) => "sent GOAWAY".into(),
                    (None, false, false) => "no error line".into(),
                },
                saw_reset: n.saw_reset(),
                curl_exit: None,
                curl_error: None,
                curl_retry: None,
                nghttp_exit: Some(n.exit_code),
                nghttp_error: n.last_error,
                tls: None,
            },
            ClientResult::Tls(t) => t.witness(body_expected),
        }
    }
}

pub(super) fn drive_client(
    opts: &ResetOptions,
    addr: std::net::SocketAddr,
    files: Option<&Files>,
    ca_pem: &str,
) -> Result<ClientResult, Error> {
    let offer = opts.tls.as_ref().map_or(&[][..], |t| &t.offer[..]);
    match (opts.client, files) {
        (ClientKind::Own, Some(_)) if opts.proto == Proto::H2 => {
            let req = client::h2::H2Request {
                start: client::h2::H2Start::Alpn(tls_client::h2_settings(ca_pem)),
                path: "/".into(),
                body: opts.request_body,
                timeout: Duration::from_secs(5),
            };
            Ok(ClientResult::OwnH2(client::h2::run(addr, &req)?))
        }
        (ClientKind::Own, Some(_)) => Ok(ClientResult::Tls(tls_client::own(
            addr,
            own_request(opts),
            opts.client_pause,
            offer,
            ca_pem,
        )?)),
        (ClientKind::Openssl, Some(f)) => Ok(ClientResult::Tls(tls_client::openssl(
            addr,
            client::Request::get("/").to_bytes(),
            offer,
            f,
        )?)),
        (ClientKind::Openssl, None) => Err(super::Conflict::OpensslNeedsTls.into()),
        _ => drive_plain(opts, addr, files, offer),
    }
}

/// The raw client's request bytes: one request, or a pipeline of them.
fn own_request(opts: &ResetOptions) -> Vec<u8> {
    let request = |path: &str| {
        if opts.request_body > 0 {
            Request::post(path, opts.request_body)
        } else {
            Request::get(path)
        }
        .version(opts.http_version)
        .to_bytes()
    };
    if opts.pipeline == 1 {
        return request("/");
    }
    (0..opts.pipeline)
        .flat_map(|i| request(&format!("/{}", i + 1)))
        .collect()
}

fn drive_plain(
    opts: &ResetOptions,
    addr: std::net::SocketAddr,
    files: Option<&Files>,
    offer: &[String],
) -> Result<ClientResult, Error> {
    match opts.client {
        ClientKind::Own if opts.proto != Proto::H1 => {
            let req = client::h2::H2Request {
                start: match opts.proto {
                    Proto::H2cUpgrade => client::h2::H2Start::Upgrade,
                    _ => client::h2::H2Start::PriorKnowledge,
                },
                path: "/".into(),
                body: opts.request_body,
                timeout: Duration::from_secs(5),
            };
            Ok(ClientResult::OwnH2(client::h2::run(addr, &req)?))
        }
        ClientKind::Curl => {
            let req = CurlRequest {
                paths: if opts.keepalive_race {
                    vec!["/first".into(), "/second".into()]
                } else {
                    vec!["/".into()]
                },
                body: (opts.request_body > 0).then_some(opts.request_body),
                pause: opts.client_pause,
                http10: opts.http_version == Version::Http10,
                http2: opts.proto.h2(),
                max_time_secs: 5,
                tls: files.map(|f| CurlTls {
                    ca: f.ca.clone(),
                    // validate() admits only the offers curl can make.
                    alpn: CurlAlpn::of(offer).unwrap_or(CurlAlpn::Http11),
                }),
            };
            Ok(ClientResult::Curl(curl::run(addr, &req)?))
        }
        ClientKind::Nghttp => {
            // validate() admits nghttp with an HTTP/2 protocol only.
            let way = opts
                .proto
                .h2()
                .unwrap_or(crate::labs::H2Way::PriorKnowledge);
            let req = NghttpRequest {
                way,
                path: "/".into(),
                timeout_secs: 5,
            };
            Ok(ClientResult::Nghttp(nghttp::run(addr, &req)?))
        }
        ClientKind::Own | ClientKind::Openssl => {
            let request = |path: &str| {
                if opts.request_body > 0 {
                    Request::post(path, opts.request_body)
                } else {
                    Request::get(path)
                }
                .version(opts.http_version)
                .to_bytes()
            };
            let mut script = Script::send(own_request(opts));
            script.timeout = Duration::from_secs(5);
            if let Some(pause) = opts.client_pause {
                script = script.then(Step::Sleep(pause));
            }
            if opts.keepalive_race {
                script = script
                    .then(Step::AwaitResponses(1))
                    .then(Step::Send(request("/second")));
            }
            if opts.late_bytes > 0 {
                script = script
                    .then(Step::AwaitResponses(1))
                    .then(Step::Send(client::junk(opts.late_bytes)));
            }
            Ok(ClientResult::Own(client::run(addr, &script)?))
        }
    }
}
