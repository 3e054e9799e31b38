//! The NSS key log format: one secret per line, `LABEL <client random>
//! <secret>`, both in hex, as NSS, OpenSSL, BoringSSL, rustls and curl write
//! it to `SSLKEYLOGFILE` (documented by NSS and, since 2024, by the IETF
//! draft-ietf-tls-keylogfile). Lines starting with `#` are comments.
//!
//! Parsing never fails: a line that cannot be used is counted, with its
//! line number, and the rest of the file still counts. A file with nothing
//! usable is an empty key log, and each connection then says why it was not
//! decrypted.

use std::collections::HashMap;
use std::fmt;

use super::Random;

/// The labels a decrypter uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    /// TLS 1.2 (and earlier): the 48-byte master secret (RFC 5246 §8.1).
    ClientRandom,
    /// TLS 1.3: the client's handshake traffic secret (RFC 8446 §7.1).
    ClientHandshakeTrafficSecret,
    /// TLS 1.3: the server's handshake traffic secret.
    ServerHandshakeTrafficSecret,
    /// TLS 1.3: the client's first application traffic secret.
    ClientTrafficSecret0,
    /// TLS 1.3: the server's first application traffic secret.
    ServerTrafficSecret0,
    /// TLS 1.3: the exporter master secret (kept; no record uses it).
    ExporterSecret,
}

impl Label {
    /// The label as the file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::ClientRandom => "CLIENT_RANDOM",
            Label::ClientHandshakeTrafficSecret => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            Label::ServerHandshakeTrafficSecret => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            Label::ClientTrafficSecret0 => "CLIENT_TRAFFIC_SECRET_0",
            Label::ServerTrafficSecret0 => "SERVER_TRAFFIC_SECRET_0",
            Label::ExporterSecret => "EXPORTER_SECRET",
        }
    }

    fn parse(word: &[u8]) -> Option<Self> {
        Some(match word {
            b"CLIENT_RANDOM" => Label::ClientRandom,
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" => Label::ClientHandshakeTrafficSecret,
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET" => Label::ServerHandshakeTrafficSecret,
            b"CLIENT_TRAFFIC_SECRET_0" => Label::ClientTrafficSecret0,
            b"SERVER_TRAFFIC_SECRET_0" => Label::ServerTrafficSecret0,
            b"EXPORTER_SECRET" => Label::ExporterSecret,
            _ => return None,
        })
    }

    /// The lengths a secret under this label can have: the master secret is
    /// always 48 bytes (RFC 5246 §8.1); a TLS 1.3 secret is as long as the
    /// suite's hash, SHA-256 or SHA-384 (RFC 8446 §7.1).
    fn fits(self, len: usize) -> bool {
        match self {
            Label::ClientRandom => len == 48,
            _ => len == 32 || len == 48,
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Labels of the key log format that this decrypter does not use: 0-RTT
/// early data and the RSA key transport shortcut. Counted, not errors.
const IGNORED: [&[u8]; 3] = [
    b"CLIENT_EARLY_TRAFFIC_SECRET",
    b"EARLY_EXPORTER_SECRET",
    b"RSA",
];

/// Whether a label is one of the format's that this decrypter does not
/// use: [`IGNORED`], and the application secrets after a KeyUpdate
/// (`CLIENT_TRAFFIC_SECRET_1`, ...; OpenSSL 3.0 writes them as
/// `..._TRAFFIC_SECRET_N`), which the decrypter derives from generation 0
/// itself (RFC 8446 §7.2).
fn ignored(label: &[u8]) -> bool {
    let later_generation = [&b"CLIENT_TRAFFIC_SECRET_"[..], b"SERVER_TRAFFIC_SECRET_"]
        .iter()
        .any(|prefix| {
            label
                .strip_prefix(*prefix)
                .is_some_and(|n| !n.is_empty() && n != b"0")
        });
    IGNORED.contains(&label) || later_generation
}

/// A secret's bytes. Its `Debug` shows the length only, so that a report
/// or a log line never carries key material by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

/// Every secret the key log holds for one client random.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    /// `CLIENT_RANDOM`.
    pub master_secret: Option<Secret>,
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    pub client_handshake: Option<Secret>,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub server_handshake: Option<Secret>,
    /// `CLIENT_TRAFFIC_SECRET_0`.
    pub client_traffic_0: Option<Secret>,
    /// `SERVER_TRAFFIC_SECRET_0`.
    pub server_traffic_0: Option<Secret>,
    /// `EXPORTER_SECRET`.
    pub exporter: Option<Secret>,
}

impl Secrets {
    /// The secret under `label`, if the key log had it.
    pub fn get(&self, label: Label) -> Option<&Secret> {
        self.slot(label).as_ref()
    }

    fn slot(&self, label: Label) -> &Option<Secret> {
        match label {
            Label::ClientRandom => &self.master_secret,
            Label::ClientHandshakeTrafficSecret => &self.client_handshake,
            Label::ServerHandshakeTrafficSecret => &self.server_handshake,
            Label::ClientTrafficSecret0 => &self.client_traffic_0,
            Label::ServerTrafficSecret0 => &self.server_traffic_0,
            Label::ExporterSecret => &self.exporter,
        }
    }

    fn slot_mut(&mut self, label: Label) -> &mut Option<Secret> {
        match label {
            Label::ClientRandom => &mut self.master_secret,
            Label::ClientHandshakeTrafficSecret => &mut self.client_handshake,
            Label::ServerHandshakeTrafficSecret => &mut self.server_handshake,
            Label::ClientTrafficSecret0 => &mut self.client_traffic_0,
            Label::ServerTrafficSecret0 => &mut self.server_traffic_0,
            Label::ExporterSecret => &mut self.exporter,
        }
    }
}

/// What was wrong with a line the key log could not use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineProblem {
    /// Not three space-separated fields.
    FieldCount(usize),
    /// A first field that is no key log label.
    UnknownLabel,
    /// The client random is not 64 hex digits.
    BadClientRandom,
    /// The secret is not an even number of hex digits.
    BadSecretHex,
    /// A secret of a length its label cannot have.
    SecretLength {
        /// The line's label.
        label: Label,
        /// The secret's length in bytes.
        len: usize,
    },
    /// The same label and client random again with another secret; the
    /// first one is kept.
    Conflict(Label),
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineProblem::FieldCount(n) => write!(f, "{n} fields, expected 3"),
            LineProblem::UnknownLabel => f.write_str("unknown label"),
            LineProblem::BadClientRandom => f.write_str("client random is not 64 hex digits"),
            LineProblem::BadSecretHex => f.write_str("secret is not hex"),
            LineProblem::SecretLength { label, len } => {
                write!(f, "{label} secret of {len} bytes")
            }
            LineProblem::Conflict(label) => {
                write!(f, "a second, different {label} for the same client random")
            }
        }
    }
}

