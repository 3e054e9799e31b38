//! `wirelab::tls_decrypt` on real sessions: OpenSSL's s_client and
//! s_server, and curl, recorded on loopback by `scripts/record-decrypt-captures`
//! into `captures/tls/` with the key logs the peers wrote. Each connection's
//! records come out of the capture through the repository's own capture
//! reading and stream reassembly; the plaintext must be what the peers
//! sent (the request line, the file s_server served, the lines typed
//! around KeyUpdates) and what tshark decrypts with the same key log
//! (application data, alerts, the ALPN in EncryptedExtensions).
//!
//! tshark must be installed (scripts/setup); without it the tests fail with
//! one line saying so. No capture permission is needed.

mod tls_capture;

use std::path::{Path, PathBuf};

use tls_capture::{
    Conn, Plain, connections, encrypted_alpn, hello, message_types, open_all, records,
    tshark_app_data, tshark_fields,
};
use wirelab::tls_decrypt::{DecryptError, Epoch, Hello, KeyLog, Label, Version, decrypters};

/// The body of the file s_server -WWW served in every capture.
const BODY: &[u8] = b"wirelab read this line through the key log\n";

fn capture(name: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/tls");
    (
        dir.join(format!("{name}.pcap")),
        dir.join(format!("{name}.keys")),
    )
}

/// A peer's key log: every line is used, or ignored as the format allows.
fn keylog(path: &Path) -> KeyLog {
    let log = KeyLog::parse(&std::fs::read(path).expect("key log reads"));
    assert_eq!(log.malformed(), [], "{}", path.display());
    log
}

/// One connection decrypted both ways.
#[derive(Debug)]
struct Decrypted {
    hello: Hello,
    client: Plain,
    server: Plain,
}

fn decrypt(conn: &Conn, log: &KeyLog) -> Result<Decrypted, String> {
    let up = records(&conn.to_server);
    let down = records(&conn.to_client);
    let hello = hello(&up, &down);
    let mut pair = decrypters(log, &hello).map_err(|e| e.to_string())?;
    let client =
        open_all(&mut pair.client, &up).map_err(|(i, e)| format!("client record {i}: {e}"))?;
    let server =
        open_all(&mut pair.server, &down).map_err(|(i, e)| format!("server record {i}: {e}"))?;
    Ok(Decrypted {
        hello,
        client,
        server,
    })
}

/// Our plaintext and alerts against tshark's, for every connection.
fn agree_with_tshark(name: &str, conns: &[Conn], decrypted: &[Decrypted]) {
    let (pcap, keys) = capture(name);
    let alerts = tshark_fields(
        &pcap,
        &keys,
        "tls.alert_message",
        &[
            "tcp.stream",
            "tcp.srcport",
            "tls.alert_message.level",
            "tls.alert_message.desc",
        ],
    );
    for (i, (conn, d)) in conns.iter().zip(decrypted).enumerate() {
        let (up, down) = tshark_app_data(&pcap, &keys, i, conn.client);
        assert!(
            !up.is_empty() && !down.is_empty(),
            "{name} #{i}: tshark decrypted nothing"
        );
        assert_eq!(
            d.client.app_data, up,
            "{name} #{i}: client data differs from tshark's"
        );
        assert_eq!(
            d.server.app_data, down,
            "{name} #{i}: server data differs from tshark's"
        );
        let theirs = |from_client: bool| -> Vec<(u8, u8)> {
            alerts
                .iter()
                .filter(|row| row[0] == i.to_string())
                .filter(|row| (row[1] == conn.client.port.to_string()) == from_client)
                .map(|row| {
                    (
                        row[2].parse().expect("level"),
                        row[3].parse().expect("desc"),
                    )
                })
                .collect()
        };
        assert_eq!(d.client.alerts, theirs(true), "{name} #{i}: client alerts");
        assert_eq!(d.server.alerts, theirs(false), "{name} #{i}: server alerts");
    }
}

/// close_notify (RFC 8446 §6.1): level warning (1), description 0.
const CLOSE_NOTIFY: (u8, u8) = (1, 0);

