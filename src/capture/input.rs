//! A reusable read buffer over any [`Read`]: the file reader's only memory.
//!
//! Records are parsed in place and handed out as borrowed slices, so reading
//! a packet copies it once (from the kernel into this buffer) and allocates
//! nothing. The buffer grows only when a single record is larger than it.

use std::io::{self, Read};

/// Bytes asked of the underlying reader at a time (and the initial buffer size).
const CHUNK: usize = 256 * 1024;

/// A window `buf[start..end]` of not-yet-consumed input.
pub(super) struct Input<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Input offset of `buf[start]`, for error messages.
    offset: u64,
}

impl<R: Read> Input<R> {
    pub(super) fn new(reader: R) -> Self {
        Input {
            reader,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }

    /// Input offset of the next unconsumed byte.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// The unconsumed bytes already buffered.
    #[inline]
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Makes `n` bytes available if the input holds that many; returns how
    /// many are available (fewer than `n` only at the end of the input).
    ///
    /// The buffer grows only when it is full of unconsumed input, doubling up
    /// to `n`: a length field of a damaged file may claim megabytes that the
    /// input does not hold, and a claim alone must not allocate them (the
    /// fuzzer met 16 MiB allocations for 3 KiB files this way).
    #[inline]
    pub(super) fn fill(&mut self, n: usize) -> io::Result<usize> {
        // Nearly every call finds the bytes already buffered.
        if self.end - self.start >= n {
            return Ok(n);
        }
        self.refill(n)
    }

    #[inline(never)]
    fn refill(&mut self, n: usize) -> io::Result<usize> {
        while self.end - self.start < n && !self.eof {
            if self.end == self.buf.len() {
                // No room after the data: move the partial record to the front.
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if self.end == self.buf.len() {
                    // Full of data and still short of `n` bytes: grow.
                    let grown = (self.buf.len() * 2).max(CHUNK).min(n);
                    self.buf.resize(grown, 0);
                }
            }
            // `end < buf.len()` holds here: either there was room, or the data
            // moved to the front freed some, or the buffer grew past `end`
            // (`grown > end` because `end - start < n`).
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((self.end - self.start).min(n))
    }

    /// Drops `n` buffered bytes (at most what is buffered).
    #[inline]
    pub(super) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    /// Consumes `n` buffered bytes and returns them; they stay valid until
    /// the next call that takes `&mut self`.
    #[inline]
    pub(super) fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.end - self.start);
        let from = self.start;
        self.consume(n);
        &self.buf[from..from + n]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn fill_gathers_short_reads() {
        let data: Vec<u8> = (0..=255).collect();
        let mut input = Input::new(Trickle {
            data: &data,
            step: 7,
        });
        assert_eq!(input.fill(100).unwrap(), 100);
        assert_eq!(&input.bytes()[..100], &data[..100]);
        assert_eq!(input.take(10), &data[..10]);
        assert_eq!(input.offset(), 10);
    }

    #[test]
    fn fill_at_end_of_input_returns_what_is_left() {
        let mut input = Input::new(&[1u8, 2, 3][..]);
        assert_eq!(input.fill(10).unwrap(), 3);
        input.consume(3);
        assert_eq!(input.fill(1).unwrap(), 0);
    }

    #[test]
    fn a_huge_claim_on_a_short_input_allocates_nothing_more() {
        // A damaged length field asks for 16 MiB; the input holds 10 bytes.
        let data = [7u8; 10];
        let mut input = Input::new(&data[..]);
        assert_eq!(input.fill(16 * 1024 * 1024).unwrap(), 10);
        assert_eq!(input.buf.len(), CHUNK, "the buffer did not grow");
    }

    #[test]
    fn a_large_record_arriving_in_short_reads_is_gathered_whole() {
        let data: Vec<u8> = (0..CHUNK * 3 + 17).map(|i| i as u8).collect();
        let mut input = Input::new(Trickle {
            data: &data,
            step: 4093,
        });
        input.fill(5).unwrap();
        input.consume(5);
        let n = CHUNK * 3;
        assert_eq!(input.fill(n).unwrap(), n);
        assert_eq!(input.take(n), &data[5..5 + n]);
        assert_eq!(input.fill(100).unwrap(), 12);
        assert!(input.buf.len() <= 4 * CHUNK);
    }

    #[test]
    fn record_larger_than_buffer_grows_it_once() {
        let data = vec![0xabu8; CHUNK * 2 + 5];
        let mut input = Input::new(&data[..]);
        input.fill(3).unwrap();
        input.consume(3);
        assert_eq!(input.fill(CHUNK * 2).unwrap(), CHUNK * 2);
        assert_eq!(input.take(CHUNK * 2).len(), CHUNK * 2);
        assert_eq!(input.fill(10).unwrap(), 2);
    }
}
