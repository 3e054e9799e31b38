//! Storage for connection records: fixed-size chunks with a free list.
//!
//! Chunks never move or double, so the memory held stays within one chunk of
//! the peak number of open connections (a doubling `Vec` could hold twice
//! that), and a freed slot is reused by the next new connection. The free
//! list runs through the freed cells themselves, so it costs no memory of
//! its own (a cell is a record or, once freed, the next free slot).

use super::conn::Connection;

/// Records per chunk.
const CHUNK: usize = 1024;

/// End of the free list.
const NONE: u32 = u32::MAX;

/// One slot: a record, or a link in the free list. The record's enum fields
/// leave room for the tag, so a cell is no larger than a record (boxing the
/// record, as the lint suggests, would add a pointer and an allocation).
#[allow(clippy::large_enum_variant)]
enum Cell {
    Used(Connection),
    Free { next: u32 },
}

/// Slot-addressed storage of open connections.
pub(super) struct Slab {
    chunks: Vec<Box<[Cell]>>,
    /// Slots handed out so far (the next never-used slot).
    high: u32,
    /// First free slot, or `NONE`.
    free_head: u32,
}

impl Default for Slab {
    fn default() -> Self {
        Slab {
            chunks: Vec::new(),
            high: 0,
            free_head: NONE,
        }
    }
}

impl Slab {
    fn cell(&self, slot: u32) -> Option<&Cell> {
        let s = slot as usize;
        self.chunks.get(s / CHUNK)?.get(s % CHUNK)
    }

    fn cell_mut(&mut self, slot: u32) -> Option<&mut Cell> {
        let s = slot as usize;
        self.chunks.get_mut(s / CHUNK)?.get_mut(s % CHUNK)
    }

    #[inline]
    pub(super) fn get(&self, slot: u32) -> Option<&Connection> {
        match self.cell(slot)? {
            Cell::Used(c) => Some(c),
            Cell::Free { .. } => None,
        }
    }

    #[inline]
    pub(super) fn get_mut(&mut self, slot: u32) -> Option<&mut Connection> {
        match self.cell_mut(slot)? {
            Cell::Used(c) => Some(c),
            Cell::Free { .. } => None,
        }
    }

    /// Hints the CPU to load `slot`'s cell (see `prefetch.rs`).
    #[inline]
    pub(super) fn prefetch(&self, slot: u32) {
        if let Some(cell) = self.cell(slot) {
            super::prefetch::value(cell as *const Cell);
        }
    }

    /// Stores a record and returns its slot.
    pub(super) fn insert(&mut self, conn: Connection) -> u32 {
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
    pub(super) fn free(&mut self, slot: u32) {
        let head = self.free_head;
        if let Some(cell) = self.cell_mut(slot)
            && matches!(cell, Cell::Used(_))
        {
            *cell = Cell::Free { next: head };
            self.free_head = slot;
        }
    }

    /// Every stored record with its slot.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &Connection)> {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .enumerate()
            .filter_map(|(s, c)| match c {
                Cell::Used(c) => Some((s as u32, c)),
                Cell::Free { .. } => None,
            })
    }

    /// Every stored record with its slot, mutably.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut Connection)> {
        self.chunks
            .iter_mut()
            .flat_map(|c| c.iter_mut())
            .enumerate()
            .filter_map(|(s, c)| match c {
                Cell::Used(c) => Some((s as u32, c)),
                Cell::Free { .. } => None,
            })
    }

    /// Bytes held on the heap.
    pub(super) fn heap_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<Cell>()
            + self.chunks.capacity() * std::mem::size_of::<Box<[Cell]>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_is_no_larger_than_a_record() {
        assert_eq!(
            std::mem::size_of::<Cell>(),
            std::mem::size_of::<Connection>()
        );
    }
}
