//! Finding the end of a message head, with the limits enforced while scanning.
//!
//! Requests and responses share the head grammar of RFC 9112 §2.1: a start line,
//! field lines, an empty line, every line ending in CRLF. [`check_head`] scans a
//! buffer once, rejects bare CR and bare LF as it meets them (RFC 9112 §2.2), and
//! enforces the size limits before the head is complete, so a client cannot make the
//! server buffer an endless request line or field (slowloris with bytes).

use super::{Check, Limits, ParseError};

/// Scans `buf` for a complete head.
///
/// Leading empty lines are skipped and counted in the length: RFC 9112 §2.2 says a
/// server SHOULD ignore at least one CRLF before the request line (some clients send
/// one after a POST body).
///
/// # Errors
///
/// Bare CR or LF, and any limit exceeded, even while the head is still incomplete.
pub fn check_head(buf: &[u8], limits: &Limits) -> Result<Check, ParseError> {
    check_head_from(buf, limits, &mut Scan::default())
}

/// How far [`check_head_from`] got in a buffer that only grows: the next byte
/// to look at, where its line started, and that line's number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Leading empty lines are behind us (they cannot be told from an empty
    /// line ending the head until a start line begins).
    started: bool,
    i: usize,
    line_start: usize,
    line_no: usize,
}

/// [`check_head`] resumed where the previous call on the same, grown buffer
/// stopped, so that a head arriving in many small pieces is scanned once
/// (an observer fed one-byte segments must not rescan 64 KiB each time).
/// The same answers as [`check_head`] on the whole buffer.
pub(crate) fn check_head_from(
    buf: &[u8],
    limits: &Limits,
    scan: &mut Scan,
) -> Result<Check, ParseError> {
    let (mut i, mut line_start, mut line_no) = (scan.i, scan.line_start, scan.line_no);
    if !scan.started {
        i = 0;
        while buf.len() >= i + 2 && &buf[i..i + 2] == b"\r\n" {
            i += 2;
        }
        line_start = i;
        line_no = 0;
        // Two bytes past the empty lines that are not CRLF: a start line
        // has begun, and these empty lines are settled.
        scan.started = buf.len() >= i + 2;
    }
    let mut save = |i: usize, line_start: usize, line_no: usize| {
        if scan.started {
            (scan.i, scan.line_start, scan.line_no) = (i, line_start, line_no);
        }
    };
    while i < buf.len() {
        // Skip the run of ordinary bytes the checks below would take one by
        // one without a word: no CR or LF, no control character in the
        // start line, and short of the byte that would break a length
        // limit. The byte that ends the run goes through the checks.
        let limit = if line_no == 0 {
            limits.max_start_line
        } else {
            limits.max_field_line
        };
        let end = buf
            .len()
            .min(line_start.saturating_add(limit))
            .min(limits.max_head);
        while i < end && ordinary(buf[i], line_no) {
            i += 1;
        }
        if i == buf.len() {
            break;
        }
        match buf[i] {
            b'\r' => {
                let Some(&next) = buf.get(i + 1) else {
                    // CR is the last byte so far: its LF may come in the next read.
                    save(i, line_start, line_no);
                    return Ok(Check::Incomplete);
                };
                if next != b'\n' {
                    return Err(ParseError::BareCr);
                }
                let line_len = i - line_start;
                if line_no > 0 && line_len == 0 {
                    // The empty line that ends the head.
                    let len = i + 2;
                    if len > limits.max_head {
                        return Err(ParseError::HeadTooLarge {
                            limit: limits.max_head,
                        });
                    }
                    return Ok(Check::Complete(len));
                }
                check_line(line_no, line_len, limits)?;
                if line_no > limits.max_fields {
                    return Err(ParseError::TooManyFields {
                        limit: limits.max_fields,
                    });
                }
                line_no += 1;
                i += 2;
                line_start = i;
                continue;
            }
            b'\n' => return Err(ParseError::BareLf),
            // A start line never holds control characters: reject at once rather than
            // wait for a CRLF that binary input (a TLS ClientHello) may never send.
            b if line_no == 0 && (b == 0x7f || (b < 0x20 && b != b'\t')) => {
                return Err(ParseError::MalformedStartLine("control character"));
            }
            _ => {}
        }
        i += 1;
        check_line(line_no, i - line_start, limits)?;
        if i > limits.max_head {
            return Err(ParseError::HeadTooLarge {
                limit: limits.max_head,
            });
        }
    }
    save(i, line_start, line_no);
    Ok(Check::Incomplete)
}

/// A byte of line `line_no` that is neither CR, LF, nor (in the start
/// line) a control character.
fn ordinary(b: u8, line_no: usize) -> bool {
    b != b'\r' && b != b'\n' && (line_no > 0 || (b != 0x7f && (b >= 0x20 || b == b'\t')))
}

