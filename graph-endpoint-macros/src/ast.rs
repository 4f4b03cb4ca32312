//! A typed model of the declared method, borrowing the syn nodes so every
//! later error can point at the user's own tokens.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, GenericArgument, Ident, LitStr, Pat, PathArguments, ReturnType, TraitItemFn,
    Type, TypeParamBound,
};

use crate::ctxt::Ctxt;

/// What a non-placeholder argument becomes.
#[derive(Clone)]
pub enum Role {
    /// Not marked: must be a placeholder.
    Unmarked,
    /// `#[body]`: the whole JSON body.
    Body(Span),
    /// `#[param]` / `#[param("name")]`: one member of the JSON parameter object.
    Param(Span, Option<LitStr>),
    /// `#[query]` / `#[query("$top")]`: a query parameter.
    Query(Span, Option<LitStr>),
    /// `#[header("Name")]`: a header.
    Header(Span, LitStr),
    /// A mark whose mistake is already reported: the argument is neither
    /// checked further nor reported as bound to nothing.
    Rejected,
}

pub struct Arg<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub role: Role,
}

/// How the success response becomes the method's result.
pub enum Output<'a> {
    /// `()`: the body is ignored.
    Unit,
    /// `T`: the body is JSON.
    Json(&'a Type),
    /// `Option<T>`: JSON, `None` when the body is empty.
    OptionalJson(&'a Type),
    /// `Bytes`: the raw body.
    Bytes,
    /// `Response<()>`.
    ResponseUnit,
    /// `Response<Bytes>`.
    ResponseBytes,
    /// `Response<T>`: JSON with status and headers.
    ResponseJson(&'a Type),
    /// `Paged<'_, T>` from a plain `fn`: a list read page by page.
    Paged(&'a Type),
    /// `BodyStream`: the body read as a stream of chunks.
    BodyStream,
}

impl Output<'_> {
    pub fn needs_body(&self) -> bool {
        matches!(
            self,
            Output::Json(_) | Output::ResponseJson(_) | Output::Paged(_)
        )
    }
}

pub struct Method<'a> {
    pub item: &'a TraitItemFn,
    pub args: Vec<Arg<'a>>,
    /// `R` in `async fn ... -> R` or `impl Future<Output = R> + Send`.
    pub result: Option<&'a Type>,
    /// `T` in `Result<T, Error>`.
    pub success: Option<&'a Type>,
    pub output: Option<Output<'a>>,
    /// An argument is a pattern or `_` (reported): a placeholder without an
    /// argument may be meant for it, so that is not reported.
    pub unnamed_args: bool,
}

impl<'a> Method<'a> {
    pub fn from_syn(item: &'a TraitItemFn, cx: &mut Ctxt) -> Method<'a> {
        let sig = &item.sig;
        if let Some(body) = &item.default {
            cx.error(
                body.brace_token.span.join(),
                "remove the body: `#[graph_action]` declares a trait method and generates its body (end the declaration with `;`)",
            );
        }
        if let Some(c) = &sig.constness {
            cx.error(
                c.span,
                "a Graph endpoint cannot be `const fn`: remove `const`",
            );
        }
        if let syn::Safety::Unsafe(u) = &sig.safety {
            cx.error(u.span, "a Graph endpoint is not `unsafe`: remove `unsafe`");
        }
        if let Some(abi) = &sig.abi {
            cx.error_at(abi, "a Graph endpoint cannot have an ABI: remove it");
        }
        if let Some(v) = &sig.variadic {
            cx.error_at(v, "a Graph endpoint cannot be variadic");
        }
        for param in &sig.generics.params {
            match param {
                syn::GenericParam::Lifetime(_) => {}
                syn::GenericParam::Type(t) => cx.error(
                    t.ident.span(),
                    format!("generic type parameter `{}` is not supported: the expansion needs concrete argument and result types; use a concrete type (or `impl Display`/`impl Serialize` in argument position)", t.ident),
                ),
                syn::GenericParam::Const(c) => cx.error(
                    c.ident.span(),
                    format!("const generic `{}` is not supported: use a concrete value", c.ident),
                ),
            }
        }
        if let Some(w) = &sig.generics.where_clause {
            cx.error_at(
                w,
                "`where` clauses are not supported on a Graph endpoint: use concrete types",
            );
        }

        let mut args = Vec::new();
        let mut unnamed_args = false;
        for (index, input) in sig.inputs.iter().enumerate() {
            match input {
                FnArg::Receiver(receiver) => {
                    let (plain_ref, mut_ref) = match &receiver.kind {
                        syn::ReceiverKind::Reference(_, _, mutability) => {
                            (true, mutability.is_some())
                        }
                        _ => (false, false),
                    };
                    if mut_ref || receiver.mutability.is_some() {
                        cx.error_at(receiver, "take `&self`, not `&mut self`: calls share one client and run concurrently");
                    } else if !plain_ref {
                        cx.error_at(
                            receiver,
                            "take `&self`: the generated call borrows the client",
                        );
                    }
                }
                FnArg::Typed(pat_type) => {
                    if index == 0 {
                        cx.error_at(
                            &sig.inputs,
                            "missing `&self`: a Graph endpoint is a method; add `&self` as the first argument",
                        );
                    }
                    let role = roles(&pat_type.attrs, cx);
                    match &*pat_type.pat {
                        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                            if p.mutability.is_some() {
                                cx.error_at(p, "remove `mut`: the argument is only read");
                            }
                            args.push(Arg {
                                ident: &p.ident,
                                ty: &pat_type.ty,
                                role,
                            });
                        }
                        Pat::Wild(w) => {
                            unnamed_args = true;
                            cx.error_at(
                                w,
                                "an argument named `_` binds nothing: give it the name of the placeholder or parameter it fills",
                            );
                        }
                        other => {
                            unnamed_args = true;
                            cx.error_at(
                                other,
                                "patterns are not supported in a Graph endpoint's arguments: name the argument",
                            );
                        }
                    }
                }
            }
        }
        if sig.inputs.is_empty() {
            cx.error(
                sig.paren_token.span.join(),
                "missing `&self`: a Graph endpoint is a method; write `(&self, ...)`",
            );
        }

        if let Some(item_type) = paged_item(item, cx) {
            return Method {
                item,
                args,
                result: None,
                success: Some(item_type),
                output: Some(Output::Paged(item_type)),
                unnamed_args,
            };
        }
        let result = future_output(item, cx);
        let success = result.and_then(|r| result_ok_type(r, cx));
        if let Some(success) = success
            && matches!(last_segment(success), Some((ident, _)) if ident == "Paged")
        {
            cx.error_at(
                success,
                "a `Paged` list is returned as it is, not in a future or a `Result`: declare `fn name(&self, ...) -> Paged<'_, T>;` (no `async`)",
            );
        }
        let output = success.map(classify);
        Method {
            item,
            args,
            result,
            success,
            output,
            unnamed_args,
        }
    }
}

/// Takes the role attributes (`#[body]`, `#[param]`, `#[query]`, `#[header]`) out of an argument's attributes.
fn roles(attrs: &[Attribute], cx: &mut Ctxt) -> Role {
    let mut role = Role::Unmarked;
    for attr in attrs {
        let Some(name) = attr.path().get_ident().map(Ident::to_string) else {
            continue;
        };
        let span = attr.path().span();
        let new_role = match name.as_str() {
            "body" => {
                if !matches!(attr.meta, syn::Meta::Path(_)) {
                    cx.error_at(attr, "`#[body]` takes no arguments");
                }
                Role::Body(span)
            }
            "param" => Role::Param(span, optional_name(attr, "param", cx)),
            "query" => Role::Query(span, optional_name(attr, "query", cx)),
            "header" => {
                match optional_name(attr, "header", cx) {
                    Some(lit) => Role::Header(span, lit),
                    None => {
                        cx.error_at(attr, "`#[header]` needs the header's name: `#[header(\"ConsistencyLevel\")]`");
                        Role::Rejected
                    }
                }
            }
            "path" => {
                cx.error_at(attr, "placeholder arguments need no mark: write `<name>` in the path and remove `#[path]`");
                continue;
            }
            _ => continue,
        };
        if !matches!(role, Role::Unmarked) {
            cx.error(span, "an argument takes one of `#[body]`, `#[param]`, `#[query]` or `#[header]`: keep one");
        } else {
            role = new_role;
        }
    }
    role
}

/// `#[query]`, `#[query("$top")]` and `#[query = "$top"]`.
fn optional_name(attr: &Attribute, what: &str, cx: &mut Ctxt) -> Option<LitStr> {
    match &attr.meta {
        syn::Meta::Path(_) => None,
        syn::Meta::List(list) => match list.parse_args::<LitStr>() {
            Ok(lit) => Some(lit),
            Err(_) => {
                cx.error_at(
                    attr,
                    format!("write the name as a string: `#[{what}(\"name\")]`"),
                );
                None
            }
        },
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(lit),
                ..
            }) => Some(lit.clone()),
            _ => {
                cx.error_at(
                    attr,
                    format!("write the name as a string: `#[{what}(\"name\")]`"),
                );
                None
            }
        },
    }
}

