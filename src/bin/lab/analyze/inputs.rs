//! What `lab analyze` was given to read: one capture (a file or standard
//! input), several files, or a directory of them.

use std::path::PathBuf;

use anyhow::bail;
use wirelab::capture::{CaptureSet, directory_files};

/// The inputs, sorted out.
pub enum Inputs {
    /// One file, or `-`: read as a single capture, with its progress bar.
    One(PathBuf),
    /// Several files named, in the order given.
    Files(Vec<PathBuf>),
    /// A directory's files, sorted by name; files in it that are no
    /// captures are left out with a warning.
    Directory(PathBuf, Vec<PathBuf>),
}

impl Inputs {
    /// Sorts out the paths given (at least one).
    pub fn resolve(paths: Vec<PathBuf>) -> anyhow::Result<Inputs> {
        let dirs = paths.iter().filter(|p| p.is_dir()).count();
        if dirs > 0 {
            let [dir] = paths.as_slice() else {
                bail!(
                    "a directory is read as one capture set on its own: give one directory, or capture files"
                );
            };
            let files = directory_files(dir)?;
            if files.is_empty() {
                bail!("{}: the directory holds no files", dir.display());
            }
            return Ok(Inputs::Directory(dir.clone(), files));
        }
        match <[PathBuf; 1]>::try_from(paths) {
            Ok([one]) => Ok(Inputs::One(one)),
            Err(paths) => {
                if paths.iter().any(|p| p.as_os_str() == "-") {
                    bail!("standard input (`-`) can only be read alone, not with other files");
                }
                Ok(Inputs::Files(paths))
            }
        }
    }

    /// The files, in the order they are read (one for `One`).
    pub fn files(&self) -> Vec<PathBuf> {
        match self {
            Inputs::One(p) => vec![p.clone()],
            Inputs::Files(f) | Inputs::Directory(_, f) => f.clone(),
        }
    }

    /// Opens the files as one set, saying which of a directory's files were
    /// left out.
    pub fn open_set(&self) -> anyhow::Result<CaptureSet> {
        let lenient = matches!(self, Inputs::Directory(..));
        let set = CaptureSet::open(self.files(), lenient)?;
        for s in set.skipped() {
            crate::say(&format!(
                "warning: left out {}: {}",
                s.path.display(),
                s.reason
            ));
        }
        if let Inputs::Directory(dir, _) = self
            && set.files().next().is_none()
        {
            bail!("{}: no capture file in the directory", dir.display());
        }
        Ok(set)
    }
}
