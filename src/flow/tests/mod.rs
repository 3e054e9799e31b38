//! Unit tests of the flow stage, driven through the table: Zeek's example
//! connections (`examples.rs`), endpoint states and records (`states.rs`),
//! and the harness both use (`kit.rs`). Each part of `tcp/`, `store/` and
//! `key.rs` has its own tests in a `tests.rs` beside it.

mod examples;
mod kit;
mod states;
