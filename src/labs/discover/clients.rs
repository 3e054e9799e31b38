//! The lab's clients, each reporting what it saw in the same shape
//! ([`ClientSaw`]): the record it (or the lab for it) resolved, the
//! Alt-Svc it met over TCP, the HTTP/3 response and how it saw the QUIC
//! connection end. External tools are real processes; what they print is
//! quoted, never guessed.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::resolve::{self, Resolved};
use super::{DiscoverClient, ORIGIN_HOST};
use crate::client::h3::{self as h3client, Ending};
use crate::client::tls::{self as tlsclient, TlsRequest};
use crate::http::AltSvc;
use crate::labs::peer::PeerError;
use crate::proto::dns::Name;

/// The origin's port a browser assumes for `https://wirelab.test/`.
const HTTPS_PORT: u16 = 443;
/// Longest wait for one DNS answer or one TCP fetch.
const STEP: Duration = Duration::from_secs(5);

/// Who read the HTTPS record for the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolver {
    /// The client itself (the project's own, with [`resolve`]).
    Itself,
    /// The lab, with [`resolve`], for a client that reads no HTTPS record
    /// (gtlsclient, curl): it was handed the address and port.
    Lab,
    /// dig, which only asks.
    Dig,
}

/// The client's fetch over TCP and TLS.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TcpFetch {
    /// The status of the response.
    pub status: Option<u16>,
    /// The protocol ALPN chose, as the client says.
    pub alpn: Option<String>,
    /// The response's `Alt-Svc` field, as it came.
    pub alt_svc: Option<String>,
    /// curl's `--alt-svc` cache entry, the line it wrote.
    pub cache_line: Option<String>,
}

/// The client's fetch over HTTP/3.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct H3Fetch {
    /// The protocol ALPN chose, as the client says (`h3`).
    pub alpn: Option<String>,
    /// The response's status.
    pub status: Option<u16>,
    /// Body bytes received (the own client counts them).
    pub body_bytes: Option<usize>,
    /// How the client saw the connection end, in its words.
    pub ending: Option<String>,
}

/// What a client saw, whichever it was.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClientSaw {
    /// Which client.
    pub kind: DiscoverClient,
    /// Who read the DNS records.
    pub resolver: Resolver,
    /// The command run, for an external tool.
    pub command: Option<String>,
    /// Its exit status, for an external tool.
    pub exit: Option<i32>,
    /// The DNS answers, as `dig` prints them (the resolver's or dig's).
    pub answers: Vec<String>,
    /// The address and port it was sent to (from the records).
    pub endpoint: Option<SocketAddr>,
    /// Over TCP and TLS.
    pub tcp: Option<TcpFetch>,
    /// Over HTTP/3.
    pub h3: Option<H3Fetch>,
    /// What failed, in the client's or the lab's words.
    pub error: Option<String>,
}

impl ClientSaw {
    pub(super) fn new(kind: DiscoverClient, resolver: Resolver) -> Self {
        ClientSaw {
            kind,
            resolver,
            command: None,
            exit: None,
            answers: Vec::new(),
            endpoint: None,
            tcp: None,
            h3: None,
            error: None,
        }
    }
}

/// What a client needs to know of the run.
pub struct Setup<'a> {
    /// The run's directory: a client's own files (aioquic's script and
    /// key log) go there.
    pub dir: &'a Path,
    /// The DNS responder.
    pub dns: SocketAddr,
    /// The CA file the clients trust.
    pub ca_file: &'a Path,
    /// The CA, as PEM.
    pub ca_pem: &'a str,
    /// Where curl keeps its Alt-Svc cache.
    pub alt_svc_file: &'a Path,
    /// How long the server's idle timeout is: the HTTP/3 clients wait
    /// longer than that for the ending.
    pub idle_timeout: Duration,
    /// The own client PINGs while it waits for the ending: a server that
    /// forgot the connection needs a packet to answer with its stateless
    /// reset (RFC 9000 §10.3). Off for `idle`, where a PING would be
    /// activity that keeps the connection alive (§10.1).
    pub pings: bool,
}

