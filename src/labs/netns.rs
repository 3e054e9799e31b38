//! A private network namespace for one lab run.
//!
//! Kernel counters are kept per network namespace, so a run in its own
//! namespace gets exact deltas: nothing else on the machine can move them.
//! `unshare(CLONE_NEWNET)` moves only the calling thread (and what it spawns
//! afterwards: the server thread, the capture, curl) into a new namespace whose
//! loopback interface starts down, so it is brought up with iproute2.
//!
//! It needs CAP_SYS_ADMIN (root). Without it the lab runs in the current
//! namespace and says that the counters may include other traffic.

use std::process::Command;

use nix::sched::{CloneFlags, setns, unshare};

/// Where a lab run's sockets and counters live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// A fresh network namespace: counter deltas are exact.
    PrivateNamespace,
    /// The machine's namespace: other traffic may move the counters.
    Shared,
}

/// Moves the calling thread into a new network namespace with `lo` up.
///
/// Returns [`Isolation::Shared`], and leaves the thread where it was, when the
/// namespace cannot be made (no privilege, or `ip` missing); the reason is
/// returned beside it so the caller can show it.
pub fn enter_private() -> (Isolation, Option<String>) {
    // Keep a handle on the namespace we came from, to go back if `lo` cannot
    // be brought up: a namespace without loopback is no place to stay.
    let home = match std::fs::File::open("/proc/thread-self/ns/net") {
        Ok(f) => f,
        Err(e) => {
            return (
                Isolation::Shared,
                Some(format!("cannot open own namespace: {e}")),
            );
        }
    };
    if let Err(e) = unshare(CloneFlags::CLONE_NEWNET) {
        return (
            Isolation::Shared,
            Some(format!(
                "no private network namespace ({e}); run as root for exact counters"
            )),
        );
    }
    let why = match Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
    {
        Ok(s) if s.success() => return (Isolation::PrivateNamespace, None),
        Ok(s) => format!("`ip link set lo up` failed ({s}) in the new namespace"),
        Err(e) => format!("cannot run `ip` (install iproute2): {e}"),
    };
    match setns(&home, CloneFlags::CLONE_NEWNET) {
        Ok(()) => (Isolation::Shared, Some(why)),
        Err(e) => (
            Isolation::Shared,
            Some(format!(
                "{why}; and returning to the original namespace failed: {e}"
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::counters::Counters;

    /// In a private namespace, one connection to a closed port moves
    /// TcpOutRsts by exactly one: the kernel answers the SYN with RST
    /// (RFC 9293 §3.5.2), and nothing else shares the namespace.
    #[test]
    fn private_namespace_counts_exactly_one_rst_for_refused_connect() {
        std::thread::spawn(|| {
            let (iso, why) = enter_private();
            assert_eq!(
                iso,
                Isolation::PrivateNamespace,
                "this test needs root for a private network namespace: {why:?}"
            );
            let before = Counters::read().unwrap();
            let err = std::net::TcpStream::connect("127.0.0.1:1").unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
            let d = Counters::read().unwrap().delta_since(&before);
            assert_eq!(d["TcpOutRsts"], 1);
            assert_eq!(d["TcpExtTCPAbortOnClose"], 0);
        })
        .join()
        .unwrap();
    }
}
