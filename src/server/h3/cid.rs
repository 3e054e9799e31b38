//! The endpoint's connection IDs and reset tokens, from two keys made at
//! start and kept across an endpoint restart: what lets a restarted
//! endpoint recognise the IDs it issued before and answer them with a
//! stateless reset the client can verify (RFC 9000 §10.3.2: a static key).
//!
//! A connection ID is 4 random bytes and the first 4 bytes of
//! HMAC-SHA256(cid key, those 4): the endpoint can tell its own IDs from
//! noise without remembering them. The reset token of an ID is the first
//! 16 bytes of HMAC-SHA256(reset key, ID), as quinn derives it
//! (`ResetToken::new` with a ring HMAC key).

use std::sync::Arc;
use std::time::Duration;

use quinn::{ConnectionId, ConnectionIdGenerator};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// Bytes of a connection ID.
pub(super) const CID_LEN: usize = 8;
const NONCE: usize = 4;

/// The two keys.
#[derive(Clone)]
pub(super) struct Keys {
    cid: Arc<hmac::Key>,
    pub reset: Arc<hmac::Key>,
}

impl Keys {
    pub fn generate() -> Result<Keys, ring::error::Unspecified> {
        let rng = SystemRandom::new();
        Ok(Keys {
            cid: Arc::new(hmac::Key::generate(hmac::HMAC_SHA256, &rng)?),
            reset: Arc::new(hmac::Key::generate(hmac::HMAC_SHA256, &rng)?),
        })
    }

    /// Whether `cid` is one this endpoint issued (in any of its lives).
    pub fn issued(&self, cid: &[u8]) -> bool {
        cid.len() == CID_LEN
            && hmac::sign(&self.cid, &cid[..NONCE]).as_ref()[..NONCE] == cid[NONCE..]
    }

    /// The stateless reset token of `cid` (RFC 9000 §10.3).
    pub fn reset_token(&self, cid: &[u8]) -> [u8; 16] {
        let mut token = [0; 16];
        token.copy_from_slice(&hmac::sign(&self.reset, cid).as_ref()[..16]);
        token
    }

    /// quinn's generator for this endpoint.
    pub fn generator(&self) -> Generator {
        Generator {
            key: self.cid.clone(),
            rng: SystemRandom::new(),
        }
    }
}

pub(super) struct Generator {
    key: Arc<hmac::Key>,
    rng: SystemRandom,
}

impl ConnectionIdGenerator for Generator {
    fn generate_cid(&mut self) -> ConnectionId {
        let mut id = [0u8; CID_LEN];
        // SystemRandom reads getrandom(2); it does not fail on Linux once
        // the pool is initialised, and a zero nonce would still be valid.
        let _ = self.rng.fill(&mut id[..NONCE]);
        let tag = hmac::sign(&self.key, &id[..NONCE]);
        id[NONCE..].copy_from_slice(&tag.as_ref()[..NONCE]);
        ConnectionId::new(&id)
    }

    fn validate(&self, cid: &ConnectionId) -> Result<(), quinn_proto::InvalidCid> {
        let id: &[u8] = cid;
        if id.len() == CID_LEN
            && hmac::sign(&self.key, &id[..NONCE]).as_ref()[..NONCE] == id[NONCE..]
        {
            Ok(())
        } else {
            Err(quinn_proto::InvalidCid)
        }
    }

    fn cid_len(&self) -> usize {
        CID_LEN
    }

    fn cid_lifetime(&self) -> Option<Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_ids_validate_and_noise_does_not() {
        let keys = Keys::generate().unwrap();
        let mut g = keys.generator();
        let id = g.generate_cid();
        assert!(keys.issued(&id));
        assert!(g.validate(&id).is_ok());
        assert!(!keys.issued(b"ello wor"));
        assert!(!keys.issued(&id[..7]));
        assert_ne!(keys.reset_token(&id), keys.reset_token(b"ello wor"));
    }
}
