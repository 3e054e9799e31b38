//! The HTTP/3 frame reader and QPACK against the examples of RFC 9204
//! Appendix B and hand-built frames; the captures' tests cover real peers.

use super::frame::{self, FrameReader};
use super::qpack::{Field, QpackError, decode_section, decode_with};
use super::qpack_table::DynamicTable;
use super::{H3Error, error_name};

fn field(name: &str, value: &str) -> Field {
    Field {
        name: name.into(),
        value: value.into(),
    }
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Every frame the reader hands out: (type, length, payload).
fn frames(reader: &mut FrameReader, bytes: &[u8]) -> Result<Vec<(u64, u64, Vec<u8>)>, H3Error> {
    let mut out = Vec::new();
    reader.feed(bytes, &mut |f| {
        out.push((f.kind, f.len, f.payload.to_vec()))
    })?;
    Ok(out)
}

#[test]
fn rfc9204_b1_literal_with_static_name_reference() {
    // B.1: Required Insert Count 0, Base 0, then `:path` (static index 1)
    // with the literal value "/index.html".
    let block = hex("0000 510b 2f69 6e64 6578 2e68 746d 6c");
    assert_eq!(
        decode_section(&block).unwrap(),
        vec![field(":path", "/index.html")]
    );
}

#[test]
fn rfc9204_b2_dynamic_table_from_the_encoder_stream() {
    // B.2: the encoder stream sets capacity 220 and inserts two entries by
    // static name reference; the section names both post-base.
    let mut table = DynamicTable::default();
    table.set_max_capacity(220);
    let encoder =
        hex("3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468");
    // Fed in two pieces split inside an instruction: it must wait for the rest.
    table.encoder_bytes(&encoder[..9]).unwrap();
    table.encoder_bytes(&encoder[9..]).unwrap();
    assert_eq!(table.insert_count(), 2);
    assert_eq!(table.get(0), Some((":authority", "www.example.com")));
    let block = hex("0381 10 11");
    assert_eq!(
        decode_with(&block, Some(&table)).unwrap(),
        vec![
            field(":authority", "www.example.com"),
            field(":path", "/sample/path")
        ]
    );
    // Without the table the same section is reported, not guessed at.
    assert_eq!(decode_section(&block), Err(QpackError::DynamicTable(3)));
}

#[test]
fn a_section_needing_inserts_never_seen_is_blocked() {
    let mut table = DynamicTable::default();
    table.set_max_capacity(220);
    assert_eq!(
        decode_with(&hex("0381 10 11"), Some(&table)),
        Err(QpackError::Blocked {
            required: 2,
            inserted: 0
        })
    );
}

#[test]
fn bad_sections_are_errors_not_panics() {
    // Static index 99 is past the table (§3.1: 0..=98); indexed field line
    // `11xxxxxx` with a 6-bit prefix: 0xff 0x24 = 63 + 36 = 99.
    assert_eq!(
        decode_section(&hex("0000 ff24")),
        Err(QpackError::StaticIndex(99))
    );
    // A literal whose length runs past the end.
    assert_eq!(
        decode_section(&hex("0000 510b 2f69")),
        Err(QpackError::Truncated)
    );
    for n in 0..12 {
        let _ = decode_section(&hex("0000 510b 2f69 6e64 6578 2e68")[..n]);
    }
}

#[test]
fn frames_read_across_any_split() {
    // SETTINGS {QPACK_MAX_TABLE_CAPACITY: 100, MAX_FIELD_SECTION_SIZE:
    // 1024}, a reserved type 0x21 (§7.2.8), HEADERS with the B.1 section,
    // DATA "hello".
    let bytes = hex(
        "0406 01 4064 06 4400  2102 abcd  010f 0000 510b 2f69 6e64 6578 2e68 746d 6c  0005 68656c6c6f",
    );
    let whole = frames(&mut FrameReader::default(), &bytes).unwrap();
    assert_eq!(
        whole.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(),
        vec![(0x04, 6), (0x21, 2), (0x01, 15), (0x00, 5)]
    );
    assert_eq!(
        frame::settings(&whole[0].2).unwrap(),
        vec![(0x01, 100), (0x06, 1024)]
    );
    assert_eq!(
        decode_section(&whole[2].2).unwrap(),
        vec![field(":path", "/index.html")]
    );
    // DATA and unknown types are counted, their payloads not held.
    assert!(whole[1].2.is_empty() && whole[3].2.is_empty());
    for cut in 1..bytes.len() {
        let mut r = FrameReader::default();
        let mut got = frames(&mut r, &bytes[..cut]).unwrap();
        got.extend(frames(&mut r, &bytes[cut..]).unwrap());
        assert_eq!(got, whole, "split at {cut}");
    }
}

#[test]
fn settings_and_goaway_payloads_are_checked() {
    assert_eq!(
        frame::settings(&hex("01")),
        Err(H3Error::Malformed("SETTINGS"))
    );
    assert_eq!(frame::single_varint(&hex("04"), "GOAWAY"), Ok(4));
    assert_eq!(
        frame::single_varint(&hex("0400"), "GOAWAY"),
        Err(H3Error::Malformed("GOAWAY"))
    );
}

#[test]
fn error_codes_have_their_rfc_names() {
    assert_eq!(error_name(0x100), Some("H3_NO_ERROR"));
    assert_eq!(error_name(0x10c), Some("H3_REQUEST_CANCELLED"));
    assert_eq!(error_name(0x200), Some("QPACK_DECOMPRESSION_FAILED"));
    assert_eq!(error_name(0x0), None);
}
