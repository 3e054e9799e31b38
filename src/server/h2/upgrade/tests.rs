//! HTTP2-Settings decoding and which requests upgrade.
use super::*;

fn head(text: &str) -> RequestHead {
    RequestHead::parse(text.as_bytes()).unwrap()
}

#[test]
fn base64url_decodes_curl_and_nghttp_settings() {
    // curl 7.88: MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE
    // 33554432, ENABLE_PUSH 0.
    let curl = base64url(b"AAMAAABkAAQCAAAAAAIAAAAA").unwrap();
    assert_eq!(
        curl,
        [0, 3, 0, 0, 0, 100, 0, 4, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0]
    );
    // nghttp: `_` is in the alphabet (INITIAL_WINDOW_SIZE 65535).
    let nghttp = base64url(b"AAMAAABkAAQAAP__").unwrap();
    assert_eq!(nghttp, [0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 255, 255]);
    assert_eq!(base64url(b"-_8"), Some(vec![0xfb, 0xff]));
    assert_eq!(base64url(b"AA=="), Some(vec![0]));
    assert_eq!(base64url(b"A"), None, "one character is not a byte");
    assert_eq!(base64url(b"AA+/"), None, "standard base64 is not base64url");
    assert_eq!(base64url(b"AB"), None, "non-zero leftover bits");
}

#[test]
fn only_a_complete_h2c_request_upgrades() {
    let ok = "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n";
    let s = h2c_settings(&head(ok)).unwrap();
    assert_eq!(
        s,
        [
            SettingValue {
                id: SettingId::MaxConcurrentStreams,
                value: 100
            },
            SettingValue {
                id: SettingId::InitialWindowSize,
                value: 65535
            }
        ]
    );
    let refused = [
        // h2 is the TLS token: ignored in cleartext (RFC 7540 §3.2).
        ok.replace("Upgrade: h2c", "Upgrade: h2"),
        ok.replace("HTTP2-Settings: AAMAAABkAAQAAP__\r\n", ""),
        ok.replace(
            "HTTP2-Settings: AAMAAABkAAQAAP__\r\n",
            "HTTP2-Settings: AAMAAABkAAQAAP__\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n",
        ),
        ok.replace("Upgrade, HTTP2-Settings", "Upgrade"),
        ok.replace("HTTP/1.1", "HTTP/1.0"),
        ok.replace("AAMAAABkAAQAAP__", "AAMAAABk!"),
        ok.replace("AAMAAABkAAQAAP__", "AAMAAABkAA"),
    ];
    for text in refused {
        assert_eq!(h2c_settings(&head(&text)), None, "{text}");
    }
}
