//! Known answers (RFC 8448's TLS 1.3 trace, the TLS 1.2 PRF vector posted
//! to the TLS working group), records sealed here with ring and opened by
//! the decrypter, and the key log parser on good and bad lines. The real
//! peers' captures are in `tests/tls_decrypt.rs`.

use super::seal::{seal12, seal13};
use super::*;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test hex"))
        .collect()
}

fn suite(version: Version, code: u16) -> Suite {
    Suite::lookup(version, code).expect("known suite")
}

// RFC 8448 §3, the simple 1-RTT handshake (TLS_AES_128_GCM_SHA256).
const RFC8448_CLIENT_RANDOM: &str =
    "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7";
const RFC8448_C_HS: &str = "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21";
const RFC8448_S_HS: &str = "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";
const RFC8448_C_AP: &str = "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5";
const RFC8448_S_AP: &str = "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643";

#[test]
fn rfc8448_traffic_keys_and_ivs() {
    let s = suite(Version::Tls13, 0x1301);
    for (secret, key, iv) in [
        (
            RFC8448_S_HS,
            "3fce516009c21727d0f2e4e86ee403bc",
            "5d313eb2671276ee13000b30",
        ),
        (
            RFC8448_C_HS,
            "dbfaa693d1762c5b666af5d950258d01",
            "5bd3c71b836e0b76bb73265f",
        ),
        (
            RFC8448_S_AP,
            "9f02283b6c9c07efc26bb9f2ac92e356",
            "cf782b88dd83549aadf1e984",
        ),
        (
            RFC8448_C_AP,
            "17422dda596ed5d9acd890e3c63f5051",
            "5b78923dee08579033e523d9",
        ),
    ] {
        let (k, i) = tls13::traffic_key_iv(s, &unhex(secret));
        assert_eq!(k, unhex(key), "key from {secret}");
        assert_eq!(i.to_vec(), unhex(iv), "iv from {secret}");
    }
}

/// The client's Finished record of RFC 8448 §3, opened through a key log
/// line, as a capture's would be.
#[test]
fn rfc8448_client_finished_record_opens() {
    let log = KeyLog::parse(
        format!(
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET {RFC8448_CLIENT_RANDOM} {RFC8448_C_HS}\n\
             CLIENT_TRAFFIC_SECRET_0 {RFC8448_CLIENT_RANDOM} {RFC8448_C_AP}\n"
        )
        .as_bytes(),
    );
    let hello = Hello {
        version: Version::Tls13,
        suite: 0x1301,
        client_random: Random(unhex(RFC8448_CLIENT_RANDOM).try_into().expect("32 bytes")),
        server_random: Random([0; 32]),
    };
    let mut d = decrypters(&log, &hello).expect("secrets").client;
    let record = unhex(
        "17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c
         7a 4b fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46",
    );
    let opened = d.open(&record).expect("RFC 8448's record opens");
    assert_eq!(opened.content_type, ContentType::Handshake);
    assert_eq!(opened.epoch, Epoch::Handshake);
    assert_eq!(opened.seq, Some(0));
    assert_eq!(
        opened.bytes,
        unhex("14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61")
    );
}

#[test]
fn tls12_prf_sha256_known_answer() {
    let mut out = [0u8; 100];
    tls12::prf(
        Hash::Sha256,
        &unhex("9bbe436ba940f017b17652849a71db35"),
        b"test label",
        &unhex("a0ba9f936cda311827a6f796ffd5198c"),
        &mut out,
    );
    assert_eq!(
        out.to_vec(),
        unhex(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a4
             6b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d1
             22ee42c5a72e5a5110fff70187347b66"
        )
    );
}

// ---- records sealed here -------------------------------------------------

fn secret(byte: u8, len: usize) -> Vec<u8> {
    vec![byte; len]
}

fn tls13_pair(s: Suite, hs: &[u8], ap: &[u8]) -> Decrypter {
    Decrypter::tls13_for_tests(Side::Server, s, Some(hs.to_vec()), Some(ap.to_vec()))
}

