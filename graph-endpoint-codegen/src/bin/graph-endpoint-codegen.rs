//! Generates `#[graph_action]` trait declarations from an endpoint list.
//!
//! ```text
//! cargo run -p graph-endpoint-codegen -- endpoints.json > src/endpoints.rs
//! cargo run -p graph-endpoint-codegen -- endpoints.json --limit 100 > src/endpoints.rs
//! ```
//!
//! The typed surface of the device-management crate, from Graph's CSDL:
//!
//! ```text
//! cargo run -p graph-endpoint-codegen -- typed \
//!     --metadata graph-endpoint-device-management/metadata/graph-beta.csdl.xml \
//!     --fallback graph-endpoint-device-management/metadata/graph-v1.0.csdl.xml \
//!     --endpoints graph-endpoint-device-management/corpus/device-management.json \
//!     --out graph-endpoint-device-management/src/generated \
//!     --standin graph-endpoint-emulator/src/graph/surface.json
//! ```
//!
//! The apps crate's, with its layout (its areas, and `/groups`):
//!
//! ```text
//! cargo run -p graph-endpoint-codegen -- typed --layout device-app-management \
//!     --metadata graph-endpoint-device-management/metadata/graph-beta.csdl.xml \
//!     --fallback graph-endpoint-device-management/metadata/graph-v1.0.csdl.xml \
//!     --endpoints graph-endpoint-device-app-management/corpus/device-app-management.json \
//!     --out graph-endpoint-device-app-management/src/generated \
//!     --standin graph-endpoint-emulator/src/graph/surface-apps.json
//! ```
//!
//! (`--standin` also writes the local stand-in's table of the same surface; it
//! serves both crates' tables.)
//!
//! (`--check` compares instead of writing, and fails when a file differs.)
//!
//! `--limit N` keeps the first N endpoints; `--instantiate` adds one
//! `async fn` per endpoint that calls it on `GraphClient`, as a program
//! calling every endpoint would, so that its code is generated in the crate
//! itself. (The same endpoints written by hand against reqwest, the baseline
//! of the build-cost benchmark, come from the `handwritten_baseline` example.)

use std::io::Write;
use std::process::ExitCode;

fn typed(args: &[String]) -> ExitCode {
    let mut metadata = None;
    let mut fallback = None;
    let mut endpoints = None;
    let mut out = None;
    let mut layout = None;
    let mut check = false;
    let mut standin = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let slot = match arg.as_str() {
            "--metadata" => &mut metadata,
            "--fallback" => &mut fallback,
            "--endpoints" => &mut endpoints,
            "--out" => &mut out,
            "--standin" => &mut standin,
            "--layout" => &mut layout,
            "--check" => {
                check = true;
                continue;
            }
            _ => {
                eprintln!("unknown argument {arg}");
                return ExitCode::from(2);
            }
        };
        *slot = it.next().cloned();
    }
    let (Some(metadata), Some(endpoints), Some(out)) = (metadata, endpoints, out) else {
        eprintln!(
            "usage: graph-endpoint-codegen typed --metadata BETA.xml [--fallback V1.xml] --endpoints ENDPOINTS.json --out DIR [--layout device-management|device-app-management] [--standin FILE] [--check]"
        );
        return ExitCode::from(2);
    };
    let layout = match layout.as_deref() {
        None | Some("device-management") => graph_endpoint_codegen::typed::DEVICE_MANAGEMENT,
        Some("device-app-management") => graph_endpoint_codegen::typed::DEVICE_APP_MANAGEMENT,
        Some(other) => {
            eprintln!("unknown layout {other}: device-management or device-app-management");
            return ExitCode::from(2);
        }
    };
    let read =
        |path: &str| std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"));
    let result = (|| -> Result<bool, String> {
        let beta = read(&metadata)?;
        let fallback = fallback.as_deref().map(read).transpose()?;
        let list = graph_endpoint_codegen::parse(&read(&endpoints)?)
            .map_err(|e| format!("{endpoints} is not an endpoint list: {e}"))?;
        let (files, figures) =
            graph_endpoint_codegen::generate_typed_for(layout, &beta, fallback.as_deref(), &list)?;
        eprintln!(
            "{} endpoints resolved, {} not; {} entity, {} complex, {} enum types ({} polymorphic bases), {} properties",
            figures.resolved,
            figures.unresolved.len(),
            figures.entities,
            figures.complexes,
            figures.enums,
            figures.polymorphic,
            figures.properties
        );
        let mut same = true;
        for (name, text) in files {
            let path = std::path::Path::new(&out).join(&name);
            if check {
                if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                    eprintln!("{} differs from what the generator writes", path.display());
                    same = false;
                }
            } else {
                std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {out}: {e}"))?;
                std::fs::write(&path, text)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
        if let Some(path) = &standin {
            let table = graph_endpoint_codegen::standin::generate_standin(
                &beta,
                fallback.as_deref(),
                &list,
            )?;
            same &= graph_endpoint_codegen::standin::write_table(
                std::path::Path::new(path),
                &table,
                check,
            )?;
        }
        Ok(same)
    })();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let all: Vec<String> = std::env::args().skip(1).collect();
    if all.first().map(String::as_str) == Some("typed") {
        return typed(&all[1..]);
    }
    let usage = || {
        eprintln!(
            "usage: graph-endpoint-codegen ENDPOINTS.json [--limit N] [--instantiate] > endpoints.rs"
        );
        ExitCode::from(2)
    };
    let mut input = None;
    let mut limit = usize::MAX;
    let mut instantiate = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
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
    let options = graph_endpoint_codegen::Options {
        instantiate,
        ..Default::default()
    };
    let code = graph_endpoint_codegen::generate(&endpoints, &options);
    match std::io::stdout().lock().write_all(code.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write the output: {e}");
            ExitCode::FAILURE
        }
    }
}
