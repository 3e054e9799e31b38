//! A stub resolver for the lab's clients: one question over UDP to the
//! lab's responder, the answer read with [`crate::proto::dns`]. What a
//! browser does before it connects: ask for the origin's `HTTPS` record
//! (RFC 9460 §9) beside its addresses, and learn from it which protocols
//! and which port the endpoint has.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use crate::proto::dns::{Class, DnsError, Header, Message, Name, Question, RData, RType, Svcb};

/// Why a question got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The socket failed or no answer came in time.
    #[error("DNS query to {server}: {source}")]
    Io {
        /// The responder.
        server: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The answer did not decode.
    #[error("DNS answer from {server} does not decode: {source}")]
    Decode {
        /// The responder.
        server: SocketAddr,
        /// Why.
        #[source]
        source: DnsError,
    },
    /// The answer is for another query (RFC 5452 §9.1: id and question must
    /// match).
    #[error("DNS answer from {server} does not match the query")]
    Mismatch {
        /// The responder.
        server: SocketAddr,
    },
}

/// Asks `server` one question and returns its answer.
///
/// # Errors
///
/// [`ResolveError`].
pub fn query(
    server: SocketAddr,
    name: &Name,
    rtype: RType,
    timeout: Duration,
) -> Result<Message, ResolveError> {
    let io = |source| ResolveError::Io { server, source };
    let question = Question {
        name: name.clone(),
        qtype: rtype,
        qclass: Class::IN,
    };
    // Any id will do on loopback; a clock's low bits vary between queries.
    let id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x4c61, |d| d.subsec_nanos() as u16);
    let bytes = Message {
        header: Header {
            id,
            recursion_desired: true,
            ..Header::default()
        },
        questions: vec![question.clone()],
        ..Message::default()
    }
    .encode()
    .map_err(|source| ResolveError::Decode { server, source })?;
    let bind: SocketAddr = if server.is_ipv6() {
        "[::1]:0".parse().unwrap_or(server)
    } else {
        "127.0.0.1:0".parse().unwrap_or(server)
    };
    let socket = UdpSocket::bind(bind).map_err(io)?;
    socket.set_read_timeout(Some(timeout)).map_err(io)?;
    socket.send_to(&bytes, server).map_err(io)?;
    let mut buf = [0u8; 4096];
    loop {
        let (n, from) = socket.recv_from(&mut buf).map_err(io)?;
        if from != server {
            continue;
        }
        let answer =
            Message::decode(&buf[..n]).map_err(|source| ResolveError::Decode { server, source })?;
        if answer.header.id != id || answer.questions.first() != Some(&question) {
            return Err(ResolveError::Mismatch { server });
        }
        return Ok(answer);
    }
}

/// What the records say about an origin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Its addresses (`A`, then `AAAA`).
    pub addresses: Vec<IpAddr>,
    /// Its `HTTPS` record in ServiceMode, if it has one.
    pub https: Option<Svcb>,
    /// Each answer, as `dig` prints it.
    pub answers: Vec<String>,
}

impl Resolved {
    /// The port to connect to: the record's `port`, else the origin's
    /// (RFC 9460 §7.2).
    pub fn port(&self, origin_port: u16) -> u16 {
        self.https
            .as_ref()
            .and_then(Svcb::port)
            .unwrap_or(origin_port)
    }

    /// Whether the record lists `h3` (RFC 9460 §7.1.1).
    pub fn offers_h3(&self) -> bool {
        self.https
            .as_ref()
            .is_some_and(|s| s.https_protocols().iter().any(|p| p == b"h3"))
    }
}

/// Asks for `host`'s `HTTPS` record and its `A` and `AAAA` addresses, as a
/// browser does in parallel before it connects (RFC 9460 §3).
///
/// # Errors
///
/// [`ResolveError`] for the first question that failed.
pub fn origin(
    server: SocketAddr,
    host: &Name,
    timeout: Duration,
) -> Result<Resolved, ResolveError> {
    let mut r = Resolved::default();
    for rtype in [RType::HTTPS, RType::A, RType::AAAA] {
        let answer = query(server, host, rtype, timeout)?;
        for rec in answer.answers {
            r.answers.push(rec.to_string());
            match rec.data {
                RData::A(a) => r.addresses.push(IpAddr::V4(a)),
                RData::Aaaa(a) => r.addresses.push(IpAddr::V6(a)),
                RData::Svcb(s) if rec.rtype == RType::HTTPS && !s.is_alias() => {
                    r.https.get_or_insert(s);
                }
                _ => {}
            }
        }
    }
    Ok(r)
}
