//! What is emitted when a declaration has mistakes: every error, plus the
//! declaration itself without a body, so the rest of the trait still compiles
//! and editors keep completing the method.

use proc_macro2::TokenStream;
use quote::quote;
use syn::TraitItemFn;

use crate::expand::declared_inputs;

pub fn declaration(item: &TraitItemFn, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    let attrs = &item.attrs;
    let sig = &item.sig;
    let (constness, asyncness, unsafety, ident, generics) = (
        &sig.constness,
        &sig.asyncness,
        &sig.unsafety,
        &sig.ident,
        &sig.generics,
    );
    let inputs = declared_inputs(item);
    let output = &sig.output;
    quote! {
        #errors
        #(#attrs)*
        #[allow(async_fn_in_trait)]
        #constness #asyncness #unsafety fn #ident #generics(#inputs) #output;
    }
}

pub fn not_a_trait_method(item: TokenStream) -> TokenStream {
    let error = syn::Error::new(
        proc_macro2::Span::call_site(),
        "`#[graph_action]` goes on a method declaration inside a trait: `async fn name(&self, ...) -> Result<T, graph_endpoint::Error>;`",
    )
    .to_compile_error();
    quote!(#error #item)
}
