//! Generates `#[graph_action]` trait declarations from an endpoint list.
//!
//! ```text
//! cargo run -p graph-endpoint-codegen -- endpoints.json > src/endpoints.rs
//! cargo run -p graph-endpoint-codegen -- endpoints.json --limit 100 > src/endpoints.rs
//! cargo run -p graph-endpoint-codegen -- endpoints.json --handwritten > src/baseline.rs
//! ```
//!
//! `--limit N` keeps the first N endpoints; `--handwritten` writes the same
//! endpoints as plain reqwest functions (the baseline of the build-cost
//! benchmark); `--instantiate` adds one `async fn` per endpoint that calls it
//! (on `GraphClient`, or the hand-written function), as a program calling
//! every endpoint would, so that its code is generated in the crate itself.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let usage = || {
        eprintln!(
            "usage: graph-endpoint-codegen ENDPOINTS.json [--limit N] [--handwritten] [--instantiate] > endpoints.rs"
        );
        ExitCode::from(2)
    };
    let mut input = None;
    let mut limit = usize::MAX;
    let mut handwritten = false;
    let mut instantiate = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--handwritten" => handwritten = true,
            "--instantiate" => instantiate = true,
            "--limit" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => limit = n,
                None => return usage(),
            },
            _ if input.is_none() && !arg.starts_with("--") => input = Some(arg),
            _ => return usage(),
        }
    }
    let Some(input) = input else { return usage() };
    let json = match std::fs::read_to_string(&input) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("cannot read {input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut endpoints = match graph_endpoint_codegen::parse(&json) {
        Ok(endpoints) => endpoints,
        Err(e) => {
            eprintln!("{input} is not an endpoint list: {e}");
            return ExitCode::FAILURE;
        }
    };
    endpoints.truncate(limit);
    let code = if handwritten {
        graph_endpoint_codegen::generate_handwritten(&endpoints, instantiate)
    } else {
        let options = graph_endpoint_codegen::Options {
            instantiate,
            ..Default::default()
        };
        graph_endpoint_codegen::generate(&endpoints, &options)
    };
    match std::io::stdout().lock().write_all(code.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write the output: {e}");
            ExitCode::FAILURE
        }
    }
}