/// The `T` of `fn name(&self, ...) -> Paged<'_, T>`: a list read page by page.
fn paged_item<'a>(item: &'a TraitItemFn, cx: &mut Ctxt) -> Option<&'a Type> {
    let ReturnType::Type(_, ty) = &item.sig.output else {
        return None;
    };
    let Type::Path(p) = &**ty else { return None };
    let last = p.path.segments.last()?;
    if p.qself.is_some() || last.ident != "Paged" {
        return None;
    }
    if let Some(a) = &item.sig.asyncness {
        cx.error(
            a.span,
            "remove `async`: a `Paged` list sends nothing until its pages are read, so the method returns it directly: `fn name(&self, ...) -> Paged<'_, T>;`",
        );
    }
    let item_type = match &last.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    if item_type.is_none() {
        cx.error_at(
            ty,
            "name the item type: `Paged<'_, T>`, where `T` is what one element of `value` decodes into",
        );
    }
    item_type
}

/// The `R` of `async fn -> R` or of `-> impl Future<Output = R> + Send`.
fn future_output<'a>(item: &'a TraitItemFn, cx: &mut Ctxt) -> Option<&'a Type> {
    let sig = &item.sig;
    const FORM: &str = "declare `async fn name(&self, ...) -> Result<T, graph_endpoint::Error>;` or `fn name(&self, ...) -> impl Future<Output = Result<T, graph_endpoint::Error>> + Send;`";
    let ty = match &sig.output {
        ReturnType::Default => {
            cx.error(sig.ident.span(), format!("missing return type: {FORM}"));
            return None;
        }
        ReturnType::Type(_, ty) => &**ty,
    };
    if sig.asyncness.is_some() {
        return Some(ty);
    }
    let Type::ImplTrait(impl_trait) = ty else {
        cx.error_at(ty, format!("a Graph endpoint returns a future: {FORM}"));
        return None;
    };
    let mut output = None;
    let mut send = false;
    for bound in &impl_trait.bounds {
        if let TypeParamBound::Trait(t) = bound {
            let Some(last) = t.path.segments.last() else {
                continue;
            };
            if last.ident == "Send" {
                send = true;
            }
            if last.ident == "Future"
                && let PathArguments::AngleBracketed(args) = &last.arguments
            {
                for arg in &args.args {
                    if let GenericArgument::AssocType(assoc) = arg
                        && assoc.ident == "Output"
                    {
                        output = Some(&assoc.ty);
                    }
                }
            }
        }
    }
    if output.is_none() {
        cx.error_at(
            ty,
            format!("expected `impl Future<Output = ...> + Send`: {FORM}"),
        );
    } else if !send {
        cx.error_at(
            ty,
            "add `+ Send`: the future must be sendable to other threads (`tokio::spawn`)",
        );
    }
    output
}

