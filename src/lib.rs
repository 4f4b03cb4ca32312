//! Tests and examples of graph-endpoint, written as a consumer would.
//!
//! The workspace README follows; its Rust blocks are this crate's doc tests,
//! so they compile against the crates as they are. Its one module,
//! [`load`], is the load run the load test and the load benchmark share.
#![doc = ""]
#![doc = include_str!("../README.md")]

pub mod load;
