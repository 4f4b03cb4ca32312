//! Code generation only: every check happened in `valid`.
//!
//! Each endpoint becomes a thin shim: a few statements that describe the
//! request to `graph_endpoint::__private::RequestBuilder`, then one call of a
//! small runtime function that sends, checks and decodes. The work is shared.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{TraitItemFn, Type};

use crate::ast::{Arg, Method, Output, Role};
use crate::attr::ActionAttr;
use crate::ctxt::Ctxt;
use crate::fallback;
use crate::path::{Part, camel_case};
use crate::signature::declared_inputs;
use crate::valid::{self, Checked};

pub fn graph_action(args: TokenStream, item: TokenStream) -> TokenStream {
    if let Some(function) = free_function(&item) {
        return fallback::not_a_trait_method(item, Some(function));
    }
    let item_fn: TraitItemFn = match syn::parse2(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(_) => return fallback::not_a_trait_method(item, None),
    };
    let mut cx = Ctxt::default();
    let attr = ActionAttr::parse(args, &mut cx);
    let method = Method::from_syn(&item_fn, &mut cx);
    let checked = valid::check(&attr, &method, &mut cx);
    match (cx.into_result(), checked) {
        (Ok(()), Some(checked)) => expand(&method, &checked),
        (Err(errors), _) => fallback::declaration(&item_fn, errors),
        (Ok(()), None) => fallback::declaration(
            &item_fn,
            syn::Error::new(
                Span::call_site(),
                "`#[graph_action]` could not read this declaration",
            ),
        ),
    }
}

