//! One QUIC connection's Handshake and 1-RTT keys, from the key log's
//! TLS 1.3 secrets (RFC 9001 §5.1): the handshake traffic secrets protect
//! Handshake packets, the first application traffic secrets 1-RTT ones,
//! and each key update (§6) moves a direction's 1-RTT keys to the next
//! generation, which the Key Phase bit announces.

use crate::proto::quic::protection::{DirectionKeys, PayloadKey, next_secret};
use crate::proto::quic::{Opened, QuicError, Scratch, Side, Suite, Version};
use crate::tls_decrypt::{KeyLog, Label, Random};

use super::report::{KeysSeen, KeysStatus};

/// The longest secret of a suite QUIC uses (SHA-384's output).
const MAX_SECRET: usize = 48;

/// One direction's 1-RTT keys: the header key stays, the payload key
/// changes with each key update (RFC 9001 §6.1).
struct AppKeys {
    /// The header-protection key and the current generation's payload
    /// key, both expanded from one HMAC key of the first secret.
    keys: DirectionKeys,
    /// The secret of the current generation, to derive the next (the
    /// suite's length of it).
    secret: [u8; MAX_SECRET],
    /// The generation before, for packets reordered across an update
    /// (§6.5).
    previous: Option<PayloadKey>,
    /// The Key Phase bit of the current generation.
    phase: bool,
}

impl AppKeys {
    fn new(suite: Suite, version: Version, secret: &[u8]) -> AppKeys {
        let mut kept = [0; MAX_SECRET];
        kept[..secret.len()].copy_from_slice(secret);
        AppKeys {
            keys: DirectionKeys::new(suite, version, secret),
            secret: kept,
            previous: None,
            phase: false,
        }
    }
}

/// The keys of both directions.
pub(super) struct Keyed {
    suite: Suite,
    version: Version,
    handshake: [DirectionKeys; 2],
    app: [AppKeys; 2],
    /// Key updates seen, per direction.
    pub(super) updates: [u32; 2],
}

fn at(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

impl Keyed {
    /// The keys of the connection whose ClientHello had `random`, with the
    /// suite the ServerHello chose; or why there are none.
    pub(super) fn from_keylog(
        keylog: &KeyLog,
        random: [u8; 32],
        suite_code: u16,
        version: Version,
    ) -> Result<Keyed, KeysSeen> {
        let unusable = |reason: String| KeysSeen {
            status: KeysStatus::Unusable,
            reason,
        };
        let suite = Suite::from_code(suite_code).map_err(|e| unusable(e.to_string()))?;
        let Some(secrets) = keylog.secrets(&Random(random)) else {
            return Err(KeysSeen {
                status: KeysStatus::Missing,
                reason: "the key log has no secrets for this ClientHello's random".to_owned(),
            });
        };
        let labels = [
            Label::ClientHandshakeTrafficSecret,
            Label::ServerHandshakeTrafficSecret,
            Label::ClientTrafficSecret0,
            Label::ServerTrafficSecret0,
        ];
        let mut got: [&[u8]; 4] = [&[]; 4];
        for (label, got) in labels.into_iter().zip(&mut got) {
            match secrets.get(label) {
                Some(s) if s.0.len() == suite.secret_len() => *got = &s.0,
                Some(s) => {
                    return Err(unusable(format!(
                        "{label} is {} bytes, the suite's secrets {}",
                        s.0.len(),
                        suite.secret_len()
                    )));
                }
                None => {
                    return Err(KeysSeen {
                        status: KeysStatus::Missing,
                        reason: format!("the key log has no {label} for this ClientHello's random"),
                    });
                }
            }
        }
        Ok(Keyed {
            suite,
            version,
            handshake: [
                DirectionKeys::new(suite, version, got[0]),
                DirectionKeys::new(suite, version, got[1]),
            ],
            app: [
                AppKeys::new(suite, version, got[2]),
                AppKeys::new(suite, version, got[3]),
            ],
            updates: [0, 0],
        })
    }

    /// A Handshake packet from `from`, opened in `scratch`.
    pub(super) fn open_handshake<'s>(
        &self,
        from: Side,
        bytes: &[u8],
        pn_offset: usize,
        largest: Option<u64>,
        scratch: &'s mut Scratch,
    ) -> Result<Opened<'s>, QuicError> {
        self.handshake[at(from)]
            .open(bytes, pn_offset, largest, scratch)
            .map_err(|e| match e {
                QuicError::Open => QuicError::Undecryptable("Handshake"),
                e => e,
            })
    }

    /// A short-header packet from `from` whose Destination Connection ID
    /// is `dcid_len` bytes long, opened in `scratch`. A Key Phase bit other
    /// than the current generation's is tried with the next generation's
    /// keys (a key update, RFC 9001 §6.3), then with the previous one's (a
    /// packet reordered across an update, §6.5).
    pub(super) fn open_one_rtt<'s>(
        &mut self,
        from: Side,
        bytes: &[u8],
        dcid_len: usize,
        largest: Option<u64>,
        scratch: &'s mut Scratch,
    ) -> Result<Opened<'s>, QuicError> {
        let (suite, version) = (self.suite, self.version);
        let keys = &mut self.app[at(from)];
        let u = keys.keys.hp.unprotect(bytes, 1 + dcid_len, largest)?;
        let undecryptable = QuicError::Undecryptable("1-RTT");
        // Each try copies the packet into `scratch` afresh: ring leaves
        // the bytes of a failed one overwritten in a way it does not say.
        if u.key_phase == keys.phase {
            if keys.keys.payload.open(&u, bytes, scratch).is_err() {
                match &keys.previous {
                    Some(prev) => prev.open(&u, bytes, scratch).map_err(|_| undecryptable)?,
                    None => return Err(undecryptable),
                }
            }
        } else {
            let secret_len = suite.secret_len();
            let secret = next_secret(suite, version, &keys.secret[..secret_len]);
            let next = PayloadKey::new(suite, version, &secret);
            if next.open(&u, bytes, scratch).is_ok() {
                keys.previous = Some(std::mem::replace(&mut keys.keys.payload, next));
                keys.secret[..secret_len].copy_from_slice(&secret);
                keys.phase = u.key_phase;
                self.updates[at(from)] += 1;
            } else {
                match &keys.previous {
                    Some(prev) => prev.open(&u, bytes, scratch).map_err(|_| undecryptable)?,
                    None => return Err(undecryptable),
                }
            }
        }
        Ok(Opened {
            packet_number: u.packet_number,
            payload: scratch.plaintext(),
        })
    }
}
