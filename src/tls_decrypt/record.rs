//! Opening records: one [`Decrypter`] per connection and direction, fed that
//! direction's records in order, keeping the sequence numbers and the keys
//! of the moment.

use std::fmt;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey};

use super::error::{DecryptError, RecordProblem};
use super::keylog::{Label, Secret};
use super::suite::{Aead, Suite};
use super::{ContentType, Side, Version, tls12, tls13};

/// The record header: type, legacy version, length (RFC 8446 §5.1).
const HEADER_LEN: usize = 5;
/// The largest plaintext fragment (RFC 8446 §5.1, RFC 5246 §6.2.1).
const MAX_PLAINTEXT: usize = 1 << 14;
/// The largest TLS 1.3 ciphertext: 2^14 + 256 (RFC 8446 §5.2).
const MAX_CIPHERTEXT_13: usize = MAX_PLAINTEXT + 256;
/// The largest TLS 1.2 ciphertext: 2^14 + 2048 (RFC 5246 §6.2.3).
const MAX_CIPHERTEXT_12: usize = MAX_PLAINTEXT + 2048;
/// The explicit part of a TLS 1.2 AES-GCM nonce, sent before the
/// ciphertext (RFC 5288 §3).
const GCM_EXPLICIT_NONCE_LEN: usize = 8;

/// Which keys protect a direction's records at the moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Epoch {
    /// None yet: records go in the clear (hellos, TLS 1.2's whole handshake
    /// up to ChangeCipherSpec).
    Clear,
    /// TLS 1.3 handshake traffic keys.
    Handshake,
    /// TLS 1.3 application traffic keys of this generation (0 until the
    /// first KeyUpdate, RFC 8446 §7.2).
    Application(u64),
    /// TLS 1.2's keys from the key block, from ChangeCipherSpec on.
    KeyBlock,
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Epoch::Clear => f.write_str("clear"),
            Epoch::Handshake => f.write_str("handshake traffic"),
            Epoch::Application(n) => write!(f, "application traffic (generation {n})"),
            Epoch::KeyBlock => f.write_str("TLS 1.2 key block"),
        }
    }
}

/// A TLS 1.3 key change, which the caller sees in the handshake messages
/// the decrypter hands it (RFC 8446 §5.1: handshake messages never span a
/// key change, so it always falls between two records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// The direction sent its Finished: application traffic keys follow
    /// (RFC 8446 §4.4.4, §7.3). After the server's Finished for the server
    /// direction, after the client's Finished for the client direction.
    HandshakeFinished,
    /// The direction sent a KeyUpdate: its next generation follows
    /// (RFC 8446 §4.6.3). A KeyUpdate asking the peer to update too changes
    /// only the sender's keys; the peer's own KeyUpdate changes the peer's.
    KeyUpdate,
}

/// One record, opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened<'a> {
    /// The true content type: the header's in TLS 1.2 and in the clear, the
    /// inner plaintext's in TLS 1.3.
    pub content_type: ContentType,
    /// The plaintext (padding removed).
    pub bytes: &'a [u8],
    /// The keys it was opened with ([`Epoch::Clear`]: it was not encrypted).
    pub epoch: Epoch,
    /// Its sequence number under those keys (`None` in the clear).
    pub seq: Option<u64>,
}

/// An AEAD key with its IV and the next sequence number.
struct Keys {
    key: LessSafeKey,
    /// TLS 1.3 and ChaCha20 in TLS 1.2: the nonce mask; AES-GCM in TLS 1.2:
    /// the 4-byte salt and zeros.
    iv: [u8; 12],
    seq: u64,
}

impl Keys {
    fn new(suite: Suite, key: &[u8], iv: &[u8]) -> Self {
        let mut fixed = [0; 12];
        fixed[..iv.len()].copy_from_slice(iv);
        // The key is as long as the suite's AEAD wants: both derivations
        // size it from the same `Aead::key_len`.
        let unbound = UnboundKey::new(suite.aead.algorithm(), key)
            .unwrap_or_else(|_| unreachable!("key length follows the suite"));
        Keys {
            key: LessSafeKey::new(unbound),
            iv: fixed,
            seq: 0,
        }
    }

    /// Takes the next sequence number.
    fn next_seq(&mut self) -> Result<u64, DecryptError> {
        let seq = self.seq;
        self.seq = seq.checked_add(1).ok_or(DecryptError::SequenceExhausted)?;
        Ok(seq)
    }

