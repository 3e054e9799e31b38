//! RFC 7541 Appendix C, decoded and re-encoded; errors; and two independent
//! HPACK crates as oracles in property tests (loona-hpack, httlib-hpack:
//! dev-dependencies only), in both directions, over sequences of blocks that
//! share one dynamic table.

use proptest::prelude::*;

use super::integer;
use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

type Pairs = &'static [(&'static str, &'static str)];

/// One block of an Appendix C sequence: its bytes, the list it carries, and
/// the dynamic table after it (newest first) with the table's size.
struct Step {
    block: &'static str,
    fields: Pairs,
    table: Pairs,
    size: usize,
}

const DATE_21: &str = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE_22: &str = "Mon, 21 Oct 2013 20:13:22 GMT";
const LOCATION: &str = "https://www.example.com";
const COOKIE: &str = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

const REQUEST_1: Pairs = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
];
const REQUEST_2: Pairs = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
    ("cache-control", "no-cache"),
];
const REQUEST_3: Pairs = &[
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/index.html"),
    (":authority", "www.example.com"),
    ("custom-key", "custom-value"),
];
const REQUEST_TABLES: [Pairs; 3] = [
    &[(":authority", "www.example.com")],
    &[
        ("cache-control", "no-cache"),
        (":authority", "www.example.com"),
    ],
    &[
        ("custom-key", "custom-value"),
        ("cache-control", "no-cache"),
        (":authority", "www.example.com"),
    ],
];
const RESPONSE_1: Pairs = &[
    (":status", "302"),
    ("cache-control", "private"),
    ("date", DATE_21),
    ("location", LOCATION),
];
const RESPONSE_2: Pairs = &[
    (":status", "307"),
    ("cache-control", "private"),
    ("date", DATE_21),
    ("location", LOCATION),
];
const RESPONSE_3: Pairs = &[
    (":status", "200"),
    ("cache-control", "private"),
    ("date", DATE_22),
    ("location", LOCATION),
    ("content-encoding", "gzip"),
    ("set-cookie", COOKIE),
];
const RESPONSE_TABLES: [Pairs; 3] = [
    &[
        ("location", LOCATION),
        ("date", DATE_21),
        ("cache-control", "private"),
        (":status", "302"),
    ],
    &[
        (":status", "307"),
        ("location", LOCATION),
        ("date", DATE_21),
        ("cache-control", "private"),
    ],
    &[
        ("set-cookie", COOKIE),
        ("content-encoding", "gzip"),
        ("date", DATE_22),
    ],
];

/// C.3: requests, no Huffman.
const C3: [Step; 3] = [
    Step {
        block: "828684410f7777772e6578616d706c652e636f6d",
        fields: REQUEST_1,
        table: REQUEST_TABLES[0],
        size: 57,
    },
    Step {
        block: "828684be58086e6f2d6361636865",
        fields: REQUEST_2,
        table: REQUEST_TABLES[1],
        size: 110,
    },
    Step {
        block: "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
        fields: REQUEST_3,
        table: REQUEST_TABLES[2],
        size: 164,
    },
];

/// C.4: the same requests, Huffman-coded.
const C4: [Step; 3] = [
    Step {
        block: "828684418cf1e3c2e5f23a6ba0ab90f4ff",
        fields: REQUEST_1,
        table: REQUEST_TABLES[0],
        size: 57,
    },
    Step {
        block: "828684be5886a8eb10649cbf",
        fields: REQUEST_2,
        table: REQUEST_TABLES[1],
        size: 110,
    },
    Step {
        block: "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
        fields: REQUEST_3,
        table: REQUEST_TABLES[2],
        size: 164,
    },
];

/// C.5: responses with a 256-byte table, no Huffman (evictions happen).
const C5: [Step; 3] = [
    Step {
        block: "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a\
                323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
        fields: RESPONSE_1,
        table: RESPONSE_TABLES[0],
        size: 222,
    },
    Step {
        block: "4803333037c1c0bf",
        fields: RESPONSE_2,
        table: RESPONSE_TABLES[1],
        size: 222,
    },
    Step {
        block: "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69\
                707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d6178\
                2d6167653d333630303b2076657273696f6e3d31",
        fields: RESPONSE_3,
        table: RESPONSE_TABLES[2],
        size: 215,
    },
];

