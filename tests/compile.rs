//! Compile-time behaviour of `#[graph_action]`: the exact error each mistake
//! produces (one mistake a case, grouped by category). What must compile is
//! `tests/e2e/every_form.rs`, a module of the end-to-end tests: with only
//! compile-fail cases here, trybuild checks rather than builds, and does not
//! compile the dependencies' code a second time.

#[test]
fn declarations() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/attribute/*.rs");
    cases.compile_fail("tests/ui/path/*.rs");
    cases.compile_fail("tests/ui/arguments/*.rs");
    cases.compile_fail("tests/ui/returns/*.rs");
    cases.compile_fail("tests/ui/types/*.rs");
}
