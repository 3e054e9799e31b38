//! The TLS record and handshake decoder under the fuzzer.

use crate::app::Direction;
use crate::app::http1::End;
use crate::app::tls::{MAX_ALERTS, RecordSeen, RecordSink, Session, TlsDecoder};
use crate::proto::tls::{ClientHello, HandshakeReader, NextProtocol, ServerHello};

/// Checks each record handed to a decrypter: in order, inside what was
/// fed, whole.
#[derive(Default)]
struct Checker {
    next: [u64; 2],
}

impl RecordSink for Checker {
    fn wants_encrypted(&self) -> bool {
        true
    }
    fn record(
        &mut self,
        _: &Session,
        r: &RecordSeen<'_>,
        _: &mut dyn FnMut(crate::app::Label),
    ) -> bool {
        let i = usize::from(r.sender == Direction::ServerToClient);
        assert!(r.record.offset >= self.next[i], "records out of order");
        self.next[i] = r.record.offset + 5 + u64::from(r.record.header.length);
        assert_eq!(
            r.record.body.map(<[u8]>::len),
            Some(usize::from(r.record.header.length)),
            "a record handed out not whole"
        );
        false
    }
}

/// Both directions of a TLS connection through [`TlsDecoder`], fed in
/// alternate pieces, each piece once whole and once byte by byte: the
/// reports and labels must agree (where a segment ends changes nothing),
/// every record a sink is handed is whole and in order, and nothing read
/// lies past what was fed.
/// The client's bytes also go straight to the hello parsers, the
/// NextProtocol parser (which only decrypted records reach in a capture)
/// and the handshake reader.
///
/// Input: `[piece, len_hi, len_lo, client…, server…]`: `len` bytes of the
/// client's direction, the rest the server's; `piece` (0 as 1) is the size
/// of the pieces the two directions are fed in, alternately.
pub fn tls_records(data: &[u8]) {
    let [piece, hi, lo, rest @ ..] = data else {
        return;
    };
    let split = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
    let (client, server) = rest.split_at(split);
    let _ = ClientHello::parse(client);
    let _ = ServerHello::parse(client);
    let _ = NextProtocol::parse(client);
    let _ = HandshakeReader::default().feed(client, &mut |_, _| {});
    let piece = usize::from(*piece).max(1);
    let run = |bytewise: bool| {
        let mut d = TlsDecoder::new(0, 0);
        let mut sink = Checker::default();
        let mut labels = [Vec::new(), Vec::new()];
        let mut c = client.chunks(piece);
        let mut s = server.chunks(piece);
        loop {
            let (a, b) = (c.next(), s.next());
            if a.is_none() && b.is_none() {
                break;
            }
            for (dir, bytes) in [
                (Direction::ClientToServer, a),
                (Direction::ServerToClient, b),
            ] {
                let Some(bytes) = bytes else { continue };
                let i = usize::from(dir == Direction::ServerToClient);
                let step = if bytewise { 1 } else { bytes.len() };
                for b in bytes.chunks(step) {
                    d.feed(dir, b, &mut |l| labels[i].push(l.text), &mut sink);
                }
            }
        }
        for (i, dir) in [Direction::ClientToServer, Direction::ServerToClient]
            .into_iter()
            .enumerate()
        {
            d.end(dir, End::CaptureEnd);
            let fed = [client.len(), server.len()][i] as u64;
            if let Some(stop) = d.stopped(dir) {
                assert!(stop.offset <= fed, "stopped past the bytes");
                assert!(!stop.reason.is_empty());
            }
        }
        let report = d.report();
        assert!(report.alerts.len() <= MAX_ALERTS);
        assert!(report.encrypted[0].bytes <= client.len() as u64);
        assert!(report.encrypted[1].bytes <= server.len() as u64);
        // The labels of one direction: a run of like records may be merged
        // differently when cut differently, so compare them unmerged.
        let flat = |v: &[String]| -> Vec<String> {
            v.iter()
                .flat_map(|l| match l.rsplit_once(" ×") {
                    Some((text, n)) => vec![text.to_string(); n.parse().unwrap_or(1)],
                    None => vec![l.clone()],
                })
                .collect()
        };
        (
            report,
            labels.map(|l| flat(&l)),
            d.stopped(Direction::ClientToServer).cloned(),
        )
    };
    let whole = run(false);
    let bytewise = run(true);
    assert_eq!(
        whole, bytewise,
        "pieces of {piece} read differently byte by byte"
    );
}
