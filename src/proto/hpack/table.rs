//! The indexing tables (RFC 7541 §2.3): a static table of 61 common fields
//! and a dynamic table of recently sent ones, addressed through one index
//! space: 1–61 static, 62 and up dynamic, newest first (§2.3.3).

use std::collections::VecDeque;

/// RFC 7541 Appendix A, index 1 first.
pub const STATIC: [(&[u8], &[u8]); 61] = [
    (b":authority", b""),
    (b":method", b"GET"),
    (b":method", b"POST"),
    (b":path", b"/"),
    (b":path", b"/index.html"),
    (b":scheme", b"http"),
    (b":scheme", b"https"),
    (b":status", b"200"),
    (b":status", b"204"),
    (b":status", b"206"),
    (b":status", b"304"),
    (b":status", b"400"),
    (b":status", b"404"),
    (b":status", b"500"),
    (b"accept-charset", b""),
    (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b""),
    (b"accept-ranges", b""),
    (b"accept", b""),
    (b"access-control-allow-origin", b""),
    (b"age", b""),
    (b"allow", b""),
    (b"authorization", b""),
    (b"cache-control", b""),
    (b"content-disposition", b""),
    (b"content-encoding", b""),
    (b"content-language", b""),
    (b"content-length", b""),
    (b"content-location", b""),
    (b"content-range", b""),
    (b"content-type", b""),
    (b"cookie", b""),
    (b"date", b""),
    (b"etag", b""),
    (b"expect", b""),
    (b"expires", b""),
    (b"from", b""),
    (b"host", b""),
    (b"if-match", b""),
    (b"if-modified-since", b""),
    (b"if-none-match", b""),
    (b"if-range", b""),
    (b"if-unmodified-since", b""),
    (b"last-modified", b""),
    (b"link", b""),
    (b"location", b""),
    (b"max-forwards", b""),
    (b"proxy-authenticate", b""),
    (b"proxy-authorization", b""),
    (b"range", b""),
    (b"referer", b""),
    (b"refresh", b""),
    (b"retry-after", b""),
    (b"server", b""),
    (b"set-cookie", b""),
    (b"strict-transport-security", b""),
    (b"transfer-encoding", b""),
    (b"user-agent", b""),
    (b"vary", b""),
    (b"via", b""),
    (b"www-authenticate", b""),
];

/// Overhead the size of a dynamic-table entry adds to its name and value,
/// standing for the bookkeeping an implementation keeps (RFC 7541 §4.1).
pub const ENTRY_OVERHEAD: usize = 32;

/// The size of an entry as §4.1 counts it.
pub fn entry_size(name: &[u8], value: &[u8]) -> usize {
    name.len() + value.len() + ENTRY_OVERHEAD
}

/// A name and value held by the dynamic table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Field name (lowercase on the wire in HTTP/2, but not enforced here).
    pub name: Box<[u8]>,
    /// Field value.
    pub value: Box<[u8]>,
}

/// The dynamic table of one direction of one connection (RFC 7541 §2.3.2,
/// §4): a FIFO whose size is bounded by `max_size`; inserting evicts the
/// oldest entries until the new one fits (§4.4).
#[derive(Debug, Clone)]
pub struct DynamicTable {
    entries: VecDeque<Entry>,
    size: usize,
    max_size: usize,
}

impl DynamicTable {
    /// An empty table that may grow to `max_size` (§4.2; 4096 is HTTP/2's
    /// initial SETTINGS_HEADER_TABLE_SIZE, RFC 9113 §6.5.2).
    pub fn new(max_size: usize) -> Self {
        DynamicTable {
            entries: VecDeque::new(),
            size: 0,
            max_size,
        }
    }

    /// Sum of the entries' sizes (§4.1).
    pub fn size(&self) -> usize {
        self.size
    }

