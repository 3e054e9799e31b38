//! DNS exchanges from UDP datagrams: each query matched with its answer,
//! read by the project's own codec ([`crate::proto::dns`], the one `lab
//! dns` answers with), so the analyzer's timeline shows the `HTTPS` record
//! (RFC 9460) a client looked up before its TCP and QUIC connections.
//!
//! Which datagrams are DNS: those to or from port 53 (RFC 1035 §4.2.1),
//! those to or from a server already seen answering or being asked, and
//! any datagram that decodes whole as a standard query with one question
//! (a responder on another port, such as `lab dns --port 5300`, is found
//! by its first query). A datagram of a known DNS server that does not
//! decode is a [`DnsProblem`] of its exchange, never dropped silently.
//!
//! An exchange is keyed by the client, the server and the message id
//! (RFC 1035 §4.1.1: the id "is copied the corresponding reply"); a
//! second query with the same key before the answer is a repeat
//! (a retransmission), not a new exchange.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU64;

use crate::app::timeline::Moment;
use crate::capture::Timestamp;
use crate::proto::dns::{DnsError, Header, Message, Opcode, Question, Rcode, Record};
use crate::wire::Endpoint;

/// The well-known port (RFC 1035 §4.2.1).
pub const DNS_PORT: u16 = 53;

/// At most this many problems are kept per exchange (the rest counted).
const MAX_PROBLEMS: usize = 8;

/// Which side of an exchange sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DnsSide {
    /// The side that asked.
    Client,
    /// The side that answered.
    Server,
}

impl DnsSide {
    /// `client` or `server`.
    pub fn name(self) -> &'static str {
        match self {
            DnsSide::Client => "client",
            DnsSide::Server => "server",
        }
    }
}

/// The answer to a query, as the response message carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsAnswer {
    /// Where and when it was captured.
    pub at: Moment,
    /// The response code (NOERROR, NXDOMAIN, FORMERR…).
    pub rcode: Rcode,
    /// AA: the answer comes from the zone's authority.
    pub authoritative: bool,
    /// TC: the answer was cut to fit; the client asks again over TCP.
    pub truncated: bool,
    /// The answer section, each record decoded (an HTTPS record's
    /// SvcParams included).
    pub answers: Vec<Record>,
    /// Records in the authority section (an SOA with NXDOMAIN).
    pub authorities: usize,
    /// Records in the additional section (EDNS's OPT among them).
    pub additionals: usize,
}

/// A message of a DNS exchange that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsProblem {
    /// Its frame.
    pub frame: u64,
    /// Who sent it.
    pub from: DnsSide,
    /// Why it is not a DNS message.
    pub error: DnsError,
}

/// One query and its answer (either may be missing from the capture).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsExchange {
    /// The side that asked.
    pub client: Endpoint,
    /// The side asked.
    pub server: Endpoint,
    /// The message id; `None` when not even the two bytes of the id came.
    pub id: Option<u16>,
    /// The first question of the query, or of the answer when the query
    /// was not captured or did not decode.
    pub question: Option<Question>,
    /// The query's frame and time, when captured (even if malformed).
    pub query: Option<Moment>,
    /// Queries sent again with the same id before the answer.
    pub repeats: u32,
    /// The answer, when one came and decoded.
    pub answer: Option<DnsAnswer>,
    /// Messages of this exchange that did not decode (the first
    /// [`MAX_PROBLEMS`]).
    pub problems: Vec<DnsProblem>,
    /// All such messages, kept or not.
    pub malformed: u32,
    /// Datagrams of this exchange: queries, repeats, answers and the
    /// malformed.
    pub datagrams: u32,
}

impl DnsExchange {
    /// The first frame of the exchange.
    pub fn first_frame(&self) -> u64 {
        let answer = self.answer.as_ref().map(|a| a.at.frame.get());
        let problem = self.problems.first().map(|p| p.frame);
        [self.query.map(|q| q.frame.get()), answer, problem]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(0)
    }

    /// The time from the query to its answer, in nanoseconds, when both
    /// were captured.
    pub fn elapsed_ns(&self) -> Option<i64> {
        Some(self.answer.as_ref()?.at.ts.0 - self.query?.ts.0)
    }

    fn new(client: Endpoint, server: Endpoint, id: Option<u16>) -> Self {
        DnsExchange {
            client,
            server,
            id,
            question: None,
            query: None,
            repeats: 0,
            answer: None,
            problems: Vec::new(),
            malformed: 0,
            datagrams: 0,
        }
    }

