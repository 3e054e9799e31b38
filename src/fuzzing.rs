//! The bodies of the fuzz targets, in the library so that two callers share them:
//! the coverage-guided fuzzers in `fuzz/` (cargo-fuzz, libFuzzer) and the ordinary
//! test `tests/fuzz_corpora.rs`, which replays every committed corpus file and
//! every kept crasher through the same functions in CI.
//!
//! Not part of the API (hidden from the docs). Unlike the rest of the library these
//! functions *are* meant to panic: each one asserts the invariants of the parser it
//! drives, and a panic is how a fuzzer reports a broken invariant. The parsers
//! themselves must never panic, whatever the bytes.
//!
//! Input layouts (the first bytes steer, the rest is the input proper):
//!
//! | target | layout |
//! |---|---|
//! | [`http_request`] | `[limits, cut_a, cut_b, stream...]` |
//! | [`chunked_body`] | `[limit, cut, stream...]` |
//! | [`capture_file`] | a whole pcap or pcapng file |
//! | [`wire_frame`] | `[link type selector, length selector, frame...]` |
//! | [`analyze_capture`] | a whole pcap or pcapng file |
//! | [`tls_records`] | `[piece, len_hi, len_lo, client…, server…]` |
//! | [`tls_keylog`] | a key log file |
//! | [`tls_decrypt_records`] | `[suite and side, op...]` (see the function) |
//! | [`quic_initial`] | `[flags, dcid_len, dcid…, datagram…]` |
//! | [`annotate_capture`] | `[selector, pcap or pcapng file...]` |
//! | [`tls_inside`] | `[alpn, size, piece, len_hi, len_lo, client…, server…]` |
//! | [`dns_message`] | one DNS message (a UDP payload) |
//! | [`quic_one_rtt`] | a decrypted 1-RTT payload (frames) |
//! | [`h3_frames`] | `[cut, stream…]` |
//! | [`qpack_section`] | `[split, encoder stream…, field section…]` |

mod annotate;
mod capture;
mod connection;
mod dns;
mod h2;
mod h3;
mod http1;
mod quic;
mod tls;
mod tls_decrypt;
mod tls_inside;

pub use annotate::annotate_capture;
pub use capture::{ShortReads, analyze_capture, capture_file, wire_frame};
pub use connection::{app_connection, reassembly};
pub use dns::dns_message;
pub use h2::{h2_connection, h2_frames, h2_server, hpack_block};
pub use h3::{h3_frames, qpack_section, quic_one_rtt};
pub use http1::{chunked_body, http_request, http1_stream};
pub use quic::quic_initial;
pub use tls::tls_records;
pub use tls_decrypt::{tls_decrypt_records, tls_keylog};
pub use tls_inside::tls_inside;
