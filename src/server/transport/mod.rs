//! The byte stream a protocol runs on. Today that is plain TCP
//! ([`plain`]); TLS comes next and will sit here beside it, so that `h1/`
//! and `h2/` keep asking the same questions whatever carries their bytes:
//! is anything unread, did the peer reset, close gently or abortively.
//!
//! A read mode is a decision about the *transport*: what is left in the
//! kernel's receive queue when the socket is closed decides FIN or RST
//! (RFC 2525 §2.17). Each protocol states which of its bytes that is
//! ([`ReadMode`](super::ReadMode)).

pub(super) mod plain;
