//! SVCB and HTTPS record data (RFC 9460 §2.2): a priority, a target name
//! and SvcParams, each a (key, length, value) triple, keys in strictly
//! increasing order.
//!
//! Priority 0 is AliasMode (§2.4.2): "look at TargetName instead", its
//! params ignored. Any other priority is ServiceMode (§2.4.3): an endpoint
//! at TargetName (`.` meaning the owner name, §2.5) with these params. For
//! an HTTPS record the client's protocol set is the `alpn` list plus the
//! default `http/1.1` unless `no-default-alpn` is there (§7.1.1, §9.1), so
//! `HTTPS 1 . alpn=h3` also says "HTTP/1.1 over TLS on that port".

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::DnsError;
use super::cursor::Cursor;
use super::name::Name;

/// The protocol an HTTPS record implies without naming it (RFC 9460 §9.1).
pub const DEFAULT_ALPN: &[u8] = b"http/1.1";

/// A SvcParamKey (RFC 9460 §14.3.2, IANA "Service Parameter Keys").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SvcParamKey(pub u16);

impl SvcParamKey {
    /// Keys the client must understand to use the record (§8).
    pub const MANDATORY: SvcParamKey = SvcParamKey(0);
    /// Protocols offered, as ALPN ids (§7.1).
    pub const ALPN: SvcParamKey = SvcParamKey(1);
    /// The default protocol set is not offered (§7.1).
    pub const NO_DEFAULT_ALPN: SvcParamKey = SvcParamKey(2);
    /// The endpoint's port (§7.2).
    pub const PORT: SvcParamKey = SvcParamKey(3);
    /// IPv4 addresses the client may use before resolving the target (§7.3).
    pub const IPV4HINT: SvcParamKey = SvcParamKey(4);
    /// An ECHConfigList (§7.3 of draft-ietf-tls-svcb-ech), carried opaque.
    pub const ECH: SvcParamKey = SvcParamKey(5);
    /// IPv6 addresses as ipv4hint (§7.3).
    pub const IPV6HINT: SvcParamKey = SvcParamKey(6);

    fn name(self) -> Option<&'static str> {
        Some(match self {
            SvcParamKey::MANDATORY => "mandatory",
            SvcParamKey::ALPN => "alpn",
            SvcParamKey::NO_DEFAULT_ALPN => "no-default-alpn",
            SvcParamKey::PORT => "port",
            SvcParamKey::IPV4HINT => "ipv4hint",
            SvcParamKey::ECH => "ech",
            SvcParamKey::IPV6HINT => "ipv6hint",
            _ => return None,
        })
    }
}

impl fmt::Display for SvcParamKey {
    /// The presentation name (§2.1), `keyNNNNN` for a key without one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "key{}", self.0),
        }
    }
}

/// One SvcParam with its value read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SvcParam {
    /// Keys that must be understood (never `mandatory` itself; §8).
    Mandatory(Vec<SvcParamKey>),
    /// ALPN ids, each 1–255 octets (§7.1.1).
    Alpn(Vec<Vec<u8>>),
    /// No value (§7.1.1).
    NoDefaultAlpn,
    /// A port (§7.2).
    Port(u16),
    /// IPv4 addresses, at least one (§7.3).
    Ipv4Hint(Vec<Ipv4Addr>),
    /// The ECHConfigList, opaque here.
    Ech(Vec<u8>),
    /// IPv6 addresses, at least one (§7.3).
    Ipv6Hint(Vec<Ipv6Addr>),
    /// A key this reader does not know, its value kept.
    Unknown(SvcParamKey, Vec<u8>),
}

