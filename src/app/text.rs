//! Short text kept by value: a request's method and target in an exchange's
//! report. Nearly every method is a few bytes and most targets a few dozen
//! or fewer, and each report used to hold both as `String`s, two heap
//! blocks per exchange made, copied and freed on every connection; a
//! [`Text`] of up to [`INLINE`] bytes holds them in place, a longer one on
//! the heap.

use std::fmt;
use std::ops::Deref;

/// Bytes held in place (with the length and the variant tag, a [`Text`]
/// is as large as a `String`).
pub const INLINE: usize = 22;

/// See the module documentation. Compares, hashes and prints as its `str`.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // The bytes are a whole `str` copied in `From<&str>`, so they
            // are UTF-8; the empty fallback is never taken (a debug build
            // says so if it ever were).
            Repr::Inline { len, bytes } => {
                let text = std::str::from_utf8(&bytes[..usize::from(*len)]);
                debug_assert!(text.is_ok(), "inline text is not UTF-8");
                text.unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Text(Repr::Inline {
                len: s.len() as u8,
                bytes,
            })
        } else {
            Text(Repr::Heap(s.into()))
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        if s.len() <= INLINE {
            Text::from(s.as_str())
        } else {
            Text(Repr::Heap(s.into_boxed_str()))
        }
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_text_read_back_as_given() {
        let long = "/".repeat(INLINE + 1);
        for s in ["", "GET", "/", "é/ü", &"x".repeat(INLINE), &long] {
            let t = Text::from(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(Text::from(s.to_owned()), t);
            assert_eq!(format!("{t:?}"), format!("{s:?}"));
            assert_eq!(t.to_string(), s);
            assert_eq!(matches!(t.0, Repr::Inline { .. }), s.len() <= INLINE);
        }
        assert_eq!(size_of::<Option<Text>>(), size_of::<String>());
    }
}
