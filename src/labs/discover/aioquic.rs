//! The aioquic client: Python's QUIC and HTTP/3 stack (PyPI `aioquic`,
//! pinned in `scripts/clients/aioquic-requirements.txt` and installed by
//! `scripts/setup` in a venv at [`VENV_PYTHON`]'s directory). Its wheel
//! carries no example client, so the lab's own script
//! (`scripts/clients/aioquic_get.py`, built into the binary) is written
//! into the run's directory and run with the venv's interpreter. Like
//! gtlsclient it reads no HTTPS record: the lab resolves and hands it the
//! address and port. Unlike gtlsclient it checks the certificate against
//! the lab's CA, for the name it also sends as SNI.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::clients::{self, ClientSaw, H3Fetch, Resolver, Setup};
use super::{DiscoverClient, ORIGIN_HOST};
use crate::labs::peer::PeerError;

/// The interpreter of the venv `scripts/setup` makes (a fixed path: the
/// lab, the tests and the labs' transcripts find it without a PATH).
pub const VENV_PYTHON: &str = "/opt/wirelab/aioquic/bin/python3";
/// Overrides [`VENV_PYTHON`], for an aioquic installed elsewhere.
pub const PYTHON_ENV: &str = "WIRELAB_AIOQUIC_PYTHON";
/// What to do when the venv is missing.
const INSTALL: &str = "run scripts/setup (it makes the venv /opt/wirelab/aioquic with the pinned aioquic), \
                       or point WIRELAB_AIOQUIC_PYTHON at a python3 that imports aioquic";
/// The script, as committed.
const SCRIPT: &str = include_str!("../../../scripts/clients/aioquic_get.py");
/// The file names in the run's directory.
pub const SCRIPT_FILE: &str = "aioquic_get.py";
/// The client's own NSS key log (the timeline reads the server's).
pub const KEYLOG_FILE: &str = "aioquic.keylog";

/// The interpreter the lab runs the script with.
pub fn python() -> PathBuf {
    std::env::var_os(PYTHON_ENV).map_or_else(|| PathBuf::from(VENV_PYTHON), PathBuf::from)
}

/// Runs the script once against the address the records name.
///
/// # Errors
///
/// The venv's interpreter is missing or cannot be started.
pub fn drive(s: &Setup<'_>) -> Result<ClientSaw, PeerError> {
    let mut saw = ClientSaw::new(DiscoverClient::Aioquic, Resolver::Lab);
    let Some(at) = clients::resolved(&mut saw, s) else {
        return Ok(saw);
    };
    let script = s.dir.join(SCRIPT_FILE);
    let keylog = s.dir.join(KEYLOG_FILE);
    for (file, text) in [(&script, SCRIPT), (&keylog, "")] {
        if let Err(e) = std::fs::write(file, text) {
            saw.error = Some(format!("cannot write {}: {e}", file.display()));
            return Ok(saw);
        }
    }
    // Its idle timeout longer than the server's, so that `idle` is the
    // server's to end (as for gtlsclient); it waits as long for the ending.
    let wait = s.idle_timeout + Duration::from_secs(4);
    let mut args = vec![
        script.display().to_string(),
        "--address".into(),
        at.ip().to_string(),
        "--port".into(),
        at.port().to_string(),
        "--ca".into(),
        s.ca_file.display().to_string(),
        "--keylog".into(),
        keylog.display().to_string(),
        "--idle-timeout".into(),
        format!("{:.3}", wait.as_secs_f64()),
        "--wait".into(),
        format!("{:.3}", wait.as_secs_f64()),
    ];
    if s.pings {
        args.push("--ping".into());
    }
    args.push(format!("https://{ORIGIN_HOST}/"));
    let python = python();
    let out = Command::new(&python)
        .args(&args)
        .output()
        .map_err(|e| PeerError::of("aioquic", INSTALL, e))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    saw.command = Some(clients::command_line(&python.display().to_string(), &args));
    saw.exit = out.status.code();
    let fact = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .map(str::to_string)
    };
    saw.h3 = Some(H3Fetch {
        alpn: fact("alpn").filter(|a| a != "None"),
        status: fact("status").and_then(|v| v.parse().ok()),
        body_bytes: fact("body-bytes").and_then(|v| v.parse().ok()),
        ending: fact("ending"),
    });
    if out.status.code() != Some(0) {
        // An import error or a failed handshake: the last line says why.
        saw.error = fact("error").or_else(|| {
            text.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_string)
        });
    }
    Ok(saw)
}
