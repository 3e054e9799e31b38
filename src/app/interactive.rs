//! Interactive services, recognised as Zeek's connection scripts need them
//! (`base/protocols/conn/inactivity.zeek`): by the service port a
//! connection is established on, and by the greeting each side opens with.
//! The flow table asks these questions through its `flow::AppHook`, which
//! the analyzer answers with the functions here; this module knows nothing
//! of the flow table.
//!
//! Of the protocols Zeek confirms by analyzer for the 1-hour timeout (SSH,
//! FTP), only SSH is recognised by its bytes: each side's identification
//! string starts with `SSH-` (RFC 4253 §4.2). FTP is recognised by its
//! control port alone, which the port rule covers.

/// The start of an SSH identification string (RFC 4253 §4.2), which each
/// side sends first.
pub const SSH_PREFIX: &[u8; 4] = b"SSH-";

/// Whether a connection whose service port is `port` is an interactive
/// service: Zeek's `port_inactivity_timeouts`, FTP control (21, RFC 959),
/// SSH (22, RFC 4253), Telnet (23, RFC 854) and rlogin (513, RFC 1282).
#[inline]
pub fn interactive_port(port: u16) -> bool {
    matches!(port, 21 | 22 | 23 | 513)
}

/// Whether a payload that opens one side of a connection is that side's
/// greeting of an interactive protocol: an SSH identification string.
#[inline]
pub fn greeting(opening: &[u8]) -> bool {
    opening.starts_with(SSH_PREFIX)
}

/// What [`greeting`] reads of a payload, as a view that outlives the
/// captured frame: the greeting's prefix when the payload starts with it,
/// else nothing. The analyzer hands the flow table this instead of the
/// payload, so its packet summaries keep no captured bytes.
#[inline]
pub fn opening(payload: &[u8]) -> &'static [u8] {
    if greeting(payload) { SSH_PREFIX } else { &[] }
}

#[cfg(test)]
mod tests;