/// A line the key log could not use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub problem: LineProblem,
}

/// How many lines went where.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyLogCounts {
    /// Lines read.
    pub lines: usize,
    /// Secrets kept.
    pub secrets: usize,
    /// Comments and blank lines.
    pub comments: usize,
    /// Lines with a label this decrypter does not use (`CLIENT_EARLY_TRAFFIC_SECRET`,
    /// `EARLY_EXPORTER_SECRET`, `RSA`, the traffic secrets after generation 0).
    pub ignored: usize,
    /// The same secret again (harmless: rustls and curl may both log it).
    pub repeated: usize,
    /// Lines that could not be used.
    pub malformed: usize,
}

/// At most this many malformed lines are kept with their numbers (all are
/// counted), so that a wrong file given as a key log costs little memory.
pub const MAX_MALFORMED_KEPT: usize = 100;

/// A parsed key log.
#[derive(Clone, Debug, Default)]
pub struct KeyLog {
    by_random: HashMap<Random, Secrets>,
    counts: KeyLogCounts,
    malformed: Vec<Malformed>,
}

impl KeyLog {
    /// Parses a key log's bytes. Never fails: see [`KeyLog::malformed`].
    pub fn parse(text: &[u8]) -> Self {
        let mut log = KeyLog::default();
        if text.is_empty() {
            return log;
        }
        // A final newline ends the last line; it does not start another.
        let body = text.strip_suffix(b"\n").unwrap_or(text);
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            log.counts.lines += 1;
            log.line(i + 1, line);
        }
        log
    }

    /// The secrets for a connection's client random.
    pub fn secrets(&self, client_random: &Random) -> Option<&Secrets> {
        self.by_random.get(client_random)
    }

    /// How many lines went where.
    pub fn counts(&self) -> KeyLogCounts {
        self.counts
    }

    /// The malformed lines, in file order (the first
    /// [`MAX_MALFORMED_KEPT`]; `counts().malformed` has them all).
    pub fn malformed(&self) -> &[Malformed] {
        &self.malformed
    }

    /// How many connections (client randoms) the key log has secrets for.
    pub fn connections(&self) -> usize {
        self.by_random.len()
    }

    fn line(&mut self, number: usize, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            self.counts.comments += 1;
            return;
        }
        // The first three words and how many there are: a line is read
        // in place, with no list per line (a QUIC key log has five lines
        // per connection, hundreds of thousands in a benchmark's).
        let mut fields: [&[u8]; 3] = [&[]; 3];
        let mut count = 0;
        for word in trimmed
            .split(|b| b.is_ascii_whitespace())
            .filter(|f| !f.is_empty())
        {
            if let Some(slot) = fields.get_mut(count) {
                *slot = word;
            }
            count += 1;
        }
        if count > 0 && ignored(fields[0]) {
            self.counts.ignored += 1;
            return;
        }
        match Self::entry(&fields, count) {
            Ok((label, random, secret)) => self.keep(number, label, random, secret),
            Err(problem) => self.reject(number, problem),
        }
    }

    /// A line's entry from its first three words and its word count.
    fn entry(fields: &[&[u8]; 3], count: usize) -> Result<(Label, Random, Secret), LineProblem> {
        if count != 3 {
            return Err(LineProblem::FieldCount(count));
        }
        let [label, random, secret] = *fields;
        let label = Label::parse(label).ok_or(LineProblem::UnknownLabel)?;
        let mut bytes = [0u8; 32];
        let random = (random.len() == 64 && hex_into(random, &mut bytes))
            .then_some(bytes)
            .ok_or(LineProblem::BadClientRandom)?;
        let secret = hex(secret).ok_or(LineProblem::BadSecretHex)?;
        if !label.fits(secret.len()) {
            return Err(LineProblem::SecretLength {
                label,
                len: secret.len(),
            });
        }
        Ok((label, Random(random), Secret(secret)))
    }

    fn keep(&mut self, number: usize, label: Label, random: Random, secret: Secret) {
        let slot = self.by_random.entry(random).or_default().slot_mut(label);
        match slot {
            None => {
                *slot = Some(secret);
                self.counts.secrets += 1;
            }
            Some(kept) if *kept == secret => self.counts.repeated += 1,
            Some(_) => self.reject(number, LineProblem::Conflict(label)),
        }
    }

    fn reject(&mut self, line: usize, problem: LineProblem) {
        self.counts.malformed += 1;
        if self.malformed.len() < MAX_MALFORMED_KEPT {
            self.malformed.push(Malformed { line, problem });
        }
    }
}