/// C.6: the same responses, Huffman-coded.
const C6: [Step; 3] = [
    Step {
        block: "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29\
                ad171863c78f0b97c8e9ae82ae43d3",
        fields: RESPONSE_1,
        table: RESPONSE_TABLES[0],
        size: 222,
    },
    Step {
        block: "4883640effc1c0bf",
        fields: RESPONSE_2,
        table: RESPONSE_TABLES[1],
        size: 222,
    },
    Step {
        block: "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7\
                f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
        fields: RESPONSE_3,
        table: RESPONSE_TABLES[2],
        size: 215,
    },
];

fn pairs(fields: &[HeaderField]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|f| {
            (
                String::from_utf8(f.name.clone()).unwrap(),
                String::from_utf8(f.value.clone()).unwrap(),
            )
        })
        .collect()
}

fn owned(p: Pairs) -> Vec<(String, String)> {
    p.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn table_of(t: &table::DynamicTable) -> Vec<(String, String)> {
    t.iter()
        .map(|e| {
            (
                String::from_utf8(e.name.to_vec()).unwrap(),
                String::from_utf8(e.value.to_vec()).unwrap(),
            )
        })
        .collect()
}

fn decode_sequence(steps: &[Step], table_size: usize) {
    let mut decoder = Decoder::new(64 * 1024);
    decoder.set_limit(table_size);
    for (i, step) in steps.iter().enumerate() {
        let fields = decoder.decode(&hex(step.block)).unwrap();
        assert_eq!(pairs(&fields), owned(step.fields), "block {}", i + 1);
        assert_eq!(
            table_of(decoder.table()),
            owned(step.table),
            "table after block {}",
            i + 1
        );
        assert_eq!(
            decoder.table().size(),
            step.size,
            "size after block {}",
            i + 1
        );
    }
}

fn encode_sequence(steps: &[Step], table_size: usize, huffman: bool) {
    let mut encoder = Encoder::new(huffman);
    let mut first_update = Vec::new();
    if table_size != decoder::DEFAULT_TABLE_SIZE {
        encoder.set_max_table_size(table_size);
        integer::encode(table_size as u64, 5, 0x20, &mut first_update);
    }
    for (i, step) in steps.iter().enumerate() {
        let mut out = Vec::new();
        let fields = step
            .fields
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes(), Sensitivity::Plain));
        encoder.encode(fields, &mut out);
        // The appendix starts from a table already at its size; this encoder
        // announces the change first (§6.3), and only in its first block.
        let expected = if i == 0 {
            [first_update.clone(), hex(step.block)].concat()
        } else {
            hex(step.block)
        };
        assert_eq!(out, expected, "block {}", i + 1);
        assert_eq!(table_of(encoder.table()), owned(step.table));
    }
}

#[test]
fn c2_single_representations() {
    // C.2.1: literal with indexing, new name.
    let mut d = Decoder::new(4096);
    let f = d
        .decode(&hex("400a637573746f6d2d6b65790d637573746f6d2d686561646572"))
        .unwrap();
    assert_eq!(pairs(&f), owned(&[("custom-key", "custom-header")]));
    assert_eq!(d.table().size(), 55);
    // C.2.2: literal without indexing, indexed name.
    let mut d = Decoder::new(4096);
    let f = d.decode(&hex("040c2f73616d706c652f70617468")).unwrap();
    assert_eq!(pairs(&f), owned(&[(":path", "/sample/path")]));
    assert!(d.table().is_empty());
    // C.2.3: never indexed.
    let mut d = Decoder::new(4096);
    let f = d
        .decode(&hex("100870617373776f726406736563726574"))
        .unwrap();
    assert_eq!(pairs(&f), owned(&[("password", "secret")]));
    assert!(f[0].never_indexed);
    assert!(d.table().is_empty());
    // C.2.4: indexed.
    let f = Decoder::new(4096).decode(&[0x82]).unwrap();
    assert_eq!(pairs(&f), owned(&[(":method", "GET")]));
}