    /// The current maximum size.
    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `i`, 0 being the newest.
    pub fn get(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i)
    }

    /// Entries from newest to oldest.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Changes the maximum size, evicting from the oldest end until the
    /// table fits (§4.3).
    pub fn set_max_size(&mut self, max_size: usize) {
        self.max_size = max_size;
        self.evict_to(max_size);
    }

    /// Adds an entry at the newest end (§4.4). An entry larger than the
    /// whole table empties it and is not added: not an error.
    pub fn insert(&mut self, name: &[u8], value: &[u8]) {
        let size = entry_size(name, value);
        if size > self.max_size {
            self.entries.clear();
            self.size = 0;
            return;
        }
        self.evict_to(self.max_size - size);
        self.entries.push_front(Entry {
            name: name.into(),
            value: value.into(),
        });
        self.size += size;
    }

    fn evict_to(&mut self, room: usize) {
        while self.size > room {
            let old = self.entries.pop_back().expect("size > 0 means an entry");
            self.size -= entry_size(&old.name, &old.value);
        }
    }
}

/// What the index space (§2.3.3) holds at one index.
pub fn lookup(dynamic: &DynamicTable, index: usize) -> Option<(&[u8], &[u8])> {
    match index {
        0 => None,
        1..=61 => {
            let (n, v) = STATIC[index - 1];
            Some((n, v))
        }
        _ => dynamic.get(index - 62).map(|e| (&e.name[..], &e.value[..])),
    }
}

/// What an encoder can refer to for one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Name and value both at this index.
    Field(usize),
    /// Only the name, at this index.
    Name(usize),
    /// Neither.
    Nothing,
}

/// The best reference for a field: a full match anywhere (static first,
/// then newest dynamic), else the lowest index with the name.
pub fn find(dynamic: &DynamicTable, name: &[u8], value: &[u8]) -> Found {
    let mut name_at = None;
    if let Some((first, last)) = static_names(name) {
        if let Some(i) = (first..=last).find(|&i| STATIC[i - 1].1 == value) {
            return Found::Field(i);
        }
        name_at = Some(first);
    }
    for (i, e) in dynamic.iter().enumerate() {
        if &*e.name == name {
            if &*e.value == value {
                return Found::Field(i + 62);
            }
            name_at.get_or_insert(i + 62);
        }
    }
    name_at.map_or(Found::Nothing, Found::Name)
}

