//! libFuzzer entry for `wirelab::fuzzing::tls_decrypt_records` (see that module for the input layout).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wirelab::fuzzing::tls_decrypt_records(data));
