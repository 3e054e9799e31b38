//! The HTTP inside a decrypted TLS connection under the fuzzer.

use std::sync::Arc;

use crate::app::http1::End;
use crate::app::{Conversation, Direction};
use crate::proto::tls::{NextProtocol, build};
use crate::tls_decrypt::seal::Sealer;
use crate::tls_decrypt::{Epoch, KeyLog, Side, Suite, Version};

/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: a TLS 1.2 AEAD suite, whose
/// keys follow from the master secret alone (no handshake to replay).
const SUITE: u16 = 0xc02f;
const MASTER: [u8; 48] = [0x33; 48];
const CLIENT_RANDOM: [u8; 32] = [0x11; 32];
const SERVER_RANDOM: [u8; 32] = [5; 32];

/// Bytes of one direction from stream offset `at`, fed in pieces.
fn feed(conv: &mut Conversation, d: Direction, at: usize, bytes: &[u8], piece: usize) {
    for (n, chunk) in bytes.chunks(piece).enumerate() {
        conv.feed(d, (at + n * piece) as u64, chunk, &mut |_| {});
    }
}

/// A TLS 1.2 connection whose key log opens it: the fuzzer's plaintext
/// sealed into application data records of `size` bytes after each side's
/// ChangeCipherSpec and Finished, read by a [`Conversation`] with the key
/// log. Input: `[alpn, size, piece, len_hi, len_lo, client…, server…]`:
/// `alpn` modulo 3 picks none, `h2` or `http/1.1` in the ServerHello, and
/// when `alpn / 3` is odd the client sends an NPN NextProtocol before its
/// Finished (draft-agl-tls-nextprotoneg-04 §3), whose body is taken from
/// the front of the client's plaintext: a length byte (modulo 64), then
/// that many bytes; `len` bytes of plaintext are the client's, the rest
/// the server's; the wire bytes are fed in pieces of `piece` (0 as 1).
///
/// Invariants: nothing panics; the keys open every record; the exchanges
/// read inside lie within the bytes fed; without ALPN they are those a
/// cleartext conversation reads in the same plaintext (the same decoders);
/// the NPN choice reported is the one a NextProtocol that parses names,
/// and none for one that does not.
pub fn tls_inside(data: &[u8]) {
    let [alpn, size, piece, hi, lo, rest @ ..] = data else {
        return;
    };
    let split = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
    let plain = rest.split_at(split);
    let size = usize::from(*size).max(1) * 64;
    let piece = usize::from(*piece).max(1);
    let npn = usize::from(*alpn) / 3 % 2 == 1;
    let alpn = [None, Some("h2"), Some("http/1.1")][usize::from(*alpn) % 3];
    let (next_protocol, client_plain) = match (npn, plain.0.split_first()) {
        (true, Some((&n, tail))) => {
            let (body, rest) = tail.split_at(usize::from(n % 64).min(tail.len()));
            (Some(body), rest)
        }
        _ => (None, plain.0),
    };
    let Ok(suite) = Suite::lookup(Version::Tls12, SUITE) else {
        panic!("suite {SUITE:#06x} unknown");
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let log = KeyLog::parse(
        format!("CLIENT_RANDOM {} {}\n", hex(&CLIENT_RANDOM), hex(&MASTER)).as_bytes(),
    );
    let mut wire = [
        build::record(22, &build::handshake(1, &build::client_hello(&[]))),
        build::record(
            22,
            &build::handshake(
                2,
                &build::server_hello(
                    SERVER_RANDOM,
                    SUITE,
                    &alpn.map_or(Vec::new(), |p| build::alpn(&[p])),
                ),
            ),
        ),
    ];
    let hello_len = [wire[0].len(), wire[1].len()];
    let plains = [client_plain, plain.1];
    for (i, side) in [Side::Client, Side::Server].into_iter().enumerate() {
        let sealer = Sealer::new(
            suite,
            side,
            &[],
            &[],
            &MASTER,
            (&CLIENT_RANDOM, &SERVER_RANDOM),
        );
        let seal = |seq: u64, ty: u8, content: &[u8]| {
            sealer
                .seal(Epoch::KeyBlock, seq, ty, content, 0)
                .unwrap_or_default()
        };
        wire[i].extend(build::record(20, &[1]));
        // Sequence numbers count the records after ChangeCipherSpec (RFC
        // 5246 §6.1): the client's NextProtocol comes first.
        let mut seq = 0;
        if let (0, Some(body)) = (i, next_protocol) {
            wire[i].extend(seal(seq, 22, &build::handshake(67, body)));
            seq += 1;
        }
        wire[i].extend(seal(seq, 22, &build::handshake(20, &[0; 12])));
        for (n, content) in plains[i].chunks(size).enumerate() {
            wire[i].extend(seal(seq + n as u64 + 1, 23, content));
        }
    }
    let both = [Direction::ClientToServer, Direction::ServerToClient];
    let mut conv = Conversation::new(true).with_keylog(Some(Arc::new(log)));
    let mut clear = Conversation::new(true);
    // In the order TCP can deliver them: the hellos, then each side's
    // ChangeCipherSpec, Finished and data (the client's first, as its
    // request comes before the response).
    for (i, d) in both.into_iter().enumerate() {
        feed(&mut conv, d, 0, &wire[i][..hello_len[i]], piece);
    }
    for (i, d) in both.into_iter().enumerate() {
        feed(&mut conv, d, hello_len[i], &wire[i][hello_len[i]..], piece);
        feed(&mut clear, d, 0, plains[i], piece);
    }
    for d in both {
        conv.end(d, End::Fin, None);
        clear.end(d, End::Fin, None);
    }
    let Some(report) = conv.report() else {
        panic!("a TLS connection with bytes has a report");
    };
    let Some(tls) = &report.tls else {
        panic!("not read as TLS");
    };
    let keys = tls.keys.as_ref().map(|k| k.status);
    assert_eq!(keys, Some(crate::app::tls::KeysStatus::Ok), "{tls:?}");
    for e in &report.exchanges {
        for (range, i) in [(e.request_range, 0), (e.response_range, 1)] {
            if let Some((start, end)) = range {
                let fed = wire[i].len() as u64;
                assert!(start <= fed && end.is_none_or(|end| start <= end && end <= fed));
            }
        }
    }
    if let Some(body) = next_protocol {
        let named = NextProtocol::parse(body)
            .ok()
            .map(|n| String::from_utf8_lossy(n.selected_protocol).into_owned());
        let chosen = tls.npn.as_ref().and_then(|n| n.chosen.clone());
        assert_eq!(chosen, named, "the NPN choice of {body:?}");
    }
    if alpn.is_none()
        && !client_plain.is_empty()
        && let Some(clear) = clear.report()
    {
        let what = |r: &crate::app::ConversationReport| -> Vec<_> {
            r.exchanges
                .iter()
                .map(|e| {
                    (
                        e.stream,
                        e.method.clone(),
                        e.target.clone(),
                        e.status,
                        e.outcome,
                    )
                })
                .collect()
        };
        assert_eq!(
            what(&report),
            what(&clear),
            "inside TLS and in the clear differ"
        );
    }
}
