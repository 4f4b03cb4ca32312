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

    fn property_info(&self, name: &str, p: &Property) -> String {
        let (ty, collection) = split_collection(&p.ty);
        format!(
            "P {{ name: {name:?}, ty: {ty:?}, kind: K::{}, collection: {collection}, nullable: {} }}",
            self.kind(ty),
            p.nullable
        )
    }

    pub(super) fn metadata(&self) -> String {
        let mut out = String::from(HEADER);
        out.push_str(
            "//! The metadata tables: see the crate's `metadata` module.\n\n\
             use crate::metadata::{EnumInfo, Kind as K, OperationInfo, PropertyInfo as P, Tables, TypeInfo};\n\n\
             /// The tables together: what the models decode against.\n\
             pub static TABLES: Tables = Tables { types: TYPES, enums: ENUMS, operations: OPERATIONS };\n\n\
             /// Every entity and complex type the surface reaches, sorted by name.\n\
             pub static TYPES: &[TypeInfo] = &[\n",
        );
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
                out,
                "    TypeInfo {{ name: {q:?}, base: {:?}, entity: {}, is_abstract: {}, properties: &[",
                t.base.as_deref().filter(|b| self.reached.contains_key(*b)),
                t.entity,
                t.is_abstract
            );
            for (name, p) in properties {
                let _ = writeln!(out, "        {},", self.property_info(name, p));
            }
            out.push_str("    ] },\n");
        }
        out.push_str("];\n\n/// Every enum type the surface reaches, sorted by name.\npub static ENUMS: &[EnumInfo] = &[\n");
        for e in self.reached.keys().filter_map(|q| self.csdl.enums.get(q)) {
            let _ = writeln!(
                out,
                "    EnumInfo {{ name: {:?}, flags: {}, members: &{:?} }},",
                e.qname, e.flags, e.members
            );
        }
        out.push_str("];\n\n/// Every declared bound action and function, at each of its paths.\npub static OPERATIONS: &[OperationInfo] = &[\n");
        for (d, r) in self.declared.iter().zip(&self.resolved) {
            let Some(op) = r.as_ref().and_then(|r| r.operation.as_ref()) else {
                continue;
            };
            let (bound_to, bound_to_collection) = split_collection(&op.binding);
            let parameters: Vec<String> = op
                .params
                .iter()
                .map(|p| self.property_info(&p.name, p))
                .collect();
            let returns = op.returns.as_deref().map_or("None".to_owned(), |ty| {
                let (inner, collection) = split_collection(ty);
                format!(
                    "Some(P {{ name: \"\", ty: {inner:?}, kind: K::{}, collection: {collection}, nullable: true }})",
                    self.kind(inner)
                )
            });
            let _ = writeln!(
                out,
                "    OperationInfo {{ path: {:?}, version: {:?}, name: {:?}, action: {}, bound_to: {bound_to:?}, bound_to_collection: {bound_to_collection}, parameters: &[{}], returns: {returns} }},",
                wire_path(&d.template),
                d.spec.version,
                op.name,
                op.is_action,
                parameters.join(", "),
            );
        }
        out.push_str("];\n");
        out
    }
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
