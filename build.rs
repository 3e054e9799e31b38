//! Records the git commit the `lab` binary is built from, so `lab --version`
//! names it. A source tree without git (a release tarball, a vendored copy)
//! builds all the same: the version is then the crate version alone.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let commit = commit(&manifest).unwrap_or_default();
    // A file, not `cargo:rustc-env`: only the binary includes it, so a new
    // commit does not make the library recompile.
    std::fs::write(out.join("git-commit"), commit).expect("write OUT_DIR/git-commit");
}

/// `git rev-parse --short HEAD`, when this crate is the top of a git work
/// tree (not a folder inside some other repository). Uncommitted changes are
/// not flagged: telling them reliably would rerun this script on every edit.
fn commit(manifest: &Path) -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(manifest)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != manifest.canonicalize().ok()? {
        return None;
    }
    // Rebuild when HEAD moves: this work tree's HEAD, the branch it names,
    // and packed refs. Not the whole refs/heads folder, which other work
    // trees of the same repository share: their commits must not rebuild
    // this one. Only paths that exist are named (cargo reruns for a missing
    // one).
    let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.extend(git(&["rev-parse", "--git-path", &branch]));
    }
    watch.extend(git(&["rev-parse", "--git-path", "packed-refs"]));
    for path in watch {
        let path = top.join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    git(&["rev-parse", "--short", "HEAD"]).filter(|s| !s.is_empty())
}
