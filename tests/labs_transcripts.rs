//! The walkthroughs in `labs/` stay true: every `$ lab ...` command in a
//! ```console block is run again, and the verdict and witness lines of its
//! recorded transcript must match what the tool prints now.
//!
//! What may differ between runs is masked: ports, frame numbers, Zeek's history
//! letters (a window update or a client FIN can add one), the number of body
//! bytes a truncated client got, and whether a server's RST came before or after
//! the client's FIN (`unread_data` vs `after_peer_fin`), and how many RSTs the
//! kernel sent when it sent any (an ACK the client had in flight when the RST
//! left reaches a port with no socket and draws a second RST, RFC 9293 §3.10.7.1,
//! so `TcpOutRsts` reads +1 or +2 for the same lesson). Verdicts (FIN or RST,
//! who), conn_state, exit codes, client ends, server log lines and kernel counter
//! deltas may not. Needs root and curl, like every lab run.
//!
//! More may differ, but only where the walkthrough says so, in a comment on
//! the line before the block:
//!
//! - `<!-- either side may close first -->`: a graceful close in which both
//!   ends close on their own (curl on a complete response marked
//!   `Connection: close`, the server after writing it), so which FIN leaves
//!   first is a scheduling race; there "the server/client closed first" is
//!   masked. Everywhere else who closed first is part of the lesson.
//! - `<!-- two outcomes: A | B -->`: a race of the peers that the walkthrough
//!   explains in its text (whether nghttp's SETTINGS ACK leaves before it
//!   closes, whether curl's kernel acknowledges the server's FIN before curl
//!   writes): the judged lines may say A where the transcript says B, or the
//!   reverse, and nothing else may differ. Several such lines may precede a
//!   block.
//!
//! A `lab negotiate` transcript is judged by its NEGOTIATION section (every
//! step, with its settings, frame numbers masked, runs of spaces as one),
//! its ENDING line and its CLIENT lines; the ending's explanation is the
//! reset lab's and is judged there.
//!
//! A `lab discover` transcript is judged by everything from its TIMELINE
//! on (the timeline, the endings, the witnesses), runs of spaces as one,
//! with the same masks and one more: the client's random connection ID
//! after `DCID`.
//!
//! A `lab analyze` or `lab diagnose` transcript reads a reference capture
//! in `captures/`: the same file gives the same output, so it must match
//! line for line.
//!
//! Any other block is a shell session (`$ lab serve ... &`, then real
//! clients against it, or a command that is not `lab`): each `$ ` line runs
//! with bash (the built `lab` first on PATH) and what it prints, standard
//! output and error together as a terminal shows them, must match the lines
//! under it exactly. Its ports and files are fixed by the walkthrough and the
//! commands keep only the stable words (`grep -o`, `curl -w`). A command
//! ending in `&` runs in the background until `kill %1`, and is waited for
//! on its `--port` first.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The lines a transcript is judged by, with run-to-run noise masked.
fn verdict_lines(output: &str, either_closer: bool) -> Vec<String> {
    if output.lines().any(|l| l.starts_with("NEGOTIATION")) {
        return negotiation_lines(output);
    }
    if output.starts_with("lab discover") {
        return discover_lines(output);
    }
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
            let line = mask(line);
            lines.push(if either_closer {
                mask_closer(&line)
            } else {
                line
            });
        }
    }
    lines
}

/// The lines of a `lab negotiate` transcript that are judged.
fn negotiation_lines(output: &str) -> Vec<String> {
    #[derive(PartialEq)]
    enum Part {
        Header,
        Steps,
        Ending,
        Client,
    }
    let mut part = Part::Header;
    let mut lines = Vec::new();
    for line in output.lines() {
        if line.starts_with("NEGOTIATION") {
            part = Part::Steps;
        } else if line.starts_with("ENDING") {
            part = Part::Ending;
            lines.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
            continue;
        } else if line.starts_with("CLIENT") {
            part = Part::Client;
        } else if line.starts_with("note:") || line.starts_with("capture saved") {
            continue;
        }
        if matches!(part, Part::Steps | Part::Client) && !line.trim().is_empty() {
            let line = mask(&line.split_whitespace().collect::<Vec<_>>().join(" "));
            lines.push(line);
        }
    }
    lines
}

