//! The `Alt-Svc` header field (RFC 7838 §3): a server naming other places
//! (protocol, host, port) where the same origin is served, such as
//! `h3=":8443"; ma=86400` for HTTP/3 on UDP port 8443 of the same host.
//!
//! ```text
//! Alt-Svc       = clear / 1#alt-value
//! alt-value     = alternative *( OWS ";" OWS parameter )
//! alternative   = protocol-id "=" alt-authority
//! protocol-id   = token                     ; percent-encoded ALPN id
//! alt-authority = quoted-string             ; [ uri-host ] ":" port
//! parameter     = token "=" ( token / quoted-string )
//! ```
//!
//! `ma` is the freshness in seconds (§3.1, default 24 hours) and
//! `persist=1` keeps the entry across network changes; `clear` tells the
//! client to forget the origin's alternatives.

use std::fmt;

use super::is_tchar;

/// One alternative service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// The ALPN id, percent-decoded (`h3`).
    pub protocol: String,
    /// The host, `None` for the origin's own.
    pub host: Option<String>,
    /// The port.
    pub port: u16,
    /// `ma`: seconds the entry is fresh, if given.
    pub max_age: Option<u64>,
    /// `persist=1`.
    pub persist: bool,
}

/// A parsed `Alt-Svc` field value, kept with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AltSvc {
    text: String,
    /// The alternatives; empty for `clear`.
    pub alternatives: Vec<Alternative>,
}

/// Why a value is not RFC 7838 §3's syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Alt-Svc value {value:?} is not RFC 7838 §3 syntax: {why}")]
pub struct AltSvcError {
    /// The value.
    pub value: String,
    /// What is wrong.
    pub why: String,
}

impl AltSvc {
    /// Parses a field value.
    pub fn parse(value: &str) -> Result<AltSvc, AltSvcError> {
        let fail = |why: String| AltSvcError {
            value: value.to_string(),
            why,
        };
        let trimmed = value.trim_matches([' ', '\t']);
        if trimmed == "clear" {
            return Ok(AltSvc {
                text: trimmed.to_string(),
                alternatives: Vec::new(),
            });
        }
        let mut p = Parser {
            s: trimmed.as_bytes(),
            at: 0,
        };
        let mut alternatives = Vec::new();
        loop {
            alternatives.push(p.alt_value().map_err(fail)?);
            p.ows();
            if p.at == p.s.len() {
                break;
            }
            if !p.eat(b',') {
                return Err(fail(format!("expected `,` or `;` at byte {}", p.at)));
            }
            p.ows();
        }
        Ok(AltSvc {
            text: trimmed.to_string(),
            alternatives,
        })
    }

    /// Is this `clear`?
    pub fn is_clear(&self) -> bool {
        self.alternatives.is_empty()
    }
}

impl fmt::Display for AltSvc {
    /// The value as given (trimmed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn token(&mut self, what: &str) -> Result<&str, String> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        if start == self.at {
            return Err(format!("expected a token ({what}) at byte {start}"));
        }
        // tchars are ASCII.
        Ok(std::str::from_utf8(&self.s[start..self.at]).unwrap_or_default())
    }

    /// RFC 9110 §5.6.4: `"…"` with `\` escapes.
    fn quoted(&mut self, what: &str) -> Result<String, String> {
        if !self.eat(b'"') {
            return Err(format!(
                "expected a quoted string ({what}) at byte {}",
                self.at
            ));
        }
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(format!("unterminated quoted string ({what})")),
                Some(b'"') => {
                    self.at += 1;
                    return String::from_utf8(out).map_err(|_| format!("{what} is not UTF-8"));
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                            out.push(b);
                            self.at += 1;
                        }
                        _ => return Err(format!("bad escape in {what}")),
                    }
                }
                Some(b) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                    out.push(b);
                    self.at += 1;
                }
                Some(b) => return Err(format!("control byte 0x{b:02x} in {what}")),
            }
        }
    }

    fn alt_value(&mut self) -> Result<Alternative, String> {
        let protocol = percent_decode(self.token("protocol-id")?)?;
        if !self.eat(b'=') {
            return Err(format!(
                "expected `=` after protocol-id at byte {}",
                self.at
            ));
        }
        let authority = self.quoted("alt-authority")?;
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| format!("alt-authority {authority:?} has no `:port`"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("alt-authority {authority:?}: port is not 0-65535"))?;
        let mut alt = Alternative {
            protocol,
            host: (!host.is_empty()).then(|| host.to_string()),
            port,
            max_age: None,
            persist: false,
        };
        loop {
            let save = self.at;
            self.ows();
            if !self.eat(b';') {
                self.at = save;
                return Ok(alt);
            }
            self.ows();
            let name = self.token("parameter name")?.to_ascii_lowercase();
            if !self.eat(b'=') {
                return Err(format!("parameter {name} has no `=`"));
            }
            let value = if self.peek() == Some(b'"') {
                self.quoted("parameter value")?
            } else {
                self.token("parameter value")?.to_string()
            };
            match name.as_str() {
                // §3.1: delta-seconds (RFC 9111 §1.2.2), digits only.
                "ma" => {
                    alt.max_age = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                            .ok_or_else(|| format!("ma={value} is not a number of seconds"))?,
                    )
                }
                "persist" => alt.persist = value == "1",
                // §3: unknown parameters are ignored by clients.
                _ => {}
            }
        }
    }
}

/// §3: protocol-id is an ALPN id with `%` and non-tchar octets
/// percent-encoded (`h2%3D` for `h2=`).
fn percent_decode(t: &str) -> Result<String, String> {
    let b = t.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = t
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-encoding in protocol-id {t:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("protocol-id {t:?} is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_from_rfc_7838_and_9114_parse() {
        let a = AltSvc::parse("h3=\":8443\"; ma=2592000").unwrap();
        assert_eq!(
            a.alternatives,
            [Alternative {
                protocol: "h3".into(),
                host: None,
                port: 8443,
                max_age: Some(2592000),
                persist: false
            }]
        );
        let a =
            AltSvc::parse("h2=\"alt.example.com:443\", w%3Dx%3Ay=\":80\";persist=1;ma=60").unwrap();
        assert_eq!(a.alternatives[0].host.as_deref(), Some("alt.example.com"));
        assert_eq!(a.alternatives[1].protocol, "w=x:y");
        assert!(a.alternatives[1].persist);
        assert_eq!(a.alternatives[1].max_age, Some(60));
        assert!(AltSvc::parse(" clear ").unwrap().is_clear());
        assert_eq!(
            AltSvc::parse("h3=\":443\"; ma=1").unwrap().to_string(),
            "h3=\":443\"; ma=1"
        );
    }

    #[test]
    fn broken_values_say_what_is_wrong() {
        for (v, why) in [
            ("h3=:8443", "quoted string"),
            ("h3=\"8443\"", "no `:port`"),
            ("h3=\":99999\"", "port"),
            ("h3=\":443\"; ma=soon", "ma=soon"),
            ("h3=\":443\" h2=\":443\"", "expected `,`"),
            ("=\":443\"", "protocol-id"),
            ("h3=\":443", "unterminated"),
            ("", "protocol-id"),
            ("h3=\":443\",", "protocol-id"),
        ] {
            let e = AltSvc::parse(v).unwrap_err();
            assert!(e.to_string().contains(why), "{v}: {e}");
            assert!(e.to_string().contains("RFC 7838 §3"));
        }
    }
}
