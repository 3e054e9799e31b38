//! Ground truth on disk, and the check of the analyzer's verdicts against it.
//!
//! The generator ([`crate::groundtruth::traffic`]) knows how every connection it made
//! ended; [`write_tsv`] stores that beside the capture as one line per
//! connection (client, server, scenario and the verdict
//! [`Scenario::expected`] prescribes), [`read_tsv`] reads it back, and
//! [`check`] matches the analyzer's connections to it by 4-tuple, in time
//! order (so a reused 4-tuple must have been split exactly as generated), and
//! counts agreement on the teaching verdict, who closed first, who sent the
//! RST, and Zeek's `conn_state`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;

use super::scenarios::{Labelled, Scenario};
use crate::flow::ConnState;
use crate::teardown::{Ending, Role, Teardown};

/// The first line of a ground-truth file.
const MAGIC: &str = "#wirelab ground truth v1";
/// Its column names.
const FIELDS: &str =
    "#fields\tclient\tserver\tscenario\tended\tclosed_first\trst_sender\tconn_state";

/// The facts the ground truth fixes for one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The side that sent the SYN.
    pub client: SocketAddr,
    /// The other side.
    pub server: SocketAddr,
    /// The teaching verdict.
    pub ended: Ending,
    /// Who sent the first FIN.
    pub closed_first: Option<Role>,
    /// Who sent the first RST.
    pub rst_sender: Option<Role>,
    /// Zeek's `conn_state`.
    pub conn_state: ConnState,
}

fn side_name(s: Option<Role>) -> &'static str {
    s.map_or("-", Role::name)
}

fn parse_side(s: &str) -> Option<Option<Role>> {
    match s {
        "client" => Some(Some(Role::Client)),
        "server" => Some(Some(Role::Server)),
        "-" | "null" => Some(None),
        _ => None,
    }
}

impl Verdict {
    /// What the analyzer concluded about one connection.
    pub fn of(t: &Teardown, conn_state: ConnState) -> Self {
        Verdict {
            client: SocketAddr::new(t.client.addr, t.client.port),
            server: SocketAddr::new(t.server.addr, t.server.port),
            ended: t.ending,
            closed_first: t.closed_first,
            rst_sender: t.first_rst.map(|r| r.sender),
            conn_state,
        }
    }

    /// What the analyzer must conclude about a generated connection.
    pub fn expected(l: &Labelled) -> Self {
        let e = l.scenario.expected();
        Verdict {
            client: l.client,
            server: l.server,
            ended: e.ended,
            closed_first: e.first_closer,
            rst_sender: e.rst_sender,
            conn_state: e.conn_state,
        }
    }

    /// Builds a verdict from the analyzer's JSON names (`closed_first` and
    /// the RST sender as `client`, `server` or absent); `None` when a name
    /// is not one the analyzer writes.
    pub fn from_names(
        client: SocketAddr,
        server: SocketAddr,
        ended: &str,
        closed_first: Option<&str>,
        rst_sender: Option<&str>,
        conn_state: &str,
    ) -> Option<Self> {
        Some(Verdict {
            client,
            server,
            ended: Ending::parse(ended)?,
            closed_first: parse_side(closed_first.unwrap_or("-"))?,
            rst_sender: parse_side(rst_sender.unwrap_or("-"))?,
            conn_state: ConnState::parse(conn_state)?,
        })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} closed first by {}, RST by {}, {}",
            self.ended,
            side_name(self.closed_first),
            side_name(self.rst_sender),
            self.conn_state
        )
    }
}

/// Writes the ground truth of `labels` as TSV (a `#` header, then one line
/// per connection in the given order).
///
/// # Errors
///
/// When writing fails.
pub fn write_tsv(labels: &[Labelled], mut out: impl Write) -> io::Result<()> {
    writeln!(out, "{MAGIC}")?;
    writeln!(out, "{FIELDS}")?;
    for l in labels {
        let v = Verdict::expected(l);
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            l.client,
            l.server,
            l.scenario.name(),
            v.ended,
            side_name(v.closed_first),
            side_name(v.rst_sender),
            v.conn_state
        )?;
    }
    out.flush()
}