    fn problem(&mut self, frame: u64, from: DnsSide, error: DnsError) {
        self.malformed += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(DnsProblem { frame, from, error });
        }
    }
}

/// The DNS exchanges of a capture.
#[derive(Debug, Default)]
pub struct DnsTracker {
    /// Endpoints seen answering or being asked.
    servers: HashSet<Endpoint>,
    /// Exchanges waiting for their answer, by (client, server, id).
    waiting: HashMap<(Endpoint, Endpoint, u16), usize>,
    exchanges: Vec<DnsExchange>,
}

/// A query a responder on any port would take: standard, one question,
/// nothing else (RFC 1035 §4.1.1; EDNS's one OPT record allowed).
fn plain_query(h: &Header) -> bool {
    !h.response
        && h.opcode == Opcode::QUERY
        && h.qdcount == 1
        && h.ancount == 0
        && h.nscount == 0
        && h.arcount <= 1
}

impl DnsTracker {
    /// A tracker with no exchanges.
    pub fn new() -> Self {
        DnsTracker::default()
    }

    /// A UDP datagram's payload; returns whether it was DNS.
    pub fn datagram(
        &mut self,
        frame: u64,
        ts: Timestamp,
        src: Endpoint,
        dst: Endpoint,
        payload: &[u8],
    ) -> bool {
        let known = self.servers.contains(&dst)
            || self.servers.contains(&src)
            || dst.port == DNS_PORT
            || src.port == DNS_PORT;
        let decoded = Message::decode(payload);
        if !known && !matches!(&decoded, Ok(m) if plain_query(&m.header)) {
            return false;
        }
        let Some(at) = NonZeroU64::new(frame).map(|frame| Moment { frame, ts }) else {
            return false;
        };
        // Who asks: a query goes to the server, a response comes from it.
        // A message too short for its header is judged by the ports.
        let response = match &decoded {
            Ok(m) => m.header.response,
            Err(_) => Header::peek(payload).map_or_else(
                |_| self.servers.contains(&src) || src.port == DNS_PORT,
                |h| h.response,
            ),
        };
        let (client, server) = if response { (dst, src) } else { (src, dst) };
        self.servers.insert(server);
        let id = (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
        let from = if response {
            DnsSide::Server
        } else {
            DnsSide::Client
        };
        match decoded {
            Ok(m) if response => self.answer(at, client, server, m),
            Ok(m) => self.query(at, client, server, m),
            Err(e) => {
                let i = self.exchange_for(client, server, id, from, at);
                if let Some(x) = self.exchanges.get_mut(i) {
                    x.problem(frame, from, e);
                }
            }
        }
        true
    }

    /// The exchange a message belongs to: the one waiting with its key,
    /// else a new one (a response without its query starts one too).
    fn exchange_for(
        &mut self,
        client: Endpoint,
        server: Endpoint,
        id: Option<u16>,
        from: DnsSide,
        at: Moment,
    ) -> usize {
        let waiting = id.and_then(|id| self.waiting.get(&(client, server, id)).copied());
        let i = match waiting {
            Some(i) => i,
            None => {
                self.exchanges.push(DnsExchange::new(client, server, id));
                let i = self.exchanges.len() - 1;
                if let (Some(id), DnsSide::Client) = (id, from) {
                    self.waiting.insert((client, server, id), i);
                }
                i
            }
        };
        if let Some(x) = self.exchanges.get_mut(i) {
            x.datagrams += 1;
            if from == DnsSide::Client {
                match x.query {
                    Some(_) => x.repeats += 1,
                    None => x.query = Some(at),
                }
            }
        }
        if from == DnsSide::Server
            && let Some(id) = id
        {
            self.waiting.remove(&(client, server, id));
        }
        i
    }

    fn query(&mut self, at: Moment, client: Endpoint, server: Endpoint, m: Message) {
        let id = Some(m.header.id);
        let i = self.exchange_for(client, server, id, DnsSide::Client, at);
        if let Some(x) = self.exchanges.get_mut(i)
            && x.question.is_none()
        {
            x.question = m.questions.into_iter().next();
        }
    }

    fn answer(&mut self, at: Moment, client: Endpoint, server: Endpoint, m: Message) {
        let id = Some(m.header.id);
        let i = self.exchange_for(client, server, id, DnsSide::Server, at);
        if let Some(x) = self.exchanges.get_mut(i) {
            if x.question.is_none() {
                x.question = m.questions.into_iter().next();
            }
            x.answer = Some(DnsAnswer {
                at,
                rcode: m.header.rcode,
                authoritative: m.header.authoritative,
                truncated: m.header.truncated,
                answers: m.answers,
                authorities: m.authorities.len(),
                additionals: m.additionals.len(),
            });
        }
    }

    /// Every exchange, in the order its first message came.
    pub fn finish(self) -> Vec<DnsExchange> {
        self.exchanges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::{Class, Name, RData, RType, SvcParam, Svcb};

    fn ep(port: u16) -> Endpoint {
        Endpoint {
            addr: std::net::IpAddr::from([127, 0, 0, 1]),
            port,
        }
    }

    fn query(id: u16, name: &str, qtype: RType) -> Vec<u8> {
        let mut m = Message::default();
        m.header.id = id;
        m.questions.push(Question {
            name: Name::parse(name).unwrap(),
            qtype,
            qclass: Class::IN,
        });
        m.encode().unwrap()
    }

    fn https_answer(id: u16, name: &str) -> Vec<u8> {
        let mut m = Message::decode(&query(id, name, RType::HTTPS)).unwrap();
        m.header.response = true;
        m.answers.push(Record {
            name: Name::parse(name).unwrap(),
            rtype: RType::HTTPS,
            class: Class::IN,
            ttl: 300,
            data: RData::Svcb(Svcb::service(
                1,
                Name::root(),
                vec![
                    SvcParam::Port(8443),
                    SvcParam::Alpn(vec![b"h3".to_vec(), b"h2".to_vec()]),
                ],
            )),
        });
        m.encode().unwrap()
    }

    fn ts(ms: i64) -> Timestamp {
        Timestamp(ms * 1_000_000)
    }

    #[test]
    fn a_query_on_any_port_is_matched_with_its_answer() {
        let mut t = DnsTracker::new();
        assert!(t.datagram(
            1,
            ts(0),
            ep(4000),
            ep(5300),
            &query(7, "wirelab.test", RType::HTTPS)
        ));
        assert!(t.datagram(
            2,
            ts(3),
            ep(5300),
            ep(4000),
            &https_answer(7, "wirelab.test")
        ));
        let xs = t.finish();
        assert_eq!(xs.len(), 1);
        let x = &xs[0];
        assert_eq!((x.client, x.server, x.id), (ep(4000), ep(5300), Some(7)));
        assert_eq!(x.elapsed_ns(), Some(3_000_000));
        let a = x.answer.as_ref().unwrap();
        let RData::Svcb(s) = &a.answers[0].data else {
            panic!("not an HTTPS record: {:?}", a.answers[0]);
        };
        assert_eq!(s.port(), Some(8443));
        assert_eq!(x.datagrams, 2);
    }

    #[test]
    fn other_udp_is_left_alone_and_a_known_server_s_junk_is_counted() {
        let mut t = DnsTracker::new();
        assert!(!t.datagram(1, ts(0), ep(4000), ep(9999), b"hello, not DNS"));
        assert!(t.datagram(2, ts(1), ep(4000), ep(5300), &query(9, "a.test", RType::A)));
        // From another client port to the same server: a cut header.
        assert!(t.datagram(3, ts(2), ep(4001), ep(5300), b"\x01\x02\x03"));
        // To port 53, whatever it holds.
        assert!(t.datagram(4, ts(3), ep(4002), ep(53), b""));
        let xs = t.finish();
        assert_eq!(xs.len(), 3);
        assert_eq!(xs[1].malformed, 1);
        assert_eq!(xs[1].id, Some(0x0102));
        assert_eq!(xs[1].problems[0].from, DnsSide::Client);
        assert_eq!((xs[2].id, xs[2].malformed), (None, 1));
    }

    #[test]
    fn repeats_and_answers_without_their_query() {
        let mut t = DnsTracker::new();
        let q = query(5, "b.test", RType::A);
        t.datagram(1, ts(0), ep(4000), ep(53), &q);
        t.datagram(2, ts(1000), ep(4000), ep(53), &q);
        t.datagram(3, ts(1001), ep(53), ep(4000), &https_answer(5, "b.test"));
        // A second answer: the exchange is over, so it stands alone.
        t.datagram(4, ts(1002), ep(53), ep(4000), &https_answer(5, "b.test"));
        let xs = t.finish();
        assert_eq!(xs.len(), 2);
        assert_eq!((xs[0].repeats, xs[0].datagrams), (1, 3));
        assert_eq!(xs[1].query, None);
        assert_eq!(xs[1].first_frame(), 4);
        assert_eq!(xs[1].elapsed_ns(), None);
    }
}
