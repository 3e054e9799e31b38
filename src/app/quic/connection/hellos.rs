//! The hellos read from the Initial CRYPTO streams: the ClientHello's
//! name, ALPN and transport parameters, the ServerHello's suite, and with
//! it the Handshake and 1-RTT keys from the key log.

use crate::proto::quic::{Side, TransportParameter, TransportParameters};
use crate::proto::tls::{ClientHelloView, HandshakeType, ServerHello};

use super::super::keyed::Keyed;
use super::super::report::{KeysSeen, KeysStatus, ServerHelloSeen};
use super::QuicConnection;

impl QuicConnection {
    /// A whole handshake message from the Initial CRYPTO stream.
    pub(super) fn message(&mut self, frame: u64, from: Side, t: HandshakeType, body: &[u8]) {
        match (from, t) {
            (Side::Client, HandshakeType::ClientHello) => {
                // Read in place: only the random, the name, ALPN and the
                // transport parameters are kept, nothing else is copied.
                let Ok(hello) = ClientHelloView::parse(body) else {
                    return;
                };
                self.client_random = Some(hello.random);
                let e = hello.extensions;
                let lossy = |name: &[u8]| String::from_utf8_lossy(name).into_owned();
                self.report.sni = e.server_name().map(lossy);
                self.report.alpn_offered = e
                    .alpn()
                    .map(|names| names.map(lossy).collect())
                    .unwrap_or_default();
                if let Some(tp) = e.quic_transport_parameters() {
                    match TransportParameters::parse(tp) {
                        Ok(tp) => {
                            self.client_greases = tp.0.contains(&TransportParameter::GreaseQuicBit);
                            self.report.transport_parameters = tp.0;
                        }
                        Err(err) => self.problem(frame, from, err),
                    }
                }
            }
            (Side::Server, HandshakeType::ServerHello) => {
                if let Ok(hello) = ServerHello::parse(body) {
                    self.report.server_hello = Some(ServerHelloSeen {
                        version: hello.version(),
                        cipher_suite: hello.cipher_suite,
                    });
                    self.key_log(hello.cipher_suite);
                }
            }
            _ => {}
        }
    }

    /// The Handshake and 1-RTT keys from the key log, once the ServerHello
    /// named the suite.
    pub(super) fn key_log(&mut self, suite: u16) {
        let (Some(keylog), None) = (&self.keylog, &self.report.keys) else {
            return;
        };
        let Some(random) = self.client_random else {
            return;
        };
        let version = self
            .report
            .version
            .unwrap_or(crate::proto::quic::Version::V1);
        match Keyed::from_keylog(keylog, random, suite, version) {
            Ok(k) => {
                self.keyed = Some(Box::new(k));
                self.report.keys = Some(KeysSeen {
                    status: KeysStatus::Ok,
                    reason: String::new(),
                });
            }
            Err(seen) => self.report.keys = Some(seen),
        }
    }
}
