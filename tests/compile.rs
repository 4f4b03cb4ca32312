//! Compile-time behaviour of `#[graph_action]`: what must compile, and the
//! exact error each mistake produces (one mistake a case, grouped by category).

#[test]
fn declarations() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/attribute/*.rs");
    cases.compile_fail("tests/ui/path/*.rs");
    cases.compile_fail("tests/ui/arguments/*.rs");
    cases.compile_fail("tests/ui/returns/*.rs");
    cases.compile_fail("tests/ui/types/*.rs");
}
