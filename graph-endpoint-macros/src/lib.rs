#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod path;
mod signature;
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
