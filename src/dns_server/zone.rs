//! What the responder answers, as a pure function of the query's bytes:
//! the records of one test origin, `https://NAME:PORT`.
//!
//! - `NAME` has `A 127.0.0.1`, `AAAA ::1` and `HTTPS 1 . alpn=… port=PORT`
//!   (TargetName `.` is the owner name, RFC 9460 §2.5).
//! - When PORT is not 443 a client looks the origin up as
//!   `_PORT._https.NAME` (RFC 9460 §9.1); that name gets
//!   `HTTPS 1 NAME. alpn=… port=PORT`: its TargetName must be NAME, since
//!   `.` would mean `_PORT._https.NAME`, which has no address.
//! - With an alias, both answer `HTTPS 0 TARGET.` (AliasMode, §2.4.2) and
//!   TARGET gets what NAME would have had.
//!
//! Everything else: NXDOMAIN for names that do not exist, NOERROR with no
//! answer for a type a name does not have or for a name that only exists
//! because names below it do (`_https.NAME`, RFC 8020 §2), FORMERR for a
//! query that does not parse or does not ask one question (RFC 9619),
//! NOTIMP for another opcode, REFUSED for another class. No EDNS: a UDP
//! answer over 512 bytes is cut to its question and marked TC (RFC 1035
//! §4.2.1), and the client asks again over TCP.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::proto::dns::{
    Class, Header, Message, Name, Opcode, RData, RType, Rcode, Record, SvcParam, Svcb, UDP_LIMIT,
};

use super::DnsConfig;

/// Which transport a query came over: only UDP has the 512-byte limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP (RFC 1035 §4.2.1).
    Udp,
    /// TCP with the two-byte length prefix (RFC 1035 §4.2.2, RFC 7766).
    Tcp,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        })
    }
}

/// One query and what it was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// The query's id, when it had a header.
    pub id: Option<u16>,
    /// The question, when the query parsed.
    pub question: Option<crate::proto::dns::Question>,
    /// The response code sent, or `None` when nothing was sent (a message
    /// too short for a header, or a response rather than a query).
    pub rcode: Option<Rcode>,
    /// Records in the answer section.
    pub answers: usize,
    /// Whether the answer was cut to fit UDP (TC).
    pub truncated: bool,
    /// Why the query was refused as malformed, if it was.
    pub malformed: Option<String>,
    /// The bytes to send back, if any.
    pub reply: Option<Vec<u8>>,
}

/// The zone built from the configuration.
#[derive(Debug, Clone)]
pub struct Zone {
    /// Names with records, and the records each has.
    names: Vec<(Name, Vec<Record>)>,
}

impl Zone {
    /// The records `config` describes.
    pub fn new(config: &DnsConfig) -> Zone {
        let mut params = vec![SvcParam::Port(config.https_port)];
        if !config.alpn.is_empty() {
            params.push(SvcParam::Alpn(config.alpn.clone()));
        }
        if config.no_default_alpn {
            params.push(SvcParam::NoDefaultAlpn);
        }
        let service = |owner: &Name, target: Name| Record {
            name: owner.clone(),
            rtype: RType::HTTPS,
            class: Class::IN,
            ttl: config.ttl,
            data: RData::Svcb(Svcb::service(1, target, params.clone())),
        };
        let address = |owner: &Name, data: RData, rtype| Record {
            name: owner.clone(),
            rtype,
            class: Class::IN,
            ttl: config.ttl,
            data,
        };
        let host = config.alias.as_ref().unwrap_or(&config.name).clone();
        let host_records = vec![
            address(&host, RData::A(Ipv4Addr::LOCALHOST), RType::A),
            address(&host, RData::Aaaa(Ipv6Addr::LOCALHOST), RType::AAAA),
            service(&host, Name::root()),
        ];
        let prefixed = (config.https_port != 443)
            .then(|| port_prefixed(&config.name, config.https_port))
            .flatten();
        let mut names = Vec::new();
        match &config.alias {
            None => {
                names.push((config.name.clone(), host_records));
                if let Some(p) = prefixed {
                    let r = service(&p, config.name.clone());
                    names.push((p, vec![r]));
                }
            }
            Some(target) => {
                let alias = |owner: &Name| Record {
                    name: owner.clone(),
                    rtype: RType::HTTPS,
                    class: Class::IN,
                    ttl: config.ttl,
                    data: RData::Svcb(Svcb::alias(target.clone())),
                };
                names.push((config.name.clone(), vec![alias(&config.name)]));
                if let Some(p) = prefixed {
                    let r = alias(&p);
                    names.push((p, vec![r]));
                }
                names.push((target.clone(), host_records));
            }
        }
        Zone { names }
    }

