//! What standard output is: a terminal (how wide, colour or not, UTF-8 or
//! not) or a file or pipe, which always gets the full, plain, UTF-8 table
//! so that what scripts and tests hold does not depend on who runs them.

use std::io::{self, IsTerminal};

use wirelab::report::table::Style;

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set or `TERM` is `dumb`.
    #[default]
    Auto,
    /// Always, even into a pipe (`| less -R`).
    Always,
    /// Never.
    Never,
}

/// A variable's value, when set and not empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether to colour. `NO_COLOR` counts when set to anything but the empty
/// string (https://no-color.org); `--color always` overrides it, as the
/// convention allows an explicit flag to.
fn color(choice: ColorChoice, tty: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => tty && no_color.is_none() && term != Some("dumb"),
    }
}

/// Whether the locale's character set is UTF-8. POSIX (XBD 8.2): the first
/// of `LC_ALL`, `LC_CTYPE`, `LANG` that is set decides; none set is the C
/// locale, whose character set is ASCII.
fn utf8(lc_all: Option<&str>, lc_ctype: Option<&str>, lang: Option<&str>) -> bool {
    let Some(locale) = lc_all.or(lc_ctype).or(lang) else {
        return false;
    };
    let l = locale.to_ascii_lowercase();
    l.contains("utf-8") || l.contains("utf8")
}

/// The terminal's columns: `COLUMNS` when set (as `ls` reads it), else the
/// size the terminal reports, else the classic 80.
fn width() -> u16 {
    env("COLUMNS")
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&c| c > 0)
        .or_else(|| comfy_table::Table::new().width().filter(|&w| w > 0))
        .unwrap_or(80)
}

/// How to draw the table on standard output.
pub fn stdout_style(choice: ColorChoice) -> Style {
    let tty = io::stdout().is_terminal();
    Style {
        width: tty.then(width),
        color: color(
            choice,
            tty,
            env("NO_COLOR").as_deref(),
            env("TERM").as_deref(),
        ),
        ascii: tty && !locale_is_utf8(),
    }
}

/// Whether this process's locale is UTF-8.
pub fn locale_is_utf8() -> bool {
    utf8(
        env("LC_ALL").as_deref(),
        env("LC_CTYPE").as_deref(),
        env("LANG").as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_a_terminal_only_without_no_color_or_a_dumb_term() {
        use ColorChoice::*;
        assert!(color(Auto, true, None, Some("xterm-256color")));
        assert!(!color(Auto, false, None, Some("xterm")));
        assert!(!color(Auto, true, Some("1"), Some("xterm")));
        assert!(!color(Auto, true, None, Some("dumb")));
        assert!(color(Always, false, Some("1"), None));
        assert!(!color(Never, true, None, Some("xterm")));
    }

    #[test]
    fn the_first_locale_variable_set_decides() {
        assert!(utf8(None, None, Some("en_US.UTF-8")));
        assert!(utf8(None, Some("C.utf8"), Some("C")));
        assert!(!utf8(Some("C"), None, Some("en_US.UTF-8")));
        assert!(!utf8(None, None, Some("en_US.ISO-8859-1")));
        assert!(!utf8(None, None, None));
    }
}