#[test]
fn tls13_each_suite_decrypts_as_sent_and_as_tshark_reads_it() {
    let (pcap, keys) = capture("tls13");
    let conns = connections(&pcap);
    let log = keylog(&keys);
    let decrypted: Vec<Decrypted> = conns
        .iter()
        .map(|c| decrypt(c, &log).expect("decrypts"))
        .collect();
    let suites: Vec<u16> = decrypted.iter().map(|d| d.hello.suite).collect();
    assert_eq!(suites, [0x1301, 0x1302, 0x1303]);
    for d in &decrypted {
        assert_eq!(d.hello.version, Version::Tls13);
        assert_eq!(d.client.app_data, b"GET /hello.txt HTTP/1.0\r\n\r\n");
        assert!(
            d.server.app_data.ends_with(BODY),
            "{:?}",
            String::from_utf8_lossy(&d.server.app_data)
        );
        assert_eq!(d.client.alerts, [CLOSE_NOTIFY]);
        assert_eq!(d.server.alerts, [CLOSE_NOTIFY]);
        // EncryptedExtensions, Certificate, CertificateVerify, Finished,
        // then two NewSessionTickets under the application keys.
        assert_eq!(message_types(&d.server.handshake), [8, 11, 15, 20, 4, 4]);
        assert_eq!(message_types(&d.client.handshake), [20]);
        assert_eq!(d.server.last_epoch, Some(Epoch::Application(0)));
    }
    // The server prefers h2, then http/1.1; the clients offered "h2,http/1.1",
    // "http/1.1" and "h2". TLS 1.3 hides the choice in EncryptedExtensions.
    let ours: Vec<Option<String>> = decrypted
        .iter()
        .map(|d| encrypted_alpn(&d.server.handshake))
        .collect();
    let tshark: Vec<Option<String>> = tshark_fields(
        &pcap,
        &keys,
        "tls.handshake.type == 8",
        &["tls.handshake.extensions_alpn_str"],
    )
    .into_iter()
    .map(|row| Some(row[0].clone()))
    .collect();
    assert_eq!(ours, tshark);
    assert_eq!(
        ours,
        [
            Some("h2".into()),
            Some("http/1.1".into()),
            Some("h2".into())
        ]
    );
    agree_with_tshark("tls13", &conns, &decrypted);
}

#[test]
fn tls12_aead_suites_decrypt_and_cbc_says_not_supported() {
    let (pcap, keys) = capture("tls12");
    let conns = connections(&pcap);
    let log = keylog(&keys);
    assert_eq!(conns.len(), 7);
    let (aead, cbc) = conns.split_at(6);
    let decrypted: Vec<Decrypted> = aead
        .iter()
        .map(|c| decrypt(c, &log).expect("decrypts"))
        .collect();
    let suites: Vec<u16> = decrypted.iter().map(|d| d.hello.suite).collect();
    // ECDHE-ECDSA AES-128-GCM, AES-256-GCM, ChaCha20; ECDHE-RSA the same.
    assert_eq!(suites, [0xc02b, 0xc02c, 0xcca9, 0xc02f, 0xc030, 0xcca8]);
    for d in &decrypted {
        assert_eq!(d.hello.version, Version::Tls12);
        assert_eq!(d.client.app_data, b"GET /hello.txt HTTP/1.0\r\n\r\n");
        assert!(d.server.app_data.ends_with(BODY));
        assert_eq!(d.client.alerts, [CLOSE_NOTIFY]);
        assert_eq!(d.server.alerts, [CLOSE_NOTIFY]);
        // The first record under the key block is the Finished (type 20).
        assert_eq!(message_types(&d.client.handshake), [20]);
        assert_eq!(message_types(&d.server.handshake), [20]);
        assert_eq!(d.client.last_epoch, Some(Epoch::KeyBlock));
    }
    agree_with_tshark("tls12", aead, &decrypted);
    // ECDHE-RSA-AES128-SHA256 is CBC with HMAC: a reason, not a failure.
    let e = decrypt(&cbc[0], &log).expect_err("CBC is not decrypted");
    assert_eq!(
        e,
        "cipher suite 0xc027 is a CBC suite: not supported (only AES-GCM and ChaCha20-Poly1305 are decrypted)"
    );
}

