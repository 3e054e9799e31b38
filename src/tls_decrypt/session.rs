//! From a connection's hellos and the key log to its two decrypters.

use super::error::SessionError;
use super::keylog::{KeyLog, Label, Secret};
use super::record::Decrypter;
use super::suite::Suite;
use super::{Hello, Side, Version, tls12};

/// Both directions' decrypters for a connection.
#[derive(Debug)]
pub struct Decrypters {
    /// For the records the client sends.
    pub client: Decrypter,
    /// For the records the server sends.
    pub server: Decrypter,
}

/// The decrypters for a connection whose hellos said `hello`, with the key
/// log's secrets for its client random.
///
/// # Errors
///
/// No secrets for the client random, a suite that cannot be decrypted, a
/// TLS 1.2 connection without its master secret, a secret whose length is
/// not the suite's hash length.
pub fn decrypters(keylog: &KeyLog, hello: &Hello) -> Result<Decrypters, SessionError> {
    let secrets = keylog
        .secrets(&hello.client_random)
        .ok_or(SessionError::NoSecrets)?;
    let suite = Suite::lookup(hello.version, hello.suite)?;
    match hello.version {
        Version::Tls12 => {
            let master = secrets
                .master_secret
                .as_ref()
                .ok_or(SessionError::MissingSecret(Label::ClientRandom))?;
            let (client, server) = tls12::key_block(
                suite,
                &master.0,
                &hello.client_random.0,
                &hello.server_random.0,
            );
            Ok(Decrypters {
                client: Decrypter::tls12(Side::Client, suite, &client),
                server: Decrypter::tls12(Side::Server, suite, &server),
            })
        }
        Version::Tls13 => {
            let checked = |label: Label| -> Result<Option<Secret>, SessionError> {
                match secrets.get(label) {
                    Some(s) if s.0.len() != suite.hash.output_len() => {
                        Err(SessionError::SecretLength {
                            label,
                            len: s.0.len(),
                            expected: suite.hash.output_len(),
                        })
                    }
                    other => Ok(other.cloned()),
                }
            };
            Ok(Decrypters {
                client: Decrypter::tls13(
                    Side::Client,
                    suite,
                    checked(Label::ClientHandshakeTrafficSecret)?,
                    checked(Label::ClientTrafficSecret0)?,
                ),
                server: Decrypter::tls13(
                    Side::Server,
                    suite,
                    checked(Label::ServerHandshakeTrafficSecret)?,
                    checked(Label::ServerTrafficSecret0)?,
                ),
            })
        }
    }
}
