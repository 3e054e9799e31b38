//! Every committed fuzz corpus file and every kept crasher, replayed through the
//! same entry functions the fuzzers drive (`wirelab::fuzzing`), so that CI checks
//! on each run what the fuzzers once proved, without running a fuzzer.
//!
//! `fuzz/corpus/<target>/` holds the minimised corpora; `fuzz/regressions/<target>/`
//! the inputs that once crashed, hung or leaked (each fixed, each with its own
//! regression test in the module that owned the bug).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use wirelab::fuzzing;

/// Runs `body` on every file of `fuzz/<kind>/<target>/`; returns how many ran.
fn replay(kind: &str, target: &str, body: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for file in &files {
        let data = std::fs::read(file).expect("corpus file is readable");
        if catch_unwind(AssertUnwindSafe(|| body(&data))).is_err() {
            panic!(
                "{} fails (replay it with cargo fuzz run {target} {})",
                file.display(),
                file.display()
            );
        }
    }
    files.len()
}

/// The corpus must be there (a missing one would make this test pass vacuously).
#[track_caller]
fn replay_target(target: &str, body: fn(&[u8])) {
    let corpus = replay("corpus", target, body);
    assert!(
        corpus >= 10,
        "fuzz/corpus/{target} holds {corpus} files: the committed corpus is missing"
    );
    replay("regressions", target, body);
}

#[test]
fn http_request_corpus_and_crashers_replay() {
    replay_target("http_request", fuzzing::http_request);
}

#[test]
fn chunked_body_corpus_and_crashers_replay() {
    replay_target("chunked_body", fuzzing::chunked_body);
}

#[test]
fn capture_file_corpus_and_crashers_replay() {
    replay_target("capture_file", fuzzing::capture_file);
}

#[test]
fn wire_frame_corpus_and_crashers_replay() {
    replay_target("wire_frame", fuzzing::wire_frame);
}

#[test]
fn analyze_capture_corpus_and_crashers_replay() {
    replay_target("analyze_capture", fuzzing::analyze_capture);
}

#[test]
fn hpack_block_corpus_and_crashers_replay() {
    replay_target("hpack_block", fuzzing::hpack_block);
}

#[test]
fn h2_frames_corpus_and_crashers_replay() {
    replay_target("h2_frames", fuzzing::h2_frames);
}

#[test]
fn reassembly_corpus_and_crashers_replay() {
    replay_target("reassembly", fuzzing::reassembly);
}

#[test]
fn h2_connection_corpus_and_crashers_replay() {
    replay_target("h2_connection", fuzzing::h2_connection);
}

#[test]
fn h2_server_corpus_and_crashers_replay() {
    replay_target("h2_server", fuzzing::h2_server);
}

#[test]
fn http1_stream_corpus_and_crashers_replay() {
    replay_target("http1_stream", fuzzing::http1_stream);
}

#[test]
fn app_connection_corpus_and_crashers_replay() {
    replay_target("app_connection", fuzzing::app_connection);
}

#[test]
fn tls_keylog_corpus_and_crashers_replay() {
    replay_target("tls_keylog", fuzzing::tls_keylog);
}

#[test]
fn tls_decrypt_records_corpus_and_crashers_replay() {
    replay_target("tls_decrypt_records", fuzzing::tls_decrypt_records);
}

#[test]
fn quic_initial_corpus_and_crashers_replay() {
    replay_target("quic_initial", fuzzing::quic_initial);
}

#[test]
fn tls_records_corpus_and_crashers_replay() {
    replay_target("tls_records", fuzzing::tls_records);
}

#[test]
fn annotate_capture_corpus_and_crashers_replay() {
    replay_target("annotate_capture", fuzzing::annotate_capture);
}

#[test]
fn tls_inside_corpus_and_crashers_replay() {
    replay_target("tls_inside", fuzzing::tls_inside);
}

#[test]
fn dns_message_corpus_and_crashers_replay() {
    replay_target("dns_message", fuzzing::dns_message);
}

#[test]
fn quic_one_rtt_corpus_and_crashers_replay() {
    replay_target("quic_one_rtt", fuzzing::quic_one_rtt);
}

#[test]
fn h3_frames_corpus_and_crashers_replay() {
    replay_target("h3_frames", fuzzing::h3_frames);
}

#[test]
fn qpack_section_corpus_and_crashers_replay() {
    replay_target("qpack_section", fuzzing::qpack_section);
}
