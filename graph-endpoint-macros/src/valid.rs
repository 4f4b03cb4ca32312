//! Every semantic check of a declaration, each error at the place of the
//! mistake. Runs after parsing, before any code is generated.

use std::collections::HashSet;

use quote::ToTokens;
use syn::LitStr;

use crate::ast::{Arg, Method, Output, Role};
use crate::attr::{ActionAttr, METHODS};
use crate::ctxt::Ctxt;
use crate::path::{self, Part};

/// A declaration that passed every check: what `expand` needs.
pub struct Checked {
    /// `Get`, `Post`, ...: the runtime's `Method` variant.
    pub method: &'static str,
    pub path: LitStr,
    pub parts: Vec<Part>,
    pub expect: Vec<u16>,
    /// `V1` or `Beta`: the runtime's `ApiVersion` variant.
    pub version: Option<&'static str>,
    pub permissions: Vec<String>,
    pub headers: Vec<(String, String)>,
}

/// Headers the client sets itself; a declaration must not override them.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "content-length",
    "client-request-id",
    "host",
    "accept",
    "sdkversion",
    "user-agent",
    "retry-attempt",
];

pub fn check(attr: &ActionAttr, method: &Method, cx: &mut Ctxt) -> Option<Checked> {
    let span = attr.span.unwrap_or_else(proc_macro2::Span::call_site);
    let http_method = match &attr.method {
        None => {
            if !attr.incomplete {
                cx.error(
                    span,
                    "missing HTTP method: write `#[graph_action(GET, \"/path\", expect = 200)]`",
                );
            }
            None
        }
        Some(ident) => {
            let name = ident.to_string();
            if METHODS.contains(&name.as_str()) {
                Some(name)
            } else if METHODS.contains(&name.to_ascii_uppercase().as_str()) {
                cx.error(
                    ident.span(),
                    format!(
                        "write the HTTP method in capitals: `{}`",
                        name.to_ascii_uppercase()
                    ),
                );
                None
            } else {
                cx.error(
                    ident.span(),
                    format!(
                        "unknown HTTP method `{name}`: use one of GET, POST, PUT, PATCH, DELETE"
                    ),
                );
                None
            }
        }
    };

    let parts = match &attr.path {
        None => {
            if !attr.incomplete {
                cx.error(span, "missing path: write it as a string literal, such as `\"/deviceManagement/managedDevices/<id>\"`");
            }
            None
        }
        Some(lit) => match path::parse(&lit.value()) {
            Ok(parts) => Some(parts),
            Err(messages) => {
                for message in messages {
                    cx.error(lit.span(), message);
                }
                None
            }
        },
    };

    let expect = check_expect(attr, cx);
    let version = attr
        .version
        .as_ref()
        .and_then(|lit| match lit.value().as_str() {
            "beta" => Some("Beta"),
            "v1.0" => Some("V1"),
            "v1" | "1.0" | "V1.0" => {
                cx.error(
                    lit.span(),
                    "write the version as Graph does: `version = \"v1.0\"`",
                );
                None
            }
            other => {
                cx.error(
                    lit.span(),
                    format!("unknown version `{other}`: use `\"beta\"` or `\"v1.0\"`"),
                );
                None
            }
        });

    let mut permissions = Vec::new();
    for lit in attr.permissions.iter().flatten() {
        let value = lit.value();
        let valid = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if valid {
            permissions.push(value);
        } else {
            cx.error(lit.span(), format!("`{value}` is not a permission name such as `DeviceManagementConfiguration.Read.All`"));
        }
    }

    let mut headers = Vec::new();
    let mut header_names = HashSet::new();
    for (name, value) in attr.headers.iter().flatten() {
        if let Some(name) = check_header_name(name, &mut header_names, cx) {
            let v = value.value();
            if v.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
                headers.push((name, v));
            } else {
                cx.error(
                    value.span(),
                    "a header value must be visible ASCII, without line breaks",
                );
            }
        }
    }

    check_method(
        method,
        http_method.as_deref(),
        parts.as_deref(),
        &mut header_names,
        cx,
    );
    if let (Some(Output::Paged(item)), Some(verb)) = (&method.output, http_method.as_deref())
        && verb != "GET"
    {
        cx.error_at(
            item,
            format!("a `Paged` list is read with GET, not {verb}: declare `#[graph_action(GET, ...)]`, or return `Result<T, Error>` from an `async fn`"),
        );
    }
    if let (Some(expect), Some(output)) = (&expect, &method.output) {
        check_output(expect, output, method, cx);
    }

    Some(Checked {
        method: match http_method?.as_str() {
            "GET" => "Get",
            "POST" => "Post",
            "PUT" => "Put",
            "PATCH" => "Patch",
            _ => "Delete",
        },
        path: attr.path.clone()?,
        parts: parts?,
        expect: expect?,
        version,
        permissions,
        headers,
    })
}

