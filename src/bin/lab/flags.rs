//! The command line's words for library values that point to a setting.
//!
//! The library says what a setting means ("late bytes need the raw
//! client"); only the binary knows which flag sets it (`--late-bytes needs
//! --client own`). Each such value is worded here, once.

use wirelab::labs::reset::{self, Conflict, Http1Scenario};
use wirelab::report::Setting;
use wirelab::server::{self, ConfigError};

/// The flag of a setting a warning points to.
pub fn setting(s: Setting) -> &'static str {
    match s {
        Setting::Filter => "--filter",
        Setting::ReassemblyWindow => "`--reassembly-window BYTES`",
    }
}

/// Options of `lab reset` that cannot go together.
fn conflict(c: Conflict) -> String {
    let text = match c {
        Conflict::LateBytesNeedOwnClient => {
            "--late-bytes needs --client own: curl sends nothing after the response"
        }
        Conflict::PipelineNeedsOwnClient => {
            "--pipeline needs --client own: curl no longer pipelines"
        }
        Conflict::NoRequest => "--pipeline must be at least 1",
        Conflict::RaceNeedsDelimitedBody => {
            "--keepalive-race needs --framing length or chunked: a close-delimited body ends the connection"
        }
        Conflict::RaceNeedsHttp11 => {
            "--keepalive-race needs HTTP/1.1: an HTTP/1.0 request closes after its answer"
        }
        Conflict::RaceWithPipeline => {
            "--keepalive-race and --pipeline are separate scenarios: pick one"
        }
        Conflict::NghttpNeedsHttp2 => {
            "--client nghttp speaks only HTTP/2: use --proto h2c-upgrade or h2-prior"
        }
        Conflict::PriorBodyOverWindow { limit } => {
            return format!(
                "--request-body over {limit} bytes with --proto h2-prior needs --client curl: the \
                 raw client sends its body within the server's initial window"
            );
        }
        Conflict::Http2PauseNeedsCurl => "--client-pause with HTTP/2 needs --client curl",
        Conflict::NothingNegotiated => {
            "lab negotiate shows how HTTP/2 is chosen: use --proto h2c-upgrade or h2-prior"
        }
        Conflict::Http1Only(s) => {
            return format!(
                "{} is an HTTP/1 scenario: use it with --proto h1",
                http1_flag(s)
            );
        }
        Conflict::Http2BodyNeedsCurl => "--request-body with HTTP/2 needs --client curl",
        Conflict::PauseNeedsPausingClient => "--client-pause needs --client curl or own",
        Conflict::OpensslNeedsTls => "--client openssl is a TLS client: add --tls",
        Conflict::TlsRunsHttp1 => {
            "over --tls HTTP/2 is chosen by ALPN: use --proto h2 (h2c-upgrade and h2-prior are cleartext)"
        }
        Conflict::H2NeedsTls => {
            "--proto h2 is HTTP/2 over TLS, chosen by ALPN: add --tls (in cleartext: --proto h2c-upgrade or h2-prior)"
        }
        Conflict::OpensslSpeaksNoH2 => {
            "--client openssl cannot speak HTTP/2 frames: with --proto h2 use --client own or curl"
        }
        Conflict::TlsClient => "with --tls the clients are own, curl and openssl",
        Conflict::OwnTlsOffersH2 => {
            "--client own offers h2 only in `lab reset --tls --proto h2`; here it speaks HTTP/1.1: use --client curl or openssl"
        }
        Conflict::CurlAlpnOffer => {
            "--client curl offers http/1.1 (--http1.1), h2,http/1.1 (--http2) or none (--no-alpn): \
             --offer must be one of those"
        }
        Conflict::TlsScenario(s) => {
            return format!(
                "{} is not staged over TLS with this client: use --client curl, or no --tls",
                http1_flag(s)
            );
        }
        Conflict::ViaCleartextHttp1 => {
            "--via speaks HTTP/1.1 in cleartext on both legs: no --tls, --proto h1"
        }
        Conflict::ViaScenario(s) => {
            return format!(
                "{} is not staged through a proxy: the proxy, not the client, talks to the server",
                http1_flag(s)
            );
        }
        Conflict::OpensslOneGet => {
            "--client openssl sends one GET: --request-body and --pipeline need --client own or curl"
        }
    };
    text.to_string()
}

/// The flag that asks for an HTTP/1-only scenario.
fn http1_flag(s: Http1Scenario) -> &'static str {
    match s {
        Http1Scenario::Http10 => "--http-version 1.0",
        Http1Scenario::KeepaliveRace => "--keepalive-race",
        Http1Scenario::RespondBeforeBody => "--respond-before-body",
        Http1Scenario::LateBytes => "--late-bytes",
        Http1Scenario::Pipeline => "--pipeline",
    }
}

/// A server configuration that cannot work; the library's own words where
/// no flag is involved.
fn config(e: &ConfigError) -> String {
    match e {
        ConfigError::PartialBytes => {
            "--partial-bytes must be at least 1 (0 is what no-read does)".to_string()
        }
        ConfigError::NoAlpn => {
            "--alpn h2 with --http2 off leaves nothing to offer: add http/1.1".to_string()
        }
        ConfigError::Status(_)
        | ConfigError::Zero(_)
        | ConfigError::H3NeedsTls
        | ConfigError::H3NotBuilt => e.to_string(),
    }
}

/// A server error, with flags named where it is about one.
pub fn server_error(e: server::Error) -> anyhow::Error {
    match e {
        server::Error::Config(c) => anyhow::anyhow!("invalid configuration: {}", config(&c)),
        other => other.into(),
    }
}

/// A reset lab error, with flags named where it is about one.
pub fn reset_error(e: reset::Error) -> anyhow::Error {
    match e {
        reset::Error::Options(c) => anyhow::anyhow!(conflict(c)),
        reset::Error::Server(s) => server_error(s),
        other => other.into(),
    }
}
