//! The policy on a real capture: which formats write as connections end,
//! which wait, and what the outcome says.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use super::{Format, Output, Settings};
use crate::analyze::{self, AnalyzeOptions};
use crate::capture::{self, FileReader};
use crate::report::expect::{Checker, Expectation};
use crate::report::table::Style;

/// A writer whose bytes the test can read while the output still owns it.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `format` over a reference capture; returns the bytes written by the
/// time each connection had been handed over, the final text and the
/// expectation's verdict.
fn run(format: Format, expect: &[&str]) -> (Vec<usize>, String, Option<Result<u64, String>>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/drain-late-pipeline.pcap"
    );
    let input = capture::open_input(std::path::Path::new(path)).expect("the reference capture");
    let mut reader = FileReader::new(input).expect("a pcap");
    let shared = Shared::default();
    let settings = Settings {
        live: false,
        style: Style::default(),
        checker: Checker::new(
            expect
                .iter()
                .map(|e| e.parse::<Expectation>().unwrap())
                .collect(),
        ),
        log_times: None,
    };
    let mut output = Output::new(shared.clone(), format, settings);
    let mut seen = Vec::new();
    let summary = analyze::analyze_each(&mut reader, &AnalyzeOptions::default(), |f| {
        output.connection(f.connection, f.app);
        seen.push(shared.0.borrow().len());
    })
    .expect("analysis");
    let outcome = output.finish(summary, || {});
    outcome.written.expect("writing to memory");
    let text = String::from_utf8(shared.0.take()).expect("UTF-8");
    (seen, text, outcome.expectation)
}

#[test]
fn conn_log_streams_each_row_as_its_connection_ends() {
    let (seen, text, expectation) = run(Format::Zeek, &[]);
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|&n| n > 0),
        "a row before the end: {seen:?}"
    );
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "one row each: {seen:?}"
    );
    assert!(text.starts_with("#separator"), "{text}");
    assert!(text.ends_with('\n') && text.lines().last().unwrap().starts_with("#close"));
    assert_eq!(expectation, None);
}

#[test]
fn the_json_document_and_the_table_wait_for_the_end() {
    for format in [Format::Json, Format::Table] {
        let (seen, text, _) = run(format, &[]);
        assert!(!seen.is_empty());
        assert!(
            seen.iter().all(|&n| n == 0),
            "{format:?} wrote early: {seen:?}"
        );
        assert!(!text.is_empty());
    }
    let (seen, text, _) = run(Format::Json, &[]);
    let doc: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(
        doc["connections"].as_array().map(Vec::len),
        Some(seen.len())
    );
}

#[test]
fn json_lines_stream_and_end_with_the_summary() {
    let (seen, text, _) = run(Format::Jsonl, &[]);
    assert!(seen.iter().all(|&n| n > 0));
    assert_eq!(text.lines().count(), seen.len() + 1);
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert!(last.get("summary").is_some(), "{last}");
}

#[test]
fn the_outcome_carries_the_expectations_verdict() {
    let (seen, _, held) = run(Format::Zeek, &["fin"]);
    assert_eq!(held, Some(Ok(seen.len() as u64)));
    let (_, _, failed) = run(Format::Json, &["rst"]);
    let why = failed
        .expect("checked")
        .expect_err("a FIN capture is not rst");
    assert!(why.contains("expected rst"), "{why}");
}
