//! Unit tests of the flow stage, driven through the table: Zeek's example
//! connections (`examples.rs`), endpoint states (`states.rs`), content gaps
//! (`gaps.rs`), memory and
//! record sizes (`memory.rs`), and the harness they share (`kit.rs`). Each
//! part of `tcp/`, `store/` and `key.rs` has its own tests in a `tests.rs`
//! beside it.

mod examples;
mod gaps;
mod kit;
mod memory;
mod states;
