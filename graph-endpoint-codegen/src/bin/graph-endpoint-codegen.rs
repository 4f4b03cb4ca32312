//! Generates `#[graph_action]` trait declarations from an endpoint list.
//!
//! ```text
//! cargo run -p graph-endpoint-codegen -- endpoints.json > src/endpoints.rs
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(input), None) = (args.next(), args.next()) else {
        eprintln!("usage: graph-endpoint-codegen ENDPOINTS.json > endpoints.rs");
        return ExitCode::from(2);
    };
    let json = match std::fs::read_to_string(&input) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("cannot read {input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match graph_endpoint_codegen::parse(&json) {
        Ok(endpoints) => {
            print!(
                "{}",
                graph_endpoint_codegen::generate(&endpoints, &Default::default())
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{input} is not an endpoint list: {e}");
            ExitCode::FAILURE
        }
    }
}