#[test]
fn key_updates_move_both_directions_to_new_generations() {
    let (pcap, keys) = capture("keyupdate");
    let conns = connections(&pcap);
    let log = keylog(&keys);
    // OpenSSL logs each later generation as `..._TRAFFIC_SECRET_N`: counted
    // as ignored, since the decrypter derives them from generation 0.
    assert_eq!(log.counts().ignored, 4);
    let d = decrypt(&conns[0], &log).expect("decrypts");
    assert_eq!(
        d.client.app_data,
        b"client: before any update\nclient: after one update\nclient: after asking the server to update\n"
    );
    assert_eq!(
        d.server.app_data,
        b"server: before any update\nserver: after its own update\n"
    );
    // The client's k and K; the server's k and its answer to K (RFC 8446
    // §4.6.3): generation 2 both ways.
    assert_eq!(message_types(&d.client.handshake), [20, 24, 24]);
    assert_eq!(
        message_types(&d.server.handshake),
        [8, 11, 15, 20, 4, 4, 24, 24]
    );
    assert_eq!(d.client.last_epoch, Some(Epoch::Application(2)));
    assert_eq!(d.server.last_epoch, Some(Epoch::Application(2)));
    agree_with_tshark("keyupdate", &conns, &[d]);
}

#[test]
fn curl_sessions_decrypt_with_its_sslkeylogfile() {
    let (pcap, keys) = capture("curl");
    let conns = connections(&pcap);
    let log = keylog(&keys);
    let decrypted: Vec<Decrypted> = conns
        .iter()
        .map(|c| decrypt(c, &log).expect("decrypts"))
        .collect();
    let versions: Vec<Version> = decrypted.iter().map(|d| d.hello.version).collect();
    assert_eq!(versions, [Version::Tls13, Version::Tls12]);
    for d in &decrypted {
        assert!(
            d.client
                .app_data
                .starts_with(b"GET /hello.txt HTTP/1.1\r\nHost: localhost:18485\r\n")
        );
        assert!(d.server.app_data.ends_with(BODY));
    }
    agree_with_tshark("curl", &conns, &decrypted);
}

/// A key log's text with two connections' client randoms swapped: each
/// random now names the other connection's secrets.
fn swap_secrets(text: &str, a: &str, b: &str) -> String {
    text.lines()
        .map(|line| line.replace(a, "\u{1}").replace(b, a).replace('\u{1}', b))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn wrong_or_missing_secrets_give_a_reason_per_connection() {
    let (pcap, keys) = capture("tls13");
    let conns = connections(&pcap);
    let text = std::fs::read_to_string(&keys).expect("key log reads");
    let randoms: Vec<String> = conns
        .iter()
        .map(|c| {
            let up = records(&c.to_server);
            let down = records(&c.to_client);
            format!("{:?}", hello(&up, &down).client_random)
        })
        .collect();
    // Connections 0 and 2 use SHA-256 suites: each one's secrets under the
    // other's client random are the right length and the wrong keys.
    let swapped = KeyLog::parse(swap_secrets(&text, &randoms[0], &randoms[2]).as_bytes());
    // The client's records: ClientHello and ChangeCipherSpec in the clear,
    // then its Finished, the first one protected.
    let e = decrypt(&conns[0], &swapped).expect_err("wrong secrets");
    assert_eq!(
        e,
        "client record 2: key log secret does not match this connection (AEAD tag failure on the first record)"
    );
    // Connection 1's SHA-384 secrets under connection 0's random.
    let e = decrypt(
        &conns[0],
        &KeyLog::parse(swap_secrets(&text, &randoms[0], &randoms[1]).as_bytes()),
    )
    .expect_err("wrong length");
    assert!(
        e.contains("is 48 bytes, the cipher suite's hash makes 32"),
        "{e}"
    );
    // Another capture's key log: nothing for these client randoms.
    let curl = keylog(&capture("curl").1);
    assert_eq!(
        decrypt(&conns[0], &curl).err().as_deref(),
        Some("the key log has no secrets for this connection's client random")
    );
    // Without SERVER_TRAFFIC_SECRET_0 the handshake still opens; the first
    // record under the application keys says what is missing.
    let partial = KeyLog::parse(
        text.lines()
            .filter(|l| !l.starts_with("SERVER_TRAFFIC_SECRET_0"))
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    let up = records(&conns[0].to_client);
    let mut pair =
        decrypters(&partial, &hello(&records(&conns[0].to_server), &up)).expect("secrets");
    let failed = open_all(&mut pair.server, &up).expect_err("stops");
    assert_eq!(
        failed.1,
        DecryptError::MissingSecret(Label::ServerTrafficSecret0)
    );
    assert_eq!(pair.server.epoch(), Epoch::Application(0));
}
