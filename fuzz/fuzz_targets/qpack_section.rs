//! libFuzzer entry for `wirelab::fuzzing::qpack_section` (see that module for the input layout).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wirelab::fuzzing::qpack_section(data));
