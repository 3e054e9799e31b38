//! Labels made safe to draw. A label comes from the wire (an HTTP target,
//! a header value the decoder quoted), so it may hold any character:
//! control characters become visible `\xNN` text, long labels are cut, and
//! each format then escapes what its syntax would read.

/// Characters a label keeps, cut with an ellipsis past this.
pub const MAX_LABEL: usize = 64;

/// Control characters (and the two XML 1.0 non-characters, which no XML
/// document may hold even as references) written as visible escapes.
pub fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{0}'..='\u{1f}' | '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            '\u{80}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, the last an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `s` in lines of at most `max` characters, broken between words (a word
/// longer than a line is cut), at most `lines` of them, the last ending
/// in an ellipsis when text was left out: a note that must be read whole
/// (a diagnosis) rather than cut at one line's width.
pub fn wrap(s: &str, max: usize, lines: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let mut word: String = word.to_string();
        loop {
            let (have, len) = (cur.chars().count(), word.chars().count());
            let need = if cur.is_empty() { len } else { have + 1 + len };
            if need <= max {
                if !cur.is_empty() {
                    cur.push(' ');
                }
                cur.push_str(&word);
                break;
            }
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            out.push(word.chars().take(max).collect());
            word = word.chars().skip(max).collect();
            if word.is_empty() {
                break;
            }
        }
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    if out.len() > lines.max(1) {
        out.truncate(lines.max(1));
        if let Some(last) = out.last_mut() {
            *last = shorten(&format!("{last}…"), max);
        }
    }
    out
}

/// A label for SVG text or attribute values: XML's five special
/// characters as entities (XML 1.0 §2.4); the rest is made visible first.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether Mermaid reads a character as itself in message and participant
/// text. Everything else is written as an entity code (`#35;`, Mermaid's
/// own escape): `;` and newlines end a statement, `#` starts an entity,
/// `:` separates a message from its text, `<` and `>` may be read as
/// HTML, `%%` starts a comment, `-` and `>` make arrows.
fn mermaid_plain(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            ' ' | '.'
                | ','
                | '/'
                | '('
                | ')'
                | '_'
                | '?'
                | '='
                | '*'
                | '@'
                | '!'
                | '~'
                | '\''
                | '['
                | ']'
                | '+'
        )
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// A label for Mermaid: made visible, then every character outside a
/// small safe set as `#<decimal code>;`.
pub fn mermaid(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        if mermaid_plain(c) {
            out.push(c);
        } else {
            out.push_str(&format!("#{};", c as u32));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Undoes [`mermaid`]'s entity codes.
    fn from_mermaid(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('#') {
            out.push_str(&rest[..i]);
            let end = rest[i..].find(';').expect("entity ends") + i;
            let code: u32 = rest[i + 1..end].parse().expect("decimal code");
            out.push(char::from_u32(code).expect("a character"));
            rest = &rest[end + 1..];
        }
        out + rest
    }

    /// Undoes [`xml`]'s entities.
    fn from_xml(s: &str) -> String {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn notes_wrap_between_words_and_keep_every_word() {
        let s = "RST by the server: keep-alive-race; a request reached the server";
        let lines = wrap(s, 20, 10);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), s);
        assert_eq!(wrap("short", 20, 3), vec!["short"]);
        assert_eq!(wrap("abcdefghij", 4, 10), vec!["abcd", "efgh", "ij"]);
        let cut = wrap(s, 20, 2);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].ends_with('…') && cut[1].chars().count() <= 20);
        assert_eq!(wrap("", 5, 2), vec![""]);
    }

    #[test]
    fn examples() {
        assert_eq!(mermaid("GET /a;b#c HTTP/1.1"), "GET /a#59;b#35;c HTTP/1.1");
        assert_eq!(mermaid("x\ny"), "x#92;x0ay");
        assert_eq!(xml("<script>&\"'"), "&lt;script&gt;&amp;&quot;&apos;");
        assert_eq!(xml("a\u{0}b\u{ffff}"), "a\\x00b\\u{ffff}");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }

    proptest! {
        #[test]
        fn mermaid_text_is_inert_and_reversible(s in any::<String>()) {
            let m = mermaid(&s);
            // No character Mermaid gives a meaning, outside entity codes.
            let bare: String = m.split('#').enumerate()
                .map(|(i, part)| if i == 0 { part } else { &part[part.find(';').unwrap() + 1..] })
                .collect();
            prop_assert!(bare.chars().all(mermaid_plain), "{bare:?}");
            prop_assert!(!m.contains('\n') && !m.contains("%%") && !m.contains(':'));
            prop_assert_eq!(from_mermaid(&m), visible(&s));
        }

        #[test]
        fn xml_text_is_well_formed_and_reversible(s in any::<String>()) {
            let x = xml(&s);
            prop_assert!(!x.contains('<') && !x.contains('>') && !x.contains('"'));
            // Every character is one XML 1.0 allows (§2.2), and no control.
            let allowed = |c: char| c >= ' ' && !matches!(c, '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
            prop_assert!(x.chars().all(allowed), "{:?}", x);
            prop_assert!(x.split('&').skip(1).all(|p| ["amp;", "lt;", "gt;", "quot;", "apos;"].iter().any(|e| p.starts_with(e))));
            prop_assert_eq!(from_xml(&x), visible(&s));
        }

        #[test]
        fn shortened_labels_keep_their_start(s in any::<String>(), max in 1usize..80) {
            let cut = shorten(&s, max);
            prop_assert!(cut.chars().count() <= max);
            let kept = cut.trim_end_matches('…');
            prop_assert!(s.starts_with(kept));
        }
    }
}
