//! The checked-in `src/generated/` is exactly what the generator writes from
//! `metadata/` and `corpus/`, so it never drifts from its inputs.

use std::path::Path;

#[test]
fn the_generated_code_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let endpoints = graph_endpoint_codegen::parse(&read("corpus/device-management.json")).unwrap();
    assert_eq!(endpoints.len(), 2294);
    let (files, figures) = graph_endpoint_codegen::generate_typed(
        &read("metadata/graph-beta.csdl.xml"),
        Some(&read("metadata/graph-v1.0.csdl.xml")),
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
        "regenerate with `cargo run -p graph-endpoint-codegen -- typed ...` (see the crate docs): {stale:?} differ"
    );
    // Every endpoint but two resolves against the metadata; those are paths
    // the metadata does not have (kept untyped).
    assert_eq!(figures.resolved, 2292, "{:?}", figures.unresolved);
    assert!(figures.entities > 400 && figures.complexes > 350 && figures.enums > 380);
    assert!(figures.polymorphic > 100);
}
