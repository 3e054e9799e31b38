//! Stream reassembly: the stage between the flow table and the application
//! decoders. It runs only for the directions a decoder wants (see
//! [`reassembly`]), so the connection-log path never pays for it.

pub mod reassembly;
#[cfg(test)]
mod tests;

pub use reassembly::{Counts, DEFAULT_WINDOW, Piece, Reassembler, Stopped};
