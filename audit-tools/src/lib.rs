//! x
pub mod client;
