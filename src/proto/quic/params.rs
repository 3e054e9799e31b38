//! Transport parameters (RFC 9000 §18): a sequence of (id, length, value),
//! ids and lengths as varints, carried in the TLS extension
//! quic_transport_parameters (RFC 9001 §8.2). The ones of §18.2 are decoded;
//! so are RFC 9368's version_information and RFC 9287's grease_quic_bit;
//! others (grease ids 31·N+27 of §18.1, other extensions) are kept by id
//! and length.

use super::reader::Reader;
use super::{ConnectionId, QuicError, Version};

/// One transport parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportParameter {
    /// 0x00: the DCID of the client's first Initial (server only).
    OriginalDestinationConnectionId(ConnectionId),
    /// 0x01: milliseconds; 0 means no idle timeout from this side.
    MaxIdleTimeout(u64),
    /// 0x02: the server's stateless reset token (§10.3).
    StatelessResetToken([u8; 16]),
    /// 0x03: the largest UDP payload this side accepts.
    MaxUdpPayloadSize(u64),
    /// 0x04.
    InitialMaxData(u64),
    /// 0x05.
    InitialMaxStreamDataBidiLocal(u64),
    /// 0x06.
    InitialMaxStreamDataBidiRemote(u64),
    /// 0x07.
    InitialMaxStreamDataUni(u64),
    /// 0x08.
    InitialMaxStreamsBidi(u64),
    /// 0x09.
    InitialMaxStreamsUni(u64),
    /// 0x0a.
    AckDelayExponent(u64),
    /// 0x0b: milliseconds.
    MaxAckDelay(u64),
    /// 0x0c: empty.
    DisableActiveMigration,
    /// 0x0d: the server's preferred address, kept as its length.
    PreferredAddress(usize),
    /// 0x0e.
    ActiveConnectionIdLimit(u64),
    /// 0x0f: the SCID of this side's first Initial.
    InitialSourceConnectionId(ConnectionId),
    /// 0x10: the SCID of the server's Retry.
    RetrySourceConnectionId(ConnectionId),
    /// 0x11 (RFC 9368 §3): the chosen version and the others this side
    /// speaks.
    VersionInformation {
        /// Chosen Version.
        chosen: Version,
        /// Available Versions.
        available: Vec<Version>,
    },
    /// 0x2ab2 (RFC 9287 §3): the fixed bit may be cleared in packets to
    /// this side.
    GreaseQuicBit,
    /// Any other id, with its value's length.
    Other {
        /// The id.
        id: u64,
        /// Its value's length.
        len: usize,
    },
}

/// The transport parameters of one side, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportParameters(pub Vec<TransportParameter>);

fn int(id: u64, value: &[u8]) -> Result<u64, QuicError> {
    let mut r = Reader::new(value);
    let v = r.varint("value").map_err(|_| QuicError::Parameter {
        id,
        why: "not a varint",
    })?;
    if !r.is_empty() {
        return Err(QuicError::Parameter {
            id,
            why: "bytes after the varint",
        });
    }
    Ok(v)
}

fn cid(id: u64, value: &[u8]) -> Result<ConnectionId, QuicError> {
    if value.len() > 20 {
        return Err(QuicError::Parameter {
            id,
            why: "a connection ID over 20 bytes",
        });
    }
    Ok(ConnectionId(value.to_vec()))
}

fn parameter(id: u64, v: &[u8]) -> Result<TransportParameter, QuicError> {
    use TransportParameter as P;
    Ok(match id {
        0x00 => P::OriginalDestinationConnectionId(cid(id, v)?),
        0x01 => P::MaxIdleTimeout(int(id, v)?),
        0x02 => P::StatelessResetToken(v.try_into().map_err(|_| QuicError::Parameter {
            id,
            why: "a stateless reset token is 16 bytes",
        })?),
        0x03 => P::MaxUdpPayloadSize(int(id, v)?),
        0x04 => P::InitialMaxData(int(id, v)?),
        0x05 => P::InitialMaxStreamDataBidiLocal(int(id, v)?),
        0x06 => P::InitialMaxStreamDataBidiRemote(int(id, v)?),
        0x07 => P::InitialMaxStreamDataUni(int(id, v)?),
        0x08 => P::InitialMaxStreamsBidi(int(id, v)?),
        0x09 => P::InitialMaxStreamsUni(int(id, v)?),
        0x0a => P::AckDelayExponent(int(id, v)?),
        0x0b => P::MaxAckDelay(int(id, v)?),
        0x0c if v.is_empty() => P::DisableActiveMigration,
        0x0c => {
            return Err(QuicError::Parameter {
                id,
                why: "disable_active_migration has no value",
            });
        }
        0x0d => P::PreferredAddress(v.len()),
        0x0e => P::ActiveConnectionIdLimit(int(id, v)?),
        0x0f => P::InitialSourceConnectionId(cid(id, v)?),
        0x10 => P::RetrySourceConnectionId(cid(id, v)?),
        0x11 => {
            if v.is_empty() || !v.len().is_multiple_of(4) {
                return Err(QuicError::Parameter {
                    id,
                    why: "version_information is a list of 4-byte versions",
                });
            }
            let mut vs = v
                .chunks_exact(4)
                .map(|c| Version(u32::from_be_bytes([c[0], c[1], c[2], c[3]])));
            let chosen = vs.next().unwrap_or(Version(0));
            P::VersionInformation {
                chosen,
                available: vs.collect(),
            }
        }
        0x2ab2 if v.is_empty() => P::GreaseQuicBit,
        0x2ab2 => {
            return Err(QuicError::Parameter {
                id,
                why: "grease_quic_bit has no value",
            });
        }
        _ => P::Other { id, len: v.len() },
    })
}