/// Runs `kind` to the end.
///
/// # Errors
///
/// A tool that is missing or cannot be started; everything else the
/// client met is in [`ClientSaw::error`].
pub fn drive(kind: DiscoverClient, s: &Setup<'_>) -> Result<ClientSaw, PeerError> {
    match kind {
        DiscoverClient::Own => Ok(own(s)),
        DiscoverClient::Gtlsclient => gtlsclient(s),
        DiscoverClient::Aioquic => super::aioquic::drive(s),
        DiscoverClient::Curl => curl(s),
        DiscoverClient::Dig => dig(s),
    }
}

fn origin_name() -> Name {
    Name::parse(ORIGIN_HOST).unwrap_or_default()
}

/// The endpoint the records name: the first IPv4 address (the lab serves
/// on 127.0.0.1) and the record's port.
fn endpoint(r: &Resolved) -> Option<SocketAddr> {
    let ip = r
        .addresses
        .iter()
        .copied()
        .find(IpAddr::is_ipv4)
        .or_else(|| r.addresses.first().copied())?;
    Some(SocketAddr::new(ip, r.port(HTTPS_PORT)))
}

/// Resolves for a client; on failure the witness says why.
pub(super) fn resolved(saw: &mut ClientSaw, s: &Setup<'_>) -> Option<SocketAddr> {
    match resolve::origin(s.dns, &origin_name(), STEP) {
        Ok(r) => {
            saw.answers = r.answers.clone();
            saw.endpoint = endpoint(&r);
            if saw.endpoint.is_none() {
                saw.error = Some(format!("{ORIGIN_HOST} resolved to no address"));
            }
            saw.endpoint
        }
        Err(e) => {
            saw.error = Some(e.to_string());
            None
        }
    }
}

fn own(s: &Setup<'_>) -> ClientSaw {
    let mut saw = ClientSaw::new(DiscoverClient::Own, Resolver::Itself);
    let Some(at) = resolved(&mut saw, s) else {
        return saw;
    };
    // First visit over TCP, as a browser makes it: the response's Alt-Svc
    // names the UDP port (RFC 7838 §3). http/1.1 only: this client speaks
    // HTTP/1.1 over TLS.
    let request = format!("GET / HTTP/1.1\r\nHost: {ORIGIN_HOST}\r\nConnection: close\r\n\r\n");
    let tcp = tlsclient::run(
        at,
        &TlsRequest {
            bytes: request.into_bytes(),
            pause: None,
            timeout: STEP,
            ca_pem: s.ca_pem.to_string(),
            alpn: vec!["http/1.1".into()],
            server_name: ORIGIN_HOST.into(),
        },
    );
    let mut h3_port = at.port();
    match tcp {
        Ok(t) => {
            let first = t.outcome.responses.first();
            let alt_svc = first.and_then(|r| r.field("alt-svc")).map(str::to_string);
            if let Some(port) = alt_svc
                .as_deref()
                .and_then(|v| AltSvc::parse(v).ok())
                .and_then(|a| {
                    a.alternatives
                        .into_iter()
                        .find(|alt| alt.protocol == "h3" && alt.host.is_none())
                })
                .map(|alt| alt.port)
            {
                h3_port = port;
            }
            saw.tcp = Some(TcpFetch {
                status: first.map(|r| r.status),
                alpn: t.alpn,
                alt_svc,
                cache_line: None,
            });
        }
        Err(e) => saw.error = Some(e.to_string()),
    }
    let mut options = h3client::Options::new(s.ca_file);
    options.wait_end = s.idle_timeout + Duration::from_secs(4);
    if !s.pings {
        options.keep_alive = None;
    }
    let url = format!("https://{ORIGIN_HOST}/");
    let quic_at = SocketAddr::new(at.ip(), h3_port);
    saw.h3 = Some(match h3client::get(&url, quic_at, &options) {
        Ok(f) => H3Fetch {
            alpn: Some(f.alpn),
            status: Some(f.status),
            body_bytes: Some(f.body.len()),
            ending: Some(ending_words(&f.ending)),
        },
        Err(h3client::Error::Ended(e)) => H3Fetch {
            ending: Some(ending_words(&e)),
            ..H3Fetch::default()
        },
        Err(e) => {
            saw.error = Some(e.to_string());
            H3Fetch::default()
        }
    });
    saw
}