/// The `T` of `Result<T, E>`.
fn result_ok_type<'a>(ty: &'a Type, cx: &mut Ctxt) -> Option<&'a Type> {
    if let Type::Path(p) = ty
        && let Some(last) = p.path.segments.last()
        && last.ident == "Result"
        && let PathArguments::AngleBracketed(args) = &last.arguments
    {
        let types: Vec<&Type> = args
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect();
        if types.len() == 2 {
            check_error_type(types[1], cx);
            return Some(types[0]);
        }
    }
    cx.error_at(
        ty,
        "a Graph endpoint returns `Result<T, graph_endpoint::Error>`: `T` is `()`, a JSON type, `Option<T>`, `Bytes` or `Response<T>`",
    );
    None
}

/// The error must be `graph_endpoint::Error` (or a path that ends in `Error` and
/// is not from another crate, such as an imported `Error` or an alias).
fn check_error_type(ty: &Type, cx: &mut Ctxt) {
    let Type::Path(p) = ty else {
        cx.error_at(ty, "the error type must be `graph_endpoint::Error`");
        return;
    };
    let segments: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let foreign = segments.len() > 1
        && !matches!(
            segments[0].as_str(),
            "graph_endpoint" | "crate" | "self" | "super"
        );
    if foreign {
        cx.error_at(
            ty,
            format!(
                "the error type must be `graph_endpoint::Error`, not `{}`: it carries the status, Graph error code and request-id",
                segments.join("::")
            ),
        );
    }
}