fn check_expect(attr: &ActionAttr, cx: &mut Ctxt) -> Option<Vec<u16>> {
    let Some(expect) = &attr.expect else {
        if attr.incomplete {
            return None;
        }
        cx.error(
            attr.span.unwrap_or_else(proc_macro2::Span::call_site),
            "missing `expect = STATUS`: name the success status, such as `expect = 200` (or `expect = [200, 204]`)",
        );
        return None;
    };
    let mut statuses = Vec::new();
    let mut ok = !expect.is_empty();
    for lit in expect {
        match lit.base10_parse::<u16>() {
            Ok(status) if (100..=599).contains(&status) => {
                if !(200..=399).contains(&status) {
                    cx.error(
                        lit.span(),
                        format!("`expect = {status}` is not a success status: use 2xx or 3xx; other statuses come back as `graph_endpoint::Error`"),
                    );
                    ok = false;
                } else if statuses.contains(&status) {
                    cx.error(
                        lit.span(),
                        format!("status {status} is listed twice in `expect`"),
                    );
                    ok = false;
                } else {
                    statuses.push(status);
                }
            }
            _ => {
                cx.error(
                    lit.span(),
                    format!("`{lit}` is not an HTTP status: use a number from 200 to 399"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(statuses)
}

fn check_header_name(name: &LitStr, seen: &mut HashSet<String>, cx: &mut Ctxt) -> Option<String> {
    let value = name.value();
    let token = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        cx.error(name.span(), format!("`{value}` is not a valid header name"));
        return None;
    }
    let lower = value.to_ascii_lowercase();
    if RESERVED_HEADERS.contains(&lower.as_str()) {
        cx.error(
            name.span(),
            format!("`{value}` is set by the client itself: remove it"),
        );
        return None;
    }
    if !seen.insert(lower) {
        cx.error(name.span(), format!("header `{value}` is given twice"));
        return None;
    }
    Some(value)
}

fn check_method(
    method: &Method,
    http_method: Option<&str>,
    parts: Option<&[Part]>,
    header_names: &mut HashSet<String>,
    cx: &mut Ctxt,
) {
    let placeholders: Vec<&str> = parts
        .unwrap_or_default()
        .iter()
        .filter_map(|p| match p {
            Part::Placeholder { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
        .collect();

    let mut bodies = Vec::new();
    let mut params = Vec::new();
    let mut wire_names = HashSet::new();
    let mut unbound = Vec::new();
    for arg in &method.args {
        let name = arg_name(arg.ident);
        let is_placeholder = placeholders.contains(&name.as_str());
        let (span, mark) = match &arg.role {
            Role::Unmarked => {
                if !is_placeholder && parts.is_some() {
                    unbound.push(arg);
                }
                continue;
            }
            Role::Rejected => continue,
            Role::Body(s) => (*s, "#[body]"),
            Role::Param(s, _) => (*s, "#[param]"),
            Role::Query(s, _) => (*s, "#[query]"),
            Role::Header(s, _) => (*s, "#[header]"),
        };
        if is_placeholder {
            cx.error(
                span,
                format!("argument `{name}` already fills `<{name}>` in the path: remove `{mark}`"),
            );
            continue;
        }
        if crate::ast::is_stream_body(arg.ty) {
            match &arg.role {
                Role::Body(_) if matches!(arg.ty, syn::Type::Reference(_)) => cx.error_at(
                    arg.ty,
                    "take the `StreamBody` by value: it is read once, as the call is sent",
                ),
                Role::Body(_) => {}
                _ => cx.error(
                    span,
                    format!(
                        "a `StreamBody` is the whole request body: mark it `#[body]`, not `{mark}`"
                    ),
                ),
            }
        }
        match &arg.role {
            Role::Body(_) | Role::Param(..) => {
                if let Some(m @ ("GET" | "DELETE")) = http_method {
                    cx.error(
                        span,
                        format!("a {m} request has no body: remove `{mark}` (use `#[query]` for a query parameter)"),
                    );
                }
                if let Role::Param(_, rename) = &arg.role {
                    params.push((span, arg.ident));
                    let wire = rename
                        .as_ref()
                        .map_or_else(|| path::camel_case(&name), LitStr::value);
                    check_wire_name(rename.as_ref(), &wire, span, &mut wire_names, cx);
                } else {
                    bodies.push((span, arg.ident));
                }
            }
            Role::Query(_, rename) => {
                let wire = rename
                    .as_ref()
                    .map_or_else(|| path::camel_case(&name), LitStr::value);
                check_wire_name(rename.as_ref(), &wire, span, &mut wire_names, cx);
            }
            Role::Header(_, header) => {
                check_header_name(header, header_names, cx);
            }
            Role::Unmarked | Role::Rejected => {}
        }
    }
    if let Some((span, _)) = bodies.get(1) {
        cx.error(
            *span,
            format!("a second `#[body]`: `{}` is already the body; a request has one body (use `#[param]` for action parameters)", bodies[0].1),
        );
    }
    if let (Some((_, body)), Some((span, _))) = (bodies.first(), params.first()) {
        cx.error(
            *span,
            format!("`#[param]` cannot be combined with `#[body]` (`{body}`): the body is either one value or an object of parameters"),
        );
    }
    let unfilled: Vec<&str> = placeholders
        .iter()
        .copied()
        .filter(|placeholder| {
            !method
                .args
                .iter()
                .any(|a| arg_name(a.ident) == *placeholder)
        })
        .collect();
    check_binding(method, &unbound, &unfilled, cx);
}

/// Arguments bound to nothing and placeholders without an argument. One of
/// each is one mistake, a misnamed argument or placeholder: one error.
fn check_binding(method: &Method, unbound: &[&Arg], unfilled: &[&str], cx: &mut Ctxt) {
    if let ([arg], [placeholder]) = (unbound, unfilled)
        && !method.unnamed_args
    {
        cx.error(
            arg.ident.span(),
            format!(
                "argument `{}` is bound to nothing and placeholder `<{placeholder}>` of the path has no argument: rename the argument `{}` (or the placeholder `<{}>`)",
                arg.ident,
                path::argument_name(placeholder),
                arg_name(arg.ident)
            ),
        );
        return;
    }
    for arg in unbound {
        let name = arg_name(arg.ident);
        cx.error(
            arg.ident.span(),
            format!("argument `{}` is bound to nothing: put `<{name}>` in the path, or mark it `#[body]`, `#[param]`, `#[query]` or `#[header(\"Name\")]`", arg.ident),
        );
    }
    // An argument that is a pattern or `_` (reported) may be meant for it.
    if method.unnamed_args {
        return;
    }
    for placeholder in unfilled {
        cx.error(
            method.item.sig.paren_token.span.join(),
            format!(
                "placeholder `<{placeholder}>` of the path has no argument: add `{}: &str` (or another type that implements `Display`)",
                path::argument_name(placeholder)
            ),
        );
    }
}

fn arg_name(ident: &syn::Ident) -> String {
    let name = ident.to_string();
    match name.strip_prefix("r#") {
        Some(raw) => raw.to_owned(),
        None => name,
    }
}

fn check_wire_name(
    rename: Option<&LitStr>,
    wire: &str,
    span: proc_macro2::Span,
    seen: &mut HashSet<String>,
    cx: &mut Ctxt,
) {
    let span = rename.map_or(span, LitStr::span);
    if wire.is_empty() || wire.chars().any(|c| c.is_whitespace() || c.is_control()) {
        cx.error(
            span,
            "a parameter name must not be empty or contain whitespace",
        );
    } else if !seen.insert(wire.to_owned()) {
        cx.error(
            span,
            format!("the name `{wire}` is used twice: rename one with `(\"name\")`"),
        );
    }
}

/// Statuses that never carry a body.
fn bodyless(status: u16) -> bool {
    matches!(status, 204 | 205 | 304)
}

/// Statuses whose body is the response's content.
fn carries_content(status: u16) -> bool {
    matches!(status, 200 | 201 | 203 | 206)
}

fn check_output(expect: &[u16], output: &Output<'_>, method: &Method, cx: &mut Ctxt) {
    let Some(success) = method.success else {
        return;
    };
    if let Output::Paged(item) = output {
        if let Some(status) = expect.iter().copied().find(|s| !carries_content(*s)) {
            cx.error_at(
                item,
                format!("`expect = {status}` has no page to read: a `Paged` list expects `200`"),
            );
        }
        return;
    }
    if let Some(wrapper) = crate::ast::wraps_body_stream(success) {
        cx.error_at(
            success,
            format!("`{wrapper}<BodyStream>` is not a result: a `BodyStream` carries the status and headers itself; return `Result<BodyStream, Error>`"),
        );
        return;
    }
    if matches!(output, Output::BodyStream) {
        if let Some(status) = expect.iter().copied().find(|s| !carries_content(*s)) {
            cx.error_at(
                success,
                format!("`expect = {status}` has no content to stream: a `BodyStream` expects `200` (or `206`)"),
            );
        }
        return;
    }
    if output.needs_body()
        && let Some(status) = expect.iter().copied().find(|s| bodyless(*s))
    {
        cx.error_at(
                success,
                format!(
                    "`expect = {status}` means the response has no body, but `{}` needs one to decode: return `Result<(), Error>`, or `Option<{}>` if the body is sometimes empty",
                    pretty(success),
                    pretty(success)
                ),
            );
    }
    if matches!(output, Output::Unit)
        && let Some(status) = expect.iter().copied().find(|s| carries_content(*s))
    {
        cx.error_at(
                success,
                format!("`expect = {status}` answers with a body that `()` would drop: return the type to decode it into, or `Response<()>` to discard it on purpose"),
            );
    }
}

/// A type as a person writes it: `serde_json::Value`, not `serde_json :: Value`.
fn pretty(ty: &syn::Type) -> String {
    let mut text = ty.to_token_stream().to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& ", "&"),
    ] {
        text = text.replace(from, to);
    }
    text
}
