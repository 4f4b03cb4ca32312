//! The `#[graph_action]` attribute of `graph-endpoint`. Use it through
//! `graph_endpoint::graph_action`, whose documentation is the reference.
//!
//! The attribute works in three stages, one module each: `attr`, `path` and
//! `ast` parse the attribute and the method into a typed model, `valid` checks
//! it and collects every mistake, `expand` generates the code. On any mistake
//! `fallback` emits the errors next to the declaration, so the rest of the
//! trait keeps compiling and editors keep completing.
#![forbid(unsafe_code)]

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod path;
mod valid;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Declares a Microsoft Graph endpoint on a trait method. See the
/// `graph_endpoint::graph_action` documentation.
#[proc_macro_attribute]
pub fn graph_action(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::graph_action(args.into(), item.into()).into()
}
