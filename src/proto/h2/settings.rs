//! SETTINGS parameters (RFC 9113 §6.5.2): what each side tells the other
//! about itself, with the initial values that hold until a SETTINGS frame
//! changes them, and the values the RFC forbids.

use std::fmt;

use super::ErrorCode;

/// A parameter identifier. Unknown identifiers are kept and ignored
/// (§6.5.2: "MUST ignore").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettingId {
    /// 0x1: the HPACK dynamic table size the sender's decoder allows.
    HeaderTableSize,
    /// 0x2: whether the sender (a client) accepts server push.
    EnablePush,
    /// 0x3: how many streams the sender lets its peer open at once.
    MaxConcurrentStreams,
    /// 0x4: the sender's initial stream flow-control window.
    InitialWindowSize,
    /// 0x5: the largest frame payload the sender accepts.
    MaxFrameSize,
    /// 0x6: the largest header list the sender accepts (advisory).
    MaxHeaderListSize,
    /// Any other identifier.
    Unknown(u16),
}

impl SettingId {
    /// The identifier for a value on the wire.
    pub fn from_u16(v: u16) -> Self {
        match v {
            1 => SettingId::HeaderTableSize,
            2 => SettingId::EnablePush,
            3 => SettingId::MaxConcurrentStreams,
            4 => SettingId::InitialWindowSize,
            5 => SettingId::MaxFrameSize,
            6 => SettingId::MaxHeaderListSize,
            other => SettingId::Unknown(other),
        }
    }

    /// The value on the wire.
    pub fn to_u16(self) -> u16 {
        match self {
            SettingId::HeaderTableSize => 1,
            SettingId::EnablePush => 2,
            SettingId::MaxConcurrentStreams => 3,
            SettingId::InitialWindowSize => 4,
            SettingId::MaxFrameSize => 5,
            SettingId::MaxHeaderListSize => 6,
            SettingId::Unknown(v) => v,
        }
    }
}

impl fmt::Display for SettingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingId::HeaderTableSize => "HEADER_TABLE_SIZE",
            SettingId::EnablePush => "ENABLE_PUSH",
            SettingId::MaxConcurrentStreams => "MAX_CONCURRENT_STREAMS",
            SettingId::InitialWindowSize => "INITIAL_WINDOW_SIZE",
            SettingId::MaxFrameSize => "MAX_FRAME_SIZE",
            SettingId::MaxHeaderListSize => "MAX_HEADER_LIST_SIZE",
            SettingId::Unknown(v) => return write!(f, "0x{v:x}"),
        })
    }
}

/// The smallest and largest SETTINGS_MAX_FRAME_SIZE (§6.5.2); the smallest
/// is also the initial value.
pub const MIN_MAX_FRAME_SIZE: u32 = 16_384;
/// See [`MIN_MAX_FRAME_SIZE`].
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;
/// The largest flow-control window (§6.9.1).
pub const MAX_WINDOW: u32 = (1 << 31) - 1;
/// The initial flow-control window of every stream and of the connection.
pub const INITIAL_WINDOW: u32 = 65_535;

/// One side's settings as they stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// SETTINGS_HEADER_TABLE_SIZE.
    pub header_table_size: u32,
    /// SETTINGS_ENABLE_PUSH.
    pub enable_push: bool,
    /// SETTINGS_MAX_CONCURRENT_STREAMS; `None` is "unlimited", the initial
    /// value.
    pub max_concurrent_streams: Option<u32>,
    /// SETTINGS_INITIAL_WINDOW_SIZE.
    pub initial_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE; `None` is "unlimited", the initial
    /// value.
    pub max_header_list_size: Option<u32>,
}

impl Default for Settings {
    /// The values in force before any SETTINGS frame (§6.5.2).
    fn default() -> Self {
        Settings {
            header_table_size: 4096,
            enable_push: true,
            max_concurrent_streams: None,
            initial_window_size: INITIAL_WINDOW,
            max_frame_size: MIN_MAX_FRAME_SIZE,
            max_header_list_size: None,
        }
    }
}

/// A value §6.5.2 forbids: a connection error with this code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadSetting {
    /// The parameter.
    pub id: SettingId,
    /// The value sent.
    pub value: u32,
    /// The connection error it is (PROTOCOL_ERROR or FLOW_CONTROL_ERROR).
    pub code: ErrorCode,
}

impl fmt::Display for BadSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SETTINGS_{} = {} is not allowed ({})",
            self.id, self.value, self.code
        )
    }
}

impl Settings {
    /// Applies one parameter, in the order received (§6.5.3).
    pub fn apply(&mut self, id: SettingId, value: u32) -> Result<(), BadSetting> {
        let bad = |code| Err(BadSetting { id, value, code });
        match id {
            SettingId::HeaderTableSize => self.header_table_size = value,
            SettingId::EnablePush => match value {
                0 => self.enable_push = false,
                1 => self.enable_push = true,
                _ => return bad(ErrorCode::ProtocolError),
            },
            SettingId::MaxConcurrentStreams => self.max_concurrent_streams = Some(value),
            SettingId::InitialWindowSize => {
                if value > MAX_WINDOW {
                    return bad(ErrorCode::FlowControlError);
                }
                self.initial_window_size = value;
            }
            SettingId::MaxFrameSize => {
                if !(MIN_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&value) {
                    return bad(ErrorCode::ProtocolError);
                }
                self.max_frame_size = value;
            }
            SettingId::MaxHeaderListSize => self.max_header_list_size = Some(value),
            SettingId::Unknown(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_values_are_the_rfc_errors() {
        let mut s = Settings::default();
        assert_eq!(
            s.apply(SettingId::EnablePush, 2).unwrap_err().code,
            ErrorCode::ProtocolError
        );
        assert_eq!(
            s.apply(SettingId::InitialWindowSize, MAX_WINDOW + 1)
                .unwrap_err()
                .code,
            ErrorCode::FlowControlError
        );
        assert_eq!(
            s.apply(SettingId::MaxFrameSize, 16_383).unwrap_err().code,
            ErrorCode::ProtocolError
        );
        assert_eq!(
            s.apply(SettingId::MaxFrameSize, 1 << 24).unwrap_err().code,
            ErrorCode::ProtocolError
        );
        assert_eq!(s, Settings::default(), "a refused value changes nothing");
        assert_eq!(
            s.apply(SettingId::EnablePush, 2).unwrap_err().to_string(),
            "SETTINGS_ENABLE_PUSH = 2 is not allowed (PROTOCOL_ERROR)"
        );
    }

    #[test]
    fn allowed_values_apply_and_unknown_ids_are_ignored() {
        let mut s = Settings::default();
        s.apply(SettingId::MaxFrameSize, MAX_MAX_FRAME_SIZE)
            .unwrap();
        s.apply(SettingId::InitialWindowSize, MAX_WINDOW).unwrap();
        s.apply(SettingId::MaxConcurrentStreams, 0).unwrap();
        s.apply(SettingId::Unknown(0xff), 7).unwrap();
        assert_eq!(s.max_frame_size, MAX_MAX_FRAME_SIZE);
        assert_eq!(s.initial_window_size, MAX_WINDOW);
        assert_eq!(s.max_concurrent_streams, Some(0));
        assert_eq!(SettingId::from_u16(0xff).to_string(), "0xff");
    }
}
