//! What putting `lab` on PATH gives: completion scripts that the real shells
//! parse, manual pages that `man` renders, and `--version` naming the commit.
//! bash, zsh, fish and man come from `scripts/setup`; a missing one fails the
//! test with the command that installs it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SUBCOMMANDS: [&str; 3] = ["serve", "analyze", "reset"];

fn lab(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(args)
        .output()
        .expect("run lab");
    assert!(
        out.status.success(),
        "lab {}: {}: {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `program args` with `input` on standard input.
#[track_caller]
fn pipe_into(program: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .env("MANWIDTH", "80")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is needed ({e}): run scripts/setup"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write to the child");
    child.wait_with_output().expect("wait for the child")
}

#[test]
fn completion_scripts_parse_in_their_shells() {
    for (shell, check) in [
        ("bash", ["bash", "-n"]),
        ("zsh", ["zsh", "-n"]),
        ("fish", ["fish", "-n"]),
    ] {
        let script = lab(&["completions", shell]).stdout;
        let text = String::from_utf8(script.clone()).expect("UTF-8");
        for sub in SUBCOMMANDS {
            assert!(text.contains(sub), "{shell} completions lack {sub}");
        }
        // A flag of a subcommand: the scripts complete more than the top level.
        assert!(
            text.contains("respond-before-body"),
            "{shell}: no reset flags"
        );
        let out = pipe_into(check[0], &check[1..], &script);
        assert!(
            out.status.success(),
            "{shell} -n rejects the script: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn bash_completion_offers_the_subcommands() {
    // Loaded into a real bash and asked, as a user's Tab would.
    let script = String::from_utf8(lab(&["completions", "bash"]).stdout).expect("UTF-8");
    let probe = format!(
        "{script}\nCOMP_WORDS=(lab re); COMP_CWORD=1; COMP_LINE='lab re'; COMP_POINT=6\n\
         _lab lab re lab\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    );
    let out = pipe_into("bash", &[], probe.as_bytes());
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(
        words.lines().any(|w| w == "reset"),
        "Tab after `lab re` offers {words:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn manual_pages_render_with_man() {
    let page = lab(&["man"]).stdout;
    let out = pipe_into("man", &["-l", "-"], &page);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "man -l: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("NAME"), "no NAME section: {text}");
    for sub in SUBCOMMANDS {
        assert!(
            text.contains(&format!("lab-{sub}(1)")),
            "lab(1) lacks lab-{sub}(1): {text}"
        );
    }

    let page = lab(&["man", "reset"]).stdout;
    let out = pipe_into("man", &["-l", "-"], &page);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--respond-before-body"),
        "lab-reset(1): {text}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    lab(&["man", "--dir", dir.path().to_str().unwrap()]);
    for name in ["lab.1", "lab-serve.1", "lab-analyze.1", "lab-reset.1"] {
        let page = std::fs::read(dir.path().join(name)).expect(name);
        assert!(page.starts_with(b".ie"), "{name} is not roff");
    }
}

#[test]
fn an_unknown_manual_page_is_one_line_of_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["man", "nope"])
        .output()
        .expect("run lab");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("lab: no manual page for \"nope\""), "{err}");
}

#[test]
fn version_names_the_commit_in_a_git_checkout() {
    let version = String::from_utf8(lab(&["--version"]).stdout).expect("UTF-8");
    let crate_version = env!("CARGO_PKG_VERSION");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let in_checkout = git(&["rev-parse", "--show-toplevel"])
        .is_some_and(|top| Path::new(&top).canonicalize().ok() == root.canonicalize().ok());
    if in_checkout {
        let head = git(&["rev-parse", "--short", "HEAD"]).expect("git rev-parse HEAD");
        assert_eq!(version, format!("lab {crate_version} (commit {head})\n"));
    } else {
        // A tree without git (a tarball): the crate version alone.
        assert_eq!(version, format!("lab {crate_version}\n"));
    }
}

#[test]
fn a_reader_that_goes_away_is_no_error() {
    // `lab completions bash | head -1`: the pipe closes before lab writes
    // (the read end is dropped at once, long before the child has started).
    for args in [&["completions", "bash"][..], &["man"], &["man", "analyze"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lab"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run lab");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait for lab");
        assert!(out.status.success(), "lab {args:?}: {}", out.status);
        assert!(
            out.stderr.is_empty(),
            "lab {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
