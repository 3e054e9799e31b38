//! Sealing records as a sender would, with the same key schedule: what the
//! unit tests and the fuzz target (`fuzzing::tls_records`) feed the
//! decrypter. Not part of the tool (compiled for tests and fuzzing only).

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey};

use super::suite::Suite;
use super::{tls12, tls13};

/// Seals like a TLS 1.3 sender: inner plaintext = content, type, `pad` zeros.
pub(crate) fn seal13(
    s: Suite,
    secret: &[u8],
    seq: u64,
    ty: u8,
    content: &[u8],
    pad: usize,
) -> Vec<u8> {
    let (key, iv) = tls13::traffic_key_iv(s, secret);
    let key = LessSafeKey::new(
        UnboundKey::new(s.aead.algorithm(), &key)
            .unwrap_or_else(|_| unreachable!("key length follows the suite")),
    );
    let mut nonce = iv;
    for (n, b) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= b;
    }
    let mut body = content.to_vec();
    body.push(ty);
    body.resize(body.len() + pad, 0);
    let len = (body.len() + s.aead.tag_len()) as u16;
    let header = [23, 3, 3, len.to_be_bytes()[0], len.to_be_bytes()[1]];
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(header),
        &mut body,
    )
    .unwrap_or_else(|_| unreachable!("a record of at most 2^16 bytes seals"));
    [&header[..], &body].concat()
}

/// Seals like a TLS 1.2 sender with the key block's keys.
pub(crate) fn seal12(
    s: Suite,
    keys: &tls12::WriteKeys,
    seq: u64,
    ty: u8,
    content: &[u8],
) -> Vec<u8> {
    let key = LessSafeKey::new(
        UnboundKey::new(s.aead.algorithm(), &keys.key)
            .unwrap_or_else(|_| unreachable!("key length follows the suite")),
    );
    let mut nonce = [0u8; 12];
    let explicit: Vec<u8> = if keys.fixed_iv.len() == 4 {
        nonce[..4].copy_from_slice(&keys.fixed_iv);
        // Any explicit nonce will do; senders often use the sequence number.
        let e = (seq ^ 0x5a5a).to_be_bytes().to_vec();
        nonce[4..].copy_from_slice(&e);
        e
    } else {
        nonce.copy_from_slice(&keys.fixed_iv);
        for (n, b) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= b;
        }
        Vec::new()
    };
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend_from_slice(&[ty, 3, 3]);
    aad.extend_from_slice(&(content.len() as u16).to_be_bytes());
    let mut body = content.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut body,
    )
    .unwrap_or_else(|_| unreachable!("a record of at most 2^16 bytes seals"));
    let fragment = [explicit, body].concat();
    let len = (fragment.len() as u16).to_be_bytes();
    [&[ty, 3, 3, len[0], len[1]][..], &fragment].concat()
}

/// Seals one direction's records under whatever keys the decrypter expects,
/// from the secrets it was given: the fuzz target's way of reaching the
/// decrypter's success paths.
#[cfg(feature = "fuzzing")]
pub(crate) struct Sealer {
    suite: Suite,
    handshake: Vec<u8>,
    traffic0: Vec<u8>,
    key_block: tls12::WriteKeys,
}

#[cfg(feature = "fuzzing")]
impl Sealer {
    /// For `side` of a connection with these secrets and randoms.
    pub(crate) fn new(
        suite: Suite,
        side: super::Side,
        handshake: &[u8],
        traffic0: &[u8],
        master: &[u8],
        randoms: (&[u8; 32], &[u8; 32]),
    ) -> Self {
        let (client, server) = tls12::key_block(suite, master, randoms.0, randoms.1);
        Sealer {
            suite,
            handshake: handshake.to_vec(),
            traffic0: traffic0.to_vec(),
            key_block: match side {
                super::Side::Client => client,
                super::Side::Server => server,
            },
        }
    }

    /// A record of type `ty` sealed under `epoch`'s keys with `seq`; `None`
    /// for the clear epoch. TLS 1.3 records carry `ty` inside, with `pad`
    /// zeros after it.
    pub(crate) fn seal(
        &self,
        epoch: super::Epoch,
        seq: u64,
        ty: u8,
        content: &[u8],
        pad: usize,
    ) -> Option<Vec<u8>> {
        use super::Epoch;
        match epoch {
            Epoch::Clear => None,
            Epoch::KeyBlock => Some(seal12(self.suite, &self.key_block, seq, ty, content)),
            Epoch::Handshake => Some(seal13(self.suite, &self.handshake, seq, ty, content, pad)),
            Epoch::Application(n) => {
                let mut secret = self.traffic0.clone();
                for _ in 0..n {
                    secret = tls13::next_traffic_secret(self.suite.hash, &secret);
                }
                Some(seal13(self.suite, &secret, seq, ty, content, pad))
            }
        }
    }
}
