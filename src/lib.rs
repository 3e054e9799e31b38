//! wirelab makes HTTP's behaviour on the wire visible and testable.
//!
//! Its core lab reproduces "curl: (56) Recv failure: Connection reset by peer": a
//! server that answers and closes without reading the request makes the kernel
//! abort the connection with RST instead of closing it with FIN (RFC 1122
//! §4.2.2.13, RFC 2525 §2.17). A hand-written HTTP/1.x and HTTP/2 server with
//! switchable read modes causes it, a packet analyzer proves it from the packets.
//!
//! # Layout
//!
//! Data flows one way through the analyzer, [`analyze`] driving it:
//! [`capture`] (frames from a file or an interface) → [`wire`] (link, IP,
//! tunnels, TCP and UDP decoding) → [`flow`] (connection table and
//! per-endpoint TCP state, Zeek's `conn_state` and `history`) → [`teardown`] (how each
//! connection ended) → [`report`] (table, JSON, JSON Lines, Zeek conn.log,
//! each a [`report::output::Renderer`]; [`report::output`] decides which
//! stream and which wait for the end).
//!
//! When decoding is asked for, the application layer runs beside the flow
//! table: [`stream`] (per-direction TCP reassembly) → [`app`] (protocol
//! detection, HTTP/1.x, HTTP/2 and TLS handshake decoders, what a RST
//! destroyed), built on [`proto`] (pure protocol syntax: HPACK, HTTP/2
//! framing, TLS records and handshakes; it depends on nothing else in the
//! crate). The flow table only says which connection each segment went to
//! ([`flow::Applied`]), and asks what application knowledge its TCP rules
//! need (interactive services) through a trait it owns, [`flow::AppHook`],
//! which [`analyze::AppRules`] answers with [`app::interactive`]. UDP
//! datagrams reach the application stage's door too; no decoder reads them
//! yet.
//!
//! The teaching server lives in [`http`] (pure, incremental HTTP/1.x parsing in
//! two layers, syntax and the server's policy, and response encoding) and
//! [`server`] (a single-threaded mio event loop with read modes over a
//! `transport`, handing each connection to `h1` or to [`server::h2`], HTTP/2
//! in cleartext built on [`proto`]); [`client`] is
//! the scripted raw client the tests and labs drive it with (HTTP/1.x, and
//! HTTP/2 in `client::h2`); [`dns_server`] is `lab dns`, a loopback DNS
//! responder serving the `HTTPS` record of HTTP/3 discovery (on
//! [`proto`]'s DNS messages); [`labs`] joins server, capture, client and
//! analyzer into the reset lab, and shows the same run's beginning in
//! `labs::negotiate`.
//!
//! [`tls_decrypt`] opens TLS records with the secrets of an NSS key log
//! (TLS 1.3 and the TLS 1.2 AEAD suites), for the TLS decoding to come;
//! like [`proto`] it depends on nothing else in the crate.
//!
//! Not part of the tool, compiled only with their cargo features for the
//! tests, examples, benchmarks and fuzzers: `groundtruth` (connections that end
//! a known way, the benchmark's traffic and its truth file) and `fuzzing` (the
//! fuzz targets' bodies). `docs/ARCHITECTURE.md` has the module map.
//!
//! # Reading order
//!
//! Start with the walkthroughs in `labs/`, then [`server::ReadMode`], then
//! [`flow`] and [`teardown`].
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod analyze;
pub mod app;
pub mod capture;
pub mod client;
pub mod diagnose;
pub mod dns_server;
pub mod flow;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "groundtruth")]
pub mod groundtruth;
pub mod http;
pub mod labs;
pub mod proto;
pub mod report;
pub mod server;
pub mod stream;
pub mod teardown;
#[cfg(test)]
mod test_rng;
pub mod tls_decrypt;
pub mod wire;
