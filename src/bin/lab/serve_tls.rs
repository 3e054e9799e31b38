//! `lab serve`'s TLS flags → [`wirelab::server::TlsSettings`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::ValueEnum;
use wirelab::http::AltSvc;
use wirelab::server::{Alpn, Identity, TlsListen, TlsSettings, TlsVersions};

/// TLS with ALPN (RFC 7301): h2 and http/1.1 on one port, chosen in the
/// handshake.
#[derive(clap::Args)]
#[command(next_help_heading = "TLS")]
pub struct TlsArgs {
    /// Serve TLS only, on --port: ALPN picks HTTP/2 (`h2`) or HTTP/1.1;
    /// a client without ALPN gets HTTP/1.1.
    #[arg(long, conflicts_with = "tls_port")]
    tls: bool,
    /// Serve TLS on this port beside the cleartext --port.
    #[arg(long, value_name = "PORT")]
    tls_port: Option<u16>,
    /// The certificate chain (PEM, leaf first) instead of the one made at start.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The private key of --cert (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Write the CA that signed the certificate made at start (PEM), for
    /// `curl --cacert FILE`.
    #[arg(long, value_name = "FILE", conflicts_with = "cert")]
    write_ca: Option<PathBuf>,
    /// ALPN protocols offered, in the server's order of preference (h2,
    /// http/1.1). Without h2 when --http2 off.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_alpn)]
    alpn: Vec<Alpn>,
    /// TLS versions accepted (1.2: the chosen ALPN is in the clear
    /// ServerHello; 1.3: it is encrypted).
    #[arg(long, value_enum, default_value_t = VersionsArg::Both)]
    tls_versions: VersionsArg,
    /// Append the NSS key log here (what `tshark -o tls.keylog_file:FILE`
    /// reads); without it, the file SSLKEYLOGFILE names.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Close with a bare FIN, no close_notify alert first: the truncation a
    /// client must notice (RFC 8446 §6.1).
    #[arg(long)]
    no_close_notify: bool,
    /// `Alt-Svc` on every HTTP/1.1 and HTTP/2 response of the TLS listener
    /// (RFC 7838 §3), e.g. 'h3=":8443"; ma=86400'; `clear` tells clients to
    /// forget the alternatives, `off` sends none. Default: `off`, or with
    /// --h3 'h3=":PORT"; ma=86400' (a server must not advertise what it
    /// does not serve).
    #[arg(long, value_name = "VALUE|clear|off", value_parser = parse_alt_svc)]
    alt_svc: Option<AltSvcArg>,
    /// Send --alt-svc on the cleartext listener too, to show that clients
    /// ignore it there: an http:// origin cannot use HTTP/3 (RFC 9114
    /// §3.1.2), so a real server never does this.
    #[arg(long)]
    alt_svc_cleartext_demo: bool,
}

/// `--alt-svc`: off, or a value checked against RFC 7838 §3.
#[derive(Clone)]
pub(crate) enum AltSvcArg {
    Off,
    Value(AltSvc),
}

fn parse_alt_svc(s: &str) -> Result<AltSvcArg, String> {
    if s == "off" {
        return Ok(AltSvcArg::Off);
    }
    AltSvc::parse(s)
        .map(AltSvcArg::Value)
        .map_err(|e| e.to_string())
}

#[derive(Clone, Copy, ValueEnum)]
pub enum VersionsArg {
    #[value(name = "1.2")]
    Tls12,
    #[value(name = "1.3")]
    Tls13,
    Both,
}

impl VersionsArg {
    /// The library's value.
    pub fn versions(self) -> TlsVersions {
        match self {
            VersionsArg::Tls12 => TlsVersions::Tls12,
            VersionsArg::Tls13 => TlsVersions::Tls13,
            VersionsArg::Both => TlsVersions::Both,
        }
    }
}

pub fn parse_alpn(s: &str) -> Result<Alpn, String> {
    s.parse()
        .map_err(|e: wirelab::server::AlpnError| e.to_string())
}

impl TlsArgs {
    /// The TLS settings, or `None` without --tls and --tls-port.
    pub fn settings(&self, bind: IpAddr) -> Option<TlsSettings> {
        let listen = match (self.tls, self.tls_port) {
            (true, _) => TlsListen::Only,
            (false, Some(port)) => TlsListen::Beside(SocketAddr::new(bind, port)),
            (false, None) => return None,
        };
        let defaults = TlsSettings::default();
        Some(TlsSettings {
            listen,
            identity: match (&self.cert, &self.key) {
                (Some(cert), Some(key)) => Identity::Files {
                    cert: cert.clone(),
                    key: key.clone(),
                },
                _ => Identity::Generated,
            },
            alpn: if self.alpn.is_empty() {
                defaults.alpn
            } else {
                self.alpn.clone()
            },
            versions: self.tls_versions.versions(),
            // curl and browsers honour SSLKEYLOGFILE; so does the server.
            keylog: self
                .keylog
                .clone()
                .or_else(|| std::env::var_os("SSLKEYLOGFILE").map(PathBuf::from)),
            close_notify: !self.no_close_notify,
            alt_svc: self.alt_svc_value(),
            // Written before the port listens (see TlsSettings::write_ca).
            write_ca: self.write_ca.clone(),
        })
    }

    /// The value --alt-svc gives, if not `off`.
    fn alt_svc_value(&self) -> Option<AltSvc> {
        match &self.alt_svc {
            None | Some(AltSvcArg::Off) => None,
            Some(AltSvcArg::Value(v)) => Some(v.clone()),
        }
    }

    /// `--alt-svc-cleartext-demo`: the value for the cleartext listener.
    pub fn cleartext_alt_svc_demo(&self) -> Option<AltSvc> {
        self.alt_svc_cleartext_demo
            .then(|| self.alt_svc_value())
            .flatten()
    }

    /// Whether --alt-svc was left to its default (then --h3 advertises
    /// itself).
    pub fn alt_svc_default(&self) -> bool {
        self.alt_svc.is_none()
    }

    /// Whether TLS is on (--tls or --tls-port).
    pub fn on(&self) -> bool {
        self.tls || self.tls_port.is_some()
    }

    /// TLS flags given without --tls or --tls-port do nothing: say so.
    pub fn check(&self) -> anyhow::Result<()> {
        let tls_only = self.cert.is_some()
            || self.write_ca.is_some()
            || !self.alpn.is_empty()
            || self.keylog.is_some()
            || self.no_close_notify
            || !matches!(self.tls_versions, VersionsArg::Both);
        let alt_svc = matches!(self.alt_svc, Some(AltSvcArg::Value(_)));
        if self.alt_svc_cleartext_demo && !alt_svc {
            anyhow::bail!("--alt-svc-cleartext-demo needs an --alt-svc value to send");
        }
        if self.alt_svc_cleartext_demo && self.tls {
            anyhow::bail!("--alt-svc-cleartext-demo needs a cleartext listener (not --tls)");
        }
        if tls_only && !self.tls && self.tls_port.is_none() {
            anyhow::bail!("TLS options need --tls or --tls-port");
        }
        if alt_svc && !self.alt_svc_cleartext_demo && !self.tls && self.tls_port.is_none() {
            anyhow::bail!(
                "--alt-svc needs --tls or --tls-port: an http:// origin cannot use HTTP/3 \
                 (RFC 9114 §3.1.2) and clients ignore Alt-Svc over cleartext \
                 (--alt-svc-cleartext-demo sends it anyway, to show that)"
            );
        }
        Ok(())
    }
}
