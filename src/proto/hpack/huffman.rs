//! The static Huffman code for header strings (RFC 7541 §5.2, Appendix B).
//!
//! The code in Appendix B is canonical: sorted by length and then by symbol,
//! each code is the previous one plus one, shifted left whenever the length
//! grows. So the 257 code lengths below are the whole table; the codes and the
//! decoding tables are computed from them at compile time, and a test checks a
//! few codes against the appendix.
//!
//! Symbol 256 is EOS. It never appears in a string; the last byte of an
//! encoded string is padded with the most significant bits of EOS, which are
//! all ones, and a decoder must reject padding longer than 7 bits or not made
//! of ones, and an EOS inside the string (§5.2).

/// Why a Huffman-coded string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HuffmanError {
    /// The string contains the EOS symbol (RFC 7541 §5.2: a decoding error).
    Eos,
    /// The last byte is padded with more than 7 bits.
    PaddingTooLong,
    /// The padding is not a prefix of EOS (not all ones).
    PaddingNotOnes,
}

/// Code length in bits of each symbol, 0–255 and EOS (RFC 7541 Appendix B).
const LENGTHS: [u8; 257] = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5,
    5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6,
    6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22,
    23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22,
    21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20,
    22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19,
    21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22,
    22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
];

const EOS: u16 = 256;
const MIN_LEN: usize = 5;
const MAX_LEN: usize = 30;

/// The code of each symbol, right-aligned.
const CODES: [u32; 257] = canonical_codes();

/// For each length: the first code of that length, how many symbols have it,
/// and where they start in [`SORTED`].
const FIRST: [u32; MAX_LEN + 1] = decode_tables().0;
const COUNT: [u32; MAX_LEN + 1] = decode_tables().1;
const OFFSET: [u16; MAX_LEN + 1] = decode_tables().2;
/// Symbols sorted by (length, symbol): the canonical order.
const SORTED: [u16; 257] = decode_tables().3;

const fn canonical_codes() -> [u32; 257] {
    let mut codes = [0u32; 257];
    let mut code = 0u32;
    let mut len = MIN_LEN;
    while len <= MAX_LEN {
        let mut sym = 0;
        while sym < 257 {
            if LENGTHS[sym] as usize == len {
                codes[sym] = code;
                code += 1;
            }
            sym += 1;
        }
        code <<= 1;
        len += 1;
    }
    codes
}

#[allow(clippy::type_complexity)]
const fn decode_tables() -> (
    [u32; MAX_LEN + 1],
    [u32; MAX_LEN + 1],
    [u16; MAX_LEN + 1],
    [u16; 257],
) {
    let mut first = [0u32; MAX_LEN + 1];
    let mut count = [0u32; MAX_LEN + 1];
    let mut offset = [0u16; MAX_LEN + 1];
    let mut sorted = [0u16; 257];
    let mut next = 0usize;
    let mut code = 0u32;
    let mut len = MIN_LEN;
    while len <= MAX_LEN {
        first[len] = code;
        offset[len] = next as u16;
        let mut sym = 0;
        while sym < 257 {
            if LENGTHS[sym] as usize == len {
                sorted[next] = sym as u16;
                next += 1;
                count[len] += 1;
                code += 1;
            }
            sym += 1;
        }
        code <<= 1;
        len += 1;
    }
    (first, count, offset, sorted)
}

/// The length in bytes of `input` once Huffman-coded.
pub fn encoded_len(input: &[u8]) -> usize {
    let bits: usize = input.iter().map(|&b| LENGTHS[b as usize] as usize).sum();
    bits.div_ceil(8)
}

/// Appends the Huffman coding of `input`, padded with ones.
pub fn encode(input: &[u8], out: &mut Vec<u8>) {
    // Bits wait in the low end of `acc`; at most 7 + 30 are pending at once.
    let mut acc = 0u64;
    let mut pending = 0u32;
    for &byte in input {
        let len = u32::from(LENGTHS[byte as usize]);
        acc = (acc << len) | u64::from(CODES[byte as usize]);
        pending += len;
        while pending >= 8 {
            pending -= 8;
            out.push((acc >> pending) as u8);
        }
    }
    if pending > 0 {
        let pad = 8 - pending;
        out.push(((acc << pad) as u8) | ((1u8 << pad) - 1));
    }
}

