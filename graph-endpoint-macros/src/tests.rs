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
        Just("\"204\"".to_owned()),
        Just("[\"200\", 204]".to_owned()),
        Just("r#type".to_owned()),
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
        Just("r#type: &str".to_owned()),
        Just("mut self".to_owned()),
    ];
    let ret = prop_oneof![
        Just("".to_owned()),
        Just("-> Result<(), Error>".to_owned()),
        Just("-> Result<T, Error>".to_owned()),
        Just("-> Result<Option<T>>".to_owned()),
        Just("-> impl Future<Output = Result<Response<Bytes>, Error>>".to_owned()),
        Just("-> impl Future + Send".to_owned()),
        Just("-> u8".to_owned()),
        Just("-> Paged<'_, T>".to_owned()),
        Just("-> impl Iterator<Item = u8>".to_owned()),
        Just("-> Result<impl Display, Error>".to_owned()),
    ];
    (
        any::<bool>(),
        "(pub )?fn [a-z_]{1,8}",
        "(<'a>|<T>|)",
        prop::collection::vec(arg, 0..4),
        ret,
        prop_oneof![Just(";"), Just("{ 1 }")],
    )
        .prop_map(|(is_async, head, generics, args, ret, end)| {
            format!(
                "{}{head}{generics}({}) {ret} {end}",
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
fn an_optional_param_is_left_out_when_none() {
    let args = tokens(r#"POST, "/a/<id>/wipe", expect = 204"#).unwrap();
    let item = tokens(
        "async fn wipe(&self, id: &str, #[param] keep_user_data: Option<bool>, #[param] pin: i32) -> Result<(), Error>;",
    )
    .unwrap();
    let output = graph_action(args, item).to_string();
    assert!(!output.contains("compile_error"), "{output}");
    // The `Option` is added only when `Some`; the plain one always.
    assert!(
        output.contains(
            "if let :: core :: option :: Option :: Some (__value) = & keep_user_data { __request . param (\"keepUserData\" , __value) ; }"
        ),
        "{output}"
    );
    assert!(
        output.contains("__request . param (\"pin\" , & pin) ;"),
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

fn expand(args: &str, item: &str) -> String {
    graph_action(tokens(args).unwrap(), tokens(item).unwrap()).to_string()
}

fn error_count(output: &str) -> usize {
    output.matches("compile_error").count()
}

#[test]
fn a_quoted_status_is_one_error_at_the_literal() {
    for args in [
        r#"POST, "/a", expect = "204""#,
        r#"POST, "/a", expect = ["204"]"#,
        r#"POST, "/a", expect = [200, "204"]"#,
    ] {
        let output = expand(args, "async fn b(&self) -> Result<(), Error>;");
        assert_eq!(error_count(&output), 1, "{args}: {output}");
        assert!(
            output.contains("write the status as a number, without quotes: `expect = 204`"),
            "{args}: {output}"
        );
    }
    let output = expand(
        r#"POST, "/a", expect = "ok""#,
        "async fn b(&self) -> Result<(), Error>;",
    );
    assert_eq!(error_count(&output), 1, "{output}");
    assert!(output.contains("not a string"), "{output}");
}

#[test]
fn a_missing_comma_is_one_error() {
    for args in [
        r#"POST "/x" expect = 204"#,
        r#"POST, "/x" expect = 204"#,
        r#"POST, "/x", expect = 204 version = "beta""#,
        r#"POST, "/x", expect = 204 version = "beta" permissions = ["A.B"]"#,
    ] {
        let output = expand(args, "async fn b(&self) -> Result<(), Error>;");
        assert_eq!(error_count(&output), 1, "{args}: {output}");
        assert!(
            output.contains("expected `,` before this"),
            "{args}: {output}"
        );
    }
}

#[test]
fn an_unreadable_argument_does_not_make_others_missing() {
    for args in [r#"GET, 42, expect = 200"#, r#"GET, "/a", expect = OK"#] {
        let output = expand(args, "async fn b(&self) -> Result<Value, Error>;");
        assert_eq!(error_count(&output), 1, "{args}: {output}");
        assert!(!output.contains("missing"), "{args}: {output}");
    }
    // What follows the unreadable value is still read and checked.
    let output = expand(
        r#"GET, "/a", version = beta, expect = 404"#,
        "async fn b(&self) -> Result<Value, Error>;",
    );
    assert_eq!(error_count(&output), 2, "{output}");
    assert!(output.contains("`expect = 404`"), "{output}");
}

#[test]
fn a_raw_argument_fills_its_keyword_placeholder() {
    let output = expand(
        r#"GET, "/things/<type>/<id>", expect = 200"#,
        "async fn thing(&self, r#type: &str, id: &str) -> Result<Value, Error>;",
    );
    assert_eq!(error_count(&output), 0, "{output}");
    assert!(output.contains(r#"value ("type" , & r#type)"#), "{output}");
    let output = expand(
        r#"GET, "/things/<type>", expect = 200"#,
        "async fn thing(&self) -> Result<Value, Error>;",
    );
    assert!(output.contains("add `r#type: &str`"), "{output}");
}

#[test]
fn a_free_function_is_one_error_and_kept() {
    for item in [
        "async fn fetch(id: &str) -> Result<Value, Error> { todo!() }",
        "pub fn fetch() {}",
    ] {
        let output = expand(r#"GET, "/a", expect = 200"#, item);
        assert_eq!(error_count(&output), 1, "{output}");
        assert!(
            output.contains("`fn fetch` has a body and no `&self`"),
            "{output}"
        );
        assert!(output.contains("fn fetch"), "{output}");
        assert!(!output.contains("const FETCH"), "{output}");
    }
}

#[test]
fn a_rejected_method_keeps_a_body_that_fits_its_result() {
    let cases = [
        (
            "async fn b(&self) -> Result<(), Error>;",
            ":: core :: unreachable ! ()",
        ),
        ("async fn b(&self);", ":: core :: unreachable ! ()"),
        (
            "fn b(&self) -> Paged<'_, T>;",
            ":: core :: unreachable ! ()",
        ),
        (
            "async fn b(&self, (x, y): (u8, u8)) -> Call<'_, T>;",
            ":: core :: unreachable ! ()",
        ),
        (
            "fn b(&self) -> impl Future<Output = Result<T, Error>> + Send;",
            ":: core :: future :: pending ()",
        ),
        (
            "fn b(&self) -> impl Future + Send;",
            ":: core :: future :: pending :: < () > ()",
        ),
        (
            "async fn b(&self) -> Result<(), Error> { Ok(()) }",
            ":: core :: unreachable ! ()",
        ),
    ];
    for (item, body) in cases {
        let output = expand(r#"FETCH, "/a", expect = 204"#, item);
        assert!(
            output.contains(&format!("{{ {body} }}")),
            "{item}: {output}"
        );
        assert!(!output.contains("Ok (())"), "{item}: {output}");
    }
    // Taking `self` by value, the body needs `Self: Sized`.
    let output = expand(
        r#"FETCH, "/a", expect = 204"#,
        "async fn b(self) -> Result<(), Error> where Self: Send;",
    );
    assert!(
        output.contains("where Self : Send , Self : :: core :: marker :: Sized {"),
        "{output}"
    );
    // `const` would be an error of its own in a trait.
    let output = expand(r#"GET, "/a", expect = 200"#, "const fn b(&self) -> u8;");
    assert!(
        output.contains("unused_mut)] fn b (& self) -> u8 {"),
        "{output}"
    );
    // No body can produce an `impl Trait` that is not a future: none is given.
    let output = expand(
        r#"GET, "/a", expect = 200"#,
        "fn b(&self) -> impl Iterator<Item = u8>;",
    );
    assert!(output.trim_end().ends_with("> ;"), "{output}");
}

#[test]
fn one_misnamed_argument_is_one_error() {
    let output = expand(
        r#"GET, "/users/<user_id>", expect = 200"#,
        "async fn user(&self, id: &str) -> Result<Value, Error>;",
    );
    assert_eq!(error_count(&output), 1, "{output}");
    assert!(
        output.contains("rename the argument `user_id` (or the placeholder `<id>`)"),
        "{output}"
    );
    // Two of each are reported one by one.
    let output = expand(
        r#"GET, "/users/<a>/<b>", expect = 200"#,
        "async fn user(&self, c: &str, d: &str) -> Result<Value, Error>;",
    );
    assert_eq!(error_count(&output), 4, "{output}");
}

#[test]
fn a_rejected_argument_causes_no_second_error() {
    for item in [
        "async fn user(&self, (id, n): (&str, u32)) -> Result<Value, Error>;",
        "async fn user(&self, _: &str) -> Result<Value, Error>;",
        "async fn user(&self, id: &str, #[header] consistency: &str) -> Result<Value, Error>;",
    ] {
        let output = expand(r#"GET, "/users/<id>", expect = 200"#, item);
        assert_eq!(error_count(&output), 1, "{item}: {output}");
    }
    let output = expand(
        r#"GET, "/users/<id>", expct = 200"#,
        "async fn user(&self, id: &str) -> Result<Value, Error>;",
    );
    assert_eq!(error_count(&output), 1, "{output}");
    assert!(output.contains("did you mean `expect`?"), "{output}");
}