/// Hex digits to bytes; `None` for an odd count or a non-hex digit.
fn hex(digits: &[u8]) -> Option<Vec<u8>> {
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let mut out = vec![0; digits.len() / 2];
    hex_into(digits, &mut out).then_some(out)
}

/// Hex digits into `out`, which holds exactly half as many bytes; false
/// for a non-hex digit.
fn hex_into(digits: &[u8], out: &mut [u8]) -> bool {
    debug_assert_eq!(digits.len(), out.len() * 2);
    // A table and one check at the end instead of a branch per digit: a
    // key log is megabytes of hex, read before the first packet.
    let mut bad = 0u8;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (NIBBLE[pair[0] as usize], NIBBLE[pair[1] as usize]);
        bad |= high | low;
        *byte = high << 4 | low;
    }
    bad & NOT_HEX == 0
}

/// A digit's value, or [`NOT_HEX`] for a byte that is not a hex digit.
const NIBBLE: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut d = 0;
    while d < 256 {
        if let Some(v) = nibble(d as u8) {
            table[d] = v;
        }
        d += 1;
    }
    table
};

/// The mark of a non-hex byte in [`NIBBLE`]: a bit no digit's value has.
const NOT_HEX: u8 = 0x10;

const fn nibble(d: u8) -> Option<u8> {
    match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        b'A'..=b'F' => Some(d - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
