//! The TLS 1.3 key schedule's last steps (RFC 8446 §7): from a traffic
//! secret, as the key log gives it, to the record key and IV, and from one
//! generation of application secret to the next.

use ring::hkdf;

use super::suite::{Hash, Suite};

/// An output length for ring's HKDF-Expand.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn algorithm(hash: Hash) -> hkdf::Algorithm {
    match hash {
        Hash::Sha256 => hkdf::HKDF_SHA256,
        Hash::Sha384 => hkdf::HKDF_SHA384,
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1): HKDF-Expand(secret, HkdfLabel, len),
/// where HkdfLabel is the output length (u16), the label prefixed with
/// "tls13 " (u8 length), and the context (u8 length). The key log's secret
/// is already a pseudorandom key, so there is no Extract step here.
pub(crate) fn expand_label(
    hash: Hash,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) {
    const PREFIX: &[u8] = b"tls13 ";
    // Every length here is a constant of this module (at most 48 bytes,
    // labels under 20): they fit their u8/u16 fields.
    let out_len = (out.len() as u16).to_be_bytes();
    let label_len = [(PREFIX.len() + label.len()) as u8];
    let context_len = [context.len() as u8];
    let info = [
        &out_len[..],
        &label_len,
        PREFIX,
        label,
        &context_len,
        context,
    ];
    let prk = hkdf::Prk::new_less_safe(algorithm(hash), secret);
    // Expand fails only for an output over 255 hash lengths; ours are at
    // most one.
    if let Ok(okm) = prk.expand(&info, Len(out.len())) {
        let _ = okm.fill(out);
    }
}

/// The record key and IV a traffic secret gives (RFC 8446 §7.3):
/// `key = HKDF-Expand-Label(secret, "key", "", key_length)`,
/// `iv = HKDF-Expand-Label(secret, "iv", "", 12)`.
pub(crate) fn traffic_key_iv(suite: Suite, secret: &[u8]) -> (Vec<u8>, [u8; 12]) {
    let mut key = vec![0; suite.aead.key_len()];
    let mut iv = [0; 12];
    expand_label(suite.hash, secret, b"key", &[], &mut key);
    expand_label(suite.hash, secret, b"iv", &[], &mut iv);
    (key, iv)
}

/// The next generation of an application traffic secret, after a
/// KeyUpdate (RFC 8446 §7.2):
/// `HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length)`.
pub(crate) fn next_traffic_secret(hash: Hash, secret: &[u8]) -> Vec<u8> {
    let mut next = vec![0; hash.output_len()];
    expand_label(hash, secret, b"traffic upd", &[], &mut next);
    next
}
