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
                "/// Derived from [`{}`], whose getters apply through `Deref`.",
                self.name(b)
            );
        }
        let setters = self.setter_traits(q);
        if !setters.is_empty() {
            let _ = writeln!(
                out,
                "/// Setters: {} (in the [`prelude`](crate::prelude)).",
                setters
                    .iter()
                    .map(|s| format!("[`{s}`]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        // `repr(transparent)` and `RefCast` where a nested getter views the
        // model in place in its parent's object (`support::Borrowed`); the
        // other models do without both (see `Surface::viewed`).
        let viewed = self.viewed.contains(q.as_str());
        let ref_cast = if viewed { ", ::ref_cast::RefCast" } else { "" };
        let _ = writeln!(
            out,
            "{cfg}#[derive(Debug, Clone, PartialEq{ref_cast})]\n#[repr(transparent)]"
        );
        match base {
            Some(b) => {
                let _ = writeln!(out, "pub struct {name}(pub(crate) {});", self.name(b));
                let _ = writeln!(
                    out,
                    "{cfg}crate::__derived_model!({name}, {}, {q:?});",
                    self.name(b)
                );
                if viewed {
                    let _ = writeln!(
                        out,
                        "{cfg}crate::__borrowed_derived!({name}, {});",
                        self.name(b)
                    );
                }
            }
            None => {
                let _ = writeln!(out, "pub struct {name}(pub(crate) s::Object);");
                let typed_new = self.has_children(q) && q != ENTITY;
                let _ = writeln!(
                    out,
                    "{cfg}crate::__root_model!({name}, {q:?}, {typed_new});"
                );
                if viewed {
                    let _ = writeln!(out, "{cfg}crate::__borrowed_root!({name});");
                }
            }
        }
        let accessors = self.accessor_names(q);
        if !accessors.is_empty() {
            let _ = writeln!(out, "{cfg}impl {name} {{");
            for (field, p) in &accessors {
                self.write_getter(out, q, field, p);
            }
            out.push_str("}\n");
            let _ = writeln!(
                out,
                "/// Setters of [`{name}`]'s own properties, for it and every type derived from it:\n\
                 /// each returns the model it is called on, so a chain keeps its type."
            );
            let _ = writeln!(out, "{cfg}pub trait {name}Setters: s::Model {{");
            for (field, p) in &accessors {
                self.write_setters(out, field, p);
            }
            out.push_str("}\n");
        }
        for setter in &setters {
            let _ = writeln!(out, "{cfg}impl {setter} for {name} {{}}");
        }
        if self.has_children(q) {
            self.write_any(out, t);
            for setter in &setters {
                let _ = writeln!(out, "{cfg}impl {setter} for Any{name} {{}}");
            }
        }
        out.push('\n');
    }

    /// The setter traits that apply to a type: those of it and of its
    /// ancestors that declare properties, root first.
    pub(super) fn setter_traits(&self, qname: &str) -> Vec<String> {
        self.csdl
            .lineage(qname)
            .iter()
            .rev()
            .filter(|a| self.reached.contains_key(&a.qname) && !a.properties.is_empty())
            .map(|a| format!("{}Setters", self.name(&a.qname)))
            .collect()
    }

    /// The accessor name of each of a type's own properties: snake_case,
    /// made unique against the type's ancestors' (root first) and the model
    /// methods.
    pub(super) fn accessor_names(&self, qname: &str) -> Vec<(String, &Property)> {
        let lineage = self.csdl.lineage(qname);
        let mut used: BTreeSet<String> = BTreeSet::new();
        let mut own = Vec::new();
        for (depth, t) in lineage.iter().enumerate().rev() {
            for p in &t.properties {
                let mut field = safe_ident(&snake(&p.name));
                if RESERVED.contains(&field.as_str()) {
                    field.push('_');
                }
                while !used.insert(field.clone()) {
                    field.push('_');
                }
                if depth == 0 {
                    own.push((field, p));
                }
            }
        }
        own
    }

    fn property_doc(&self, owner: &str, p: &Property) -> String {
        self.csdl
            .descriptions
            .get(&format!("{owner}/{}", p.name))
            .map(|d| format!(" {}", doc_text(d)))
            .unwrap_or_default()
    }

    // Accessors reach the object as `s::Model::object(self)`, not
    // `self.object()`: a method call makes the compiler gather the traits in
    // scope, and the models module declares hundreds (the setter traits), for
    // each of twenty thousand calls; a path costs nothing (about 1.5 s of the
    // crate's build).
    fn write_getter(&self, out: &mut String, owner: &str, field: &str, p: &Property) {
        let (ty, collection) = split_collection(&p.ty);
        let a = self.access(ty);
        let wire = &p.name;
        let doc = self.property_doc(owner, p);
        if collection {
            let _ = writeln!(
                out,
                "    /// `{wire}`, every item.{doc}\n    #[inline]\n    pub fn {field}(&self) -> Option<s::Items<'_, {}>> {{ s::get_items(s::Model::object(self), {wire:?}, {ty:?}, {}) }}",
                a.item_ty, a.item
            );
        } else {
            let _ = writeln!(
                out,
                "    /// `{wire}`.{doc}\n    #[inline]\n    pub fn {field}(&self) -> Option<{}> {{ {}(s::Model::object(self), {wire:?}) }}",
                a.get_ty, a.get
            );
        }
    }

    fn write_setters(&self, out: &mut String, field: &str, p: &Property) {
        let (ty, collection) = split_collection(&p.ty);
        let a = self.access(ty);
        let wire = &p.name;
        if collection {
            let _ = writeln!(
                out,
                "    /// Sets `{wire}`.\n    fn set_{field}(&mut self, values: &[{}]) -> &mut Self {{ s::set_items(s::Model::object_mut(self), {wire:?}, values, {}); self }}",
                a.list_arg, a.value_of
            );
        } else {
            let _ = writeln!(
                out,
                "    /// Sets `{wire}`.\n    fn set_{field}(&mut self, value: {}) -> &mut Self {{ {}(s::Model::object_mut(self), {wire:?}, value); self }}",
                a.set_ty, a.set
            );
        }
        let _ = writeln!(
            out,
            "    /// Writes `{wire}` as `null`: on an update, clears it.\n    fn clear_{field}(&mut self) -> &mut Self {{ s::clear(s::Model::object_mut(self), {wire:?}); self }}\n    \
             /// Removes `{wire}`: not sent at all.\n    fn unset_{field}(&mut self) -> &mut Self {{ s::unset(s::Model::object_mut(self), {wire:?}); self }}"
        );
    }

    pub(super) fn access(&self, ty: &str) -> Access {
        let prim = |get_ty: &str,
                    get: &str,
                    set_ty: &str,
                    set: &str,
                    item_ty: &str,
                    item: &str,
                    list_arg: &str,
                    value_of: &str| Access {
            get_ty: get_ty.into(),
            get: format!("s::{get}"),
            set_ty: set_ty.into(),
            set: format!("s::{set}"),
            item_ty: item_ty.into(),
            item: format!("s::{item}"),
            list_arg: list_arg.into(),
            value_of: format!("s::{value_of}"),
        };
        let simple = |rust: &str, helper: &str| {
            prim(
                rust,
                &format!("get_{helper}"),
                rust,
                &format!("set_{helper}"),
                rust,
                &format!("item_{helper}"),
                rust,
                &format!("value_of_{helper}"),
            )
        };
        match ty {
            "Edm.String" => prim(
                "&str",
                "get_str",
                "&str",
                "set_str",
                "&str",
                "item_str",
                "&str",
                "value_of_str",
            ),
            "Edm.Boolean" => simple("bool", "bool"),
            "Edm.Int32" | "Edm.Int16" | "Edm.Byte" | "Edm.SByte" => simple("i32", "i32"),
            "Edm.Int64" => simple("i64", "i64"),
            "Edm.Single" | "Edm.Double" | "Edm.Decimal" => simple("f64", "f64"),
            "Edm.Guid" => simple("::uuid::Uuid", "guid"),
            "Edm.DateTimeOffset" => simple("::time::OffsetDateTime", "date_time"),
            "Edm.Date" => simple("::time::Date", "date"),
            "Edm.TimeOfDay" => simple("::time::Time", "time"),
            "Edm.Duration" => simple("s::IsoDuration", "duration"),
            "Edm.Binary" => prim(
                "Vec<u8>",
                "get_binary",
                "&[u8]",
                "set_binary",
                "Vec<u8>",
                "item_binary",
                "Vec<u8>",
                "value_of_binary",
            ),
            _ => {
                let generic = |rust: &str, helper: &str| {
                    prim(
                        rust,
                        &format!("get_{helper}"),
                        rust,
                        &format!("set_{helper}"),
                        rust,
                        &format!("item_{helper}::<{rust}>"),
                        rust,
                        &format!("value_of_{helper}::<{rust}>"),
                    )
                };
                if let Some(e) = self
                    .csdl
                    .enums
                    .get(ty)
                    .filter(|_| self.reached.contains_key(ty))
                {
                    let n = self.name(ty);
                    if e.flags {
                        // A set of members, read and written comma-separated.
                        let mut a = generic(&format!("s::Flags<{n}>"), "flags");
                        a.item = format!("s::item_flags::<{n}>");
                        a.value_of = format!("s::value_of_flags::<{n}>");
                        return a;
                    }
                    return generic(n, "member");
                }
                if self.read_in_place(ty) {
                    // Borrowed in place: reading copies nothing.
                    let n = self.name(ty);
                    let mut a = generic(n, "model");
                    a.get_ty = format!("&{n}");
                    a.get = format!("s::get_borrowed::<{n}>");
                    a.item_ty = format!("&{n}");
                    a.item = format!("s::item_borrowed::<{n}>");
                    return a;
                }
                if self.reached.contains_key(ty) {
                    // An `Any…` enum: which variant is stored, so it is
                    // copied out of the parent on each read.
                    return generic(&self.model_ref(ty), "model");
                }
                prim(
                    "&serde_json::Value",
                    "get_raw",
                    "serde_json::Value",
                    "set_value",
                    "&serde_json::Value",
                    "item_raw",
                    "serde_json::Value",
                    "value_of_raw",
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
        let _ = writeln!(out, "    type Schema = crate::metadata::Surface;");
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
    /// What a getter returns, inside `Option`.
    get_ty: String,
    /// The helper a getter calls.
    get: String,
    /// What a setter takes.
    set_ty: String,
    /// The helper a setter calls.
    set: String,
    /// The type of an item of a collection getter's `Items`.
    item_ty: String,
    /// The helper reading one item.
    item: String,
    /// The type of an item of a collection setter's slice.
    list_arg: String,
    /// The helper writing one item.
    value_of: String,
}

impl Surface<'_> {
    /// The prelude: every trait a program calls the surface through, each
    /// imported anonymously (`as _`), so one glob import brings their methods
    /// without any name.
    pub(super) fn prelude(&self, by_area: &std::collections::BTreeMap<&str, Vec<usize>>) -> String {
        let mut out = String::from(HEADER);
        out.push_str(
            "//! The traits a program calls the surface through, in one import:\n\
             //! `use` this module with `::*` to bring the beta\n\
             //! endpoints of every enabled area (v1.0 ones, under the same names, come\n\
             //! from [`crate::v1`] trait by trait), the setters of every model, and\n\
             //! [`Model`](crate::support::Model) and [`Member`](crate::support::Member).\n\
             //! Each is imported as `_`: the methods come into scope, no name does.\n\
             // Every item's areas are written `cfg(any(...))`, one area or several alike.\n\
             #![allow(clippy::non_minimal_cfg)]\n\n\
             pub use crate::support::{Member as _, Model as _};\n",
        );
        for q in self.reached.keys() {
            if let Some(t) = self.csdl.types.get(q)
                && !t.properties.is_empty()
            {
                let _ = writeln!(
                    out,
                    "{}pub use crate::models::{}Setters as _;",
                    self.cfg(q),
                    self.name(q)
                );
            }
        }
        for (area, _) in self.layout.areas {
            let mut traits: BTreeSet<&str> = BTreeSet::new();
            for &i in by_area.get(area).into_iter().flatten() {
                if !self.declared[i].in_v1() {
                    traits.insert(&self.declared[i].trait_name);
                }
            }
            for name in traits {
                let _ = writeln!(
                    out,
                    "#[cfg(feature = {area:?})]\npub use super::{area}::{name} as _;"
                );
            }
        }
        out
    }
}
