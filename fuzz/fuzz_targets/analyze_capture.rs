//! libFuzzer entry for `wirelab::fuzzing::analyze_capture` (see that module for the input layout).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wirelab::fuzzing::analyze_capture(data));
