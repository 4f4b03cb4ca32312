//! The checked-in `src/generated/` is exactly what the generator writes, with
//! this crate's layout, from the device-management crate's `metadata/` (the
//! same Graph CSDL) and this crate's `corpus/`, so it never drifts from its
//! inputs.

use std::path::Path;

#[test]
fn the_generated_code_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let endpoints =
        graph_endpoint_codegen::parse(&read("corpus/device-app-management.json")).unwrap();
    assert_eq!(endpoints.len(), 659);
    let (files, figures) = graph_endpoint_codegen::generate_typed_for(
        graph_endpoint_codegen::typed::DEVICE_APP_MANAGEMENT,
        &read("../graph-endpoint-device-management/metadata/graph-beta.csdl.xml"),
        Some(&read(
            "../graph-endpoint-device-management/metadata/graph-v1.0.csdl.xml",
        )),
        &endpoints,
    )
    .unwrap();
    let mut stale = Vec::new();
    for (name, text) in &files {
        let path = format!("src/generated/{name}");
        if std::fs::read_to_string(root.join(&path)).ok().as_deref() != Some(text.as_str()) {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "regenerate with `cargo run -p graph-endpoint-codegen -- typed --layout device-app-management ...` (see the README): {stale:?} differ"
    );
    // The paths the metadata does not have are kept untyped.
    assert_eq!(figures.resolved, 615, "{:?}", figures.unresolved);
    assert_eq!(figures.unresolved.len(), 44);
    assert_eq!(
        (figures.entities, figures.complexes, figures.enums),
        (152, 136, 87)
    );
}
