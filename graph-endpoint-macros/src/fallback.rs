//! What is emitted when a declaration has mistakes: every error, plus the
//! method itself, so the rest of the trait still compiles, editors keep
//! completing the method, and an `impl Trait for GraphClient {}` elsewhere
//! reports nothing more.
//!
//! The method keeps its signature and gets a default body that is never run
//! (the build has already failed) but type-checks for any declared result, so
//! the only errors shown are the ones the attribute reported.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{FnArg, GenericArgument, PathArguments, ReturnType, TraitItemFn, Type, TypeParamBound};

use crate::signature::declared_inputs;

pub fn declaration(item: &TraitItemFn, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    let attrs = &item.attrs;
    let sig = &item.sig;
    // `const` is dropped: a trait method cannot be `const`, and keeping it
    // would add an error of its own.
    let (asyncness, unsafety, ident, generics) =
        (&sig.asyncness, &sig.safety, &sig.ident, &sig.generics);
    let inputs = declared_inputs(item);
    let output = &sig.output;
    let where_clause = where_clause(item);
    let declaration = quote! {
        #(#attrs)*
        #[allow(async_fn_in_trait, unused_variables, unused_mut)]
        #asyncness #unsafety fn #ident #generics(#inputs) #output #where_clause
    };
    match placeholder_body(output) {
        Some(body) => quote! {
            #errors
            #declaration { #body }
        },
        // A result type no body can produce without knowing more (an
        // `impl Trait` other than a future): declared without a body.
        None => quote! {
            #errors
            #declaration;
        },
    }
}

/// The declared `where` clause, plus `Self: Sized` when the method takes
/// `self` by value (a default body needs it).
fn where_clause(item: &TraitItemFn) -> TokenStream {
    let by_value = item.sig.inputs.iter().any(|input| match input {
        FnArg::Receiver(r) => match &r.kind {
            syn::ReceiverKind::Value => true,
            syn::ReceiverKind::Typed(_, ty) => is_self_type(ty),
            _ => false,
        },
        FnArg::Typed(_) => false,
    });
    let declared = item.sig.generics.where_clause.as_ref();
    match (declared, by_value) {
        (Some(clause), false) => clause.to_token_stream(),
        (Some(clause), true) => {
            let predicates = &clause.predicates;
            let comma = (!predicates.empty_or_trailing()).then(|| quote!(,));
            quote!(where #predicates #comma Self: ::core::marker::Sized)
        }
        (None, true) => quote!(where Self: ::core::marker::Sized),
        (None, false) => TokenStream::new(),
    }
}

fn is_self_type(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("Self"))
}

/// A body of the declared result type that is never run: `unreachable!()`
/// for a named type (it coerces to any), a pending future for
/// `impl Future<Output = R>`. `None` when the type hides another `impl Trait`.
fn placeholder_body(output: &ReturnType) -> Option<TokenStream> {
    let ty = match output {
        ReturnType::Default => return Some(quote!(::core::unreachable!())),
        ReturnType::Type(_, ty) => &**ty,
    };
    if !contains_impl_trait(ty) {
        return Some(quote!(::core::unreachable!()));
    }
    let Type::ImplTrait(impl_trait) = ty else {
        return None;
    };
    let mut is_future = false;
    let mut output = None;
    for bound in &impl_trait.bounds {
        let TypeParamBound::Trait(t) = bound else {
            continue;
        };
        let Some(last) = t.path.segments.last() else {
            continue;
        };
        if last.ident != "Future" {
            continue;
        }
        is_future = true;
        if let PathArguments::AngleBracketed(args) = &last.arguments {
            for arg in &args.args {
                if let GenericArgument::AssocType(assoc) = arg
                    && assoc.ident == "Output"
                {
                    output = Some(&assoc.ty);
                }
            }
        }
    }
    match output {
        _ if !is_future => None,
        Some(output) if contains_impl_trait(output) => None,
        // The output type is inferred from the bound.
        Some(_) => Some(quote!(::core::future::pending())),
        None => Some(quote!(::core::future::pending::<()>())),
    }
}

/// Whether `impl Trait` appears anywhere in `ty`.
fn contains_impl_trait(ty: &Type) -> bool {
    let mut found = false;
    scan(ty.to_token_stream(), &mut found);
    found
}

fn scan(tokens: TokenStream, found: &mut bool) {
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(ident) if ident == "impl" => *found = true,
            proc_macro2::TokenTree::Group(group) => scan(group.stream(), found),
            _ => {}
        }
    }
}

/// A function with a body and no `self`: where it is and its name.
pub struct FreeFunction {
    /// `pub async fn name`, for the error's span.
    pub head: TokenStream,
    pub name: String,
}

/// `#[graph_action]` on something other than a trait method: the error, and
/// the item unchanged so the code around it still compiles.
pub fn not_a_trait_method(item: TokenStream, function: Option<FreeFunction>) -> TokenStream {
    const FORM: &str = "`async fn name(&self, ...) -> Result<T, graph_endpoint::Error>;`";
    let error = match function {
        Some(FreeFunction { head, name }) => syn::Error::new_spanned(
            head,
            format!(
                "`#[graph_action]` goes on a method declaration inside a trait, and `fn {name}` has a body and no `&self`: declare it in a trait whose supertrait is `graph_endpoint::Graph`, as `async fn {name}(&self, ...) -> Result<T, graph_endpoint::Error>;`"
            ),
        ),
        None => syn::Error::new(
            Span::call_site(),
            format!("`#[graph_action]` goes on a method declaration inside a trait: {FORM}"),
        ),
    };
    let error = error.to_compile_error();
    quote!(#error #item)
}