#[test]
fn c1_integers() {
    let mut out = Vec::new();
    integer::encode(10, 5, 0, &mut out);
    assert_eq!(out, [0x0a]);
    out.clear();
    integer::encode(1337, 5, 0, &mut out);
    assert_eq!(out, [0x1f, 0x9a, 0x0a]);
    out.clear();
    integer::encode(42, 8, 0, &mut out);
    assert_eq!(out, [0x2a]);
    assert_eq!(integer::decode(&[0x1f, 0x9a, 0x0a], 5), Ok((1337, 3)));
    assert_eq!(
        integer::decode(&[0x1f, 0x9a], 5),
        Err(integer::IntegerError::Truncated)
    );
    assert_eq!(
        integer::decode(&[0x1f, 0xff, 0xff, 0xff, 0xff, 0x7f], 5),
        Err(integer::IntegerError::Overflow)
    );
    // Zero-valued continuation bytes are legal until the 32-bit bound.
    assert_eq!(integer::decode(&[0x1f, 0x80, 0x80, 0x00], 5), Ok((31, 4)));
    assert_eq!(
        integer::decode(&[0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 5),
        Err(integer::IntegerError::Overflow)
    );
}

#[test]
fn c3_to_c6_decode() {
    decode_sequence(&C3, 4096);
    decode_sequence(&C4, 4096);
    decode_sequence(&C5, 256);
    decode_sequence(&C6, 256);
}

#[test]
fn c3_to_c6_encode_byte_for_byte() {
    encode_sequence(&C3, 4096, false);
    encode_sequence(&C4, 4096, true);
    encode_sequence(&C5, 256, false);
    encode_sequence(&C6, 256, true);
}

fn error_of(block: &[u8]) -> DecodeErrorKind {
    Decoder::new(4096).decode(block).unwrap_err().kind
}

#[test]
fn index_zero_and_past_the_table_are_errors() {
    assert_eq!(error_of(&[0x80]), DecodeErrorKind::BadIndex(0));
    assert_eq!(error_of(&[0xbe]), DecodeErrorKind::BadIndex(62));
    // A literal naming a missing entry.
    assert_eq!(error_of(&[0x7f, 0x00, 0x00]), DecodeErrorKind::BadIndex(63));
}

#[test]
fn truncated_strings_and_integers_are_errors() {
    assert_eq!(error_of(&[0x40, 0x05, b'a']), DecodeErrorKind::Truncated);
    assert_eq!(error_of(&[0x40]), DecodeErrorKind::Truncated);
    assert_eq!(error_of(&[0xff]), DecodeErrorKind::Truncated);
    assert_eq!(error_of(&[0x04, 0x7f]), DecodeErrorKind::Truncated);
}

#[test]
fn bad_huffman_is_an_error_with_its_offset() {
    let mut d = Decoder::new(4096);
    // Field 1 is fine; field 2's value has padding 110.
    let err = d.decode(&[0x82, 0x04, 0x81, 0x06]).unwrap_err();
    assert_eq!(err.offset, 1);
    assert_eq!(
        err.kind,
        DecodeErrorKind::Huffman(huffman::HuffmanError::PaddingNotOnes)
    );
    assert_eq!(
        err.to_string(),
        "HPACK: Huffman padding is not all ones (offset 1)"
    );
}

#[test]
fn table_size_updates_are_bounded_and_come_first() {
    // 0x3f e1 1f = 4096 + ... : 31 + 0x61 + (0x1f << 7) = 4096.
    let mut d = Decoder::new(4096);
    d.decode(&[0x3f, 0xe1, 0x1f]).unwrap();
    assert_eq!(d.table().max_size(), 4096);
    assert_eq!(
        error_of(&[0x3f, 0xe2, 0x1f]),
        DecodeErrorKind::TableSizeOverLimit {
            requested: 4097,
            limit: 4096
        }
    );
    assert_eq!(
        error_of(&[0x82, 0x20]),
        DecodeErrorKind::TableSizeUpdateNotFirst
    );
    // Two updates in a row at the start are fine (§4.2).
    let mut d = Decoder::new(4096);
    d.decode(&[0x20, 0x3f, 0x11, 0x82]).unwrap();
    assert_eq!(d.table().max_size(), 48);
}

#[test]
fn an_hpack_bomb_is_refused_without_expanding_it() {
    // One 4 000-byte value joins the table; then 10 000 one-byte references
    // to it would expand to 40 MB.
    let mut block = vec![0x40, 0x01, b'x'];
    integer::encode(4000, 7, 0x00, &mut block);
    block.extend(std::iter::repeat_n(b'v', 4000));
    block.extend(std::iter::repeat_n(0xbe, 10_000));
    let mut d = Decoder::new(16 * 1024);
    let err = d.decode(&block).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::ListTooLarge { limit: 16 * 1024 });
    // The table stayed in step: the entry is there for the next block.
    assert_eq!(d.table().len(), 1);
    assert_eq!(pairs(&d.decode(&[0xbe]).unwrap())[0].0, "x");
}

