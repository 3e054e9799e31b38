//! The NSS key log: one line per secret, `LABEL <client_random hex>
//! <secret hex>`, the format Wireshark and tshark read
//! (`-o tls.keylog_file:F`) and curl and browsers write for
//! `SSLKEYLOGFILE`. rustls's own `KeyLogFile` reads only that variable;
//! this one writes to the file the user names.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug)]
pub(crate) struct NssKeyLog {
    file: Mutex<File>,
}

impl NssKeyLog {
    /// Opens `path` for appending (several servers and clients may share
    /// one key log, as with SSLKEYLOGFILE).
    pub fn open(path: &Path) -> io::Result<NssKeyLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(NssKeyLog {
            file: Mutex::new(file),
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl rustls::KeyLog for NssKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        // One write per line, so lines from several connections never mix.
        // rustls gives a key log no way to report an error; a failed write
        // loses that line only.
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::KeyLog;

    #[test]
    fn lines_are_in_nss_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let log = NssKeyLog::open(&path).unwrap();
        log.log("CLIENT_TRAFFIC_SECRET_0", &[0xab; 32], &[0x01, 0xff]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("CLIENT_TRAFFIC_SECRET_0 {} 01ff\n", "ab".repeat(32))
        );
    }
}