fn last_segment(ty: &Type) -> Option<(&Ident, Option<&Type>)> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    let inner = match &last.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((&last.ident, inner))
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

fn is_bytes(ty: &Type) -> bool {
    matches!(last_segment(ty), Some((ident, None)) if ident == "Bytes")
}

/// `BodyStream`, the streamed result, by its spelling.
pub fn is_body_stream(ty: &Type) -> bool {
    matches!(last_segment(ty), Some((ident, None)) if ident == "BodyStream")
}

/// `StreamBody`, the streamed request body, by its spelling (behind a
/// reference too, which `valid` refuses).
pub fn is_stream_body(ty: &Type) -> bool {
    let ty = match ty {
        Type::Reference(r) => &*r.elem,
        other => other,
    };
    matches!(last_segment(ty), Some((ident, None)) if ident == "StreamBody")
}

/// The type a `Response<...>` or `Option<...>` wraps, when it is `BodyStream`.
pub fn wraps_body_stream(ty: &Type) -> Option<&Ident> {
    match last_segment(ty) {
        Some((ident, Some(inner))) if is_body_stream(inner) => Some(ident),
        _ => None,
    }
}

/// Decides by the type's spelling: `()`, `Bytes`, `Option<T>`, `Response<T>`, or JSON.
fn classify(ty: &Type) -> Output<'_> {
    if is_unit(ty) {
        return Output::Unit;
    }
    if is_bytes(ty) {
        return Output::Bytes;
    }
    if is_body_stream(ty) {
        return Output::BodyStream;
    }
    match last_segment(ty) {
        Some((ident, Some(inner))) if ident == "Option" => Output::OptionalJson(inner),
        Some((ident, Some(inner))) if ident == "Response" => {
            if is_unit(inner) {
                Output::ResponseUnit
            } else if is_bytes(inner) {
                Output::ResponseBytes
            } else {
                Output::ResponseJson(inner)
            }
        }
        _ => Output::Json(ty),
    }
}
