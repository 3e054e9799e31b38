//! Hellos and records built byte by byte for the tests: what a peer would
//! send, written from the RFC's structures rather than captured, so each
//! test says exactly which field it is about. The fuzz target
//! `tls_inside` builds its handshake with them too (not all of them: the
//! build with only the `fuzzing` feature leaves some unused).
#![cfg_attr(not(test), allow(dead_code))]

/// `v` with a big-endian length of `width` bytes in front.
pub(crate) fn vec(width: usize, v: &[u8]) -> Vec<u8> {
    let len = v.len().to_be_bytes();
    let mut out = len[len.len() - width..].to_vec();
    out.extend_from_slice(v);
    out
}

/// An extension: type, length, data.
pub(crate) fn ext(ty: u16, data: &[u8]) -> Vec<u8> {
    let mut out = ty.to_be_bytes().to_vec();
    out.extend(vec(2, data));
    out
}

/// A ProtocolNameList's contents (or an NPN list).
pub(crate) fn names(list: &[&str]) -> Vec<u8> {
    list.iter().flat_map(|n| vec(1, n.as_bytes())).collect()
}

pub(crate) fn sni(host: &str) -> Vec<u8> {
    let mut entry = vec![0];
    entry.extend(vec(2, host.as_bytes()));
    ext(0, &vec(2, &entry))
}

pub(crate) fn alpn(list: &[&str]) -> Vec<u8> {
    ext(16, &vec(2, &names(list)))
}

/// A handshake message: type, 24-bit length, body.
pub(crate) fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend(vec(3, body));
    out
}

/// A record of `content_type` (legacy version 3.3) around `fragment`.
pub(crate) fn record(content_type: u8, fragment: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type, 3, 3];
    out.extend(vec(2, fragment));
    out
}

/// A ClientHello body: TLS 1.2 legacy version, random 0x11…, a 32-byte
/// session id, two suites, null compression, these extensions.
pub(crate) fn client_hello(extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend([0x11; 32]);
    body.extend(vec(1, &[0x22; 32]));
    body.extend(vec(2, &[0x13, 0x01, 0xc0, 0x2b]));
    body.extend(vec(1, &[0]));
    body.extend(vec(2, extensions));
    body
}

/// A ServerHello body with this random, suite and extensions.
pub(crate) fn server_hello(random: [u8; 32], suite: u16, extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend(random);
    body.extend(vec(1, &[0x22; 32]));
    body.extend(suite.to_be_bytes());
    body.push(0);
    body.extend(vec(2, extensions));
    body
}
