//! libFuzzer entry for `wirelab::fuzzing::capture_file` (see that module for the input layout).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wirelab::fuzzing::capture_file(data));
