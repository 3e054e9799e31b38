//! libFuzzer entry for `wirelab::fuzzing::quic_one_rtt` (see that module for the input layout).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wirelab::fuzzing::quic_one_rtt(data));
