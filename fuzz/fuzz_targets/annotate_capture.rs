//! libFuzzer entry for `wirelab::fuzzing::annotate_capture` (see that module for the input layout).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wirelab::fuzzing::annotate_capture(data));
