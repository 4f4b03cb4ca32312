//! The sources stay in the layers the crate documentation lists (its "How a
//! call flows"): a top-level module of `src/` (a file, or a folder with all
//! it holds) names only itself and the modules of earlier layers, and names
//! them by their own path, never through the re-exports at the crate root.
//! Read from the code's `crate::` paths (doc comments aside), so a module
//! that starts to reach into a later layer, or a cycle, fails here.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The top-level modules of `src/`, earliest layer first, in the order of
/// the crate documentation's layer table.
const LAYERS: &[&str] = &[
    "endpoint",
    "cloud",
    "validation",
    "error",
    "query",
    "response",
    "body",
    "request",
    "transport",
    "http_stack",
    "auth",
    "call",
    "client",
    "paging",
    "batch",
    "bulk",
    "transfer",
    "__private",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file of `src/` but `lib.rs`, by the top-level module it
/// belongs to.
fn files_by_module() -> BTreeMap<String, Vec<PathBuf>> {
    fn walk(dir: &Path, module: &str, into: &mut BTreeMap<String, Vec<PathBuf>>) {
        for entry in fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("src/ is readable").path();
            if path.is_dir() {
                walk(&path, module, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.entry(module.to_owned()).or_default().push(path);
            }
        }
    }
    let mut modules = BTreeMap::new();
    for entry in fs::read_dir(src()).expect("src/ is readable") {
        let path = entry.expect("src/ is readable").path();
        let name = path
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("file names are UTF-8")
            .to_owned();
        if path.is_dir() {
            walk(&path, &name, &mut modules);
        } else if path.extension().is_some_and(|e| e == "rs") && name != "lib" {
            modules.entry(name).or_default().push(path);
        }
    }
    modules
}

/// The first segment of every `crate::` path (also `$crate::`) in the code
/// of a file, with its line number; comments are left out.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let code = line.split(" // ").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or_default();
                for item in inner.split(',') {
                    let first = item.trim().split("::").next().unwrap_or_default();
                    if !first.is_empty() {
                        found.push((number + 1, first.to_owned()));
                    }
                }
            } else {
                let first: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push((number + 1, first));
            }
        }
    }
    found
}

#[test]
fn every_top_level_module_has_a_layer() {
    let modules = files_by_module();
    let unlisted: Vec<_> = modules
        .keys()
        .filter(|m| !LAYERS.contains(&m.as_str()))
        .collect();
    assert!(unlisted.is_empty(), "modules with no layer: {unlisted:?}");
    let gone: Vec<_> = LAYERS
        .iter()
        .filter(|m| !modules.contains_key(**m))
        .collect();
    assert!(gone.is_empty(), "layers with no module: {gone:?}");
}

#[test]
fn each_module_names_only_itself_and_earlier_layers_by_their_own_path() {
    let mut faults = Vec::new();
    for (module, files) in files_by_module() {
        let Some(rank) = LAYERS.iter().position(|m| *m == module) else {
            continue;
        };
        for file in files {
            let text = fs::read_to_string(&file).expect("sources are UTF-8");
            let shown = file.strip_prefix(src()).unwrap_or(&file).display();
            for (line, target) in crate_paths(&text) {
                match LAYERS.iter().position(|m| *m == target) {
                    Some(at) if at <= rank => {}
                    Some(_) => faults.push(format!(
                        "src/{shown}:{line}: `{module}` uses `{target}`, a later layer"
                    )),
                    None => faults.push(format!(
                        "src/{shown}:{line}: `crate::{target}` goes through the crate root; \
                         name the module that defines it"
                    )),
                }
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[test]
fn the_check_reads_paths_as_written() {
    let text = "use crate::error::Error;\n\
                use crate::{call::Call, GraphClient};\n\
                /// [`crate::Later`] in a doc comment is no import\n\
                fn f() -> $crate::body::Body { my_crate::x() } // crate::y\n";
    assert_eq!(
        crate_paths(text),
        [
            (1, "error".to_owned()),
            (2, "call".to_owned()),
            (2, "GraphClient".to_owned()),
            (4, "body".to_owned()),
        ]
    );
}
