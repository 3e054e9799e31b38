//! Names where users type them: `--bind localhost`, `--host localhost`, and
//! the flag spellings that mean one thing across subcommands.

use std::process::Command;

const LAB: &str = env!("CARGO_BIN_EXE_lab");

#[test]
fn analyze_host_takes_a_name() {
    let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/no-read.pcap");
    let o = Command::new(LAB)
        .args(["analyze", capture, "--host", "localhost", "--expect", "rst"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A name with no address is refused, naming it.
    let o = Command::new(LAB)
        .args(["analyze", capture, "--host", "no-such-host.invalid"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-host.invalid"));
}

#[test]
fn keepalive_race_is_one_flag_name_for_one_meaning() {
    for sub in ["serve", "reset"] {
        let o = Command::new(LAB).args([sub, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(help.contains("--keepalive-race"), "{sub}: {help}");
    }
    let o = Command::new(LAB)
        .args(["reset", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(!help.contains("--keep-alive "), "{help}");
}
