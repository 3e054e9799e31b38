//! Alerts (RFC 8446 §6, RFC 5246 §7.2): a level and a description, two
//! bytes. Before the keys are in use they travel in the clear, and that is
//! how a passive reader learns why a handshake failed.

use std::fmt;

/// The alert level (§6: in TLS 1.3 the level is implicit and the field
/// is ignored, but peers still send 1 or 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertLevel {
    /// 1.
    Warning,
    /// 2.
    Fatal,
    /// Anything else.
    Other(u8),
}

impl fmt::Display for AlertLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertLevel::Warning => f.write_str("warning"),
            AlertLevel::Fatal => f.write_str("fatal"),
            AlertLevel::Other(n) => write!(f, "level {n}"),
        }
    }
}

/// An alert description code, named as RFC 8446 §6 (and, for the codes
/// only older versions use, RFC 5246 §7.2 and the TLS Alerts registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlertDescription(pub u8);

impl AlertDescription {
    /// `close_notify` (§6.1): the sender will send nothing more.
    pub const CLOSE_NOTIFY: AlertDescription = AlertDescription(0);

    /// The registry's name, if the code has one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            41 => "no_certificate",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            60 => "export_restriction",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            111 => "certificate_unobtainable",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            114 => "bad_certificate_hash_value",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            121 => "ech_required",
            _ => return None,
        })
    }
}

impl fmt::Display for AlertDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "alert {}", self.0),
        }
    }
}

/// One alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// Its level.
    pub level: AlertLevel,
    /// Its description.
    pub description: AlertDescription,
}

/// An alert record whose length is not a whole number of alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an alert record of {0} bytes (an alert is 2)")]
pub struct BadAlert(pub usize);

impl Alert {
    /// The alerts of one cleartext alert record's fragment: one in every
    /// real capture (RFC 8446 §5.1 forbids splitting an alert over records),
    /// several allowed by TLS 1.2.
    pub fn parse_all(fragment: &[u8]) -> Result<Vec<Alert>, BadAlert> {
        if fragment.is_empty() || !fragment.len().is_multiple_of(2) {
            return Err(BadAlert(fragment.len()));
        }
        Ok(fragment
            .chunks_exact(2)
            .map(|a| Alert {
                level: match a[0] {
                    1 => AlertLevel::Warning,
                    2 => AlertLevel::Fatal,
                    n => AlertLevel::Other(n),
                },
                description: AlertDescription(a[1]),
            })
            .collect())
    }
}