/// `pub async fn name` of a function with a body and no `self`: a free
/// function (or an associated function), never a declaration to expand.
fn free_function(item: &TokenStream) -> Option<fallback::FreeFunction> {
    let item_fn: syn::ItemFn = syn::parse2(item.clone()).ok()?;
    let sig = &item_fn.sig;
    if sig.receiver().is_some() {
        return None;
    }
    let vis = &item_fn.vis;
    let (constness, asyncness, unsafety, abi, fn_token, ident) = (
        &sig.constness,
        &sig.asyncness,
        &sig.safety,
        &sig.abi,
        &sig.fn_token,
        &sig.ident,
    );
    Some(fallback::FreeFunction {
        head: quote!(#vis #constness #asyncness #unsafety #abi #fn_token #ident),
        name: ident.to_string(),
    })
}

fn expand(method: &Method, checked: &Checked) -> TokenStream {
    let rt = quote!(::graph_endpoint::__private);
    let item = method.item;
    let sig = &item.sig;
    let ident = &sig.ident;
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
    let const_ident = format_ident!("{}", name.to_uppercase(), span = ident.span());

    let (Some(success), Some(output)) = (method.success, &method.output) else {
        // `valid` reports these; unreachable for a checked declaration.
        return fallback::declaration(item, syn::Error::new(ident.span(), "missing return type"));
    };

    let variant = format_ident!("{}", checked.method);
    let path_lit = &checked.path;
    let expect = &checked.expect;
    let version = match checked.version {
        Some(v) => {
            let v = format_ident!("{}", v);
            quote!(::core::option::Option::Some(#rt::ApiVersion::#v))
        }
        None => quote!(::core::option::Option::None),
    };
    let permissions = &checked.permissions;
    let header_names = checked.headers.iter().map(|(n, _)| n);
    let header_values = checked.headers.iter().map(|(_, v)| v);

    let mut statements = Vec::new();
    for part in &checked.parts {
        match part {
            Part::Literal(text) => statements.push(quote!(__request.literal(#text);)),
            Part::Placeholder { name, quoted } => {
                let Some(arg) = method.args.iter().find(|a| arg_name(a) == *name) else {
                    continue;
                };
                let ident = arg.ident;
                let push = if *quoted {
                    quote!(quoted_value)
                } else {
                    quote!(value)
                };
                statements.push(quote_spanned!(arg.ty.span()=> __request.#push(#name, &#ident);));
            }
        }
    }
    for arg in &method.args {
        let ident = arg.ident;
        let span = arg.ty.span();
        match &arg.role {
            Role::Unmarked | Role::Rejected => {}
            Role::Body(_) if crate::ast::is_stream_body(arg.ty) => {
                statements.push(quote_spanned!(span=> __request.stream_body(#ident);))
            }
            Role::Body(_) => statements.push(quote_spanned!(span=> __request.body(&#ident);)),
            Role::Param(_, rename) => {
                let wire = rename
                    .as_ref()
                    .map_or_else(|| camel_case(&arg_name(arg)), |l| l.value());
                statements.push(optional_call(arg, quote!(param), &wire));
            }
            Role::Query(_, rename) => {
                let wire = rename
                    .as_ref()
                    .map_or_else(|| camel_case(&arg_name(arg)), |l| l.value());
                statements.push(optional_call(arg, quote!(query), &wire));
            }
            Role::Header(_, header) => {
                statements.push(optional_call(arg, quote!(header), &header.value()))
            }
        }
    }

    let call = {
        let span = method.result.unwrap_or(success).span();
        match output {
            Output::Paged(t) => {
                quote_spanned!(span=> #rt::paged::<Self, #t>(self, __request.finish()))
            }
            Output::Unit => quote_spanned!(span=> #rt::call_unit(self, __request.finish())),
            Output::Json(t) => {
                quote_spanned!(span=> #rt::call_json::<Self, #t>(self, __request.finish()))
            }
            Output::OptionalJson(t) => {
                quote_spanned!(span=> #rt::call_optional_json::<Self, #t>(self, __request.finish()))
            }
            Output::Bytes => quote_spanned!(span=> #rt::call_bytes(self, __request.finish())),
            Output::BodyStream => {
                quote_spanned!(span=> #rt::call_body_stream(self, __request.finish()))
            }
            Output::ResponseUnit => {
                quote_spanned!(span=> #rt::call_response_unit(self, __request.finish()))
            }
            Output::ResponseBytes => {
                quote_spanned!(span=> #rt::call_response_bytes(self, __request.finish()))
            }
            Output::ResponseJson(t) => {
                quote_spanned!(span=> #rt::call_response_json::<Self, #t>(self, __request.finish()))
            }
        }
    };

    let attrs = &item.attrs;
    let docs = endpoint_docs(checked);
    let const_doc = format!(
        "Method, path, expected statuses, version and permissions of `{name}`, for tests and mocks."
    );
    let generics = &sig.generics;
    let inputs = declared_inputs(item);
    // The declared result type, named once so that its imports count as used.
    let declared_result = method.result.map(
        |result| quote_spanned!(result.span()=> let _ = ::core::marker::PhantomData::<#result>;),
    );
    // A named future type, not `impl Future`: the type checker then has no
    // opaque type to work out per endpoint, which is most of the build cost of
    // thousands of declarations. The request is built before it is returned,
    // so the call borrows `self` only.
    let returns = match (method.result, &sig.output) {
        (Some(_), _) => quote!(::graph_endpoint::Call<'_, #success>),
        // `Paged<'_, T>`, as declared.
        (None, syn::ReturnType::Type(_, declared)) => quote!(#declared),
        (None, syn::ReturnType::Default) => quote!(()),
    };

    quote! {
        #[doc = #const_doc]
        const #const_ident: &'static #rt::Endpoint = &#rt::endpoint(
            #name,
            #rt::Method::#variant,
            #path_lit,
            &[#(#expect),*],
            #version,
            &[#(#permissions),*],
            &[#((#header_names, #header_values)),*],
        );

        #(#attrs)*
        #(#[doc = #docs])*
        fn #ident #generics(#inputs) -> #returns
        // The call holds the client as `&dyn` transport: only a sized
        // implementor can be held so, which every client and double is.
        where
            Self: ::core::marker::Sized,
        {
            #declared_result
            let mut __request = #rt::RequestBuilder::new(Self::#const_ident);
            #(#statements)*
            #call
        }
    }
}

fn arg_name(arg: &Arg) -> String {
    let name = arg.ident.to_string();
    name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
}

/// An action parameter, a query parameter or a header from an argument; an
/// `Option` adds it only when `Some` (a `None` parameter is left out of the
/// body, not sent as `null`).
fn optional_call(arg: &Arg, function: TokenStream, wire: &str) -> TokenStream {
    let ident = arg.ident;
    let span = arg.ty.span();
    if is_option(arg.ty) {
        quote_spanned!(span=>
            if let ::core::option::Option::Some(__value) = &#ident {
                __request.#function(#wire, __value);
            }
        )
    } else {
        quote_spanned!(span=> __request.#function(#wire, &#ident);)
    }
}

fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

fn endpoint_docs(checked: &Checked) -> Vec<String> {
    let version = match checked.version {
        Some("Beta") => "beta",
        Some(_) => "v1.0",
        None => "{version}",
    };
    let method = checked.method.to_uppercase();
    let expect: Vec<String> = checked.expect.iter().map(|s| format!("`{s}`")).collect();
    let mut docs = vec![
        String::new(),
        "# Graph endpoint".to_owned(),
        String::new(),
        format!("`{method} /{version}{}`", checked.path.value()),
        String::new(),
        format!("- Success: {}", expect.join(" or ")),
        format!(
            "- Version: {}",
            match checked.version {
                Some(_) => format!("`{version}` (pinned)"),
                None => "the client's default".to_owned(),
            }
        ),
    ];
    if !checked.permissions.is_empty() {
        let permissions: Vec<String> = checked
            .permissions
            .iter()
            .map(|p| format!("`{p}`"))
            .collect();
        docs.push(format!(
            "- Permissions (one of): {}",
            permissions.join(", ")
        ));
    }
    for (name, value) in &checked.headers {
        docs.push(format!("- Header: `{name}: {value}`"));
    }
    docs
}
