//! TLS 1.2's key block (RFC 5246 §6.3) from the master secret the key log's
//! `CLIENT_RANDOM` line gives, with the PRF of §5.

use ring::hmac;

use super::suite::{Hash, Suite};

/// P_hash (RFC 5246 §5): HMAC(secret, A(i) + seed) for A(1), A(2), ...
/// where A(0) = seed and A(i) = HMAC(secret, A(i-1)), concatenated and cut
/// to `out`'s length. The PRF is P_hash over label + seed.
pub(crate) fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    let algorithm = match hash {
        Hash::Sha256 => hmac::HMAC_SHA256,
        Hash::Sha384 => hmac::HMAC_SHA384,
    };
    let key = hmac::Key::new(algorithm, secret);
    let label_seed = [label, seed].concat();
    let mut a = hmac::sign(&key, &label_seed);
    let mut filled = 0;
    while filled < out.len() {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(&label_seed);
        let block = ctx.sign();
        let n = block.as_ref().len().min(out.len() - filled);
        out[filled..filled + n].copy_from_slice(&block.as_ref()[..n]);
        filled += n;
        a = hmac::sign(&key, a.as_ref());
    }
}

/// One side's write key and fixed IV (no MAC key: AEAD suites have none).
pub(crate) struct WriteKeys {
    pub key: Vec<u8>,
    pub fixed_iv: Vec<u8>,
}

/// The key block (RFC 5246 §6.3): PRF(master_secret, "key expansion",
/// server_random + client_random), cut in order into the client and server
/// MAC keys (empty here), write keys and IVs.
pub(crate) fn key_block(
    suite: Suite,
    master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> (WriteKeys, WriteKeys) {
    let key_len = suite.aead.key_len();
    let iv_len = suite.tls12_fixed_iv_len();
    let mut block = vec![0; 2 * (key_len + iv_len)];
    let seed = [&server_random[..], &client_random[..]].concat();
    prf(
        suite.hash,
        master_secret,
        b"key expansion",
        &seed,
        &mut block,
    );
    let (client_key, rest) = block.split_at(key_len);
    let (server_key, rest) = rest.split_at(key_len);
    let (client_iv, server_iv) = rest.split_at(iv_len);
    (
        WriteKeys {
            key: client_key.to_vec(),
            fixed_iv: client_iv.to_vec(),
        },
        WriteKeys {
            key: server_key.to_vec(),
            fixed_iv: server_iv.to_vec(),
        },
    )
}
