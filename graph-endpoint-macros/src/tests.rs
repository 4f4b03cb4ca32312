//! The attribute never panics, whatever tokens it is given: every input
//! either expands or becomes `compile_error!`s next to the declaration.

use proc_macro2::TokenStream;
use proptest::prelude::*;

use crate::expand::graph_action;

fn tokens(text: &str) -> Option<TokenStream> {
    text.parse().ok()
}

/// Pieces that attribute arguments and declarations are made of, good and bad.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("POST".to_owned()),
        Just("get".to_owned()),
        Just(",".to_owned()),
        Just("=".to_owned()),
        Just("expect".to_owned()),
        Just("version".to_owned()),
        Just("permissions".to_owned()),
        Just("headers".to_owned()),
        Just("[200, 204]".to_owned()),
        Just("204".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("\"beta\"".to_owned()),
        Just("(\"A\" = \"b\")".to_owned()),
        Just("#".to_owned()),
        Just("{}".to_owned()),
        "\"[/<>{}a-z_'?# .%-]{0,24}\"",
        "[a-z_]{1,6}",
    ]
}

fn declaration() -> impl Strategy<Value = String> {
    let arg = prop_oneof![
        Just("&self".to_owned()),
        Just("&mut self".to_owned()),
        Just("self".to_owned()),
        Just("id: &str".to_owned()),
        Just("_: u32".to_owned()),
        Just("(a, b): (u8, u8)".to_owned()),
        Just("#[body] b: &T".to_owned()),
        Just("#[param] p: i32".to_owned()),
        Just("#[param(1)] p: i32".to_owned()),
        Just("#[query] q: Option<u32>".to_owned()),
        Just("#[header] h: &str".to_owned()),
        Just("#[header(\"\")] h: &str".to_owned()),
        Just("#[body] #[query] x: u8".to_owned()),
    ];
    let ret = prop_oneof![
        Just("".to_owned()),
        Just("-> Result<(), Error>".to_owned()),
        Just("-> Result<T, Error>".to_owned()),
        Just("-> Result<Option<T>>".to_owned()),
        Just("-> impl Future<Output = Result<Response<Bytes>, Error>>".to_owned()),
        Just("-> impl Future + Send".to_owned()),
        Just("-> u8".to_owned()),
    ];
    (
        any::<bool>(),
        "[a-z_]{1,8}",
        "(<'a>|<T>|)",
        prop::collection::vec(arg, 0..4),
        ret,
        prop_oneof![Just(";"), Just("{ 1 }")],
    )
        .prop_map(|(is_async, name, generics, args, ret, end)| {
            format!(
                "{}fn {name}{generics}({}) {ret} {end}",
                if is_async { "async " } else { "" },
                args.join(", ")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn never_panics(args in prop::collection::vec(piece(), 0..10), item in declaration()) {
        let (Some(args), Some(item)) = (tokens(&args.join(" ")), tokens(&item)) else {
            return Ok(());
        };
        // Whatever happens, an expansion comes back (never a panic).
        let output = graph_action(args, item);
        prop_assert!(!output.is_empty());
    }

    #[test]
    fn any_path_literal_is_handled(path in "\\PC{0,40}") {
        let args = tokens(&format!("GET, {:?}, expect = 200", path)).unwrap();
        let item = tokens("async fn f(&self, id: &str) -> Result<Value, Error>;").unwrap();
        let output = graph_action(args, item).to_string();
        prop_assert!(output.contains("fn f"), "the declaration is always emitted: {}", output);
    }
}

#[test]
fn a_correct_declaration_expands_without_errors() {
    let args = tokens(r#"POST, "/a/<id>/b", expect = 204, version = "beta""#).unwrap();
    let item =
        tokens("async fn b(&self, id: &str, #[param] n: i32) -> Result<(), Error>;").unwrap();
    let output = graph_action(args, item).to_string();
    assert!(!output.contains("compile_error"), "{output}");
    assert!(output.contains("const B"), "{output}");
    assert!(
        output.contains(":: graph_endpoint :: __private :: call_unit"),
        "{output}"
    );
}

#[test]
fn a_wrong_declaration_keeps_the_method() {
    let args = tokens(r#"FETCH, "/a", expect = 204"#).unwrap();
    let item = tokens("async fn b(&self) -> Result<(), Error>;").unwrap();
    let output = graph_action(args, item).to_string();
    assert!(output.contains("compile_error"), "{output}");
    assert!(output.contains("fn b"), "{output}");
}