/// Appends the decoding of a Huffman-coded string to `out`.
pub fn decode(input: &[u8], out: &mut Vec<u8>) -> Result<(), HuffmanError> {
    // Undecoded bits wait in the low end of `acc`, `pending` of them (the
    // bits above are stale). Bytes are added while one fits, so the
    // longest code's 30 bits are there unless the input has ended.
    let mut acc = 0u64;
    let mut pending = 0usize;
    let mut bytes = input.iter();
    loop {
        while pending <= 56 {
            let Some(&b) = bytes.next() else {
                break;
            };
            acc = acc << 8 | u64::from(b);
            pending += 8;
        }
        // The code the next bits start with: the codes are canonical and
        // prefix-free, so the shortest length whose first code and count
        // take them in is it, one compare per length rather than per bit.
        let mut symbol = None;
        for len in MIN_LEN..=pending.min(MAX_LEN) {
            let code = (acc >> (pending - len)) as u32 & ((1u32 << len) - 1);
            let index = code.wrapping_sub(FIRST[len]);
            if index < COUNT[len] {
                symbol = Some((len, SORTED[OFFSET[len] as usize + index as usize]));
                break;
            }
        }
        // No code complete: the input has ended (every 30 bits start
        // with a code; EOS, the only 30-bit one of all ones, among them).
        let Some((len, sym)) = symbol else {
            break;
        };
        if sym == EOS {
            return Err(HuffmanError::Eos);
        }
        out.push(sym as u8);
        pending -= len;
    }
    debug_assert!(pending < MAX_LEN);
    if pending > 7 {
        return Err(HuffmanError::PaddingTooLong);
    }
    if acc & ((1u64 << pending) - 1) != (1u64 << pending) - 1 {
        return Err(HuffmanError::PaddingNotOnes);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_appendix_b_samples() {
        // (symbol, code, length) read off RFC 7541 Appendix B.
        for (sym, code, len) in [
            (b'0' as usize, 0x0, 5),
            (b'a' as usize, 0x3, 5),
            (b' ' as usize, 0x14, 6),
            (b'A' as usize, 0x21, 6),
            (b'z' as usize, 0x7b, 7),
            (b'&' as usize, 0xf8, 8),
            (0, 0x1ff8, 13),
            (255, 0x3ffffee, 26),
            (256, 0x3fffffff, 30),
        ] {
            assert_eq!((CODES[sym], LENGTHS[sym]), (code, len), "symbol {sym}");
        }
    }

    #[test]
    fn every_byte_round_trips_alone_and_together() {
        let all: Vec<u8> = (0..=255).collect();
        for b in 0..=255u8 {
            let mut enc = Vec::new();
            encode(&[b], &mut enc);
            assert_eq!(enc.len(), encoded_len(&[b]));
            let mut dec = Vec::new();
            decode(&enc, &mut dec).unwrap();
            assert_eq!(dec, [b]);
        }
        let mut enc = Vec::new();
        encode(&all, &mut enc);
        let mut dec = Vec::new();
        decode(&enc, &mut dec).unwrap();
        assert_eq!(dec, all);
    }

    #[test]
    fn www_example_com_is_the_appendix_c4_string() {
        let mut enc = Vec::new();
        encode(b"www.example.com", &mut enc);
        assert_eq!(
            enc,
            [
                0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff
            ]
        );
    }

    #[test]
    fn padding_of_eight_ones_is_rejected() {
        // "0" is 00000 (5 bits) + 111 padding; one more 0xff byte makes the
        // padding 11 bits long.
        let mut dec = Vec::new();
        assert_eq!(decode(&[0x07], &mut dec), Ok(()));
        assert_eq!(dec, b"0");
        assert_eq!(
            decode(&[0x07, 0xff], &mut Vec::new()),
            Err(HuffmanError::PaddingTooLong)
        );
    }

    #[test]
    fn padding_with_a_zero_is_rejected() {
        // "0" then padding 110 instead of 111.
        assert_eq!(
            decode(&[0x06], &mut Vec::new()),
            Err(HuffmanError::PaddingNotOnes)
        );
    }

    #[test]
    fn eos_inside_a_string_is_rejected() {
        // 30 ones (EOS) then two ones of padding: four 0xff bytes.
        assert_eq!(decode(&[0xff; 4], &mut Vec::new()), Err(HuffmanError::Eos));
    }

    /// The decoder §5.2 describes, one bit at a time: what [`decode`]
    /// must agree with, results and bytes.
    fn decode_bit_by_bit(input: &[u8], out: &mut Vec<u8>) -> Result<(), HuffmanError> {
        let (mut code, mut len) = (0u32, 0usize);
        for &byte in input {
            for bit in (0..8).rev() {
                code = (code << 1) | u32::from((byte >> bit) & 1);
                len += 1;
                if len < MIN_LEN {
                    continue;
                }
                let index = code.wrapping_sub(FIRST[len]);
                if index < COUNT[len] {
                    let sym = SORTED[OFFSET[len] as usize + index as usize];
                    if sym == EOS {
                        return Err(HuffmanError::Eos);
                    }
                    out.push(sym as u8);
                    (code, len) = (0, 0);
                }
            }
        }
        if len > 7 {
            return Err(HuffmanError::PaddingTooLong);
        }
        if code != (1u32 << len) - 1 {
            return Err(HuffmanError::PaddingNotOnes);
        }
        Ok(())
    }

    #[test]
    fn decoding_agrees_with_the_bit_by_bit_reading() {
        let check = |input: &[u8]| {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            let got = decode(input, &mut fast);
            assert_eq!(got, decode_bit_by_bit(input, &mut slow), "{input:02x?}");
            assert_eq!(fast, slow, "{input:02x?}");
        };
        // Every string of one and two bytes.
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
            }
        }
        // Longer ones: encodings (with their padding changed) and runs of
        // ones around EOS, from a fixed xorshift sequence.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for n in 0..4000 {
            let mut bytes = Vec::new();
            for _ in 0..n % 40 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                bytes.push(x as u8);
            }
            check(&bytes);
            let mut enc = Vec::new();
            encode(&bytes, &mut enc);
            check(&enc);
            if let Some(last) = enc.last_mut() {
                *last ^= (x >> 8) as u8 & 0x0f;
            }
            check(&enc);
            enc.extend_from_slice(&[0xff; 4][..n % 5]);
            check(&enc);
        }
    }

    #[test]
    fn empty_string_decodes_to_nothing() {
        let mut dec = Vec::new();
        assert_eq!(decode(&[], &mut dec), Ok(()));
        assert!(dec.is_empty());
    }
}