/// The own client's ending, in words.
fn ending_words(e: &Ending) -> String {
    match e {
        Ending::ServerClosed {
            application,
            code,
            reason,
        } => {
            let frame = if *application { "0x1d" } else { "0x1c" };
            let reason = if reason.is_empty() {
                String::new()
            } else {
                format!(" reason {reason:?}")
            };
            format!("server's CONNECTION_CLOSE ({frame}) code 0x{code:x}{reason}")
        }
        Ending::StatelessReset => "a stateless reset".into(),
        Ending::IdleTimeout => "idle timeout (nothing was sent)".into(),
        Ending::WeClosed => "it closed itself (H3_NO_ERROR): the server did nothing".into(),
        Ending::Other(why) => why.clone(),
    }
}

/// Output of a tool, both streams.
fn run_tool(
    tool: &'static str,
    install: &'static str,
    args: &[String],
) -> Result<(Option<i32>, String), PeerError> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .map_err(|e| PeerError::of(tool, install, e))?;
    Ok((
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

pub(super) fn command_line(tool: &str, args: &[String]) -> String {
    let mut s = tool.to_string();
    for a in args {
        s.push(' ');
        if a.contains([' ', '\'', '"', '%']) {
            s += &format!("'{a}'");
        } else {
            s += a;
        }
    }
    s
}

fn gtlsclient(s: &Setup<'_>) -> Result<ClientSaw, PeerError> {
    let mut saw = ClientSaw::new(DiscoverClient::Gtlsclient, Resolver::Lab);
    let Some(at) = resolved(&mut saw, s) else {
        return Ok(saw);
    };
    // Its own idle timeout longer than the server's, so that `idle` is the
    // server's to end. It checks no certificate, and for a numeric HOST
    // its ClientHello names `localhost` whatever `--sni` says (ngtcp2
    // 0.12's gtlsclient): the Initial in the timeline shows that.
    let timeout = s.idle_timeout + Duration::from_secs(4);
    let args = vec![
        "--no-quic-dump".into(),
        "--no-http-dump".into(),
        format!("--timeout={}ms", timeout.as_millis()),
        at.ip().to_string(),
        at.port().to_string(),
        format!("https://{ORIGIN_HOST}/"),
    ];
    let (exit, out) = run_tool("gtlsclient", "apt-get install ngtcp2-client", &args)?;
    saw.command = Some(command_line("gtlsclient", &args));
    saw.exit = exit;
    saw.h3 = Some(H3Fetch {
        alpn: out
            .lines()
            .find_map(|l| l.strip_prefix("Negotiated ALPN is "))
            .map(|a| a.trim().to_string()),
        status: out.lines().find_map(|l| {
            let rest = l.split_once("[:status: ")?.1;
            rest.split(']').next()?.trim().parse().ok()
        }),
        body_bytes: None,
        ending: gtlsclient_ending(&out),
    });
    Ok(saw)
}

/// How gtlsclient's debug output says the connection ended: the
/// CONNECTION_CLOSE it received (`frm rx`), a stateless reset it matched
/// (`SR token`), or its idle timer.
fn gtlsclient_ending(out: &str) -> Option<String> {
    if let Some(line) = out
        .lines()
        .find(|l| l.contains(" frm rx ") && l.contains("CONNECTION_CLOSE("))
    {
        let from = line.find("CONNECTION_CLOSE(").unwrap_or(0);
        let words: Vec<&str> = line[from..].split_whitespace().take(2).collect();
        return Some(format!("received {}", words.join(" ")));
    }
    if out.contains(" SR token=") {
        return Some("received a stateless reset (SR token matched)".into());
    }
    if out.contains("ERR_IDLE_CLOSE") {
        return Some("idle timeout (ERR_IDLE_CLOSE)".into());
    }
    None
}

fn curl(s: &Setup<'_>) -> Result<ClientSaw, PeerError> {
    let mut saw = ClientSaw::new(DiscoverClient::Curl, Resolver::Lab);
    let Some(at) = resolved(&mut saw, s) else {
        return Ok(saw);
    };
    // curl reads no HTTPS record: the lab passes what the record said as
    // --connect-to, so the origin stays https://wirelab.test/ (port 443)
    // and the certificate is checked against its name.
    let args = vec![
        "-sS".into(),
        "--cacert".into(),
        s.ca_file.display().to_string(),
        "--alt-svc".into(),
        s.alt_svc_file.display().to_string(),
        "--connect-to".into(),
        format!("{ORIGIN_HOST}:{HTTPS_PORT}:{}:{}", at.ip(), at.port()),
        "-D".into(),
        "-".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "alpn %{http_version}\\n".into(),
        format!("https://{ORIGIN_HOST}/"),
    ];
    let (exit, out) = run_tool("curl", "apt-get install curl", &args)?;
    saw.command = Some(command_line("curl", &args));
    saw.exit = exit;
    let header = |name: &str| {
        out.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let status = out
        .lines()
        .find(|l| l.starts_with("HTTP/"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
    let alpn = out
        .lines()
        .find_map(|l| l.strip_prefix("alpn "))
        .map(|v| match v.trim() {
            "2" => "h2".to_string(),
            "1.1" => "http/1.1".to_string(),
            other => other.to_string(),
        });
    // The cache file: comment lines, then one line per entry.
    let cache_line = std::fs::read_to_string(s.alt_svc_file).ok().and_then(|t| {
        t.lines()
            .find(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::to_string)
    });
    if exit != Some(0) {
        saw.error = out
            .lines()
            .find(|l| l.starts_with("curl:"))
            .map(str::to_string);
    }
    saw.tcp = Some(TcpFetch {
        status,
        alpn,
        alt_svc: header("alt-svc"),
        cache_line,
    });
    Ok(saw)
}

fn dig(s: &Setup<'_>) -> Result<ClientSaw, PeerError> {
    let mut saw = ClientSaw::new(DiscoverClient::Dig, Resolver::Dig);
    let args = vec![
        format!("@{}", s.dns.ip()),
        "-p".into(),
        s.dns.port().to_string(),
        ORIGIN_HOST.into(),
        "HTTPS".into(),
        "+noall".into(),
        "+answer".into(),
    ];
    let (exit, out) = run_tool("dig", "apt-get install bind9-dnsutils", &args)?;
    saw.command = Some(command_line("dig", &args));
    saw.exit = exit;
    saw.answers = out
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if exit != Some(0) {
        saw.error = Some(out.trim().to_string());
    }
    Ok(saw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as gtlsclient (ngtcp2 0.12) prints them.
    #[test]
    fn gtlsclient_endings_are_read_from_what_it_received() {
        let close = "I00000028 0xd90c frm rx 5 1RTT CONNECTION_CLOSE(0x1d) \
                     error_code=(unknown)(0x100) frame_type=0 reason_len=0 reason=[]";
        assert_eq!(
            gtlsclient_ending(close).as_deref(),
            Some("received CONNECTION_CLOSE(0x1d) error_code=(unknown)(0x100)")
        );
        // Its own close (frm tx) is not the server's ending.
        let sent = close.replace(" frm rx ", " frm tx ");
        assert_eq!(gtlsclient_ending(&sent), None);
        assert!(
            gtlsclient_ending("I0001 pkt rx 1RTT SR token=0xabcd")
                .is_some_and(|e| e.contains("stateless reset"))
        );
        assert!(
            gtlsclient_ending("timeout: ERR_IDLE_CLOSE").is_some_and(|e| e.starts_with("idle"))
        );
    }

    #[test]
    fn the_endpoint_is_the_records_ipv4_address_and_port() {
        let r = Resolved {
            addresses: vec!["::1".parse().unwrap(), "127.0.0.1".parse().unwrap()],
            https: None,
            answers: Vec::new(),
        };
        // No record: the origin's own port, 443.
        assert_eq!(endpoint(&r), Some("127.0.0.1:443".parse().unwrap()));
        assert_eq!(endpoint(&Resolved::default()), None);
    }
}