/// A ground-truth line: its scenario and the verdict it prescribes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TruthRow {
    /// The scenario the connection followed.
    pub scenario: Scenario,
    /// The verdict it must get.
    pub verdict: Verdict,
}

/// Reads a file written by [`write_tsv`].
///
/// # Errors
///
/// `InvalidData` naming the line that is not ground truth; read errors.
pub fn read_tsv(input: impl BufRead) -> io::Result<Vec<TruthRow>> {
    let bad = |n: usize, why: &str| {
        io::Error::new(io::ErrorKind::InvalidData, format!("line {n}: {why}"))
    };
    let mut rows = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        let n = i + 1;
        if n == 1 && line != MAGIC {
            return Err(bad(n, "not a wirelab ground-truth file"));
        }
        if line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let [client, server, scenario, ended, first, rst, state] = f[..] else {
            return Err(bad(n, "expected 7 tab-separated fields"));
        };
        let addr = |s: &str| s.parse::<SocketAddr>().map_err(|_| bad(n, "bad address"));
        let scenario = Scenario::parse(scenario).ok_or_else(|| bad(n, "unknown scenario"))?;
        if Ending::parse(ended).is_none() {
            return Err(bad(n, "unknown verdict"));
        }
        if ConnState::parse(state).is_none() {
            return Err(bad(n, "unknown conn_state"));
        }
        let verdict = Verdict::from_names(
            addr(client)?,
            addr(server)?,
            ended,
            Some(first),
            Some(rst),
            state,
        )
        .ok_or_else(|| bad(n, "bad side"))?;
        rows.push(TruthRow { scenario, verdict });
    }
    Ok(rows)
}

/// How the analyzer's verdicts compare with the ground truth.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agreement {
    /// Connections in the ground truth.
    pub expected: usize,
    /// Connections the analyzer reported.
    pub analyzed: usize,
    /// Matched connections whose verdicts agree on every field.
    pub agree: usize,
    /// Ground-truth connections the analyzer did not report.
    pub missing: usize,
    /// Analyzer connections with no ground-truth connection left to match.
    pub extra: usize,
    /// Matched connections that disagree.
    pub disagree: usize,
    /// The first few problems, one line each.
    pub examples: Vec<String>,
}

/// Problems kept as examples.
const EXAMPLES: usize = 10;

impl Agreement {
    /// Every expected connection found, and every verdict agreeing.
    pub fn all_agree(&self) -> bool {
        self.agree == self.expected && self.analyzed == self.expected
    }

    fn note(&mut self, line: String) {
        if self.examples.len() < EXAMPLES {
            self.examples.push(line);
        }
    }
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = if self.expected == 0 {
            0.0
        } else {
            100.0 * self.agree as f64 / self.expected as f64
        };
        write!(
            f,
            "ground truth: {} connections, analyzer {}, agree {} ({pct:.2}%), disagree {}, missing {}, extra {}",
            self.expected, self.analyzed, self.agree, self.disagree, self.missing, self.extra
        )
    }
}

/// Matches `found` (the analyzer's connections, in first-seen order) to
/// `truth` by 4-tuple: the n-th connection the analyzer saw on a 4-tuple is
/// compared with the n-th generated on it.
pub fn check(truth: &[TruthRow], found: impl IntoIterator<Item = Verdict>) -> Agreement {
    check_by(
        truth,
        found,
        |v| (v.client, v.server),
        |want, got| want == got,
    )
}

/// One conn.log row's say: the 4-tuple and Zeek's `conn_state`, all that
/// `--format zeek` prints of a verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnStateRow {
    /// `id.orig_h` and `id.orig_p`.
    pub client: SocketAddr,
    /// `id.resp_h` and `id.resp_p`.
    pub server: SocketAddr,
    /// `conn_state`.
    pub conn_state: ConnState,
}

impl fmt::Display for ConnStateRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.conn_state)
    }
}

/// As [`check`], for conn.log rows: only `conn_state` is compared (the
/// rest of a verdict is not in a conn.log). `found` must be in first-seen
/// order per 4-tuple (conn.log rows sorted by `ts`).
pub fn check_conn_states(
    truth: &[TruthRow],
    found: impl IntoIterator<Item = ConnStateRow>,
) -> Agreement {
    check_by(
        truth,
        found,
        |r| (r.client, r.server),
        |want, got| want.conn_state == got.conn_state,
    )
}

