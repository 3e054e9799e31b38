//! Ground truth for the analyzer: connections whose endings are known because
//! this module made them, on loopback, with real sockets.
//!
//! [`scenarios`] drives one connection per call and labels how it must end;
//! [`traffic`] drives hundreds of thousands of them in a realistic mix for the
//! benchmark capture; [`truth`] writes and reads the labels and holds the
//! analyzer's verdicts against them.
//!
//! None of this is part of the tool a user runs: it is compiled only with the
//! `groundtruth` feature, which the examples, the benchmarks and the
//! ground-truth test enable.

pub mod scenarios;
pub mod traffic;
pub mod truth;