    /// The names that have records, in the order they were made.
    pub fn names(&self) -> impl Iterator<Item = &Name> {
        self.names.iter().map(|(n, _)| n)
    }

    /// Every record, for the listening line.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.names.iter().flat_map(|(_, r)| r)
    }

    /// The answer to one query's bytes.
    pub fn answer(&self, query: &[u8], transport: Transport) -> Answered {
        let mut out = Answered {
            id: None,
            question: None,
            rcode: None,
            answers: 0,
            truncated: false,
            malformed: None,
            reply: None,
        };
        // Without a whole header there is no id to answer with.
        let Ok(head) = Header::peek(query) else {
            out.malformed = Some("shorter than a header".into());
            return out;
        };
        out.id = Some(head.id);
        if head.response {
            // Answering a response could start a loop between two servers.
            out.malformed = Some("a response, not a query".into());
            return out;
        }
        let mut reply = Message {
            header: Header {
                id: head.id,
                response: true,
                opcode: head.opcode,
                recursion_desired: head.recursion_desired,
                checking_disabled: head.checking_disabled,
                ..Header::default()
            },
            ..Message::default()
        };
        let parsed = Message::decode(query);
        if let Ok(m) = &parsed
            && m.questions.len() == 1
        {
            reply.questions = m.questions.clone();
            out.question = m.questions.first().cloned();
        }
        reply.header.rcode = match parsed {
            _ if head.opcode != Opcode::QUERY => Rcode::NOTIMP,
            Err(e) => {
                out.malformed = Some(e.to_string());
                Rcode::FORMERR
            }
            Ok(m) if m.questions.len() != 1 => {
                out.malformed = Some(format!("{} questions, not 1", m.questions.len()));
                Rcode::FORMERR
            }
            Ok(m) => self.lookup(&m.questions[0], &mut reply),
        };
        out.rcode = Some(reply.header.rcode);
        out.answers = reply.answers.len();
        let mut bytes = encode(&reply);
        if transport == Transport::Udp && bytes.len() > UDP_LIMIT {
            reply.answers.clear();
            reply.header.truncated = true;
            out.truncated = true;
            bytes = encode(&reply);
        }
        out.reply = Some(bytes);
        out
    }

    /// Fills the answer for one question, returns its response code.
    fn lookup(&self, q: &crate::proto::dns::Question, reply: &mut Message) -> Rcode {
        if q.qclass != Class::IN && q.qclass != Class(255) {
            return Rcode::REFUSED;
        }
        match self.names.iter().find(|(n, _)| n.same(&q.name)) {
            Some((_, records)) => {
                reply.header.authoritative = true;
                reply.answers = records
                    .iter()
                    .filter(|r| q.qtype == RType::ANY || r.rtype == q.qtype)
                    .cloned()
                    .collect();
                Rcode::NOERROR
            }
            // An empty non-terminal exists, with no records (RFC 8020 §2).
            None if self.names().any(|n| is_below(n, &q.name)) => {
                reply.header.authoritative = true;
                Rcode::NOERROR
            }
            None => {
                reply.header.authoritative = true;
                Rcode::NXDOMAIN
            }
        }
    }
}

/// `_PORT._https.NAME`, or `None` if that would be over 255 octets.
fn port_prefixed(name: &Name, port: u16) -> Option<Name> {
    name.prefixed(&[&format!("_{port}"), "_https"]).ok()
}

/// Is `name` strictly below `ancestor`?
fn is_below(name: &Name, ancestor: &Name) -> bool {
    let (n, a) = (name.labels(), ancestor.labels());
    n.len() > a.len()
        && n[n.len() - a.len()..]
            .iter()
            .zip(a)
            .all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// The reply's bytes. The zone's records were checked when the
/// configuration was made, and a reply holds at most one question and the
/// records of one name, so encoding cannot fail; if it ever did, a bare
/// SERVFAIL header says so rather than silence.
fn encode(reply: &Message) -> Vec<u8> {
    reply.encode().unwrap_or_else(|_| {
        let mut header = reply.header;
        header.rcode = Rcode::SERVFAIL;
        Message {
            header,
            ..Message::default()
        }
        .encode()
        .unwrap_or_default()
    })
}
