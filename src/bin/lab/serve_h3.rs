//! `lab serve`'s HTTP/3 flags → [`wirelab::server::H3Settings`].

use std::time::Duration;

use clap::ValueEnum;
use wirelab::server::{H3Close, H3Settings};

use crate::serve::parse_duration;
use crate::serve_tls::TlsArgs;

/// HTTP/3 on UDP, on the TLS port number (QUIC v1, ALPN h3).
#[derive(clap::Args)]
#[command(next_help_heading = "HTTP/3")]
pub struct H3Args {
    /// Serve HTTP/3 on UDP beside the TLS listener, same port number and
    /// certificate; the TLS listener's responses then carry
    /// 'Alt-Svc: h3=":PORT"; ma=86400' unless --alt-svc says otherwise.
    #[arg(long)]
    h3: bool,
    /// How each QUIC connection ends once its requests are answered.
    #[arg(long, value_enum, default_value_t = CloseArg::Graceful, requires = "h3")]
    h3_close: CloseArg,
    /// The max_idle_timeout announced (RFC 9000 §10.1): how long `idle`
    /// takes to end a connection.
    #[arg(long, default_value = "30s", value_parser = parse_duration, requires = "h3")]
    h3_idle_timeout: Duration,
}

/// `--h3-close` (see `wirelab::server::H3Close`).
#[derive(Clone, Copy, ValueEnum)]
enum CloseArg {
    /// GOAWAY, then CONNECTION_CLOSE H3_NO_ERROR (0x100) once acknowledged.
    Graceful,
    /// CONNECTION_CLOSE H3_INTERNAL_ERROR (0x102) right after the response.
    Abrupt,
    /// Say nothing: the idle timeout ends the connection on both sides.
    Idle,
    /// Forget the connection (the endpoint restarts): the client's next
    /// packet gets a stateless reset.
    StatelessReset,
}

impl From<CloseArg> for H3Close {
    fn from(c: CloseArg) -> H3Close {
        match c {
            CloseArg::Graceful => H3Close::Graceful,
            CloseArg::Abrupt => H3Close::Abrupt,
            CloseArg::Idle => H3Close::Idle,
            CloseArg::StatelessReset => H3Close::StatelessReset,
        }
    }
}

impl H3Args {
    /// The settings, or `None` without --h3.
    pub fn settings(&self, tls: &TlsArgs) -> anyhow::Result<Option<H3Settings>> {
        if !self.h3 {
            return Ok(None);
        }
        if !tls.on() {
            anyhow::bail!(
                "--h3 needs --tls or --tls-port: HTTP/3 takes the TLS listener's port number and \
                 certificate, and an http:// origin cannot use it (RFC 9114 §3.1)"
            );
        }
        Ok(Some(H3Settings {
            close: self.h3_close.into(),
            idle_timeout: self.h3_idle_timeout,
            advertise: tls.alt_svc_default(),
        }))
    }
}