impl SvcParam {
    /// Its key.
    pub fn key(&self) -> SvcParamKey {
        match self {
            SvcParam::Mandatory(_) => SvcParamKey::MANDATORY,
            SvcParam::Alpn(_) => SvcParamKey::ALPN,
            SvcParam::NoDefaultAlpn => SvcParamKey::NO_DEFAULT_ALPN,
            SvcParam::Port(_) => SvcParamKey::PORT,
            SvcParam::Ipv4Hint(_) => SvcParamKey::IPV4HINT,
            SvcParam::Ech(_) => SvcParamKey::ECH,
            SvcParam::Ipv6Hint(_) => SvcParamKey::IPV6HINT,
            SvcParam::Unknown(k, _) => *k,
        }
    }

    /// The value is one its key allows (§7, §8); the same rules on both
    /// sides, so nothing is written that would not be read back.
    fn check(&self) -> Result<(), DnsError> {
        let bad = |why| {
            Err(DnsError::SvcParamValue {
                key: self.key(),
                why,
            })
        };
        match self {
            SvcParam::Mandatory(keys) if keys.is_empty() => bad("empty list"),
            SvcParam::Mandatory(keys) if keys.contains(&SvcParamKey::MANDATORY) => {
                bad("lists mandatory itself (§8)")
            }
            SvcParam::Mandatory(keys) if keys.windows(2).any(|w| w[0] >= w[1]) => {
                bad("keys not in strictly increasing order (§8)")
            }
            SvcParam::Alpn(ids) if ids.is_empty() => bad("empty list"),
            SvcParam::Alpn(ids) if ids.iter().any(|i| i.is_empty() || i.len() > 255) => {
                bad("an ALPN id of 0 or over 255 octets (§7.1.1)")
            }
            SvcParam::Ipv4Hint(a) if a.is_empty() => bad("empty list"),
            SvcParam::Ipv6Hint(a) if a.is_empty() => bad("empty list"),
            _ => Ok(()),
        }
    }

    fn decode(key: SvcParamKey, value: &[u8]) -> Result<SvcParam, DnsError> {
        let bad = |why| Err(DnsError::SvcParamValue { key, why });
        let p = match key {
            SvcParamKey::MANDATORY if !value.len().is_multiple_of(2) => return bad("odd length"),
            SvcParamKey::MANDATORY => SvcParam::Mandatory(
                value
                    .chunks_exact(2)
                    .map(|c| SvcParamKey(u16::from_be_bytes([c[0], c[1]])))
                    .collect(),
            ),
            SvcParamKey::ALPN => {
                let mut ids = Vec::new();
                let mut rest = value;
                while let Some((&n, tail)) = rest.split_first() {
                    let n = usize::from(n);
                    if n > tail.len() {
                        return bad("an ALPN id runs past the value");
                    }
                    ids.push(tail[..n].to_vec());
                    rest = &tail[n..];
                }
                SvcParam::Alpn(ids)
            }
            SvcParamKey::NO_DEFAULT_ALPN if !value.is_empty() => return bad("has a value"),
            SvcParamKey::NO_DEFAULT_ALPN => SvcParam::NoDefaultAlpn,
            SvcParamKey::PORT => match <[u8; 2]>::try_from(value) {
                Ok(b) => SvcParam::Port(u16::from_be_bytes(b)),
                Err(_) => return bad("not 2 octets"),
            },
            SvcParamKey::IPV4HINT if !value.len().is_multiple_of(4) => {
                return bad("not whole addresses");
            }
            SvcParamKey::IPV4HINT => SvcParam::Ipv4Hint(
                value
                    .chunks_exact(4)
                    .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
                    .collect(),
            ),
            SvcParamKey::ECH => SvcParam::Ech(value.to_vec()),
            SvcParamKey::IPV6HINT if !value.len().is_multiple_of(16) => {
                return bad("not whole addresses");
            }
            SvcParamKey::IPV6HINT => SvcParam::Ipv6Hint(
                value
                    .chunks_exact(16)
                    .map(|c| Ipv6Addr::from(<[u8; 16]>::try_from(c).unwrap_or([0; 16])))
                    .collect(),
            ),
            _ => SvcParam::Unknown(key, value.to_vec()),
        };
        p.check()?;
        Ok(p)
    }