#[test]
fn never_indexed_fields_stay_out_of_the_table() {
    let mut e = Encoder::new(true);
    let mut out = Vec::new();
    e.encode(
        [(
            &b"authorization"[..],
            &b"secret"[..],
            Sensitivity::NeverIndex,
        )],
        &mut out,
    );
    assert!(e.table().is_empty());
    let f = Decoder::new(4096).decode(&out).unwrap();
    assert!(f[0].never_indexed);
    assert_eq!(f[0].value, b"secret");
}

#[test]
fn shrinking_then_growing_announces_the_low_point_first() {
    let mut e = Encoder::new(false);
    e.set_max_table_size(0);
    e.set_max_table_size(100);
    let mut out = Vec::new();
    e.encode([(&b"a"[..], &b"b"[..], Sensitivity::Plain)], &mut out);
    assert_eq!(&out[..3], &[0x20, 0x3f, 0x45]);
}

fn header_list() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    // Names from the static table and a few custom ones, values short and
    // repeated often enough that the dynamic table is used and evicts.
    let name = prop_oneof![
        (0usize..61).prop_map(|i| table::STATIC[i].0.to_vec()),
        "[a-z][a-z0-9-]{0,12}".prop_map(String::into_bytes),
    ];
    let value = prop_oneof![
        Just(Vec::new()),
        "[ -~]{0,40}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..30),
    ];
    proptest::collection::vec((name, value), 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn our_encoder_against_loona_decoder(blocks in proptest::collection::vec(header_list(), 1..6), huffman: bool) {
        let mut ours = Encoder::new(huffman);
        let mut oracle = loona_hpack::Decoder::new();
        for list in &blocks {
            let mut out = Vec::new();
            ours.encode(list.iter().map(|(n, v)| (&n[..], &v[..], Sensitivity::Plain)), &mut out);
            let decoded = oracle.decode(&out).expect("loona decodes our block");
            prop_assert_eq!(&decoded, list);
        }
    }

    #[test]
    fn loona_encoder_against_our_decoder(blocks in proptest::collection::vec(header_list(), 1..6)) {
        let mut oracle = loona_hpack::Encoder::new();
        let mut ours = Decoder::new(1 << 20);
        for list in &blocks {
            let block = oracle.encode(list.iter().map(|(n, v)| (&n[..], &v[..])));
            let decoded: Vec<_> = ours.decode(&block).unwrap().into_iter().map(|f| (f.name, f.value)).collect();
            prop_assert_eq!(&decoded, list);
        }
    }

    #[test]
    fn httlib_huffman_encoder_against_our_decoder(blocks in proptest::collection::vec(header_list(), 1..6)) {
        let mut oracle = httlib_hpack::Encoder::default();
        let mut ours = Decoder::new(1 << 20);
        let flags = httlib_hpack::Encoder::HUFFMAN_NAME
            | httlib_hpack::Encoder::HUFFMAN_VALUE
            | httlib_hpack::Encoder::WITH_INDEXING
            | httlib_hpack::Encoder::BEST_FORMAT;
        for list in &blocks {
            let mut block = Vec::new();
            for (n, v) in list {
                oracle.encode((n.clone(), v.clone(), flags), &mut block).expect("httlib encodes");
            }
            let decoded: Vec<_> = ours.decode(&block).unwrap().into_iter().map(|f| (f.name, f.value)).collect();
            prop_assert_eq!(&decoded, list);
        }
    }

    #[test]
    fn our_huffman_against_httlib_decoder(blocks in proptest::collection::vec(header_list(), 1..6)) {
        let mut ours = Encoder::new(true);
        let mut oracle = httlib_hpack::Decoder::default();
        for list in &blocks {
            let mut out = Vec::new();
            ours.encode(list.iter().map(|(n, v)| (&n[..], &v[..], Sensitivity::Plain)), &mut out);
            let mut decoded = Vec::new();
            oracle.decode(&mut out, &mut decoded).expect("httlib decodes our block");
            let decoded: Vec<_> = decoded.into_iter().map(|(n, v, _)| (n, v)).collect();
            prop_assert_eq!(&decoded, list);
        }
    }

    #[test]
    fn any_bytes_decode_or_fail_without_panicking(block in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut d = Decoder::new(8 * 1024);
        let _ = d.decode(&block);
        prop_assert!(d.table().size() <= d.table().max_size());
    }
}
