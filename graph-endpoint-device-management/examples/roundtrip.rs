//! Checks an examples file against the typed surface: every request body
//! decodes into its endpoint's body type and every response into its result
//! type (resolving `@odata.type`), and encodes back to an equal JSON value.
//!
//! ```text
//! cargo run --release -p graph-endpoint-device-management --example roundtrip -- FILE.json
//! ```
//!
//! Decoding is strict: every property Graph's metadata declares is checked
//! (JSON type, dates, GUIDs, durations, numbers as Graph writes them), so a
//! payload with a value of another type is rejected and reported as
//! differing, with its JSON path and the reason:
//!
//! ```text
//! differs: #0 POST /deviceManagement/deviceConfigurations (beta) request: at `passwordMinimumLength`: expected Int32, found a string
//! ```
//!
//! Prints `N payloads, M equal, K differ`, then each difference; exits 1 if
//! any payload differs or fails to decode, 2 if the file cannot be read.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!(
            "usage: roundtrip FILE.json (a list of examples: method, path, version, request, response)"
        );
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match graph_endpoint_device_management::example_check::check(&text) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "{} payloads, {} equal, {} differ",
        report.payloads,
        report.equal,
        report.differ()
    );
    println!(
        "({} request bodies, {} response bodies; {} responses documented as {{\"value\": entity}} checked inside)",
        report.requests, report.responses, report.unwrapped
    );
    for difference in &report.differences {
        println!("differs: {difference}");
    }
    if report.differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
