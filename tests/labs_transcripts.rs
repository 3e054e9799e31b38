//! The walkthroughs in `labs/` stay true: every `$ lab ...` command in a
//! ```console block is run again, and the verdict and witness lines of its
//! recorded transcript must match what the tool prints now.
//!
//! What may differ between runs is masked: ports, frame numbers, Zeek's history
//! letters (a window update or a client FIN can add one), the number of body
//! bytes a truncated client got, and whether a server's RST came before or after
//! the client's FIN (`unread_data` vs `after_peer_fin`). Verdicts (FIN or RST,
//! who), conn_state, exit codes, client ends, server log lines and kernel counter
//! deltas may not. Needs root and curl, like every lab run.

use std::path::Path;
use std::process::Command;

/// The lines a transcript is judged by, with run-to-run noise masked.
fn verdict_lines(output: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_witnesses = false;
    for line in output.lines() {
        if line.starts_with("WITNESSES") && !line.starts_with("WITNESSES DISAGREE") {
            in_witnesses = true;
            continue;
        }
        // Notes (a slow teardown, libpcap drops, a saved file) describe the
        // run, not the verdict.
        let note = line.starts_with("note:") || line.starts_with("capture saved");
        if (line.starts_with("VERDICT") || in_witnesses) && !line.trim().is_empty() && !note {
            lines.push(mask(line));
        }
    }
    lines
}

fn mask(line: &str) -> String {
    let mut out = Vec::new();
    let mut prev = "";
    for w in line.split(' ') {
        let masked = if let Some((host, port)) = w.rsplit_once(':')
            && host.starts_with("127.")
            && port
                .trim_end_matches(',')
                .chars()
                .all(|c| c.is_ascii_digit())
        {
            format!("{host}:*")
        } else if (prev == "frame" || prev == "frames" || prev == "and")
            && w.trim_end_matches([',', ';'])
                .chars()
                .all(|c| c.is_ascii_digit())
            && !w.is_empty()
        {
            "#".to_string()
        } else if prev == "history" || (prev == "body" && w.chars().all(|c| c.is_ascii_digit())) {
            "*".to_string()
        } else {
            w.replace("(after_peer_fin)", "(unread_data)")
        };
        prev = w;
        out.push(masked);
    }
    out.join(" ")
}

#[test]
fn every_lab_transcript_still_matches() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("labs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("labs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for block in text.split("```console\n").skip(1) {
            let body = block.split("```").next().unwrap_or("");
            let (cmd, recorded) = body.split_once('\n').unwrap_or((body, ""));
            let Some(args) = cmd.strip_prefix("$ lab ") else {
                continue;
            };
            let out = Command::new(env!("CARGO_BIN_EXE_lab"))
                .args(args.split_whitespace())
                .output()
                .expect("run lab");
            let now = String::from_utf8_lossy(&out.stdout);
            let want = verdict_lines(recorded);
            assert!(
                !want.is_empty(),
                "{}: `{cmd}` has no recorded verdict",
                file.display()
            );
            assert_eq!(
                verdict_lines(&now),
                want,
                "{}: `{cmd}` no longer prints what the walkthrough shows (refresh with scripts/refresh-labs if the change is intended)\n{now}",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} commands found in labs/");
}

#[test]
fn masking_keeps_verdicts_and_hides_noise() {
    assert_eq!(
        mask("VERDICT  RST by the server (after_peer_fin), frame 9"),
        "VERDICT  RST by the server (unread_data), frame #"
    );
    assert_eq!(
        mask("  packets  fin, the server closed first, frames 8 and 12"),
        "  packets  fin, the server closed first, frames # and #"
    );
    assert_eq!(
        mask("           Zeek conn_state RSTR, history ShADadFr"),
        "           Zeek conn_state RSTR, history *"
    );
    assert_eq!(
        mask("  client   curl (exit 56): status 200, body 842582 of 4000000 bytes"),
        "  client   curl (exit 56): status 200, body * of 4000000 bytes"
    );
    assert_ne!(mask("VERDICT  FIN"), mask("VERDICT  RST"));
}