#[test]
fn tls13_padding_stripped_and_true_type_recovered() {
    for code in [0x1301, 0x1302, 0x1303] {
        let s = suite(Version::Tls13, code);
        let hs = secret(1, s.hash.output_len());
        let mut d = tls13_pair(s, &hs, &secret(2, s.hash.output_len()));
        let server_hello = [22, 3, 3, 0, 2, 0xaa, 0xbb];
        assert_eq!(d.open(&server_hello).expect("clear").epoch, Epoch::Clear);
        assert_eq!(d.open(&[20, 3, 3, 0, 1, 1]).expect("ccs").seq, None);
        let r = seal13(s, &hs, 0, 22, b"\x08\0\0\0", 30);
        let o = d.open(&r).expect("opens");
        assert_eq!(
            (o.content_type, o.bytes, o.seq),
            (ContentType::Handshake, &b"\x08\0\0\0"[..], Some(0))
        );
        let r = seal13(s, &hs, 1, 21, &[1, 0], 0);
        let o = d.open(&r).expect("opens");
        assert_eq!((o.content_type, o.bytes), (ContentType::Alert, &[1, 0][..]));
    }
}

#[test]
fn tls13_finished_then_key_updates_change_generations() {
    let s = suite(Version::Tls13, 0x1301);
    let (hs, ap0) = (secret(7, 32), secret(8, 32));
    let ap1 = tls13::next_traffic_secret(s.hash, &ap0);
    let ap2 = tls13::next_traffic_secret(s.hash, &ap1);
    let mut d = tls13_pair(s, &hs, &ap0);
    let mut watch = HandshakeWatch::new();
    // Finished split over two records: the change comes after the second.
    for (seq, part) in [(0, &b"\x14\0\0\x04ab"[..]), (1, &b"cd"[..])] {
        let r = seal13(s, &hs, seq, 22, part, 0);
        let o = d.open(&r).expect("handshake record");
        let change = watch.record(o.content_type, o.bytes).expect("aligned");
        assert_eq!(change.is_some(), seq == 1);
        if let Some(c) = change {
            d.advance(c).expect("finished");
        }
    }
    assert_eq!(d.epoch(), Epoch::Application(0));
    let o = d
        .open(&seal13(s, &ap0, 0, 23, b"GET /", 0))
        .expect("app data");
    assert_eq!((o.bytes, o.epoch), (&b"GET /"[..], Epoch::Application(0)));
    let o = d
        .open(&seal13(s, &ap0, 1, 22, b"\x18\0\0\x01\x00", 0))
        .expect("key update");
    let change = watch.record(o.content_type, o.bytes).expect("aligned");
    assert_eq!(change, Some(KeyChange::KeyUpdate));
    d.advance(KeyChange::KeyUpdate).expect("update");
    let o = d
        .open(&seal13(s, &ap1, 0, 23, b"after", 0))
        .expect("generation 1");
    assert_eq!(o.epoch, Epoch::Application(1));
    d.advance(KeyChange::KeyUpdate).expect("update");
    assert!(d.open(&seal13(s, &ap2, 0, 23, b"again", 0)).is_ok());
    assert!(matches!(
        d.advance(KeyChange::HandshakeFinished),
        Err(DecryptError::KeyChange { .. })
    ));
}

#[test]
fn wrong_secret_is_a_mismatch_on_the_first_record_and_stays_one() {
    let s = suite(Version::Tls13, 0x1301);
    let mut d = tls13_pair(s, &secret(1, 32), &secret(2, 32));
    let r = seal13(s, &secret(9, 32), 0, 22, b"x", 0);
    let e = d.open(&r).expect_err("wrong key");
    assert_eq!(e, DecryptError::KeyMismatch);
    assert_eq!(
        e.to_string(),
        "key log secret does not match this connection (AEAD tag failure on the first record)"
    );
    let r = seal13(s, &secret(1, 32), 1, 22, b"x", 0);
    assert_eq!(d.open(&r), Err(DecryptError::KeyMismatch));
}