/// The lines of a `lab discover` transcript that are judged.
fn discover_lines(output: &str) -> Vec<String> {
    let mut on = false;
    let mut lines = Vec::new();
    for line in output.lines() {
        on |= line.starts_with("TIMELINE");
        let note = line.starts_with("note:") || line.starts_with("capture saved");
        // Runs of spaces as one: a frame number one digit longer shifts
        // the columns after it.
        if on && !note && !line.trim().is_empty() {
            lines.push(mask(&line.split_whitespace().collect::<Vec<_>>().join(" ")));
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
        } else if prev == "history"
            || prev == "DCID"
            || (prev == "body" && w.chars().all(|c| c.is_ascii_digit()))
        {
            "*".to_string()
        } else if prev == "TcpOutRsts" && w != "+0" {
            "+n".to_string()
        } else {
            w.replace("(after_peer_fin)", "(unread_data)")
        };
        prev = w;
        out.push(masked);
    }
    out.join(" ")
}

/// Marks a block whose graceful close has no fixed first closer.
const EITHER_CLOSER: &str = "<!-- either side may close first -->";
/// Starts a comment naming the two outcomes of a race a block may show.
const TWO_OUTCOMES: &str = "<!-- two outcomes: ";

/// What the comments before a block allow to differ.
#[derive(Default)]
struct Allowed {
    either_closer: bool,
    /// Each race's two outcomes, the longer first (so that one that
    /// contains the other is replaced whole).
    outcomes: Vec<[String; 2]>,
}

impl Allowed {
    /// Reads the comment lines right above a block (`before` ends there).
    fn above(before: &str) -> Allowed {
        let mut allowed = Allowed::default();
        for line in before.trim_end().lines().rev() {
            let line = line.trim();
            if line == EITHER_CLOSER {
                allowed.either_closer = true;
            } else if let Some(pair) = line
                .strip_prefix(TWO_OUTCOMES)
                .and_then(|l| l.strip_suffix(" -->"))
            {
                let (a, b) = pair.split_once(" | ").expect("two outcomes: A | B");
                assert!(!b.contains(" | "), "exactly two outcomes: {line}");
                let (a, b) = (a.to_string(), b.to_string());
                allowed
                    .outcomes
                    .push(if a.len() >= b.len() { [a, b] } else { [b, a] });
            } else {
                break;
            }
        }
        allowed
    }

    /// The judged lines, each race's outcome written as both.
    fn judged(&self, output: &str) -> Vec<String> {
        verdict_lines(output, self.either_closer)
            .into_iter()
            .map(|mut line| {
                for [long, short] in &self.outcomes {
                    let both = format!("{{{long} | {short}}}");
                    line = line.replace(long, "\u{0}").replace(short, &both);
                    line = line.replace("\u{0}", &both);
                }
                line
            })
            .collect()
    }
}

fn mask_closer(line: &str) -> String {
    line.replace("the server closed first", "one side closed first")
        .replace("the client closed first", "one side closed first")
}

/// Anything but a single `$ lab ...` command is a shell session.
fn is_session(first: &str, recorded: &str) -> bool {
    !first.starts_with("$ lab ")
        || first.ends_with('&')
        || recorded.lines().any(|l| l.starts_with("$ "))
}

