//! Checks example payloads against the declared types: each request body
//! decodes into its endpoint's body type and each response into its result
//! type (`@odata.type` resolved), and encodes back to an equal JSON value
//! (the model runtime's [`check_against`](graph_endpoint_model::example_check::check_against)
//! over this crate's [`ENDPOINTS`](crate::ENDPOINTS)).
//!
//! The input is a JSON array of examples: `method`, `path` (as in the
//! endpoint list, `{name}` placeholders), `version`, `request` (a body or
//! `null`), `response` (a body or `null`).

pub use graph_endpoint_model::example_check::Report;

/// Checks every example of an examples file (its text).
///
/// # Errors
///
/// A message when `examples` is not a JSON array. Examples that name no
/// declared endpoint, do not decode or come back different are not errors:
/// they are listed in [`Report::differences`].
pub fn check(examples: &str) -> Result<Report, String> {
    graph_endpoint_model::example_check::check_against(examples, crate::ENDPOINTS)
}