#[test]
fn altered_record_fails_alone() {
    let s = suite(Version::Tls13, 0x1303);
    let hs = secret(3, 32);
    let mut d = tls13_pair(s, &hs, &secret(4, 32));
    assert!(d.open(&seal13(s, &hs, 0, 22, b"one", 0)).is_ok());
    let mut bad = seal13(s, &hs, 1, 22, b"two", 0);
    bad[7] ^= 1;
    assert_eq!(
        d.open(&bad),
        Err(DecryptError::Authentication {
            seq: 1,
            epoch: Epoch::Handshake
        })
    );
    assert_eq!(
        d.open(&seal13(s, &hs, 2, 22, b"three", 0))
            .expect("next")
            .bytes,
        b"three"
    );
}

#[test]
fn tls13_all_padding_and_clear_records_after_keys_are_errors() {
    let s = suite(Version::Tls13, 0x1301);
    let hs = secret(5, 32);
    let mut d = tls13_pair(s, &hs, &secret(6, 32));
    let mut all_zero = seal13(s, &hs, 0, 0, b"", 3);
    assert_eq!(d.open(&all_zero), Err(DecryptError::NoContentType));
    all_zero.truncate(3);
    assert!(matches!(
        d.open(&all_zero),
        Err(DecryptError::Malformed(RecordProblem::ShortHeader))
    ));
    assert_eq!(
        d.open(&[21, 3, 3, 0, 2, 1, 0]),
        Err(DecryptError::ClearAfterEncryption(ContentType::Alert))
    );
    assert!(matches!(
        d.open(&[23, 3, 3, 0, 9, 1]),
        Err(DecryptError::Malformed(RecordProblem::LengthMismatch {
            declared: 9,
            actual: 1
        }))
    ));
    assert!(matches!(
        d.open(&[23, 3, 3, 0, 3, 1, 2, 3]),
        Err(DecryptError::Malformed(RecordProblem::TooShort(3)))
    ));
}

#[test]
fn tls12_aead_suites_open_after_change_cipher_spec() {
    for code in [0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca8, 0xcca9] {
        let s = suite(Version::Tls12, code);
        let (client, server) = tls12::key_block(s, &[0x11; 48], &[1; 32], &[2; 32]);
        assert_ne!(client.key, server.key);
        let mut d = Decrypter::tls12_for_tests(Side::Client, s, &client);
        assert_eq!(
            d.open(&[22, 3, 3, 0, 1, 0x10]).expect("clear").epoch,
            Epoch::Clear
        );
        assert_eq!(
            d.open(&[20, 3, 3, 0, 1, 1]).expect("ccs").epoch,
            Epoch::Clear
        );
        assert_eq!(d.epoch(), Epoch::KeyBlock);
        let o = d
            .open(&seal12(s, &client, 0, 22, b"\x14\0\0\x0cfinished...."))
            .expect("finished");
        assert_eq!((o.content_type, o.seq), (ContentType::Handshake, Some(0)));
        let o = d
            .open(&seal12(s, &client, 1, 23, b"GET / HTTP/1.1\r\n"))
            .expect("data");
        assert_eq!(o.bytes, b"GET / HTTP/1.1\r\n", "suite {code:#06x}");
        // The server's keys do not open the client's records.
        let mut wrong = Decrypter::tls12_for_tests(Side::Client, s, &server);
        wrong.open(&[20, 3, 3, 0, 1, 1]).expect("ccs");
        assert_eq!(
            wrong.open(&seal12(s, &client, 0, 22, b"x")),
            Err(DecryptError::KeyMismatch)
        );
        assert!(matches!(
            d.advance(KeyChange::HandshakeFinished),
            Err(DecryptError::KeyChange {
                version: Version::Tls12,
                ..
            })
        ));
    }
}

