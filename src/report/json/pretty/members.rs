//! The pieces every hand-written object is made of: an object's members
//! and an array, laid out as serde_json's pretty printer lays them out (two
//! spaces per level, `"key": value`, `[]` for an empty array).

use super::Block;

/// Spaces for an indentation level (two per level, as serde_json).
pub(super) const SPACES: &[u8; 64] =
    b"                                                                ";

/// Members of one JSON object being written.
pub(super) struct Members<'b> {
    b: &'b mut Block,
    /// Spaces before each member.
    indent: usize,
    first: bool,
}

impl<'b> Members<'b> {
    /// An object whose `{` was just written.
    pub(super) fn open(b: &'b mut Block, indent: usize) -> Self {
        b.bytes(b"{");
        Members {
            b,
            indent,
            first: true,
        }
    }

    /// Members appended to an object already holding some.
    pub(super) fn after(b: &'b mut Block, indent: usize) -> Self {
        Members {
            b,
            indent,
            first: false,
        }
    }

    pub(super) fn key(&mut self, name: &str) -> &mut Block {
        let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
        self.first = false;
        self.b.member(sep, self.indent.min(SPACES.len()), name);
        self.b
    }

    pub(super) fn u64(&mut self, name: &str, n: u64) {
        self.key(name).u64(n);
    }

    pub(super) fn opt_u64(&mut self, name: &str, n: Option<u64>) {
        self.key(name).opt_u64(n);
    }

    pub(super) fn bool(&mut self, name: &str, v: bool) {
        self.key(name).bytes(if v { b"true" } else { b"false" });
    }

    pub(super) fn opt_bool(&mut self, name: &str, v: Option<bool>) {
        match v {
            Some(v) => self.bool(name, v),
            None => self.key(name).bytes(b"null"),
        }
    }

    pub(super) fn str(&mut self, name: &str, s: &str) {
        self.key(name).string(s.as_bytes());
    }

    pub(super) fn opt_str(&mut self, name: &str, s: Option<&str>) {
        match s {
            Some(s) => self.str(name, s),
            None => self.key(name).bytes(b"null"),
        }
    }

    /// Closes an object opened with [`Members::open`].
    pub(super) fn close(self) {
        if self.first {
            self.b.bytes(b"}");
        } else {
            self.b.bytes(b"\n");
            let outer = self.indent - 2;
            self.b.bytes(&SPACES[..outer.min(SPACES.len())]);
            self.b.bytes(b"}");
        }
    }
}

/// An array at `indent` (the spaces before its elements): `[]` when empty.
pub(super) fn array<T>(
    b: &mut Block,
    indent: usize,
    items: &[T],
    mut each: impl FnMut(&mut Block, &T),
) {
    if items.is_empty() {
        b.bytes(b"[]");
        return;
    }
    b.bytes(b"[");
    for (i, item) in items.iter().enumerate() {
        b.bytes(if i == 0 { b"\n" } else { b",\n" });
        b.bytes(&SPACES[..indent.min(SPACES.len())]);
        each(b, item);
    }
    b.bytes(b"\n");
    b.bytes(&SPACES[..(indent - 2).min(SPACES.len())]);
    b.bytes(b"]");
}

pub(super) fn strings(b: &mut Block, indent: usize, items: &[String]) {
    array(b, indent, items, |b, s| b.string(s.as_bytes()));
}
