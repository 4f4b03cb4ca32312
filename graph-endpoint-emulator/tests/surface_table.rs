//! The embedded surface tables are exactly what the generator writes from
//! each typed crate's metadata and endpoint list, so the stand-in answers the
//! same surface as the typed crates declare.

use std::path::Path;

fn check(endpoints: &str, table: &str, layout: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let endpoints = graph_endpoint_codegen::parse(&read(endpoints)).unwrap();
    let generated = graph_endpoint_codegen::standin::generate_standin(
        &read("graph-endpoint-device-management/metadata/graph-beta.csdl.xml"),
        Some(&read(
            "graph-endpoint-device-management/metadata/graph-v1.0.csdl.xml",
        )),
        &endpoints,
    )
    .unwrap();
    assert!(
        generated == read(table),
        "regenerate with `cargo run -p graph-endpoint-codegen -- typed --layout {layout} ... --standin {table}` (see the stand-in's docs)"
    );
}

#[test]
fn the_device_management_table_is_up_to_date() {
    check(
        "graph-endpoint-device-management/corpus/device-management.json",
        "graph-endpoint-emulator/src/graph/surface.json",
        "device-management",
    );
}

#[test]
fn the_apps_table_is_up_to_date() {
    check(
        "graph-endpoint-device-app-management/corpus/device-app-management.json",
        "graph-endpoint-emulator/src/graph/surface-apps.json",
        "device-app-management",
    );
}
