//! The embedded surface table is exactly what the generator writes from the
//! device-management crate's metadata and endpoint list, so the stand-in
//! answers the same surface as the typed crate declares.

use std::path::Path;

#[test]
fn the_surface_table_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let endpoints = graph_endpoint_codegen::parse(&read(
        "graph-endpoint-device-management/corpus/device-management.json",
    ))
    .unwrap();
    let table = graph_endpoint_codegen::standin::generate_standin(
        &read("graph-endpoint-device-management/metadata/graph-beta.csdl.xml"),
        Some(&read(
            "graph-endpoint-device-management/metadata/graph-v1.0.csdl.xml",
        )),
        &endpoints,
    )
    .unwrap();
    assert!(
        table == read("graph-endpoint-emulator/src/graph/surface.json"),
        "regenerate with `cargo run -p graph-endpoint-codegen -- typed ... --standin graph-endpoint-emulator/src/graph/surface.json` (see the stand-in's docs)"
    );
}
