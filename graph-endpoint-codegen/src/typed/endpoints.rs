//! The endpoint declarations: one `#[graph_action]` trait per resource, by
//! area, with the typed signature of each endpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::Surface;
use super::names::*;
use super::resolve::split_collection;

impl Surface<'_> {
    /// A Rust type for a value of `ty` (qualified; `Collection(...)` allowed),
    /// owned (results) or borrowed (parameters).
    pub(super) fn value_type(&self, ty: &str, borrowed: bool) -> String {
        let (inner, collection) = split_collection(ty);
        let one = match inner {
            "Edm.String" | "Edm.Guid" | "Edm.DateTimeOffset" | "Edm.Date" | "Edm.TimeOfDay"
            | "Edm.Duration" | "Edm.Binary" => {
                if borrowed {
                    "&str".to_owned()
                } else {
                    "String".to_owned()
                }
            }
            "Edm.Boolean" => "bool".to_owned(),
            "Edm.Int32" | "Edm.Int16" | "Edm.Byte" | "Edm.SByte" => "i32".to_owned(),
            "Edm.Int64" => "i64".to_owned(),
            "Edm.Single" | "Edm.Double" | "Edm.Decimal" => "f64".to_owned(),
            _ if self.reached.contains_key(inner) => {
                let flags = self.csdl.enums.get(inner).is_some_and(|e| e.flags);
                if flags {
                    if borrowed {
                        "&str".to_owned()
                    } else {
                        "String".to_owned()
                    }
                } else {
                    format!("crate::models::{}", self.model_ref(inner))
                }
            }
            _ => "::serde_json::Value".to_owned(),
        };
        let is_model = one.starts_with("crate::models::") && self.csdl.types.contains_key(inner);
        let is_value = one == "::serde_json::Value";
        match (collection, borrowed) {
            (true, true) => format!("&[{one}]"),
            (true, false) => format!("::graph_endpoint::Collection<{one}>"),
            (false, true) if is_model || is_value => format!("&{one}"),
            (false, true) => one,
            (false, false) if is_model || is_value => one,
            (false, false) => format!("crate::support::Returned<{one}>"),
        }
    }

    pub(super) fn endpoints(&self, about: &str, indices: &[usize]) -> String {
        let mut out = String::from(HEADER);
        let _ = writeln!(
            out,
            "//! {about}.\n#![allow(rustdoc::bare_urls, clippy::too_many_arguments)]\n\nuse graph_endpoint::graph_action;\n"
        );
        let (v1, beta): (Vec<usize>, Vec<usize>) =
            indices.iter().partition(|&&i| self.declared[i].in_v1());
        self.write_traits(&mut out, &beta);
        if !v1.is_empty() {
            out.push_str(
                "/// The v1.0 endpoints of this area, under the same names as the beta ones.\n\
                 pub mod v1 {\n    use graph_endpoint::graph_action;\n\n",
            );
            let mut inner = String::new();
            self.write_traits(&mut inner, &v1);
            for line in inner.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "    {line}");
                }
            }
            out.push_str("}\n");
        }
        out
    }

    fn write_traits(&self, out: &mut String, indices: &[usize]) {
        let mut traits: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &i in indices {
            traits
                .entry(self.declared[i].trait_name.as_str())
                .or_default()
                .push(i);
        }
        for (name, methods) in &traits {
            let _ = writeln!(
                out,
                "/// Endpoints under `{}`.",
                crate::resource_root(&self.declared[methods[0]].spec.path)
            );
            let _ = writeln!(out, "pub trait {name}: ::graph_endpoint::Graph {{");
            for &i in methods {
                self.write_method(out, i);
            }
            let _ = writeln!(
                out,
                "}}\n\nimpl {name} for ::graph_endpoint::GraphClient {{}}\n"
            );
        }
    }

    /// The typed signature of endpoint `i`: arguments after `&self`, and the result
    /// (`None` result means a `Paged` list of the given item type).
    pub(super) fn signature(&self, i: usize) -> (Vec<String>, Shape) {
        let d = &self.declared[i];
        let spec = &d.spec;
        let mut args: Vec<String> = d
            .placeholders
            .iter()
            .map(|p| format!("{p}: &str"))
            .collect();
        let body_name = crate::body_name(&d.placeholders);
        let resolved = self.resolved[i].as_ref();
        let target = resolved
            .filter(|r| r.operation.is_none())
            .and_then(|r| r.ty.as_deref().map(|t| (t, r.collection)))
            .filter(|(t, _)| self.csdl.types.contains_key(*t));
        let untyped = || crate::result_type(spec).to_owned();
        let fit = |t: String| match crate::result_type(spec) {
            "()" => "()".to_owned(),
            "::serde_json::Value" => t,
            _ => format!("::core::option::Option<{t}>"),
        };
        match (
            spec.kind.as_str(),
            target,
            resolved.and_then(|r| r.operation.as_ref()),
        ) {
            ("list", Some((t, true)), _) if spec.method == "GET" => (
                args,
                Shape::Paged(format!("crate::models::{}", self.model_ref(t))),
            ),
            ("get" | "list", Some((t, c)), _) => {
                let m = format!("crate::models::{}", self.model_ref(t));
                let r = if c {
                    format!("::graph_endpoint::Collection<{m}>")
                } else {
                    m
                };
                (args, Shape::Result(fit(r)))
            }
            ("create" | "update", Some((t, c)), _) if spec.has_body => {
                let m = format!("crate::models::{}", self.model_ref(t));
                args.push(format!("#[body] {body_name}: &{m}"));
                let r = if c && spec.kind == "update" {
                    format!("::graph_endpoint::Collection<{m}>")
                } else {
                    m
                };
                (args, Shape::Result(fit(r)))
            }
            ("action" | "function", _, Some(op)) => {
                if op.is_action {
                    let mut used: BTreeSet<String> = d.placeholders.iter().cloned().collect();
                    for p in &op.params {
                        let mut n = safe_ident(&snake(&p.name));
                        while !used.insert(n.clone()) {
                            n.push_str("_param");
                        }
                        // A scalar parameter the metadata marks nullable may be
                        // left out: `None` is absent from the body. A collection
                        // is a slice all the same (`&[]` sends no items).
                        let ty = self.value_type(&p.ty, true);
                        let ty = if p.nullable && !split_collection(&p.ty).1 {
                            format!("::core::option::Option<{ty}>")
                        } else {
                            ty
                        };
                        args.push(format!("#[param({:?})] {n}: {ty}", p.name));
                    }
                    if op.params.is_empty() && spec.has_body {
                        args.push(format!("#[body] {body_name}: &::serde_json::Value"));
                    }
                }
                let r = match &op.returns {
                    Some(t) => fit(self.value_type(t, false)),
                    None => untyped(),
                };
                (args, Shape::Result(r))
            }
            _ => {
                if spec.has_body {
                    args.push(format!("#[body] {body_name}: &::serde_json::Value"));
                }
                (args, Shape::Result(untyped()))
            }
        }
    }

    pub(super) fn write_method(&self, out: &mut String, i: usize) {
        let d = &self.declared[i];
        let spec = &d.spec;
        if let Some(title) = &spec.title {
            let _ = writeln!(out, "    /// {}", doc_text(title));
        }
        if let Some(doc) = &spec.doc {
            let _ = writeln!(out, "    ///\n    /// Documented in `{doc}`.");
        }
        if let Some(p) = &spec.permissions {
            for (kind, list) in [
                ("delegated (work or school account)", &p.delegated),
                ("delegated (personal Microsoft account)", &p.personal),
                ("application", &p.application),
            ] {
                let text = if list.is_empty() {
                    "not supported".to_owned()
                } else {
                    list.iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = writeln!(out, "    /// - {kind}: {text}");
            }
        }
        let permissions: Vec<String> = spec
            .permissions
            .iter()
            .flat_map(|p| p.delegated.iter().chain(&p.application))
            // What the documentation writes where a name is still to come
            // (`**TODO: Determine scopes **`) is shown above, not declared.
            .filter(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            })
            .fold(Vec::new(), |mut acc: Vec<String>, p| {
                if !acc.contains(p) {
                    acc.push(p.clone());
                }
                acc
            });
        let perms = if permissions.is_empty() {
            String::new()
        } else {
            format!(
                ", permissions = [{}]",
                permissions
                    .iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            out,
            "    #[graph_action({}, {:?}, expect = {}, version = {:?}{perms})]",
            spec.method, d.template, spec.expect, spec.version
        );
        let (args, shape) = self.signature(i);
        let mut all = vec!["&self".to_owned()];
        all.extend(args);
        match shape {
            Shape::Paged(t) => {
                let _ = writeln!(
                    out,
                    "    fn {}({}) -> ::graph_endpoint::Paged<'_, {t}>;",
                    d.method_name,
                    all.join(", ")
                );
            }
            Shape::Result(t) => {
                let _ = writeln!(
                    out,
                    "    async fn {}({}) -> ::core::result::Result<{t}, ::graph_endpoint::Error>;",
                    d.method_name,
                    all.join(", ")
                );
            }
        }
    }
}

/// What an endpoint returns.
pub(super) enum Shape {
    Paged(String),
    Result(String),
}