    /// The per-record nonce of RFC 8446 §5.3 and RFC 7905 §2: the sequence
    /// number, big-endian and left-padded to 12 bytes, XORed into the IV.
    fn xor_nonce(&self, seq: u64) -> Nonce {
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        Nonce::assume_unique_for_key(nonce)
    }
}

/// Decrypts one direction of one connection.
pub struct Decrypter {
    side: Side,
    version: Version,
    suite: Suite,
    epoch: Epoch,
    /// The current epoch's keys; `None` in the clear, or when the key log
    /// lacks the secret (then `missing` says which).
    keys: Option<Keys>,
    missing: Option<Label>,
    /// TLS 1.3: the handshake traffic secret, until used.
    handshake_secret: Option<Secret>,
    /// TLS 1.3: the application traffic secret of the current (or, before
    /// the Finished, the first) generation.
    traffic_secret: Option<Secret>,
    /// TLS 1.2: the key block's keys, until ChangeCipherSpec.
    pending: Option<Keys>,
    /// A record has opened in this direction: a later failure is no longer
    /// taken for a wrong secret.
    opened_any: bool,
    /// The first protected record failed: the secret is not this
    /// connection's.
    mismatch: bool,
    renegotiated: bool,
    /// Plaintext of the last record.
    buf: Vec<u8>,
}

