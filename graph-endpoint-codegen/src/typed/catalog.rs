//! The catalog (every endpoint's body and result codecs, for checking
//! payloads) and the table of entity collections.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::Surface;
use super::endpoints::Shape;
use super::names::HEADER;
use super::resolve::resolve;

impl Surface<'_> {
    /// The codec of a Rust type written by [`Self::signature`].
    pub(super) fn codec(&self, ty: &str) -> String {
        let ty = ty
            .strip_prefix("::core::option::Option<")
            .and_then(|t| t.strip_suffix('>'))
            .unwrap_or(ty)
            .trim_start_matches('&');
        let is_model = |t: &str| {
            t.strip_prefix("crate::models::").is_some_and(|n| {
                let n = n
                    .strip_prefix("Any")
                    .filter(|b| self.names.values().any(|v| v == b))
                    .unwrap_or(n);
                self.names
                    .iter()
                    .any(|(q, v)| v == n && self.csdl.types.contains_key(q))
            })
        };
        let owned = |t: &str| {
            let t = t.trim_start_matches('&');
            if t == "str" {
                "String".to_owned()
            } else {
                t.to_owned()
            }
        };
        if let Some(inner) = ty
            .strip_prefix("::graph_endpoint::Collection<")
            .and_then(|t| t.strip_suffix('>'))
        {
            if is_model(inner) {
                format!("s::codec_list::<{inner}>")
            } else {
                format!("s::codec_list_of::<{}>", owned(inner))
            }
        } else if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            if is_model(inner) {
                format!("s::codec_array::<{inner}>")
            } else {
                format!("s::codec_array_of::<{}>", owned(inner))
            }
        } else if ty == "::serde_json::Value" {
            "s::codec_raw".to_owned()
        } else if is_model(ty) {
            format!("s::codec_model::<{ty}>")
        } else {
            format!("s::codec_of::<{}>", owned(ty))
        }
    }

    pub(super) fn catalog(&self) -> String {
        let mut out = String::from(HEADER);
        out.push_str(
            "//! Every endpoint with the types of its body and result, to check payloads\n\
             //! against them.\n\n\
             use crate::support::{self as s, Declaration};\n\n\
             /// Every endpoint, in the order of the endpoint list.\n\
             pub static ENDPOINTS: &[Declaration] = &[\n",
        );
        for (i, d) in self.declared.iter().enumerate() {
            let (args, shape) = self.signature(i);
            let mut params = Vec::new();
            let mut body = None;
            for a in &args {
                let (head, ty) = a.split_once(": ").unwrap_or((a, ""));
                if head.starts_with("#[body]") {
                    body = Some(self.codec(ty));
                } else if let Some(rest) = head.strip_prefix("#[param(") {
                    let name = rest.split(')').next().unwrap_or_default();
                    params.push(format!("({name}, {})", self.codec(ty)));
                }
            }
            if !params.is_empty() {
                body = Some(format!("|v| s::codec_params(v, &[{}])", params.join(", ")));
            }
            let result = match &shape {
                Shape::Paged(t) => Some(format!("s::codec_list::<{t}>")),
                Shape::Result(t) if t == "()" => None,
                Shape::Result(t) => Some(self.codec(t)),
            };
            let single = result
                .as_deref()
                .is_some_and(|r| r.starts_with("s::codec_model"));
            let opt = |c: Option<String>| c.map_or("None".to_owned(), |c| format!("Some({c})"));
            let _ = writeln!(
                out,
                "    Declaration {{ method: {:?}, path: {:?}, version: {:?}, body: {}, result: {}, single: {single} }},",
                d.spec.method,
                d.spec.path,
                d.spec.version,
                opt(body),
                opt(result)
            );
        }
        out.push_str("];\n");
        out
    }

    /// `(path with {} for keys, item type)` of every entity collection the surface lists or creates in.
    pub(super) fn entity_set_list(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for (d, r) in self.declared.iter().zip(&self.resolved) {
            let Some(r) = r else { continue };
            let Some(ty) = r.ty.as_deref() else { continue };
            if r.operation.is_some() || !self.csdl.types.get(ty).is_some_and(|t| t.entity) {
                continue;
            }
            let Some(wire) = collection_pattern(&d.template, r.collection) else {
                continue;
            };
            if resolve(self.csdl, &wire.replace("{}", "{x}"))
                .is_some_and(|c| c.collection && c.operation.is_none())
                && seen.insert(wire.clone())
            {
                out.push((wire, ty.to_owned()));
            }
        }
        out
    }

    pub(super) fn entity_sets(&self) -> String {
        let mut out = String::from(HEADER);
        out.push_str(
            "//! The entity collections the surface reaches: the path of each (after the\n\
             //! version, `{}` for a key) and the qualified type of its items, for a\n\
             //! stand-in that serves them generically.\n\n\
             /// `(path, item type)` of every entity collection the surface lists or creates in.\n\
             pub const ENTITY_SETS: &[(&str, &str)] = &[\n",
        );
        for (wire, ty) in self.entity_set_list() {
            let _ = writeln!(out, "    ({wire:?}, {ty:?}),");
        }
        out.push_str("];\n");
        out
    }
}

/// The collection of a template (`<key>` becomes `{}`): the template itself
/// for a collection, without its last key for an item.
pub(super) fn collection_pattern(template: &str, collection: bool) -> Option<String> {
    let mut path = template.to_owned();
    if !collection {
        match path.rfind("/<") {
            Some(k) if path.ends_with('>') => path.truncate(k),
            _ => return None,
        }
    }
    let mut wire = String::new();
    let mut rest = path.as_str();
    while let Some(s) = rest.find('<') {
        wire.push_str(&rest[..s]);
        wire.push_str("{}");
        rest = rest[s..].find('>').map_or("", |e| &rest[s + e + 1..]);
    }
    wire.push_str(rest);
    (!wire.contains('(') && !wire.contains('$')).then_some(wire)
}
