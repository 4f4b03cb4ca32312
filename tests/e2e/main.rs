//! The end-to-end tests: each module drives the crates over real HTTP
//! against the local stand-in on 127.0.0.1 (or runs the examples and the
//! command-line tools) and asserts what arrived. One binary, so the suite
//! links reqwest, hyper and rustls once rather than once a file; the load
//! test (`tests/load.rs`, which reads its process's peak memory) and the
//! compile-fail suite (`tests/compile.rs`) keep their own.

mod clock;
mod common;
mod conformance;
mod fixtures;
mod scripted;

mod azure;
mod batching;
mod bulk;
mod client_credentials;
mod collections;
mod device_management;
mod documented_answers;
mod emulator;
mod emulator_hostile_input;
mod encoding;
mod every_form;
mod examples;
mod expansion;
mod hostile_graph_and_identity;
mod hostile_hosts_beside_graph;
mod http_stack;
mod https;
mod interactive_sign_in;
mod long_work;
mod operations;
mod resilience;
mod secrets;
mod sign_in_timing;
mod standin_surface;
mod stated_rules;
mod token_cache_rules;
mod typed_apps;
mod typed_reads;
mod typed_surface;
mod win32_upload;