impl fmt::Debug for Decrypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypter")
            .field("side", &self.side)
            .field("version", &self.version)
            .field("suite", &self.suite)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl Decrypter {
    fn blank(side: Side, version: Version, suite: Suite) -> Self {
        Decrypter {
            side,
            version,
            suite,
            epoch: Epoch::Clear,
            keys: None,
            missing: None,
            handshake_secret: None,
            traffic_secret: None,
            pending: None,
            opened_any: false,
            mismatch: false,
            renegotiated: false,
            buf: Vec::new(),
        }
    }

    pub(crate) fn tls12(side: Side, suite: Suite, keys: &tls12::WriteKeys) -> Self {
        let mut d = Decrypter::blank(side, Version::Tls12, suite);
        d.pending = Some(Keys::new(suite, &keys.key, &keys.fixed_iv));
        d
    }

    pub(crate) fn tls13(
        side: Side,
        suite: Suite,
        handshake: Option<Secret>,
        traffic: Option<Secret>,
    ) -> Self {
        let mut d = Decrypter::blank(side, Version::Tls13, suite);
        d.handshake_secret = handshake;
        d.traffic_secret = traffic;
        d
    }

    /// A TLS 1.3 decrypter from raw secrets, for the unit tests.
    #[cfg(test)]
    pub(crate) fn tls13_for_tests(
        side: Side,
        suite: Suite,
        handshake: Option<Vec<u8>>,
        traffic: Option<Vec<u8>>,
    ) -> Self {
        Decrypter::tls13(side, suite, handshake.map(Secret), traffic.map(Secret))
    }

    /// A TLS 1.2 decrypter from one side's key block keys, for the unit tests.
    #[cfg(test)]
    pub(crate) fn tls12_for_tests(side: Side, suite: Suite, keys: &tls12::WriteKeys) -> Self {
        Decrypter::tls12(side, suite, keys)
    }

    /// Which direction this decrypter reads.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The connection's version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The connection's cipher suite.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The keys in use now.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The sequence number the next protected record will be opened with,
    /// while there are keys.
    pub fn next_seq(&self) -> Option<u64> {
        self.keys.as_ref().map(|k| k.seq)
    }

    /// Opens the direction's next record (header and fragment).
    ///
    /// Records in the clear come back as they are, with [`Epoch::Clear`]:
    /// everything before the first protected record, and in TLS 1.3 every
    /// ChangeCipherSpec (RFC 8446 §5: sent for middlebox compatibility,
    /// never protected, no sequence number). In TLS 1.2 the clear
    /// ChangeCipherSpec switches this direction to the key block's keys.
    ///
    /// # Errors
    ///
    /// See [`DecryptError`]. A failed record still takes its sequence
    /// number, so one altered record does not spoil the next.
    pub fn open(&mut self, record: &[u8]) -> Result<Opened<'_>, DecryptError> {
        let header = record
            .first_chunk::<HEADER_LEN>()
            .ok_or(DecryptError::Malformed(RecordProblem::ShortHeader))?;
        let outer = ContentType::from_byte(header[0]);
        let fragment = &record[HEADER_LEN..];
        let declared = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if declared != fragment.len() {
            return Err(DecryptError::Malformed(RecordProblem::LengthMismatch {
                declared,
                actual: fragment.len(),
            }));
        }
        match self.version {
            Version::Tls13 => {
                if outer == ContentType::ChangeCipherSpec {
                    return Ok(self.clear(outer, fragment));
                }
                if outer != ContentType::ApplicationData {
                    return match self.epoch {
                        Epoch::Clear => Ok(self.clear(outer, fragment)),
                        _ => Err(DecryptError::ClearAfterEncryption(outer)),
                    };
                }
                if fragment.len() > MAX_CIPHERTEXT_13 {
                    return Err(DecryptError::Malformed(RecordProblem::TooLong(
                        fragment.len(),
                    )));
                }
                if self.epoch == Epoch::Clear {
                    let secret = self.handshake_secret.take();
                    self.enter(Epoch::Handshake, secret.as_ref());
                }
                self.open_tls13(header, fragment)
            }
            Version::Tls12 => {
                if self.renegotiated {
                    return Err(DecryptError::Renegotiated);
                }
                if self.epoch == Epoch::Clear {
                    if outer == ContentType::ChangeCipherSpec {
                        // RFC 5246 §7.1: the records after this one use
                        // the pending state, sequence numbers from zero.
                        self.epoch = Epoch::KeyBlock;
                        self.keys = self.pending.take();
                    }
                    return Ok(self.clear(outer, fragment));
                }
                if fragment.len() > MAX_CIPHERTEXT_12 {
                    return Err(DecryptError::Malformed(RecordProblem::TooLong(
                        fragment.len(),
                    )));
                }
                self.open_tls12(header, fragment)
            }
        }
    }

    /// A record that was not encrypted, as it is (copied, so that every
    /// answer borrows the decrypter alone).
    fn clear(&mut self, content_type: ContentType, fragment: &[u8]) -> Opened<'_> {
        self.buf.clear();
        self.buf.extend_from_slice(fragment);
        Opened {
            content_type,
            bytes: &self.buf,
            epoch: Epoch::Clear,
            seq: None,
        }
    }

    /// Applies a TLS 1.3 key change the caller saw in the handshake
    /// messages; the next record is opened with the new keys.
    ///
    /// # Errors
    ///
    /// A change that does not fit: TLS 1.2 (whose keys change at
    /// ChangeCipherSpec, which [`Decrypter::open`] sees), a Finished when
    /// no handshake keys are in use, a KeyUpdate before the application
    /// keys.
    pub fn advance(&mut self, change: KeyChange) -> Result<(), DecryptError> {
        let next = match (self.version, change, self.epoch) {
            (Version::Tls13, KeyChange::HandshakeFinished, Epoch::Handshake) => {
                Epoch::Application(0)
            }
            (Version::Tls13, KeyChange::KeyUpdate, Epoch::Application(n)) => {
                // RFC 8446 §7.2: traffic_secret_N+1 from traffic_secret_N.
                self.traffic_secret = self
                    .traffic_secret
                    .take()
                    .map(|s| Secret(tls13::next_traffic_secret(self.suite.hash, &s.0)));
                Epoch::Application(n + 1)
            }
            (version, change, epoch) => {
                return Err(DecryptError::KeyChange {
                    change,
                    epoch,
                    version,
                });
            }
        };
        let secret = self.traffic_secret.clone();
        self.enter(next, secret.as_ref());
        Ok(())
    }

    /// Switches to `epoch`'s keys from a TLS 1.3 traffic secret.
    fn enter(&mut self, epoch: Epoch, secret: Option<&Secret>) {
        self.epoch = epoch;
        self.keys = secret.map(|s| {
            let (key, iv) = tls13::traffic_key_iv(self.suite, &s.0);
            Keys::new(self.suite, &key, &iv)
        });
        self.missing = match (self.side, epoch) {
            (_, _) if self.keys.is_some() => None,
            (Side::Client, Epoch::Handshake) => Some(Label::ClientHandshakeTrafficSecret),
            (Side::Server, Epoch::Handshake) => Some(Label::ServerHandshakeTrafficSecret),
            (Side::Client, _) => Some(Label::ClientTrafficSecret0),
            (Side::Server, _) => Some(Label::ServerTrafficSecret0),
        };
    }

    /// What a failed AEAD open means: on the direction's first protected
    /// record, a wrong secret; later, a lost or altered record.
    fn failed(&mut self, seq: u64) -> DecryptError {
        if self.opened_any {
            DecryptError::Authentication {
                seq,
                epoch: self.epoch,
            }
        } else {
            self.mismatch = true;
            DecryptError::KeyMismatch
        }
    }

    /// Why there are no keys to open a record with.
    fn no_keys(&self) -> DecryptError {
        if self.mismatch {
            DecryptError::KeyMismatch
        } else {
            DecryptError::MissingSecret(self.missing.unwrap_or(Label::ClientRandom))
        }
    }

    /// RFC 8446 §5.2: the additional data is the record header; the nonce
    /// is §5.3's; the inner plaintext is content, type, zeros.
    fn open_tls13(
        &mut self,
        header: &[u8; HEADER_LEN],
        fragment: &[u8],
    ) -> Result<Opened<'_>, DecryptError> {
        if fragment.len() < self.suite.aead.tag_len() + 1 {
            return Err(DecryptError::Malformed(RecordProblem::TooShort(
                fragment.len(),
            )));
        }
        let epoch = self.epoch;
        let Some(keys) = self.keys.as_mut().filter(|_| !self.mismatch) else {
            return Err(self.no_keys());
        };
        let seq = keys.next_seq()?;
        let nonce = keys.xor_nonce(seq);
        self.buf.clear();
        self.buf.extend_from_slice(fragment);
        let opened = keys
            .key
            .open_in_place(nonce, Aad::from(&header[..]), &mut self.buf)
            .map(|plain| plain.len());
        let Ok(plain_len) = opened else {
            return Err(self.failed(seq));
        };
        self.opened_any = true;
        // RFC 8446 §5.4: the content type is the last non-zero byte.
        let Some(type_at) = self.buf[..plain_len].iter().rposition(|&b| b != 0) else {
            return Err(DecryptError::NoContentType);
        };
        Ok(Opened {
            content_type: ContentType::from_byte(self.buf[type_at]),
            bytes: &self.buf[..type_at],
            epoch,
            seq: Some(seq),
        })
    }

    /// RFC 5246 §6.2.3.3: additional data = seq_num + type + version +
    /// length (of the plaintext); AES-GCM's nonce is the salt and the
    /// record's explicit 8 bytes (RFC 5288 §3), ChaCha20's is the IV XOR
    /// the sequence number (RFC 7905 §2).
    fn open_tls12(
        &mut self,
        header: &[u8; HEADER_LEN],
        fragment: &[u8],
    ) -> Result<Opened<'_>, DecryptError> {
        let tag_len = self.suite.aead.tag_len();
        let explicit = match self.suite.aead {
            Aead::Aes128Gcm | Aead::Aes256Gcm => GCM_EXPLICIT_NONCE_LEN,
            Aead::ChaCha20Poly1305 => 0,
        };
        if fragment.len() < explicit + tag_len {
            return Err(DecryptError::Malformed(RecordProblem::TooShort(
                fragment.len(),
            )));
        }
        let epoch = self.epoch;
        let Some(keys) = self.keys.as_mut().filter(|_| !self.mismatch) else {
            return Err(self.no_keys());
        };
        let seq = keys.next_seq()?;
        let (explicit_nonce, sealed) = fragment.split_at(explicit);
        let nonce = if explicit > 0 {
            let mut n = keys.iv;
            n[4..].copy_from_slice(explicit_nonce);
            Nonce::assume_unique_for_key(n)
        } else {
            keys.xor_nonce(seq)
        };
        let plain_len = sealed.len() - tag_len;
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&seq.to_be_bytes());
        aad[8..11].copy_from_slice(&header[..3]);
        // At most 2^14 + 2048 bytes: the length field holds it.
        aad[11..].copy_from_slice(&(plain_len as u16).to_be_bytes());
        self.buf.clear();
        self.buf.extend_from_slice(sealed);
        let opened = keys
            .key
            .open_in_place(nonce, Aad::from(aad), &mut self.buf)
            .map(|plain| plain.len());
        if opened.is_err() {
            return Err(self.failed(seq));
        }
        self.opened_any = true;
        let content_type = ContentType::from_byte(header[0]);
        // A protected ChangeCipherSpec starts a renegotiation's keys, from
        // randoms this decrypter never saw (RFC 5246 §7.4.1.1).
        self.renegotiated = content_type == ContentType::ChangeCipherSpec;
        Ok(Opened {
            content_type,
            bytes: &self.buf[..plain_len],
            epoch,
            seq: Some(seq),
        })
    }
}
