//! Generates the declarations from the endpoint list in `corpus/`.

fn main() {
    let input = "corpus/device-management.json";
    println!("cargo::rerun-if-changed={input}");
    let json = std::fs::read_to_string(input).expect("the endpoint list is in corpus/");
    let endpoints = graph_endpoint_codegen::parse(&json).expect("the endpoint list parses");
    let options = graph_endpoint_codegen::Options {
        implement_for_client: true,
        sample_every: std::env::var_os("CARGO_FEATURE_SAMPLES").map(|_| 10),
        instantiate: false,
    };
    let code = graph_endpoint_codegen::generate(&endpoints, &options);
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("endpoints.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
