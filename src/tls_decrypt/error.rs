//! Why a connection or a record was not decrypted.

use super::keylog::Label;
use super::record::Epoch;
use super::{ContentType, Version};

/// Why no decrypter could be made for a connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The key log has no line for the ClientHello's random.
    #[error("the key log has no secrets for this connection's client random")]
    NoSecrets,
    /// A secret the version needs is missing.
    #[error("the key log has no {0} for this connection")]
    MissingSecret(Label),
    /// A secret whose length does not fit the suite's hash.
    #[error("the key log's {label} is {len} bytes, the cipher suite's hash makes {expected}")]
    SecretLength {
        /// Which secret.
        label: Label,
        /// Its length.
        len: usize,
        /// The length the suite's hash gives.
        expected: usize,
    },
    /// A TLS 1.2 CBC suite.
    #[error(
        "cipher suite {0:#06x} is a CBC suite: not supported (only AES-GCM and ChaCha20-Poly1305 are decrypted)"
    )]
    CbcNotSupported(u16),
    /// A suite this module does not know for the version.
    #[error("cipher suite {code:#06x} is not one this decrypter knows for {version:?}")]
    UnknownSuite {
        /// The version the ServerHello chose.
        version: Version,
        /// The suite it chose.
        code: u16,
    },
}

/// What was wrong with a record's framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordProblem {
    /// Shorter than the 5-byte header.
    ShortHeader,
    /// The header's length is not the fragment's.
    LengthMismatch {
        /// The header's length field.
        declared: usize,
        /// The bytes after the header.
        actual: usize,
    },
    /// Longer than the version allows (RFC 8446 §5.2: 2^14 + 256; RFC 5246
    /// §6.2.3: 2^14 + 2048).
    TooLong(usize),
    /// Too short to hold the explicit nonce and the tag.
    TooShort(usize),
}

/// Why a record was not decrypted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// The first protected record of the connection's direction failed
    /// authentication: the secret is not this connection's (or, for a TLS
    /// 1.3 client, the record is 0-RTT early data, which is not decrypted).
    /// Every later record of the direction gets the same answer.
    #[error("key log secret does not match this connection (AEAD tag failure on the first record)")]
    KeyMismatch,
    /// A later record failed authentication: a record missing from the
    /// capture or altered in it (the sequence number moves on, so the
    /// next record is still tried).
    #[error("record {seq} under the {epoch} keys failed authentication (record lost or altered)")]
    Authentication {
        /// The sequence number it was opened with.
        seq: u64,
        /// Under which keys.
        epoch: Epoch,
    },
    /// A secret the record needs is not in the key log.
    #[error("the key log has no {0} for this connection")]
    MissingSecret(Label),
    /// The record's framing is wrong.
    #[error("malformed record: {0:?}")]
    Malformed(RecordProblem),
    /// A TLS 1.3 record whose inner plaintext is all zeros: no content type
    /// (RFC 8446 §5.4: an unexpected_message).
    #[error("TLS 1.3 record without a content type (all padding)")]
    NoContentType,
    /// TLS 1.3: a record in the clear after the keys took over (only
    /// ChangeCipherSpec may be, RFC 8446 §5).
    #[error("{0:?} record in the clear after encryption started")]
    ClearAfterEncryption(ContentType),
    /// TLS 1.2 renegotiation: the new keys come from a handshake this
    /// decrypter did not see the randoms of.
    #[error("renegotiation: records after the second ChangeCipherSpec are not decrypted")]
    Renegotiated,
    /// A key change the version or the current keys do not allow.
    #[error("key change {change:?} does not apply under the {epoch} keys of {version:?}")]
    KeyChange {
        /// The change asked for.
        change: super::KeyChange,
        /// The keys in use.
        epoch: Epoch,
        /// The connection's version.
        version: Version,
    },
    /// 2^64 records under one key (RFC 8446 §5.3 forbids wrapping).
    #[error("sequence number exhausted")]
    SequenceExhausted,
}