#[test]
fn tls12_renegotiation_stops_decryption() {
    let s = suite(Version::Tls12, 0xc02f);
    let (client, _) = tls12::key_block(s, &[0x22; 48], &[3; 32], &[4; 32]);
    let mut d = Decrypter::tls12_for_tests(Side::Client, s, &client);
    d.open(&[20, 3, 3, 0, 1, 1]).expect("ccs");
    let o = d
        .open(&seal12(s, &client, 0, 20, b"\x01"))
        .expect("protected ccs");
    assert_eq!(o.content_type, ContentType::ChangeCipherSpec);
    assert_eq!(
        d.open(&seal12(s, &client, 1, 23, b"x")),
        Err(DecryptError::Renegotiated)
    );
}

#[test]
fn suites_outside_the_aead_set_say_why() {
    assert_eq!(
        Suite::lookup(Version::Tls12, 0xc013),
        Err(SessionError::CbcNotSupported(0xc013))
    );
    assert!(
        SessionError::CbcNotSupported(0xc013)
            .to_string()
            .contains("CBC suite: not supported")
    );
    assert!(matches!(
        Suite::lookup(Version::Tls13, 0xc02f),
        Err(SessionError::UnknownSuite { .. })
    ));
    assert!(matches!(
        Suite::lookup(Version::Tls12, 0x1301),
        Err(SessionError::UnknownSuite { .. })
    ));
}

// ---- sessions from a key log ---------------------------------------------

fn hello(version: Version, suite: u16, random: u8) -> Hello {
    Hello {
        version,
        suite,
        client_random: Random([random; 32]),
        server_random: Random([0xee; 32]),
    }
}

#[test]
fn session_errors_name_the_missing_piece() {
    let r = "ab".repeat(32);
    let log = KeyLog::parse(
        format!(
            "SERVER_HANDSHAKE_TRAFFIC_SECRET {r} {}\nCLIENT_TRAFFIC_SECRET_0 {r} {}\n",
            "01".repeat(48),
            "02".repeat(48)
        )
        .as_bytes(),
    );
    assert_eq!(
        decrypters(&log, &hello(Version::Tls13, 0x1301, 0xcd)).err(),
        Some(SessionError::NoSecrets)
    );
    assert_eq!(
        decrypters(&log, &hello(Version::Tls13, 0x1301, 0xab)).err(),
        Some(SessionError::SecretLength {
            label: Label::ClientTrafficSecret0,
            len: 48,
            expected: 32
        })
    );
    assert_eq!(
        decrypters(&log, &hello(Version::Tls12, 0xc02f, 0xab)).err(),
        Some(SessionError::MissingSecret(Label::ClientRandom))
    );
    let mut pair = decrypters(&log, &hello(Version::Tls13, 0x1302, 0xab)).expect("SHA-384 fits");
    let s = suite(Version::Tls13, 0x1302);
    let r = seal13(s, &secret(9, 48), 0, 22, b"x", 0);
    assert_eq!(
        pair.client.open(&r),
        Err(DecryptError::MissingSecret(
            Label::ClientHandshakeTrafficSecret
        ))
    );
}

#[test]
fn watch_rejects_a_finished_followed_by_more_in_its_record() {
    let mut w = HandshakeWatch::new();
    assert_eq!(
        w.record(ContentType::Handshake, b"\x14\0\0\x01x\x04\0\0\0"),
        Err(WatchError::NotAtRecordEnd(KeyChange::HandshakeFinished))
    );
    let mut w = HandshakeWatch::new();
    // Header split over records, zero-length body, non-handshake records.
    assert_eq!(w.record(ContentType::Handshake, b"\x04\0"), Ok(None));
    assert_eq!(
        w.record(ContentType::ApplicationData, b"\x14\0\0\0"),
        Ok(None)
    );
    assert_eq!(
        w.record(ContentType::Handshake, b"\0\0\x14\0\0\0"),
        Ok(Some(KeyChange::HandshakeFinished))
    );
}
