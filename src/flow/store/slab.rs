//! Storage for records (the flow table's connections): fixed-size chunks
//! with a free list.
//!
//! Chunks never move or double, so the memory held stays within one chunk of
//! the peak number of open connections (a doubling `Vec` could hold twice
//! that), and a freed slot is reused by the next new connection. The free
//! list runs through the freed cells themselves, so it costs no memory of
//! its own (a cell is a record or, once freed, the next free slot).

/// Records per chunk.
const CHUNK: usize = 1024;

/// End of the free list.
const NONE: u32 = u32::MAX;

/// One slot: a record, or a link in the free list. The record's enum fields
/// leave room for the tag, so a cell is no larger than a record (boxing the
/// record, as the lint suggests, would add a pointer and an allocation).
#[allow(clippy::large_enum_variant)]
enum Cell<T> {
    Used(T),
    Free { next: u32 },
}

/// Slot-addressed storage of open connections.
pub(in crate::flow) struct Slab<T> {
    chunks: Vec<Box<[Cell<T>]>>,
    /// Slots handed out so far (the next never-used slot).
    high: u32,
    /// First free slot, or `NONE`.
    free_head: u32,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            chunks: Vec::new(),
            high: 0,
            free_head: NONE,
        }
    }
}

impl<T> Slab<T> {
    fn cell(&self, slot: u32) -> Option<&Cell<T>> {
        let s = slot as usize;
        self.chunks.get(s / CHUNK)?.get(s % CHUNK)
    }

    fn cell_mut(&mut self, slot: u32) -> Option<&mut Cell<T>> {
        let s = slot as usize;
        self.chunks.get_mut(s / CHUNK)?.get_mut(s % CHUNK)
    }

    #[inline]
    pub(in crate::flow) fn get(&self, slot: u32) -> Option<&T> {
        match self.cell(slot)? {
            Cell::Used(c) => Some(c),
            Cell::Free { .. } => None,
        }
    }

    #[inline]
    pub(in crate::flow) fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        match self.cell_mut(slot)? {
            Cell::Used(c) => Some(c),
            Cell::Free { .. } => None,
        }
    }

    /// Hints the CPU to load `slot`'s cell (see `prefetch.rs`).
    #[inline]
    pub(in crate::flow) fn prefetch(&self, slot: u32) {
        if let Some(cell) = self.cell(slot) {
            super::prefetch::value(cell as *const Cell<T>);
        }
    }

    /// Stores a record and returns its slot.
    pub(in crate::flow) fn insert(&mut self, conn: T) -> u32 {
        let head = self.free_head;
        if let Some(Cell::Free { next }) = self.cell(head) {
            self.free_head = *next;
            if let Some(cell) = self.cell_mut(head) {
                *cell = Cell::Used(conn);
            }
            return head;
        }
        let slot = self.high;
        self.high += 1;
        if slot as usize / CHUNK >= self.chunks.len() {
            self.chunks
                .push((0..CHUNK).map(|_| Cell::Free { next: NONE }).collect());
        }
        if let Some(cell) = self.cell_mut(slot) {
            *cell = Cell::Used(conn);
        }
        slot
    }

    /// Drops a record in place and frees its slot.
    pub(in crate::flow) fn free(&mut self, slot: u32) {
        let head = self.free_head;
        if let Some(cell) = self.cell_mut(slot)
            && matches!(cell, Cell::Used(_))
        {
            *cell = Cell::Free { next: head };
            self.free_head = slot;
        }
    }

    /// Every stored record with its slot.
    pub(in crate::flow) fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .enumerate()
            .filter_map(|(s, c)| match c {
                Cell::Used(c) => Some((s as u32, c)),
                Cell::Free { .. } => None,
            })
    }

    /// Bytes of one slot: a test checks that the free-list link costs no
    /// room beside the records stored.
    #[cfg(test)]
    pub(in crate::flow) const CELL_BYTES: usize = std::mem::size_of::<Cell<T>>();

    /// Bytes held on the heap.
    pub(in crate::flow) fn heap_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<Cell<T>>()
            + self.chunks.capacity() * std::mem::size_of::<Box<[Cell<T>]>>()
    }
}
