//! Storage for open connections, with no TCP rules in it: fixed-chunk slots
//! (`slab.rs`), the chained lookup index (`index.rs`), the timing wheel of
//! deadlines (`timer_queue.rs`) and cache prefetch hints (`prefetch.rs`).
//!
//! The bottom of `flow/`: it imports nothing from the rest of the flow
//! stage (the slab is generic over what it stores), so the table and the
//! TCP rules can both depend on it.

pub(super) mod index;
pub(crate) mod prefetch;
pub(super) mod slab;
pub(super) mod timer_queue;
