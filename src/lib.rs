//! Tests and examples of graph-endpoint, written as a consumer would.
//!
//! The workspace README follows; its Rust blocks are this crate's doc tests,
//! so they compile against the crates as they are.
#![doc = ""]
#![doc = include_str!("../README.md")]
