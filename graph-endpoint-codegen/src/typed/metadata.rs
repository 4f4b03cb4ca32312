//! The metadata tables of the generated crate: every reached entity and
//! complex type with its properties (own and inherited), every reached enum
//! type with its members, every declared bound operation with its path,
//! parameters and return type. Decoding checks payloads against them; a
//! stand-in answers the surface from them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Surface;
use super::names::HEADER;
use super::resolve::split_collection;
use crate::csdl::Property;

impl Surface<'_> {
    /// The `Kind` (of the generated crate's `metadata` module) of a qualified
    /// type, `Collection(...)` removed.
    pub(super) fn kind(&self, ty: &str) -> &'static str {
        match ty {
            "Edm.String" => "String",
            "Edm.Boolean" => "Boolean",
            "Edm.Byte" => "Byte",
            "Edm.SByte" => "SByte",
            "Edm.Int16" => "Int16",
            "Edm.Int32" => "Int32",
            "Edm.Int64" => "Int64",
            "Edm.Single" => "Single",
            "Edm.Double" => "Double",
            "Edm.Decimal" => "Decimal",
            "Edm.Guid" => "Guid",
            "Edm.DateTimeOffset" => "DateTimeOffset",
            "Edm.Date" => "Date",
            "Edm.TimeOfDay" => "TimeOfDay",
            "Edm.Duration" => "Duration",
            "Edm.Binary" => "Binary",
            _ if !self.reached.contains_key(ty) => "Untyped",
            _ => match (self.csdl.enums.get(ty), self.csdl.types.get(ty)) {
                (Some(e), _) if e.flags => "Flags",
                (Some(_), _) => "Enum",
                (None, Some(t)) if t.entity => "Entity",
                (None, Some(_)) => "Complex",
                (None, None) => "Untyped",
            },
        }
    }

    /// A `P` line of the tables' text (see the model runtime's `LazyTables`).
    fn property_line(&self, name: &str, p: &Property) -> String {
        let (ty, collection) = split_collection(&p.ty);
        format!(
            "P {} {} {} {}\n",
            field(name),
            field(ty),
            self.kind(ty),
            flags(&[(collection, 'c'), (p.nullable, 'n')])
        )
    }

    pub(super) fn metadata(&self) -> String {
        let mut text = String::new();
        for (q, t) in self
            .reached
            .keys()
            .filter_map(|q| self.csdl.types.get(q).map(|t| (q, t)))
        {
            // Own and inherited properties, the most derived declaration winning.
            let mut properties: BTreeMap<&str, &Property> = BTreeMap::new();
            for ancestor in self.csdl.lineage(q).iter().rev() {
                for p in &ancestor.properties {
                    properties.insert(&p.name, p);
                }
            }
            let _ = writeln!(
                text,
                "T {} {} {}",
                field(q),
                field(
                    t.base
                        .as_deref()
                        .filter(|b| self.reached.contains_key(*b))
                        .unwrap_or("-")
                ),
                flags(&[(t.entity, 'e'), (t.is_abstract, 'a')])
            );
            for (name, p) in properties {
                text.push_str(&self.property_line(name, p));
            }
        }
        for e in self.reached.keys().filter_map(|q| self.csdl.enums.get(q)) {
            let _ = write!(
                text,
                "E {} {}",
                field(&e.qname),
                if e.flags { "f" } else { "-" }
            );
            for member in &e.members {
                let _ = write!(text, " {}", field(member));
            }
            text.push('\n');
        }
        for (d, r) in self.declared.iter().zip(&self.resolved) {
            let Some(op) = r.as_ref().and_then(|r| r.operation.as_ref()) else {
                continue;
            };
            let (bound_to, bound_to_collection) = split_collection(&op.binding);
            let _ = writeln!(
                text,
                "O {} {} {} {} {} {}",
                field(&wire_path(&d.template)),
                field(&d.spec.version),
                field(&op.name),
                if op.is_action { "a" } else { "f" },
                field(bound_to),
                flags(&[(bound_to_collection, 'c')])
            );
            for p in &op.params {
                text.push_str(&self.property_line(&p.name, p));
            }
            if let Some(ty) = op.returns.as_deref() {
                let (inner, collection) = split_collection(ty);
                let _ = writeln!(
                    text,
                    "R {} {} {}",
                    field(inner),
                    self.kind(inner),
                    flags(&[(collection, 'c')])
                );
            }
        }
        let mut out = String::from(HEADER);
        out.push_str(
            "//! The metadata tables: see the crate's `metadata` module.\n\n\
             use crate::metadata::{LazyTables, Tables};\n\n\
             /// The tables together: what the models decode against, read from\n\
             /// their text on first use.\n\
             pub static TABLES: LazyTables = LazyTables::new(TEXT);\n\n\
             /// What this crate's models name as their schema: [`TABLES`].\n\
             #[derive(Debug, Clone, Copy)]\n\
             pub struct Surface;\n\n\
             impl graph_endpoint_model::metadata::Schema for Surface {\n    \
                 fn tables() -> &'static Tables {\n        &TABLES\n    }\n}\n\n\
             /// Every entity and complex type the surface reaches, sorted by name, with\n\
             /// its properties (own and inherited, sorted by name); every enum type with\n\
             /// its members; every declared bound action and function at each of its\n\
             /// paths, with its parameters and return type.\n\
             const TEXT: &str = \"\\\n",
        );
        out.push_str(&text);
        out.push_str("\";\n");
        out
    }
}

/// A field of the tables' text: one word, as every name and path is.
fn field(text: &str) -> &str {
    assert!(
        !text.is_empty() && !text.contains([' ', '\n', '"', '\\']),
        "a metadata name that is not one plain word: {text:?}"
    );
    text
}

/// The flags field: the letters that hold, or `-`.
fn flags(letters: &[(bool, char)]) -> String {
    let out: String = letters
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| c)
        .collect();
    if out.is_empty() { "-".to_owned() } else { out }
}

/// A template's path after the version, `{}` for each `<key>`.
fn wire_path(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template.trim_start_matches('/');
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        out.push_str("{}");
        rest = rest[start..]
            .find('>')
            .map_or("", |e| &rest[start + e + 1..]);
    }
    out.push_str(rest);
    out
}