/// Line `line_no` (0 = start line) has `len` bytes so far: too long?
fn check_line(line_no: usize, len: usize, limits: &Limits) -> Result<(), ParseError> {
    if line_no == 0 && len > limits.max_start_line {
        return Err(ParseError::StartLineTooLong {
            limit: limits.max_start_line,
        });
    }
    if line_no > 0 && len > limits.max_field_line {
        return Err(ParseError::FieldLineTooLong {
            limit: limits.max_field_line,
        });
    }
    Ok(())
}

/// The lines of a complete, checked head: start line first, then field lines.
/// The final empty line and any leading empty lines are left out.
pub(crate) fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    while head.len() >= start + 2 && &head[start..start + 2] == b"\r\n" {
        start += 2;
    }
    head[start..]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .take_while(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Limits {
        Limits {
            max_start_line: 20,
            max_field_line: 10,
            max_fields: 2,
            max_head: 60,
        }
    }

    #[test]
    fn complete_head_reports_its_length() {
        let buf = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
        assert_eq!(
            check_head(buf, &Limits::default()),
            Ok(Check::Complete(buf.len() - 4))
        );
    }

    #[test]
    fn every_proper_prefix_is_incomplete() {
        let buf = b"\r\nGET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
        for cut in 0..buf.len() {
            assert_eq!(
                check_head(&buf[..cut], &Limits::default()),
                Ok(Check::Incomplete),
                "cut at {cut}"
            );
        }
        assert_eq!(
            check_head(buf, &Limits::default()),
            Ok(Check::Complete(buf.len()))
        );
    }

    #[test]
    fn bare_cr_and_bare_lf_are_rejected_as_soon_as_seen() {
        assert_eq!(
            check_head(b"GET / HTTP/1.1\rX", &Limits::default()),
            Err(ParseError::BareCr)
        );
        assert_eq!(
            check_head(b"GET / HTTP/1.1\n", &Limits::default()),
            Err(ParseError::BareLf)
        );
        assert_eq!(
            check_head(b"GET / HTTP/1.1\r\nA: b\rc\r\n", &Limits::default()),
            Err(ParseError::BareCr)
        );
    }

    #[test]
    fn control_character_in_start_line_is_rejected_at_once() {
        let err = check_head(&[0x16, 0x03, 0x01, 0x02, 0x00], &Limits::default());
        assert_eq!(
            err,
            Err(ParseError::MalformedStartLine("control character"))
        );
        assert_eq!(err.unwrap_err().status(), 400);
    }

    #[test]
    fn long_request_line_is_414_before_it_ends() {
        let err = check_head(b"GET /aaaaaaaaaaaaaaaaaaaaaaaa", &small()).unwrap_err();
        assert_eq!(err.status(), 414);
    }

    #[test]
    fn long_field_line_and_too_many_fields_are_431() {
        let long = check_head(b"GET / HTTP/1.1\r\nA: bbbbbbbbbbbb", &small()).unwrap_err();
        assert_eq!(long, ParseError::FieldLineTooLong { limit: 10 });
        let many = check_head(b"GET / HTTP/1.1\r\nA: b\r\nB: c\r\nC: d\r\n", &small());
        assert_eq!(many, Err(ParseError::TooManyFields { limit: 2 }));
        assert_eq!(many.unwrap_err().status(), 431);
    }

    #[test]
    fn large_head_is_431() {
        let limits = Limits {
            max_head: 30,
            ..Limits::default()
        };
        let err = check_head(b"GET / HTTP/1.1\r\nAaaa: b\r\nBbbb: c\r\n\r\n", &limits);
        assert_eq!(err, Err(ParseError::HeadTooLarge { limit: 30 }));
    }

    #[test]
    fn resumed_scans_agree_with_whole_scans_at_every_split() {
        let heads: [&[u8]; 5] = [
            b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\nBODY",
            b"GET / HTTP/1.1\r\nA: b\rc\r\n",
            b"GET /aaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\r\nB: c\r\nC: d\r\n\r\n",
            b"\r\n\x16\x03\x01",
        ];
        for limits in [Limits::default(), small()] {
            for head in heads {
                for step in 1..4 {
                    let mut scan = Scan::default();
                    let mut end = 0;
                    loop {
                        end = (end + step).min(head.len());
                        let resumed = check_head_from(&head[..end], &limits, &mut scan);
                        let whole = check_head(&head[..end], &limits);
                        assert_eq!(resumed, whole, "{head:?} at {end}");
                        if resumed != Ok(Check::Incomplete) || end == head.len() {
                            break;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn lines_skip_leading_crlf_and_stop_at_empty_line() {
        let head = b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        let got: Vec<&[u8]> = lines(head).collect();
        assert_eq!(got, vec![&b"GET / HTTP/1.1"[..], &b"Host: a"[..]]);
    }
}