    fn encode_value(&self, out: &mut Vec<u8>) {
        match self {
            SvcParam::Mandatory(keys) => keys
                .iter()
                .for_each(|k| out.extend_from_slice(&k.0.to_be_bytes())),
            SvcParam::Alpn(ids) => {
                for id in ids {
                    // `check` keeps ids at 1..=255 octets.
                    out.push(id.len() as u8);
                    out.extend_from_slice(id);
                }
            }
            SvcParam::NoDefaultAlpn => {}
            SvcParam::Port(p) => out.extend_from_slice(&p.to_be_bytes()),
            SvcParam::Ipv4Hint(a) => a.iter().for_each(|a| out.extend_from_slice(&a.octets())),
            SvcParam::Ech(v) | SvcParam::Unknown(_, v) => out.extend_from_slice(v),
            SvcParam::Ipv6Hint(a) => a.iter().for_each(|a| out.extend_from_slice(&a.octets())),
        }
    }
}

/// SVCB or HTTPS record data; the record's type says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Svcb {
    /// 0 for AliasMode, else ServiceMode's preference (lower first).
    pub priority: u16,
    /// Where the service is; `.` in ServiceMode is the owner name.
    pub target: Name,
    /// The params in wire order (strictly increasing keys).
    pub params: Vec<SvcParam>,
}

impl Svcb {
    /// AliasMode (§2.4.2): the service is described at `target`.
    pub fn alias(target: Name) -> Svcb {
        Svcb {
            priority: 0,
            target,
            params: Vec::new(),
        }
    }

    /// ServiceMode (§2.4.3), the params put in key order.
    pub fn service(priority: u16, target: Name, mut params: Vec<SvcParam>) -> Svcb {
        params.sort_by_key(SvcParam::key);
        Svcb {
            priority: priority.max(1),
            target,
            params,
        }
    }

    /// Priority 0.
    pub fn is_alias(&self) -> bool {
        self.priority == 0
    }

    /// The param with this key.
    pub fn param(&self, key: SvcParamKey) -> Option<&SvcParam> {
        self.params.iter().find(|p| p.key() == key)
    }

    /// The `port` param.
    pub fn port(&self) -> Option<u16> {
        match self.param(SvcParamKey::PORT) {
            Some(SvcParam::Port(p)) => Some(*p),
            _ => None,
        }
    }

    /// The protocols an HTTPS record's client may use here (§7.1.1, §9.1):
    /// the `alpn` ids, then `http/1.1` unless listed or `no-default-alpn`
    /// is set. Empty in AliasMode.
    pub fn https_protocols(&self) -> Vec<Vec<u8>> {
        if self.is_alias() {
            return Vec::new();
        }
        let mut ids = match self.param(SvcParamKey::ALPN) {
            Some(SvcParam::Alpn(ids)) => ids.clone(),
            _ => Vec::new(),
        };
        let default = self.param(SvcParamKey::NO_DEFAULT_ALPN).is_none();
        if default && !ids.iter().any(|i| i == DEFAULT_ALPN) {
            ids.push(DEFAULT_ALPN.to_vec());
        }
        ids
    }

    pub(super) fn decode(cur: &mut Cursor<'_>) -> Result<Svcb, DnsError> {
        let priority = cur.u16("SvcPriority")?;
        // §2.2 says TargetName is sent uncompressed; a pointer is read
        // anyway, being harmless to a reader.
        let target = Name::decode(cur)?;
        let mut params: Vec<SvcParam> = Vec::new();
        while cur.left() > 0 {
            let key = SvcParamKey(cur.u16("SvcParamKey")?);
            if let Some(prev) = params.last().map(SvcParam::key)
                && key <= prev
            {
                return Err(DnsError::SvcParamOrder { prev, key });
            }
            let len = cur.u16("SvcParam length")?;
            let value = cur.take(usize::from(len), "SvcParam value")?;
            params.push(SvcParam::decode(key, value)?);
        }
        let svcb = Svcb {
            priority,
            target,
            params,
        };
        svcb.check_mandatory()?;
        Ok(svcb)
    }

