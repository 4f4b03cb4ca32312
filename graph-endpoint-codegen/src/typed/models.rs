//! The models: a struct per entity and complex type, an `Any…` enum per
//! polymorphic base, an enum per enum type, and their accessors.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::names::*;
use super::resolve::split_collection;
use super::{ENTITY, Surface};
use crate::csdl::{Property, TypeDef};

impl Surface<'_> {
    pub(super) fn models(&self) -> String {
        let mut out = String::from(HEADER);
        out.push_str(
            "//! Models of every type the surface reaches, from Graph's metadata.\n\
             #![allow(clippy::all, rustdoc::bare_urls, rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]\n\n\
             // With no area enabled no model is compiled, and nothing uses these.\n\
             #[allow(unused_imports)]\n\
             use crate::support::{self as s, Model as _};\n\n",
        );
        for q in self.reached.keys() {
            if let Some(t) = self.csdl.types.get(q) {
                self.write_struct(&mut out, t);
            } else if let Some(e) = self.csdl.enums.get(q) {
                self.write_enum(&mut out, e);
            }
        }
        out
    }

    pub(super) fn doc(&self, out: &mut String, target: &str, indent: &str) {
        if let Some(text) = self.csdl.descriptions.get(target) {
            let _ = writeln!(out, "{indent}/// {}", doc_text(text));
        }
    }

    pub(super) fn write_struct(&self, out: &mut String, t: &TypeDef) {
        let q = &t.qname;
        let name = self.name(q);
        let cfg = self.cfg(q);
        let kind = if t.entity { "entity" } else { "complex" };
        self.doc(out, q, "");
        if self.csdl.descriptions.contains_key(q) {
            out.push_str("///\n");
        }
        let _ = writeln!(out, "/// Graph {kind} type {}.", graph_link(q));
        let base = t.base.as_deref().filter(|b| self.reached.contains_key(*b));
        if let Some(b) = base {
            let _ = writeln!(
                out,
                "/// Derived from [`{}`], whose accessors apply through `Deref`.",
                self.name(b)
            );
        }
        let _ = writeln!(out, "{cfg}#[derive(Debug, Clone, PartialEq)]");
        match base {
            Some(b) => {
                let _ = writeln!(out, "pub struct {name}(pub(crate) {});", self.name(b));
                let _ = writeln!(
                    out,
                    "{cfg}crate::__derived_model!({name}, {}, {q:?});",
                    self.name(b)
                );
            }
            None => {
                let _ = writeln!(out, "pub struct {name}(pub(crate) s::Object);");
                let typed_new = self.has_children(q) && q != ENTITY;
                let _ = writeln!(
                    out,
                    "{cfg}crate::__root_model!({name}, {q:?}, {typed_new});"
                );
            }
        }
        if !t.properties.is_empty() {
            let _ = writeln!(out, "{cfg}impl {name} {{");
            let mut used: BTreeSet<String> = BTreeSet::new();
            for p in &t.properties {
                self.write_accessors(out, q, p, &mut used);
            }
            out.push_str("}\n");
        }
        if self.has_children(q) {
            self.write_any(out, t);
        }
        out.push('\n');
    }

    pub(super) fn write_accessors(
        &self,
        out: &mut String,
        owner: &str,
        p: &Property,
        used: &mut BTreeSet<String>,
    ) {
        let mut field = safe_ident(&snake(&p.name));
        if RESERVED.contains(&field.as_str()) {
            field.push('_');
        }
        while !used.insert(field.clone()) {
            field.push('_');
        }
        let (ty, collection) = split_collection(&p.ty);
        let a = self.access(ty);
        let wire = &p.name;
        let target = format!("{owner}/{wire}");
        let doc = self
            .csdl
            .descriptions
            .get(&target)
            .map(|d| format!(" {}", doc_text(d)))
            .unwrap_or_default();
        if collection {
            let _ = writeln!(
                out,
                "    /// `{wire}`.{doc}\n    #[inline]\n    pub fn {field}(&self) -> Option<Vec<{}>> {{ s::get_list(self.object(), {wire:?}, {}) }}",
                a.owned, a.item
            );
            let _ = writeln!(
                out,
                "    /// Sets `{wire}`; `None` writes `null`.\n    #[inline]\n    pub fn set_{field}(&mut self, value: Option<Vec<{}>>) -> &mut Self {{ s::set_list(self.object_mut(), {wire:?}, value, {}); self }}",
                a.owned, a.to_value_ref
            );
        } else {
            let _ = writeln!(
                out,
                "    /// `{wire}`.{doc}\n    #[inline]\n    pub fn {field}(&self) -> Option<{}> {{ {}(self.object(), {wire:?}) }}",
                a.get_ty, a.get
            );
            let _ = writeln!(
                out,
                "    /// Sets `{wire}`; `None` writes `null`.\n    #[inline]\n    pub fn set_{field}(&mut self, value: Option<{}>) -> &mut Self {{ {}(self.object_mut(), {wire:?}, value); self }}",
                a.set_ty, a.set
            );
        }
    }

    pub(super) fn access(&self, ty: &str) -> Access {
        let prim = |get_ty: &str,
                    get: &str,
                    set_ty: &str,
                    set: &str,
                    owned: &str,
                    item: &str,
                    to_value_ref: &str| Access {
            get_ty: get_ty.into(),
            get: get.into(),
            set_ty: set_ty.into(),
            set: set.into(),
            owned: owned.into(),
            item: item.into(),
            to_value_ref: to_value_ref.into(),
        };
        match ty {
            "Edm.String" | "Edm.Guid" | "Edm.DateTimeOffset" | "Edm.Date" | "Edm.TimeOfDay"
            | "Edm.Duration" | "Edm.Binary" => prim(
                "&str",
                "s::get_str",
                "&str",
                "s::set_str",
                "String",
                "s::item_str",
                "s::string_value",
            ),
            "Edm.Boolean" => prim(
                "bool",
                "s::get_bool",
                "bool",
                "s::set_bool",
                "bool",
                "s::item_bool",
                "s::bool_value",
            ),
            "Edm.Int32" | "Edm.Int16" | "Edm.Byte" | "Edm.SByte" => prim(
                "i32",
                "s::get_i32",
                "i32",
                "s::set_i32",
                "i32",
                "s::item_i32",
                "s::i32_value",
            ),
            "Edm.Int64" => prim(
                "i64",
                "s::get_i64",
                "i64",
                "s::set_i64",
                "i64",
                "s::item_i64",
                "s::i64_value",
            ),
            "Edm.Single" | "Edm.Double" | "Edm.Decimal" => prim(
                "f64",
                "s::get_f64",
                "f64",
                "s::set_f64",
                "f64",
                "s::item_f64",
                "s::f64_ref_value",
            ),
            _ => {
                if let Some(e) = self
                    .csdl
                    .enums
                    .get(ty)
                    .filter(|_| self.reached.contains_key(ty))
                {
                    let n = self.name(ty);
                    if e.flags {
                        // A set of members, read and written comma-separated.
                        return Access {
                            get_ty: format!("s::Flags<{n}>"),
                            get: "s::get_flags".into(),
                            set_ty: format!("s::Flags<{n}>"),
                            set: "s::set_flags".into(),
                            owned: format!("s::Flags<{n}>"),
                            item: format!("s::item_flags::<{n}>"),
                            to_value_ref: format!("s::flags_value::<{n}>"),
                        };
                    }
                    return Access {
                        get_ty: n.to_owned(),
                        get: "s::get_member".into(),
                        set_ty: n.to_owned(),
                        set: "s::set_member".into(),
                        owned: n.to_owned(),
                        item: format!("s::item_member::<{n}>"),
                        to_value_ref: format!("s::member_value::<{n}>"),
                    };
                }
                if self.reached.contains_key(ty) {
                    let n = self.model_ref(ty);
                    return Access {
                        get_ty: n.clone(),
                        get: "s::get_model".into(),
                        set_ty: n.clone(),
                        set: "s::set_model".into(),
                        owned: n.clone(),
                        item: format!("s::item_model::<{n}>"),
                        to_value_ref: format!("s::model_value::<{n}>"),
                    };
                }
                prim(
                    "&serde_json::Value",
                    "s::get_raw",
                    "serde_json::Value",
                    "s::set",
                    "serde_json::Value",
                    "s::item_raw",
                    "s::raw_value",
                )
            }
        }
    }

    pub(super) fn write_any(&self, out: &mut String, t: &TypeDef) {
        let q = &t.qname;
        let base = self.name(q);
        let cfg = self.cfg(q);
        let all = self.descendants(q);
        let _ = writeln!(
            out,
            "/// A [`{base}`] or any type derived from it, told apart by `@odata.type`\n\
             /// ({}). Unknown types come as `Other`, kept whole.",
            graph_link(q)
        );
        let _ = writeln!(
            out,
            "{cfg}#[derive(Debug, Clone, PartialEq)]\npub enum Any{base} {{"
        );
        let _ = writeln!(
            out,
            "    /// `{q}` itself, or no `@odata.type`.\n    {base}({base}),"
        );
        for d in &all {
            let _ = writeln!(out, "    /// `{d}`.\n    {n}({n}),", n = self.name(d));
        }
        let _ = writeln!(
            out,
            "    /// A type the metadata does not derive from `{q}`, kept as it came.\n    Other({base}),\n}}"
        );
        let _ = writeln!(out, "{cfg}impl s::Model for Any{base} {{");
        let _ = writeln!(out, "    const GRAPH_TYPE: &'static str = {q:?};");
        let _ = writeln!(
            out,
            "    fn decoded_as(&self) -> Option<&'static str> {{\n        match self {{\n            Self::{base}(_) => Some({q:?}),\n            Self::Other(_) => None,"
        );
        for d in &all {
            let _ = writeln!(out, "            Self::{}(_) => Some({d:?}),", self.name(d));
        }
        out.push_str("        }\n    }\n");
        out.push_str("    #[inline]\n    fn from_object(object: s::Object) -> Self {\n        match object.get(\"@odata.type\").and_then(serde_json::Value::as_str).map(|t| t.trim_start_matches('#')) {\n");
        let _ = writeln!(
            out,
            "            None | Some({q:?}) => Self::{base}({base}::from_object(object)),"
        );
        for d in &all {
            let _ = writeln!(
                out,
                "            Some({d:?}) => Self::{n}({n}::from_object(object)),",
                n = self.name(d)
            );
        }
        let _ = writeln!(
            out,
            "            Some(_) => Self::Other({base}::from_object(object)),\n        }}\n    }}"
        );
        for (method, recv, ret) in [
            ("object", "&self", "&s::Object"),
            ("object_mut", "&mut self", "&mut s::Object"),
            ("into_object", "self", "s::Object"),
        ] {
            let _ = writeln!(
                out,
                "    fn {method}({recv}) -> {ret} {{\n        match self {{"
            );
            let _ = writeln!(
                out,
                "            Self::{base}(v) | Self::Other(v) => v.{method}(),"
            );
            for d in &all {
                let _ = writeln!(
                    out,
                    "            Self::{}(v) => v.{method}(),",
                    self.name(d)
                );
            }
            out.push_str("        }\n    }\n");
        }
        out.push_str("}\n");
        let _ = writeln!(
            out,
            "{cfg}impl Any{base} {{\n    /// The value as its base type, whose accessors apply to every variant.\n    #[inline]\n    pub fn as_base(&self) -> &{base} {{\n        match self {{"
        );
        let _ = writeln!(out, "            Self::{base}(v) | Self::Other(v) => v,");
        for d in &all {
            let _ = writeln!(out, "            Self::{}(v) => v,", self.name(d));
        }
        out.push_str("        }\n    }\n");
        let _ = writeln!(
            out,
            "    /// The value as its base type, to change.\n    #[inline]\n    pub fn as_base_mut(&mut self) -> &mut {base} {{\n        match self {{"
        );
        let _ = writeln!(out, "            Self::{base}(v) | Self::Other(v) => v,");
        for d in &all {
            let _ = writeln!(out, "            Self::{}(v) => v,", self.name(d));
        }
        out.push_str("        }\n    }\n}\n");
        let _ = writeln!(
            out,
            "{cfg}impl std::ops::Deref for Any{base} {{\n    type Target = {base};\n    fn deref(&self) -> &{base} {{\n        self.as_base()\n    }}\n}}"
        );
        let _ = writeln!(
            out,
            "{cfg}impl std::ops::DerefMut for Any{base} {{\n    fn deref_mut(&mut self) -> &mut {base} {{\n        self.as_base_mut()\n    }}\n}}"
        );
        let _ = writeln!(out, "{cfg}crate::__model_serde!(Any{base});");
        let _ = writeln!(
            out,
            "{cfg}impl From<{base}> for Any{base} {{\n    fn from(v: {base}) -> Self {{\n        Self::from_object(v.into_object())\n    }}\n}}"
        );
        for d in &all {
            let _ = writeln!(
                out,
                "{cfg}impl From<{n}> for Any{base} {{\n    fn from(v: {n}) -> Self {{\n        Self::{n}(v)\n    }}\n}}",
                n = self.name(d)
            );
        }
    }

    pub(super) fn write_enum(&self, out: &mut String, e: &crate::csdl::EnumDef) {
        let q = &e.qname;
        let name = self.name(q);
        let cfg = self.cfg(q);
        self.doc(out, q, "");
        if self.csdl.descriptions.contains_key(q) {
            out.push_str("///\n");
        }
        let _ = writeln!(
            out,
            "/// Graph enum type {}{}.",
            graph_link(q),
            if e.flags {
                " (flags: a property of this type holds a set, written comma-separated)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "{cfg}#[derive(Debug, Clone, PartialEq, Eq, Hash)]\npub enum {name} {{"
        );
        let mut variants = Vec::new();
        let mut used = BTreeSet::new();
        for m in &e.members {
            let mut v = variant_name(m);
            while !used.insert(v.clone()) {
                v.push('_');
            }
            let doc = self
                .csdl
                .descriptions
                .get(&format!("{q}/{m}"))
                .map(|d| format!(" {}", doc_text(d)))
                .unwrap_or_default();
            let _ = writeln!(out, "    /// `{m}`.{doc}\n    {v},");
            variants.push((m, v));
        }
        out.push_str("    /// A member the metadata does not list, as it came.\n    Unrecognized(String),\n}\n");
        let _ = writeln!(
            out,
            "{cfg}impl s::Member for {name} {{\n    #[inline]\n    fn as_str(&self) -> &str {{\n        match self {{"
        );
        for (m, v) in &variants {
            let _ = writeln!(out, "            Self::{v} => {m:?},");
        }
        out.push_str("            Self::Unrecognized(text) => text,\n        }\n    }\n    #[inline]\n    fn parse(text: &str) -> Self {\n        match text {\n");
        for (m, v) in &variants {
            let _ = writeln!(out, "            {m:?} => Self::{v},");
        }
        out.push_str(
            "            _ => Self::Unrecognized(text.to_owned()),\n        }\n    }\n}\n",
        );
        let _ = writeln!(out, "{cfg}crate::__member_serde!({name});\n");
    }
}

pub(super) struct Access {
    get_ty: String,
    get: String,
    set_ty: String,
    set: String,
    owned: String,
    item: String,
    to_value_ref: String,
}
