//! The kernel's own account of resets: TCP counters from `/proc`.
//!
//! One of the reset lab's three witnesses. Linux counts, per network namespace:
//! - `TcpExtTCPAbortOnClose`: an application closed a socket with unread data in
//!   its receive queue, and the kernel sent RST instead of FIN (RFC 2525 §2.17,
//!   `__tcp_close()` in `net/ipv4/tcp.c`);
//! - `TcpExtTCPAbortOnData`: data arrived after close, or SO_LINGER {on, 0} made
//!   close abortive; both send RST;
//! - `TcpOutRsts` (`/proc/net/snmp`): every RST the stack sent, for any reason.
//!
//! The files are read through `/proc/thread-self/net/` because a lab run may
//! have moved only its own thread into a fresh network namespace.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// RSTs sent because a socket was closed with unread data.
pub const ABORT_ON_CLOSE: &str = "TcpExtTCPAbortOnClose";
/// RSTs sent for data after close, or for a zero-linger close.
pub const ABORT_ON_DATA: &str = "TcpExtTCPAbortOnData";
/// Every RST segment the stack sent.
pub const OUT_RSTS: &str = "TcpOutRsts";

/// The counters the reset lab reports.
pub const WATCHED: [&str; 3] = [ABORT_ON_CLOSE, ABORT_ON_DATA, OUT_RSTS];

/// A reading of named kernel counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters(BTreeMap<String, u64>);

/// What went wrong reading the counters.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// Which file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A header line and its value line did not pair up.
    #[error("{path} is not in the expected `Prefix: names` / `Prefix: values` layout")]
    Layout {
        /// Which file.
        path: String,
    },
}

impl Counters {
    /// Reads `netstat` and `snmp` for the calling thread's network namespace.
    ///
    /// # Errors
    ///
    /// When `/proc` cannot be read or its layout is not the one Linux uses.
    pub fn read() -> Result<Self, Error> {
        let mut all = BTreeMap::new();
        for file in ["netstat", "snmp"] {
            let path = Path::new("/proc/thread-self/net").join(file);
            let text = fs::read_to_string(&path).map_err(|source| Error::Read {
                path: path.display().to_string(),
                source,
            })?;
            parse_into(&text, &mut all).map_err(|()| Error::Layout {
                path: path.display().to_string(),
            })?;
        }
        Ok(Counters(all))
    }

    /// One counter's value, 0 when the kernel does not have it.
    pub fn get(&self, name: &str) -> u64 {
        self.0.get(name).copied().unwrap_or(0)
    }

    /// How much each watched counter moved from `before` to `self`.
    pub fn delta_since(&self, before: &Counters) -> BTreeMap<&'static str, u64> {
        WATCHED
            .iter()
            .map(|&n| (n, self.get(n).saturating_sub(before.get(n))))
            .collect()
    }
}

/// Parses the `/proc/net/{netstat,snmp}` layout: pairs of lines, the first
/// naming the fields after a `Prefix:` and the second giving their values.
/// Names are stored as `PrefixField` (`TcpExt` + `TCPAbortOnClose`), the way
/// `nstat` prints them.
fn parse_into(text: &str, out: &mut BTreeMap<String, u64>) -> Result<(), ()> {
    let mut lines = text.lines();
    while let Some(names) = lines.next() {
        let values = lines.next().ok_or(())?;
        let (prefix, names) = names.split_once(':').ok_or(())?;
        let (prefix2, values) = values.split_once(':').ok_or(())?;
        if prefix != prefix2 {
            return Err(());
        }
        for (n, v) in names.split_whitespace().zip(values.split_whitespace()) {
            // Some snmp fields (Tcp MaxConn) are signed; they are not watched.
            if let Ok(v) = v.parse::<u64>() {
                out.insert(format!("{prefix}{n}"), v);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_pairs_prefix_and_field() {
        let text = "TcpExt: SyncookiesSent TCPAbortOnClose\nTcpExt: 0 7\n\
                    Tcp: RtoAlgorithm MaxConn OutRsts\nTcp: 1 -1 12\n";
        let mut m = BTreeMap::new();
        parse_into(text, &mut m).unwrap();
        assert_eq!(m["TcpExtTCPAbortOnClose"], 7);
        assert_eq!(m["TcpOutRsts"], 12);
        assert!(!m.contains_key("TcpMaxConn"));
    }

    #[test]
    fn parse_rejects_unpaired_lines() {
        let mut m = BTreeMap::new();
        assert!(parse_into("TcpExt: A B\n", &mut m).is_err());
        assert!(parse_into("TcpExt: A\nIpExt: 1\n", &mut m).is_err());
    }

    #[test]
    fn read_real_proc_has_watched_counters() {
        let c = Counters::read().unwrap();
        for n in WATCHED {
            assert!(c.0.contains_key(n), "{n} missing from /proc");
        }
        assert_eq!(c.delta_since(&c).values().sum::<u64>(), 0);
    }
}