fn check_by<T: fmt::Display>(
    truth: &[TruthRow],
    found: impl IntoIterator<Item = T>,
    tuple: impl Fn(&T) -> (SocketAddr, SocketAddr),
    agrees: impl Fn(&Verdict, &T) -> bool,
) -> Agreement {
    let mut by_tuple: HashMap<(SocketAddr, SocketAddr), VecDeque<usize>> =
        HashMap::with_capacity(truth.len());
    for (i, row) in truth.iter().enumerate() {
        let v = &row.verdict;
        by_tuple
            .entry((v.client, v.server))
            .or_default()
            .push_back(i);
    }
    let mut a = Agreement {
        expected: truth.len(),
        ..Agreement::default()
    };
    for got in found {
        a.analyzed += 1;
        let (client, server) = tuple(&got);
        let Some(i) = by_tuple
            .get_mut(&(client, server))
            .and_then(VecDeque::pop_front)
        else {
            a.extra += 1;
            a.note(format!("extra {client} → {server}: {got}"));
            continue;
        };
        let want = &truth[i];
        if agrees(&want.verdict, &got) {
            a.agree += 1;
        } else {
            a.disagree += 1;
            a.note(format!(
                "{client} → {server} ({}): expected {}, analyzer {got}",
                want.scenario.name(),
                want.verdict
            ));
        }
    }
    for rows in by_tuple.values() {
        for &i in rows {
            a.missing += 1;
            let v = &truth[i].verdict;
            a.note(format!(
                "missing {} → {} ({})",
                v.client,
                v.server,
                truth[i].scenario.name()
            ));
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(scenario: Scenario, port: u16) -> Labelled {
        Labelled {
            scenario,
            client: SocketAddr::from(([127, 78, 0, 1], port)),
            server: SocketAddr::from(([127, 77, 0, 1], 8080)),
        }
    }

    fn rows(labels: &[Labelled]) -> Vec<TruthRow> {
        let mut buf = Vec::new();
        write_tsv(labels, &mut buf).unwrap();
        read_tsv(&buf[..]).unwrap()
    }

    #[test]
    fn tsv_round_trips_every_scenario() {
        let labels: Vec<_> = Scenario::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| label(*s, 40000 + i as u16))
            .collect();
        let got = rows(&labels);
        assert_eq!(got.len(), labels.len());
        for (r, l) in got.iter().zip(&labels) {
            assert_eq!(r.scenario, l.scenario);
            assert_eq!(r.verdict, Verdict::expected(l));
        }
    }

    #[test]
    fn check_pairs_reused_tuple_in_order() {
        let labels = [
            label(Scenario::ClientAbort, 40000),
            label(Scenario::GracefulClientFirst, 40000),
        ];
        let truth = rows(&labels);
        let found = labels.iter().map(Verdict::expected);
        assert!(check(&truth, found).all_agree());
        // The same two verdicts in the other order: both disagree.
        let swapped = labels.iter().rev().map(Verdict::expected);
        let a = check(&truth, swapped);
        assert_eq!((a.agree, a.disagree), (0, 2), "{a}");
    }

    #[test]
    fn check_counts_missing_and_extra() {
        let truth = rows(&[label(Scenario::Refused, 40000)]);
        let a = check(
            &truth,
            [Verdict::expected(&label(Scenario::Refused, 40001))],
        );
        assert_eq!((a.missing, a.extra, a.agree), (1, 1, 0), "{a}");
        assert!(!a.all_agree());
    }

    #[test]
    fn read_rejects_other_files() {
        let err = read_tsv(&b"#fields\tts\n"[..]).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        let mut buf = Vec::new();
        write_tsv(&[label(Scenario::GracefulClientFirst, 40000)], &mut buf).unwrap();
        // The verdict column only: the scenario's name is not `fin`.
        let renamed = String::from_utf8(buf)
            .unwrap()
            .replace("\tfin\t", "\tfinished\t");
        let err = read_tsv(renamed.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("line 3: unknown verdict"), "{err}");
    }
}
