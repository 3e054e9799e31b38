//! Prefix-coded integers (RFC 7541 §5.1).
//!
//! An integer starts in the low N bits of a byte whose high bits belong to the
//! representation around it. A value below 2^N − 1 fits there; otherwise the
//! prefix is all ones and the rest follows seven bits at a time, least
//! significant group first, the top bit of each byte saying "more follows".

/// Why an integer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerError {
    /// The block ended before the last continuation byte.
    Truncated,
    /// The value does not fit in 32 bits. Nothing HPACK counts (indexes,
    /// string lengths, table sizes) is legitimately that large, and stopping
    /// here keeps a hostile run of continuation bytes from costing anything
    /// (RFC 7541 §5.1 allows decoders to limit it).
    Overflow,
}

/// Largest value [`decode`] accepts.
pub const MAX: u64 = u32::MAX as u64;

/// Reads an integer whose first byte carries it in its low `prefix` bits
/// (1 to 8). Returns the value and how many bytes it took.
pub fn decode(buf: &[u8], prefix: u8) -> Result<(u64, usize), IntegerError> {
    debug_assert!((1..=8).contains(&prefix));
    let first = *buf.first().ok_or(IntegerError::Truncated)?;
    let mask = ((1u16 << prefix) - 1) as u8;
    let mut value = u64::from(first & mask);
    if value < u64::from(mask) {
        return Ok((value, 1));
    }
    let mut shift = 0u32;
    for (i, &byte) in buf.iter().enumerate().skip(1) {
        value += u64::from(byte & 0x7f) << shift;
        if value > MAX {
            return Err(IntegerError::Overflow);
        }
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
        shift += 7;
        if shift > 28 {
            // A fifth continuation byte that still says "more" can only
            // add bits above 2^35: over the limit whatever it holds.
            return Err(IntegerError::Overflow);
        }
    }
    Err(IntegerError::Truncated)
}

/// Appends `value` in the low `prefix` bits of a first byte whose high bits
/// are `flags` (the representation's pattern, with the prefix bits zero).
pub fn encode(value: u64, prefix: u8, flags: u8, out: &mut Vec<u8>) {
    debug_assert!((1..=8).contains(&prefix));
    let mask = ((1u16 << prefix) - 1) as u64;
    if value < mask {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | mask as u8);
    let mut rest = value - mask;
    while rest >= 0x80 {
        out.push((rest & 0x7f) as u8 | 0x80);
        rest >>= 7;
    }
    out.push(rest as u8);
}
