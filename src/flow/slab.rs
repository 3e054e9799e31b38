//! Storage for connection records: fixed-size chunks with a free list.
//!
//! Chunks never move or double, so the memory held stays within one chunk of
//! the peak number of open connections (a doubling `Vec` could hold twice
//! that), and a freed slot is reused by the next new connection.

use super::conn::Connection;

/// Records per chunk.
const CHUNK: usize = 1024;

/// Slot-addressed storage of open connections.
#[derive(Default)]
pub(super) struct Slab {
    chunks: Vec<Box<[Option<Connection>]>>,
    /// Slots handed out so far (the next never-used slot).
    high: u32,
    free: Vec<u32>,
}

impl Slab {
    pub(super) fn get(&self, slot: u32) -> Option<&Connection> {
        let s = slot as usize;
        self.chunks.get(s / CHUNK)?.get(s % CHUNK)?.as_ref()
    }

    pub(super) fn get_mut(&mut self, slot: u32) -> Option<&mut Connection> {
        let s = slot as usize;
        self.chunks.get_mut(s / CHUNK)?.get_mut(s % CHUNK)?.as_mut()
    }

    /// Stores a record and returns its slot.
    pub(super) fn insert(&mut self, conn: Connection) -> u32 {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                let s = self.high;
                self.high += 1;
                if s as usize / CHUNK >= self.chunks.len() {
                    self.chunks.push((0..CHUNK).map(|_| None).collect());
                }
                s
            }
        };
        let s = slot as usize;
        if let Some(cell) = self
            .chunks
            .get_mut(s / CHUNK)
            .and_then(|c| c.get_mut(s % CHUNK))
        {
            *cell = Some(conn);
        }
        slot
    }

    /// Removes and returns a record, freeing its slot.
    pub(super) fn take(&mut self, slot: u32) -> Option<Connection> {
        let s = slot as usize;
        let conn = self.chunks.get_mut(s / CHUNK)?.get_mut(s % CHUNK)?.take()?;
        self.free.push(slot);
        Some(conn)
    }

    /// Every stored record with its slot.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &Connection)> {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .enumerate()
            .filter_map(|(s, c)| c.as_ref().map(|c| (s as u32, c)))
    }

    /// Bytes held on the heap.
    pub(super) fn heap_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<Option<Connection>>()
            + self.chunks.capacity() * std::mem::size_of::<Box<[Option<Connection>]>>()
            + self.free.capacity() * std::mem::size_of::<u32>()
    }
}
