//! Fuzz bodies for `tls_decrypt`: the key log parser and the record opener.

use crate::tls_decrypt::seal::Sealer;
use crate::tls_decrypt::{
    ContentType, DecryptError, Epoch, Hello, KeyChange, KeyLog, Random, Side, Suite, Version,
    decrypters,
};

/// A key log's bytes. Invariants: every line is counted once; the kept
/// malformed lines are the first ones, in order, within the file.
pub fn tls_keylog(data: &[u8]) {
    let log = KeyLog::parse(data);
    let c = log.counts();
    assert_eq!(
        c.lines,
        c.secrets + c.comments + c.ignored + c.repeated + c.malformed,
        "a line counted twice or not at all"
    );
    let kept = log.malformed();
    assert_eq!(
        kept.len(),
        c.malformed
            .min(crate::tls_decrypt::keylog::MAX_MALFORMED_KEPT)
    );
    assert!(
        kept.windows(2).all(|w| w[0].line < w[1].line),
        "line numbers out of order"
    );
    assert!(kept.iter().all(|m| m.line >= 1 && m.line <= c.lines));
    assert!(log.connections() <= c.secrets);
}

/// The suites the record target picks from with its first byte.
const SUITES: [(Version, u16); 9] = [
    (Version::Tls13, 0x1301),
    (Version::Tls13, 0x1302),
    (Version::Tls13, 0x1303),
    (Version::Tls12, 0xc02b),
    (Version::Tls12, 0xc02c),
    (Version::Tls12, 0xcca9),
    (Version::Tls12, 0xc02f),
    (Version::Tls12, 0xc030),
    (Version::Tls12, 0xcca8),
];

/// One direction's records through a decrypter built from a fixed key log.
/// Layout: `[suite and side, op...]`; the first byte's low four bits pick
/// the suite, its top bit the server side. Each op is `[kind, len, bytes
/// (len of them)...]`: kind 0 feeds the bytes as a record; 1 seals them
/// (first byte: inner type, second: padding) under the keys the decrypter
/// expects; 2 seals them and flips one bit; 3 asks for a key change.
///
/// Invariants: nothing panics; a record sealed under the expected keys
/// opens to what was sealed unless an earlier record showed the secret
/// wrong or a renegotiation began; a flipped one never opens to it.
pub fn tls_decrypt_records(data: &[u8]) {
    let Some((&select, mut ops)) = data.split_first() else {
        return;
    };
    let (version, code) = SUITES[usize::from(select & 0x0f) % SUITES.len()];
    let side = if select & 0x80 != 0 {
        Side::Server
    } else {
        Side::Client
    };
    let Ok(suite) = Suite::lookup(version, code) else {
        panic!("listed suite {code:#06x} unknown");
    };
    let hash_len = suite.hash.output_len();
    let (handshake, traffic0, master) = (vec![0x11; hash_len], vec![0x22; hash_len], [0x33; 48]);
    let (client_random, server_random) = ([0x44; 32], [0x55; 32]);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let r = hex(&client_random);
    let text = format!(
        "CLIENT_RANDOM {r} {}\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {r} {h}\n\
         SERVER_HANDSHAKE_TRAFFIC_SECRET {r} {h}\nCLIENT_TRAFFIC_SECRET_0 {r} {t}\n\
         SERVER_TRAFFIC_SECRET_0 {r} {t}\n",
        hex(&master),
        h = hex(&handshake),
        t = hex(&traffic0)
    );
    let log = KeyLog::parse(text.as_bytes());
    let hello = Hello {
        version,
        suite: code,
        client_random: Random(client_random),
        server_random: Random(server_random),
    };
    let Ok(pair) = decrypters(&log, &hello) else {
        panic!("the fixed key log fits");
    };
    let mut d = match side {
        Side::Client => pair.client,
        Side::Server => pair.server,
    };
    let sealer = Sealer::new(
        suite,
        side,
        &handshake,
        &traffic0,
        &master,
        (&client_random, &server_random),
    );
    // Once the decrypter has taken a record for a wrong secret, or a
    // renegotiation began, nothing opens any more, by design.
    let mut stuck = false;
    while let [kind, len, rest @ ..] = ops {
        let n = usize::from(*len).min(rest.len());
        let (bytes, next) = rest.split_at(n);
        ops = next;
        match kind % 4 {
            0 => {
                let result = d.open(bytes).map(|o| o.bytes.len());
                if let Ok(len) = result {
                    assert!(len <= bytes.len(), "plaintext longer than its record");
                }
                stuck |= matches!(
                    result,
                    Err(DecryptError::KeyMismatch | DecryptError::Renegotiated)
                );
            }
            1 | 2 => {
                let [ty, pad, content @ ..] = bytes else {
                    continue;
                };
                // TLS 1.3 inner types are never zero (RFC 8446 §5.4).
                let ty = (*ty).max(1);
                // In TLS 1.3 a record before any keys enters the handshake keys.
                let epoch = match (version, d.epoch()) {
                    (Version::Tls13, Epoch::Clear) => Epoch::Handshake,
                    (_, e) => e,
                };
                let seq = d.next_seq().unwrap_or(0);
                let Some(mut record) = sealer.seal(epoch, seq, ty, content, usize::from(*pad % 8))
                else {
                    continue;
                };
                let flip = kind % 4 == 2;
                if flip {
                    let at = usize::from(*pad) % (record.len() - 5) + 5;
                    record[at] ^= 1 << (pad % 8);
                }
                let expect_open =
                    !stuck && !flip && (version == Version::Tls12 || epoch != Epoch::Clear);
                let result = d.open(&record).map(|o| (o.content_type, o.bytes.to_vec()));
                stuck |= matches!(
                    result,
                    Err(DecryptError::KeyMismatch | DecryptError::Renegotiated)
                );
                match result {
                    Ok((t, plain)) if flip => {
                        assert!(
                            (t, plain.as_slice()) != (ContentType::from_byte(ty), content),
                            "an altered record opened"
                        );
                    }
                    Ok((t, plain)) => {
                        assert_eq!((t, plain.as_slice()), (ContentType::from_byte(ty), content));
                        if version == Version::Tls12 && t == ContentType::ChangeCipherSpec {
                            stuck = true;
                        }
                    }
                    Err(e) => assert!(!expect_open, "a sealed record failed: {e}"),
                }
            }
            _ => {
                let change = if bytes.first().is_some_and(|b| b & 1 == 1) {
                    KeyChange::KeyUpdate
                } else {
                    KeyChange::HandshakeFinished
                };
                let _ = d.advance(change);
            }
        }
    }
}
