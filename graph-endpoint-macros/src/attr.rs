//! Parses the arguments of `#[graph_action(...)]`. Every value keeps its
//! tokens, so later errors point at the exact place.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
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
    /// Part of the arguments could not be read (and was reported): what
    /// seems missing may be in that part, so it is not reported as missing.
    pub incomplete: bool,
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
    let mut comma_reported = false;
    while !input.is_empty() {
        if let Err(e) = parse_item(input, attr, cx, position) {
            cx.push(e);
            attr.incomplete = true;
            // The rest of this argument cannot be read: skip to the next one.
            skip_to_comma(input);
        }
        position += 1;
        if input.is_empty() {
            break;
        }
        if input.parse::<Token![,]>().is_err() {
            // A missing comma: reported once, where the first one belongs (the
            // message shows the whole form), and read on when what follows
            // starts an argument.
            if !comma_reported {
                cx.error(
                    input.span(),
                    "expected `,` before this: separate the arguments of `#[graph_action]` with commas, as in `#[graph_action(POST, \"/path\", expect = 204)]`",
                );
                comma_reported = true;
            }
            if !(input.peek(Ident) || input.peek(LitStr)) {
                attr.incomplete = true;
                skip_to_comma(input);
                let _ = input.parse::<Option<Token![,]>>();
            }
        }
    }
}

/// Skips token trees up to the next top-level `,` (left in place) or the end.
fn skip_to_comma(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    });
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
        let message = if attr.path.is_none() {
            "expected the path as a string literal, such as `\"/users/<id>\"` (or the HTTP method, or `key = value`)"
        } else {
            "expected the HTTP method (GET, POST, PUT, PATCH, DELETE), the path as a string literal, or `key = value`"
        };
        cx.error(lit.span(), message);
        attr.incomplete = true;
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
            // It may be a misspelled `expect`: nothing is reported missing.
            attr.incomplete = true;
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
            // A status already reported leaves an empty list: `expect` was
            // given, so it is not reported as missing.
            let statuses = parse_expect(input, &key, cx)?;
            set_once(cx, &key, &mut attr.expect, statuses.unwrap_or_default());
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
            // It may be a misspelled `expect`: nothing is reported missing.
            attr.incomplete = true;
            let _: syn::Expr = input.parse()?;
        }
    }
    Ok(())
}

/// `204` or `[200, 204]`. `Ok(None)` when a status was unreadable and is
/// already reported; `Err` when the rest of the value cannot be read.
fn parse_expect(
    input: ParseStream,
    key: &Ident,
    cx: &mut Ctxt,
) -> syn::Result<Option<Vec<LitInt>>> {
    if !input.peek(syn::token::Bracket) {
        return Ok(parse_status(input, cx)?.map(|status| vec![status]));
    }
    let content;
    bracketed!(content in input);
    let mut statuses = Vec::new();
    let mut readable = true;
    while !content.is_empty() {
        match parse_status(&content, cx)? {
            Some(status) => statuses.push(status),
            None => readable = false,
        }
        if !content.is_empty() {
            content.parse::<Token![,]>().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `,` between the statuses: `expect = [200, 204]`",
                )
            })?;
        }
    }
    if statuses.is_empty() && readable {
        cx.error(
            key.span(),
            "`expect = []` lists no status: write `expect = 200` or `expect = [200, 204]`",
        );
    }
    Ok(readable.then_some(statuses))
}

/// One status: a number. A quoted number is reported once, at the literal;
/// `Ok(None)` then, as for any value already reported.
fn parse_status(input: ParseStream, cx: &mut Ctxt) -> syn::Result<Option<LitInt>> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        let value = lit.value();
        let number = value.trim();
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            cx.error(
                lit.span(),
                format!("write the status as a number, without quotes: `expect = {number}`"),
            );
        } else {
            cx.error(
                lit.span(),
                "`expect` takes a status number, not a string: `expect = 204` or `expect = [200, 204]`",
            );
        }
        return Ok(None);
    }
    input.parse::<LitInt>().map(Some).map_err(|e| {
        syn::Error::new(
            e.span(),
            "`expect` takes a status or a list of statuses: `expect = 204` or `expect = [200, 204]`",
        )
    })
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
