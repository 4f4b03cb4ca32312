//! Parses the arguments of `#[graph_action(...)]`. Every value keeps its
//! tokens, so later errors point at the exact place.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Ident, LitInt, LitStr, Token, bracketed, parenthesized};

use crate::ctxt::Ctxt;

pub const KEYS: &[&str] = &["expect", "version", "permissions", "headers"];
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// `#[graph_action(METHOD, "PATH", key = value, ...)]`, as written.
#[derive(Default)]
pub struct ActionAttr {
    pub method: Option<Ident>,
    pub path: Option<LitStr>,
    pub expect: Option<Vec<LitInt>>,
    pub version: Option<LitStr>,
    pub permissions: Option<Vec<LitStr>>,
    pub headers: Option<Vec<(LitStr, LitStr)>>,
    /// The span of the whole argument list, for "missing" errors.
    pub span: Option<Span>,
}

impl ActionAttr {
    /// Parses what it can; each mistake goes to `cx` and parsing goes on where it safely can.
    pub fn parse(args: TokenStream, cx: &mut Ctxt) -> ActionAttr {
        let mut attr = ActionAttr {
            span: Some(args.span()),
            ..ActionAttr::default()
        };
        let parser = |input: ParseStream| {
            parse_items(input, &mut attr, cx);
            Ok(())
        };
        if let Err(e) = parser.parse2(args) {
            cx.push(e);
        }
        attr
    }
}

fn parse_items(input: ParseStream, attr: &mut ActionAttr, cx: &mut Ctxt) {
    let mut position = 0usize;
    while !input.is_empty() {
        if let Err(e) = parse_item(input, attr, cx, position) {
            cx.push(e);
            // The rest cannot be read reliably: skip it.
            let _ = input.step(|cursor| {
                let mut rest = *cursor;
                while let Some((_, next)) = rest.token_tree() {
                    rest = next;
                }
                Ok(((), rest))
            });
            return;
        }
        position += 1;
        if input.is_empty() {
            break;
        }
        if let Err(e) = input.parse::<Token![,]>() {
            cx.push(syn::Error::new(
                e.span(),
                "expected `,` between the arguments of `#[graph_action]`",
            ));
            return;
        }
    }
}

fn parse_item(
    input: ParseStream,
    attr: &mut ActionAttr,
    cx: &mut Ctxt,
    position: usize,
) -> syn::Result<()> {
    if input.peek(LitStr) {
        let path: LitStr = input.parse()?;
        if attr.path.is_some() {
            cx.error(
                path.span(),
                "a second path: `#[graph_action]` takes one path literal",
            );
        } else {
            attr.path = Some(path);
        }
        return Ok(());
    }
    if input.peek(syn::Lit) {
        let lit: syn::Lit = input.parse()?;
        cx.error(
            lit.span(),
            "expected the HTTP method (GET, POST, PUT, PATCH, DELETE), the path as a string literal, or `key = value`",
        );
        return Ok(());
    }
    let key: Ident = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected the HTTP method, the path literal, or `key = value`: `#[graph_action(POST, \"/path/<id>\", expect = 204)]`",
        )
    })?;
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        return parse_key_value(input, key, attr, cx);
    }
    if input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in input);
        if key == "headers" {
            let headers = parse_headers(&content)?;
            set_once(cx, &key, &mut attr.headers, headers);
        } else {
            cx.error(key.span(), unknown_key_message(&key));
        }
        return Ok(());
    }
    // A bare identifier: the method.
    if attr.method.is_some() {
        cx.error(
            key.span(),
            format!("a second HTTP method `{key}`: `#[graph_action]` takes one"),
        );
    } else {
        if position > 0 && attr.path.is_some() {
            cx.error(
                key.span(),
                "the HTTP method comes first: `#[graph_action(GET, \"/path\", ...)]`",
            );
        }
        attr.method = Some(key);
    }
    Ok(())
}

fn parse_key_value(
    input: ParseStream,
    key: Ident,
    attr: &mut ActionAttr,
    cx: &mut Ctxt,
) -> syn::Result<()> {
    match key.to_string().as_str() {
        "expect" => {
            let statuses = if input.peek(syn::token::Bracket) {
                let content;
                bracketed!(content in input);
                let list = content.parse_terminated(LitInt::parse, Token![,])?;
                if list.is_empty() {
                    cx.error(key.span(), "`expect = []` lists no status: write `expect = 200` or `expect = [200, 204]`");
                }
                list.into_iter().collect()
            } else {
                let lit: LitInt = input.parse().map_err(|e| {
                    syn::Error::new(e.span(), "`expect` takes a status or a list of statuses: `expect = 204` or `expect = [200, 204]`")
                })?;
                vec![lit]
            };
            set_once(cx, &key, &mut attr.expect, statuses);
        }
        "version" => {
            let lit: LitStr = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "`version` takes a string: `version = \"beta\"` or `version = \"v1.0\"`",
                )
            })?;
            set_once(cx, &key, &mut attr.version, lit);
        }
        "permissions" => {
            let list = if input.peek(syn::token::Bracket) {
                let content;
                bracketed!(content in input);
                content
                    .parse_terminated(|s: ParseStream| s.parse::<LitStr>(), Token![,])?
                    .into_iter()
                    .collect()
            } else {
                let lit: LitStr = input.parse().map_err(|e| {
                    syn::Error::new(e.span(), "`permissions` takes a list of strings: `permissions = [\"DeviceManagementConfiguration.ReadWrite.All\"]`")
                })?;
                vec![lit]
            };
            set_once(cx, &key, &mut attr.permissions, list);
        }
        "headers" => {
            cx.error(
                key.span(),
                "write static headers as `headers(\"Name\" = \"value\", ...)`",
            );
            // Consume the value so the next key is still read.
            let _: syn::Expr = input.parse()?;
        }
        _ => {
            cx.error(key.span(), unknown_key_message(&key));
            let _: syn::Expr = input.parse()?;
        }
    }
    Ok(())
}

fn parse_headers(input: ParseStream) -> syn::Result<Vec<(LitStr, LitStr)>> {
    let pairs = input.parse_terminated(
        |s: ParseStream| {
            let name: LitStr = s.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "a static header is written `\"Name\" = \"value\"`",
                )
            })?;
            s.parse::<Token![=]>()?;
            let value: LitStr = s.parse()?;
            Ok((name, value))
        },
        Token![,],
    )?;
    Ok(pairs.into_iter().collect())
}

fn set_once<T>(cx: &mut Ctxt, key: &Ident, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        cx.error(key.span(), format!("`{key}` is given twice: keep one"));
    } else {
        *slot = Some(value);
    }
}

fn unknown_key_message(key: &Ident) -> String {
    let name = key.to_string();
    let suggestion = KEYS
        .iter()
        .map(|k| (strsim::jaro_winkler(k, &name), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!("; did you mean `{k}`?"));
    match suggestion {
        Some(s) => format!("unknown key `{name}`{s}"),
        None => format!(
            "unknown key `{name}`: `#[graph_action]` knows `expect`, `version`, `permissions` and `headers(...)`"
        ),
    }
}
