//! Cache prefetch hints for the flow table's lookups.
//!
//! On a large capture the flow thread spends most of its time waiting for
//! memory: the lookup bucket of a packet's connection and the connection's
//! record are rarely still in the CPU's caches (tens of thousands of records
//! are held for Zeek's 5 s close timer). The packets reach the flow thread in
//! batches whose flow hashes are known in advance, so the table can ask for
//! the bucket of a packet several packets ahead and for its record a few
//! packets later, and the loads overlap with the work in between.
//!
//! A prefetch is only a hint: it reads nothing into the program, cannot
//! fault, and may be ignored by the CPU, so it cannot change any result.

/// Asks the CPU to bring the cache line holding `p` into its caches. A no-op
/// on targets without a stable prefetch instruction.
#[inline(always)]
pub(crate) fn line<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 target has
    // (it is part of the baseline ABI). PREFETCHT0 does not access memory
    // in the language's sense: any address, even an invalid one, is
    // allowed and never faults, and nothing is read into the program.
    #[allow(unsafe_code)]
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Prefetches every cache line of `*p`.
#[inline(always)]
pub(crate) fn value<T>(p: *const T) {
    let base = p.cast::<u8>();
    let size = std::mem::size_of::<T>();
    let mut off = 0;
    while off < size {
        line(base.wrapping_add(off));
        off += 64;
    }
    // The last byte may sit on one more line than the strides reached.
    line(base.wrapping_add(size.saturating_sub(1)));
}