/// The static table's indexes holding `name`, first and last (Appendix A
/// keeps a name's entries together): one `match` instead of a scan of 61
/// names for every field the encoder sends.
fn static_names(name: &[u8]) -> Option<(usize, usize)> {
    Some(match name {
        b":authority" => (1, 1),
        b":method" => (2, 3),
        b":path" => (4, 5),
        b":scheme" => (6, 7),
        b":status" => (8, 14),
        b"accept-charset" => (15, 15),
        b"accept-encoding" => (16, 16),
        b"accept-language" => (17, 17),
        b"accept-ranges" => (18, 18),
        b"accept" => (19, 19),
        b"access-control-allow-origin" => (20, 20),
        b"age" => (21, 21),
        b"allow" => (22, 22),
        b"authorization" => (23, 23),
        b"cache-control" => (24, 24),
        b"content-disposition" => (25, 25),
        b"content-encoding" => (26, 26),
        b"content-language" => (27, 27),
        b"content-length" => (28, 28),
        b"content-location" => (29, 29),
        b"content-range" => (30, 30),
        b"content-type" => (31, 31),
        b"cookie" => (32, 32),
        b"date" => (33, 33),
        b"etag" => (34, 34),
        b"expect" => (35, 35),
        b"expires" => (36, 36),
        b"from" => (37, 37),
        b"host" => (38, 38),
        b"if-match" => (39, 39),
        b"if-modified-since" => (40, 40),
        b"if-none-match" => (41, 41),
        b"if-range" => (42, 42),
        b"if-unmodified-since" => (43, 43),
        b"last-modified" => (44, 44),
        b"link" => (45, 45),
        b"location" => (46, 46),
        b"max-forwards" => (47, 47),
        b"proxy-authenticate" => (48, 48),
        b"proxy-authorization" => (49, 49),
        b"range" => (50, 50),
        b"referer" => (51, 51),
        b"refresh" => (52, 52),
        b"retry-after" => (53, 53),
        b"server" => (54, 54),
        b"set-cookie" => (55, 55),
        b"strict-transport-security" => (56, 56),
        b"transfer-encoding" => (57, 57),
        b"user-agent" => (58, 58),
        b"vary" => (59, 59),
        b"via" => (60, 60),
        b"www-authenticate" => (61, 61),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_table_ends_are_appendix_a() {
        assert_eq!(STATIC[0], (&b":authority"[..], &b""[..]));
        assert_eq!(STATIC[1], (&b":method"[..], &b"GET"[..]));
        assert_eq!(STATIC[7], (&b":status"[..], &b"200"[..]));
        assert_eq!(STATIC[60], (&b"www-authenticate"[..], &b""[..]));
    }

    #[test]
    fn insert_evicts_oldest_until_the_new_entry_fits() {
        // Each entry is 1 + 1 + 32 = 34 bytes; three fit in 110, not four.
        let mut t = DynamicTable::new(110);
        for c in [b"a", b"b", b"c", b"d"] {
            t.insert(c, c);
        }
        assert_eq!(t.len(), 3);
        assert_eq!(t.size(), 102);
        assert_eq!(&*t.get(0).unwrap().name, b"d");
        assert_eq!(&*t.get(2).unwrap().name, b"b");
        assert_eq!(lookup(&t, 62), Some((&b"d"[..], &b"d"[..])));
        assert_eq!(lookup(&t, 65), None);
    }

    #[test]
    fn an_entry_larger_than_the_table_empties_it() {
        let mut t = DynamicTable::new(64);
        t.insert(b"a", b"a");
        t.insert(&[b'x'; 40], b"");
        assert!(t.is_empty());
        assert_eq!(t.size(), 0);
    }

    #[test]
    fn shrinking_evicts_and_zero_clears() {
        let mut t = DynamicTable::new(4096);
        t.insert(b"a", b"a");
        t.insert(b"b", b"b");
        t.set_max_size(40);
        assert_eq!(t.len(), 1);
        assert_eq!(&*t.get(0).unwrap().name, b"b");
        t.set_max_size(0);
        assert!(t.is_empty());
    }

    #[test]
    fn static_names_agree_with_the_table() {
        for (i, (name, _)) in STATIC.iter().enumerate() {
            let (first, last) = static_names(name).expect("every static name");
            assert!((first..=last).contains(&(i + 1)), "{i}");
            assert_eq!(STATIC[first - 1].0, *name);
            assert_eq!(STATIC[last - 1].0, *name);
            let count = STATIC.iter().filter(|(n, _)| n == name).count();
            assert_eq!(last - first + 1, count, "{}", String::from_utf8_lossy(name));
        }
        assert_eq!(static_names(b"x-custom"), None);
        assert_eq!(static_names(b"Accept"), None);
    }

    #[test]
    fn find_prefers_full_matches_then_the_lowest_name_index() {
        let mut t = DynamicTable::new(4096);
        assert_eq!(find(&t, b":method", b"GET"), Found::Field(2));
        assert_eq!(find(&t, b":status", b"302"), Found::Name(8));
        assert_eq!(find(&t, b"x-custom", b"1"), Found::Nothing);
        t.insert(b":status", b"302");
        assert_eq!(find(&t, b":status", b"302"), Found::Field(62));
        t.insert(b"x-custom", b"1");
        assert_eq!(find(&t, b"x-custom", b"2"), Found::Name(62));
        assert_eq!(lookup(&t, 0), None);
    }
}
