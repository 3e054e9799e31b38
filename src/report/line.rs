//! A byte writer for output lines that are written once per connection:
//! numbers, addresses and fixed-point seconds without `core::fmt`.
//!
//! The streaming outputs write one line per connection, hundreds of thousands
//! per capture, so formatting is a visible share of the analyzer's time.
//! [`Line`] borrows the caller's reusable buffer, grows it once to the
//! longest line the caller announces, writes digits in pairs straight into
//! it, and trims it to what was written.

use std::net::IpAddr;

/// Two-digit groups "00" to "99", so numbers are written two digits per step.
pub(super) const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The longest text of one number, address or time written here: an IPv6
/// address with an embedded IPv4 suffix (45 bytes) or a signed time (28).
pub const MAX_ITEM: usize = 48;

/// How many decimal digits `n` has.
#[inline]
pub(super) fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().unwrap_or(0) as usize + 1
}

/// Writes `n` in decimal into `slot`, which is exactly [`decimal_len`] long,
/// two digits per step from the right.
#[inline]
pub(super) fn write_decimal(slot: &mut [u8], mut n: u64) {
    let mut i = slot.len();
    while i >= 2 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        slot[i - 2..i].copy_from_slice(&PAIRS[pair..pair + 2]);
        i -= 2;
    }
    if i == 1 {
        slot[0] = b'0' + n as u8;
    }
}

/// An address octet's digits (the first `len` bytes of the array), built in
/// one step.
#[inline]
pub(super) fn octet_text(n: u8) -> ([u8; 3], usize) {
    let n = usize::from(n);
    if n >= 100 {
        let r = n % 100 * 2;
        ([b'0' + (n / 100) as u8, PAIRS[r], PAIRS[r + 1]], 3)
    } else if n >= 10 {
        ([PAIRS[n * 2], PAIRS[n * 2 + 1], 0], 2)
    } else {
        ([b'0' + n as u8, 0, 0], 1)
    }
}

/// Writes one line at the end of a `Vec<u8>`.
pub struct Line<'a> {
    out: &'a mut Vec<u8>,
    pos: usize,
}

impl<'a> Line<'a> {
    /// Starts a line of at most `max` bytes at the end of `out`.
    pub fn new(out: &'a mut Vec<u8>, max: usize) -> Self {
        let pos = out.len();
        out.resize(pos + max, 0);
        Line { out, pos }
    }

    /// Ends the line: the buffer keeps exactly the bytes written.
    pub fn finish(self) {
        self.out.truncate(self.pos);
    }

    /// One byte. Bytes beyond the announced maximum are dropped (the callers
    /// size it from the fields, so this does not happen).
    #[inline]
    pub fn byte(&mut self, b: u8) {
        if let Some(slot) = self.out.get_mut(self.pos) {
            *slot = b;
            self.pos += 1;
        }
    }

    /// Several bytes (dropped as a whole past the maximum, see [`Line::byte`]).
    #[inline]
    pub fn bytes(&mut self, b: &[u8]) {
        if let Some(slot) = self.out.get_mut(self.pos..self.pos + b.len()) {
            slot.copy_from_slice(b);
            self.pos += b.len();
        }
    }

    /// `n` in decimal.
    pub fn u64(&mut self, n: u64) {
        let digits = decimal_len(n);
        let Some(slot) = self.out.get_mut(self.pos..self.pos + digits) else {
            return;
        };
        write_decimal(slot, n);
        self.pos += digits;
    }

    /// An address octet in decimal: at most three digits, one step each.
    #[inline]
    pub fn octet(&mut self, n: u8) {
        let (text, len) = octet_text(n);
        // All three bytes are copied (a fixed-size copy, not a call to
        // memcpy) and the position moves by the digits only.
        if let Some(slot) = self.out.get_mut(self.pos..self.pos + 3) {
            slot.copy_from_slice(&text);
            self.pos += len;
        } else {
            self.bytes(&text[..len]);
        }
    }

    /// Nanoseconds as seconds with six decimals, truncated to the
    /// microsecond (Zeek's `%.6f`).
    pub fn secs(&mut self, nanos: i64) {
        // Before the epoch: the sign, then the magnitude, as `%.6f` prints it.
        if nanos < 0 {
            self.byte(b'-');
        }
        let m = nanos.unsigned_abs() / 1_000;
        self.u64(m / 1_000_000);
        let frac = (m % 1_000_000) as usize;
        let (hi, mid, lo) = (frac / 10_000 * 2, frac / 100 % 100 * 2, frac % 100 * 2);
        self.bytes(&[
            b'.',
            PAIRS[hi],
            PAIRS[hi + 1],
            PAIRS[mid],
            PAIRS[mid + 1],
            PAIRS[lo],
            PAIRS[lo + 1],
        ]);
    }

    /// An address: IPv4 dotted quad; IPv6 through the standard formatter,
    /// which applies RFC 5952's compression rules.
    pub fn addr(&mut self, addr: IpAddr) {
        match addr {
            IpAddr::V4(a) => {
                let [a, b, c, d] = a.octets();
                self.octet(a);
                self.byte(b'.');
                self.octet(b);
                self.byte(b'.');
                self.octet(c);
                self.byte(b'.');
                self.octet(d);
            }
            IpAddr::V6(a) => self.bytes(a.to_string().as_bytes()),
        }
    }

    /// A count, or `-` when unset.
    pub fn count(&mut self, n: Option<u64>) {
        match n {
            Some(n) => self.u64(n),
            None => self.byte(b'-'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Line<'_>)) -> String {
        let mut out = b"x".to_vec();
        let mut line = Line::new(&mut out, 200);
        f(&mut line);
        line.finish();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_match_display() {
        for n in [
            0,
            7,
            9,
            10,
            99,
            100,
            101,
            999,
            1000,
            65535,
            1_234_567,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            assert_eq!(text(|l| l.u64(n)), format!("x{n}"));
        }
    }

    #[test]
    fn seconds_have_six_decimals_and_truncate() {
        assert_eq!(
            text(|l| l.secs(1_362_692_526_939_084_999)),
            "x1362692526.939084"
        );
        assert_eq!(text(|l| l.secs(5_000)), "x0.000005");
        // Before the epoch: the sign and the magnitude, as printf's %.6f.
        assert_eq!(text(|l| l.secs(-1_500_000_000)), "x-1.500000");
        assert_eq!(text(|l| l.secs(-500_000_000)), "x-0.500000");
        assert_eq!(text(|l| l.secs(-1)), "x-0.000000");
    }

    #[test]
    fn octets_match_display() {
        for n in 0..=255u8 {
            assert_eq!(text(|l| l.octet(n)), format!("x{n}"));
        }
    }

    #[test]
    fn addresses_match_display() {
        for a in [
            "127.77.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = a.parse().unwrap();
            assert_eq!(text(|l| l.addr(ip)), format!("x{ip}"));
        }
    }

    #[test]
    fn bytes_past_the_maximum_are_dropped_not_a_panic() {
        let mut out = Vec::new();
        let mut line = Line::new(&mut out, 3);
        line.u64(12);
        line.u64(345);
        line.byte(b'!');
        line.finish();
        assert_eq!(out, b"12!");
    }
}
