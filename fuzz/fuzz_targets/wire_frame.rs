//! libFuzzer entry for `wirelab::fuzzing::wire_frame` (see that module for the input layout).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wirelab::fuzzing::wire_frame(data));
