//! The parts of the event log only HTTP/2 connections use: how the
//! connection began, which way a frame went, and SETTINGS as name/value
//! pairs. Error codes and setting names are the RFC's (RFC 9113 §7, §6.5.2).

use serde::Serializer;

use crate::proto::h2::{ErrorCode, SettingId};

/// How HTTP/2 was chosen on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum H2Start {
    /// The client sent the preface first (RFC 9113 §3.3).
    PriorKnowledge,
    /// An HTTP/1.1 request with `Upgrade: h2c` was answered 101
    /// (RFC 7540 §3.2, deprecated by RFC 9113 §3.1).
    Upgrade,
    /// ALPN chose `h2` in the TLS handshake (RFC 9113 §3.2).
    Alpn,
}

impl std::fmt::Display for H2Start {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            H2Start::PriorKnowledge => "prior-knowledge",
            H2Start::Upgrade => "upgrade",
            H2Start::Alpn => "alpn",
        })
    }
}

/// Which way a frame went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dir {
    /// We sent it.
    Sent,
    /// The client sent it.
    Received,
}

impl std::fmt::Display for Dir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dir::Sent => "sent",
            Dir::Received => "received",
        })
    }
}

/// One SETTINGS parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettingValue {
    /// The parameter.
    pub id: SettingId,
    /// Its value.
    pub value: u32,
}

impl serde::Serialize for SettingValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("SettingValue", 2)?;
        st.serialize_field("id", &self.id.to_string())?;
        st.serialize_field("value", &self.value)?;
        st.end()
    }
}

/// `MAX_CONCURRENT_STREAMS:100,INITIAL_WINDOW_SIZE:65535`, or `-` when
/// there are none (a SETTINGS frame may be empty).
pub(super) fn settings_text(params: &[SettingValue]) -> String {
    if params.is_empty() {
        return "-".into();
    }
    params
        .iter()
        .map(|p| format!("{}:{}", p.id, p.value))
        .collect::<Vec<_>>()
        .join(",")
}

/// An error code in JSON as the RFC names it (`PROTOCOL_ERROR`, or
/// `0x1a` when it has no name).
pub(super) fn code<S: Serializer>(code: &ErrorCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&code.to_string())
}
