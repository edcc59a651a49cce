//! Tests of `ledger-witness` (C2SP tlog-witness v1.0.0), each against the real binary
//! started on a random port.

mod bad_input;
mod concurrency;
mod durability;
mod keygen;
mod split_view;
mod support;
mod vectors;