/// Lines without trailing blanks, the last empty ones dropped.
fn trimmed(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// The session's background server, stopped however the test ends.
struct Background(Option<Child>);

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// bash with the `lab` under test first on PATH, in the repository.
fn bash(line: &str) -> Command {
    let lab = Path::new(env!("CARGO_BIN_EXE_lab"));
    let path = format!(
        "{}:{}",
        lab.parent().expect("lab's directory").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", line])
        .env("PATH", path)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Runs a shell-session block: every command in turn, every output judged.
fn run_session(file: &Path, body: &str) {
    let mut steps: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        match line.strip_prefix("$ ") {
            Some(cmd) => steps.push((cmd.to_string(), String::new())),
            None => {
                let (_, out) = steps.last_mut().expect("a session starts with a command");
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    let mut server = Background(None);
    for (cmd, recorded) in &steps {
        if let Some(background) = cmd.strip_suffix('&') {
            // A CA left by an earlier run must not pass for this one's.
            if let Some(ca) = write_ca(cmd) {
                let _ = std::fs::remove_file(ca);
            }
            let child = bash(&format!("exec {background}"))
                .stdin(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{}: `{cmd}`: {e}", file.display()));
            server.0 = Some(child);
            wait_for_port(file, cmd);
            continue;
        }
        if cmd == "kill %1" {
            let mut child = server.0.take().expect("`kill %1` after a `... &`");
            // SIGTERM, as the shell's kill sends.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
            continue;
        }
        let out = bash(&format!("{{ {cmd}\n}} 2>&1"))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("bash: {e}"));
        assert_eq!(
            trimmed(&String::from_utf8_lossy(&out.stdout)),
            trimmed(recorded),
            "{}: `{cmd}` no longer prints what the walkthrough shows",
            file.display()
        );
    }
}

/// The file a `lab serve --write-ca FILE` writes its CA to.
fn write_ca(cmd: &str) -> Option<&str> {
    cmd.split_whitespace()
        .skip_while(|w| *w != "--write-ca")
        .nth(1)
}

/// Waits until the background command's `--port` accepts connections.
/// With `--write-ca`, the CA must be there by then: `lab serve` writes it
/// before it listens, so a script that waits on the port can trust it at
/// once (written after, curl met a missing file under load: exit 77).
fn wait_for_port(file: &Path, cmd: &str) {
    let port: u16 = cmd
        .split_whitespace()
        .skip_while(|w| *w != "--port")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{}: `{cmd}` needs --port", file.display()));
    let until = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < until,
            "{}: `{cmd}` is not listening on {port}",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Some(ca) = write_ca(cmd) {
        assert!(
            std::fs::metadata(ca).is_ok_and(|m| m.len() > 0),
            "{}: `{cmd}` listens but has not written {ca}",
            file.display()
        );
    }
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
        let mut pieces = text.split("```console\n");
        let mut before = pieces.next().unwrap_or("");
        for block in pieces {
            let allowed = Allowed::above(before);
            before = block.split_once("```").map_or("", |(_, rest)| rest);
            let body = block.split("```").next().unwrap_or("");
            let (cmd, recorded) = body.split_once('\n').unwrap_or((body, ""));
            if !cmd.starts_with("$ ") {
                continue;
            }
            let args = match cmd.strip_prefix("$ lab ") {
                Some(args) if !is_session(cmd, recorded) => args,
                _ => {
                    run_session(&file, body);
                    checked += 1;
                    continue;
                }
            };
            if args.starts_with("analyze ") || args.starts_with("diagnose ") {
                let out = Command::new(env!("CARGO_BIN_EXE_lab"))
                    .args(args.split_whitespace())
                    .output()
                    .expect("run lab");
                assert_eq!(
                    trimmed(&String::from_utf8_lossy(&out.stdout)),
                    trimmed(recorded),
                    "{}: `{cmd}` no longer prints what the walkthrough shows (refresh with scripts/refresh-labs if the change is intended)",
                    file.display()
                );
                checked += 1;
                continue;
            }
            let out = Command::new(env!("CARGO_BIN_EXE_lab"))
                .args(args.split_whitespace())
                .output()
                .expect("run lab");
            let now = String::from_utf8_lossy(&out.stdout);
            let want = allowed.judged(recorded);
            assert!(
                !want.is_empty(),
                "{}: `{cmd}` has no recorded verdict",
                file.display()
            );
            assert_eq!(
                allowed.judged(&now),
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
    // A discovery run: its random connection ID and ports are noise, its
    // SNI, ALPN and ending are not.
    let initial = |dcid: &str, sni: &str| {
        format!(
            "lab discover: client own\n\nTIMELINE  (x)\n  frame 21   QUIC    127.0.0.1:5 → 127.0.0.1:8443: \
             Initial v1, DCID {dcid} SNI {sni}, ALPN offered h3\nnote: own namespace\n"
        )
    };
    assert_eq!(
        verdict_lines(&initial("4e5a,", "wirelab.test"), false),
        verdict_lines(&initial("10ff,", "wirelab.test"), false)
    );
    assert_ne!(
        verdict_lines(&initial("4e5a,", "wirelab.test"), false),
        verdict_lines(&initial("4e5a,", "localhost"), false)
    );
    let rsts = |n| {
        format!("  kernel   TcpExtTCPAbortOnClose +1, TcpExtTCPAbortOnData +0, TcpOutRsts +{n}")
    };
    assert_eq!(mask(&rsts(1)), mask(&rsts(2)));
    assert_ne!(mask(&rsts(0)), mask(&rsts(1)));
    assert_ne!(
        mask("  kernel   TcpExtTCPAbortOnClose +1, TcpExtTCPAbortOnData +0, TcpOutRsts +1"),
        mask("  kernel   TcpExtTCPAbortOnClose +0, TcpExtTCPAbortOnData +0, TcpOutRsts +1")
    );
    // A negotiation is judged by its steps, ending and client, not by the
    // ending's wording or the frame numbers.
    let run = |frame: u32, why: &str| {
        format!(
            "lab negotiate: proto h2-prior, server 127.0.0.1:4000\n\nNEGOTIATION  prior knowledge\n  \
             frame {frame}   server  HTTP/1.1 505\n\nENDING   RST\n  {why}\nCLIENT   curl (exit 55)\n"
        )
    };
    assert_eq!(
        verdict_lines(&run(6, "one way"), false),
        verdict_lines(&run(10, "another way"), false)
    );
    assert_ne!(
        verdict_lines(&run(6, "x"), false),
        verdict_lines(&run(6, "x").replace("505", "400"), false)
    );
    assert_ne!(
        verdict_lines(&run(6, "x"), false),
        verdict_lines(&run(6, "x").replace("ENDING   RST", "ENDING   FIN"), false)
    );
    // One `lab` command is judged as a lab run; anything else is a session.
    assert!(!is_session("$ lab analyze captures/full.pcap", "#1 ...\n"));
    assert!(is_session("$ lab serve --tls --port 18500 &", ""));
    assert!(is_session("$ tshark -r f.pcap", "8\n"));
    assert!(is_session("$ lab analyze f.pcap", "x\n$ curl -sS URL\n"));
    assert_eq!(trimmed("a  \nb\n\n"), vec!["a", "b"]);
    // Only a marked block forgets who closed first, and never FIN vs RST.
    let server = "VERDICT  FIN, the server closed first, frames 8 and 9";
    let client = "VERDICT  FIN, the client closed first, frames 8 and 9";
    assert_ne!(verdict_lines(server, false), verdict_lines(client, false));
    assert_eq!(verdict_lines(server, true), verdict_lines(client, true));
    assert_ne!(
        verdict_lines("VERDICT  RST by the server (unread_data), frame 9", true),
        verdict_lines("VERDICT  RST by the client (unread_data), frame 9", true)
    );
}

#[test]
fn two_outcomes_accept_exactly_those_two() {
    let before = "text\n<!-- two outcomes: TcpExtTCPAbortOnData +1 | TcpExtTCPAbortOnData +0 -->\n";
    let allowed = Allowed::above(before);
    let kernel = |close: u32, data: u32| {
        format!(
            "WITNESSES\n  kernel   TcpExtTCPAbortOnClose +{close}, TcpExtTCPAbortOnData +{data}, TcpOutRsts +1\n"
        )
    };
    assert_eq!(allowed.judged(&kernel(0, 1)), allowed.judged(&kernel(0, 0)));
    assert_ne!(allowed.judged(&kernel(0, 1)), allowed.judged(&kernel(1, 1)));
    assert_ne!(allowed.judged(&kernel(0, 1)), allowed.judged(&kernel(0, 2)));
    // Without the comment, the same two runs differ.
    let strict = Allowed::above("text\n");
    assert_ne!(strict.judged(&kernel(0, 1)), strict.judged(&kernel(0, 0)));
    // One outcome inside the other: the longer is not read as the shorter
    // with something left over.
    let nested = Allowed::above(
        "<!-- two outcomes: close_notify received | close_notify received, sent its own -->",
    );
    let client = |what: &str| format!("WITNESSES\n  client   raw client\n           {what}\n");
    assert_eq!(
        nested.judged(&client(
            "close_notify received; then ECONNRESET (server RST)"
        )),
        nested.judged(&client(
            "close_notify received, sent its own; then ECONNRESET (server RST)"
        ))
    );
    assert_ne!(
        nested.judged(&client(
            "close_notify received; then ECONNRESET (server RST)"
        )),
        nested.judged(&client(
            "close_notify received; then clean EOF (server FIN)"
        ))
    );
    // A negotiation's SETTINGS ACK word is judged unless a comment says so.
    let ack = |who: &str| {
        format!(
            "NEGOTIATION  prior knowledge\n  SETTINGS ACK      client {who}, server yes (RFC 9113 §6.5.3)\nENDING   FIN\n"
        )
    };
    assert_ne!(strict.judged(&ack("no")), strict.judged(&ack("yes")));
    let nghttp =
        Allowed::above("<!-- two outcomes: SETTINGS ACK client no, | SETTINGS ACK client yes, -->");
    assert_eq!(nghttp.judged(&ack("no")), nghttp.judged(&ack("yes")));
    assert_ne!(
        nghttp.judged(&ack("no")),
        nghttp.judged(&ack("no").replace("server yes", "server no"))
    );
}
