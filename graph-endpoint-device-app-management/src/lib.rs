#![doc = include_str!("../README.md")]
// On docs.rs (`--cfg docsrs`), items say which Cargo feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod content;
