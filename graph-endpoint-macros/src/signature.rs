//! The method's signature as the attribute re-emits it, both when it
//! expands a declaration (`expand`) and when it keeps a wrong one compiling
//! (`fallback`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, TraitItemFn};

/// The arguments as declared, without the role attributes the attribute consumed.
pub fn declared_inputs(item: &TraitItemFn) -> TokenStream {
    let inputs = item.sig.inputs.iter().map(|input| match input {
        FnArg::Receiver(receiver) => quote!(#receiver),
        FnArg::Typed(pat_type) => {
            let attrs = pat_type.attrs.iter().filter(|a| {
                !["body", "param", "query", "header", "path"]
                    .iter()
                    .any(|role| a.path().is_ident(role))
            });
            let pat = match &*pat_type.pat {
                syn::Pat::Ident(p) => {
                    let ident = &p.ident;
                    quote!(#ident)
                }
                other => quote_spanned!(other.span()=> _),
            };
            let ty = &pat_type.ty;
            quote!(#(#attrs)* #pat: #ty)
        }
    });
    quote!(#(#inputs),*)
}
