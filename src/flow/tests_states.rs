//! Per-state and per-event tests of the tracker and the table.