impl TransportParameters {
    /// Parses the extension's bytes.
    pub fn parse(bytes: &[u8]) -> Result<TransportParameters, QuicError> {
        let mut r = Reader::new(bytes);
        // Clients send a dozen or more (GREASE ones among them, §18.1):
        // room for them from the start rather than four regrowths.
        let mut out = Vec::with_capacity(16);
        let mut seen = Vec::with_capacity(16);
        while !r.is_empty() {
            let id = r.varint("transport parameter id")?;
            let value = r.varint_bytes("transport parameter value")?;
            // §7.4: a repeated parameter is a TRANSPORT_PARAMETER_ERROR.
            if seen.contains(&id) {
                return Err(QuicError::Parameter {
                    id,
                    why: "sent twice",
                });
            }
            seen.push(id);
            out.push(parameter(id, value)?);
        }
        Ok(TransportParameters(out))
    }

    /// max_idle_timeout in milliseconds, when sent.
    pub fn max_idle_timeout(&self) -> Option<u64> {
        self.0.iter().find_map(|p| match p {
            TransportParameter::MaxIdleTimeout(ms) => Some(*ms),
            _ => None,
        })
    }
}

impl TransportParameter {
    /// The name §18.2 gives it.
    pub fn name(&self) -> String {
        if let TransportParameter::Other { id, .. } = self {
            return format!("0x{id:x}");
        }
        self.known_name().unwrap_or_default().to_owned()
    }

    /// [`TransportParameter::name`] without a string made, for every
    /// parameter but one this reader does not know (named by its id).
    pub fn known_name(&self) -> Option<&'static str> {
        use TransportParameter as P;
        Some(match self {
            P::OriginalDestinationConnectionId(_) => "original_destination_connection_id",
            P::MaxIdleTimeout(_) => "max_idle_timeout",
            P::StatelessResetToken(_) => "stateless_reset_token",
            P::MaxUdpPayloadSize(_) => "max_udp_payload_size",
            P::InitialMaxData(_) => "initial_max_data",
            P::InitialMaxStreamDataBidiLocal(_) => "initial_max_stream_data_bidi_local",
            P::InitialMaxStreamDataBidiRemote(_) => "initial_max_stream_data_bidi_remote",
            P::InitialMaxStreamDataUni(_) => "initial_max_stream_data_uni",
            P::InitialMaxStreamsBidi(_) => "initial_max_streams_bidi",
            P::InitialMaxStreamsUni(_) => "initial_max_streams_uni",
            P::AckDelayExponent(_) => "ack_delay_exponent",
            P::MaxAckDelay(_) => "max_ack_delay",
            P::DisableActiveMigration => "disable_active_migration",
            P::PreferredAddress(_) => "preferred_address",
            P::ActiveConnectionIdLimit(_) => "active_connection_id_limit",
            P::InitialSourceConnectionId(_) => "initial_source_connection_id",
            P::RetrySourceConnectionId(_) => "retry_source_connection_id",
            P::VersionInformation { .. } => "version_information",
            P::GreaseQuicBit => "grease_quic_bit",
            P::Other { .. } => return None,
        })
    }

    /// The bytes of a parameter whose value text is their hex: the three
    /// connection IDs and the stateless reset token.
    pub fn connection_id_bytes(&self) -> Option<&[u8]> {
        use TransportParameter as P;
        match self {
            P::OriginalDestinationConnectionId(c)
            | P::InitialSourceConnectionId(c)
            | P::RetrySourceConnectionId(c) => Some(&c.0),
            P::StatelessResetToken(t) => Some(t),
            _ => None,
        }
    }

    /// Its value when it is an integer (RFC 9000 §18.2: the varint
    /// parameters; the two durations are in milliseconds).
    pub fn number(&self) -> Option<u64> {
        use TransportParameter as P;
        match self {
            P::MaxIdleTimeout(v)
            | P::MaxAckDelay(v)
            | P::MaxUdpPayloadSize(v)
            | P::InitialMaxData(v)
            | P::InitialMaxStreamDataBidiLocal(v)
            | P::InitialMaxStreamDataBidiRemote(v)
            | P::InitialMaxStreamDataUni(v)
            | P::InitialMaxStreamsBidi(v)
            | P::InitialMaxStreamsUni(v)
            | P::AckDelayExponent(v)
            | P::ActiveConnectionIdLimit(v) => Some(*v),
            _ => None,
        }
    }

    /// A zero-length parameter whose presence is its meaning.
    pub fn is_flag(&self) -> bool {
        matches!(
            self,
            TransportParameter::DisableActiveMigration | TransportParameter::GreaseQuicBit
        )
    }

    /// Its value as text.
    pub fn value(&self) -> String {
        use TransportParameter as P;
        if let P::MaxIdleTimeout(v) | P::MaxAckDelay(v) = self {
            return format!("{v}ms");
        }
        if let Some(v) = self.number() {
            return v.to_string();
        }
        match self {
            P::OriginalDestinationConnectionId(c)
            | P::InitialSourceConnectionId(c)
            | P::RetrySourceConnectionId(c) => c.to_string(),
            P::StatelessResetToken(t) => ConnectionId(t.to_vec()).to_string(),
            P::PreferredAddress(len) | P::Other { len, .. } => format!("{len} bytes"),
            P::VersionInformation { chosen, available } => {
                let av: Vec<String> = available.iter().map(Version::to_string).collect();
                format!("chosen {chosen}, available {}", av.join(","))
            }
            // The integers are written above; a flag has no value.
            _ => String::new(),
        }
    }
}