    /// §8: every key in `mandatory` must be present, or the record is
    /// malformed.
    fn check_mandatory(&self) -> Result<(), DnsError> {
        if let Some(SvcParam::Mandatory(keys)) = self.param(SvcParamKey::MANDATORY)
            && keys.iter().any(|k| self.param(*k).is_none())
        {
            return Err(DnsError::SvcParamValue {
                key: SvcParamKey::MANDATORY,
                why: "lists a key the record does not have (§8)",
            });
        }
        Ok(())
    }

    /// Appends the record data; params out of order or with values their
    /// key refuses are an error, not written.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), DnsError> {
        out.extend_from_slice(&self.priority.to_be_bytes());
        self.target.encode(out);
        let mut prev: Option<SvcParamKey> = None;
        for p in &self.params {
            let key = p.key();
            if let Some(prev) = prev
                && key <= prev
            {
                return Err(DnsError::SvcParamOrder { prev, key });
            }
            prev = Some(key);
            p.check()?;
            out.extend_from_slice(&key.0.to_be_bytes());
            let at = out.len();
            out.extend_from_slice(&[0, 0]);
            p.encode_value(out);
            let len =
                u16::try_from(out.len() - at - 2).map_err(|_| DnsError::TooLong("SvcParam"))?;
            out[at..at + 2].copy_from_slice(&len.to_be_bytes());
        }
        self.check_mandatory()
    }
}

impl fmt::Display for Svcb {
    /// Presentation form as `dig` prints it (§2.1): `1 . alpn="h3,h2"
    /// port=8443`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.priority, self.target)?;
        for p in &self.params {
            write!(f, " {}", p.key())?;
            if *p != SvcParam::NoDefaultAlpn {
                write!(f, "={}", SvcParamValue(p))?;
            }
        }
        Ok(())
    }
}

/// A SvcParam's value in presentation form (RFC 9460 §2.1), what follows
/// `key=`: `"h3,h2"` for `alpn`, `8443` for `port`. `no-default-alpn` has
/// none (empty).
pub struct SvcParamValue<'a>(pub &'a SvcParam);

impl fmt::Display for SvcParamValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SvcParam::Mandatory(keys) => {
                let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                write!(f, "{}", keys.join(","))?;
            }
            SvcParam::Alpn(ids) => {
                f.write_str("\"")?;
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    // §7.1.1: a comma inside an id is escaped, then
                    // the value's own escaping applies.
                    for &b in id {
                        match b {
                            b',' => f.write_str("\\\\,")?,
                            _ => escape(f, b)?,
                        }
                    }
                }
                f.write_str("\"")?;
            }
            SvcParam::NoDefaultAlpn => {}
            SvcParam::Port(port) => write!(f, "{port}")?,
            SvcParam::Ipv4Hint(a) => {
                let a: Vec<String> = a.iter().map(|a| a.to_string()).collect();
                write!(f, "{}", a.join(","))?;
            }
            SvcParam::Ipv6Hint(a) => {
                let a: Vec<String> = a.iter().map(|a| a.to_string()).collect();
                write!(f, "{}", a.join(","))?;
            }
            SvcParam::Ech(v) => write!(f, "\"{}\"", base64(v))?,
            SvcParam::Unknown(_, v) => {
                f.write_str("\"")?;
                for &b in v {
                    escape(f, b)?;
                }
                f.write_str("\"")?;
            }
        }
        Ok(())
    }
}

/// One octet of a quoted presentation value (RFC 1035 §5.1).
fn escape(f: &mut fmt::Formatter<'_>, b: u8) -> fmt::Result {
    match b {
        b'"' | b'\\' => write!(f, "\\{}", b as char),
        0x20..=0x7e => write!(f, "{}", b as char),
        _ => write!(f, "\\{b:03}"),
    }
}

/// Base64 with padding (RFC 4648 §4), the presentation of `ech` (§7.3).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}
