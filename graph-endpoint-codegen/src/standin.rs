//! The surface table of the local Graph stand-in (`graph-endpoint-emulator`):
//! what it needs to answer the typed surface as Graph does, from the same
//! metadata and endpoint list as the typed crate.
//!
//! The table is JSON, one row a line, so a change of the metadata reads as
//! a small diff; the stand-in embeds it and parses it once. It holds:
//! - `sets`: every entity collection the endpoints reach (each path prefix
//!   that is one), as `[path, item type]`, `{}` standing for a key;
//! - `singletons`: every single entity reached without a key of its own
//!   (`deviceManagement`, `deviceManagement/managedDevices/{}/windowsProtectionState`),
//!   as `[path, type, documented PATCH status]`;
//! - `operations`: every bound action and function the endpoints call, as
//!   `[path, name, is action, bound to a collection, parameters, return type]`,
//!   each parameter `[name, type, nullable]`;
//! - `types`: every entity and complex type the surface reaches (bases and
//!   derived types included), as `[name, base, is entity, properties,
//!   navigation properties]`, properties `[name, type, nullable]` declared on
//!   that type (inherited ones are its bases');
//! - `enums`: every enum type reached, as `[name, is flags, members]`.
//!
//! Types are qualified (`microsoft.graph.managedDevice`), collections written
//! `Collection(...)`.
//!
//! ```
//! let metadata = r#"<?xml version="1.0"?>
//! <edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>
//! <Schema Namespace="microsoft.graph" Alias="graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">
//!   <EntityType Name="entity"><Property Name="id" Type="Edm.String" Nullable="false" /></EntityType>
//!   <EntityType Name="root" BaseType="graph.entity">
//!     <NavigationProperty Name="things" Type="Collection(graph.thing)" ContainsTarget="true" />
//!   </EntityType>
//!   <EntityType Name="thing" BaseType="graph.entity"><Property Name="size" Type="Edm.Int32" /></EntityType>
//!   <Action Name="poke" IsBound="true">
//!     <Parameter Name="bindingParameter" Type="graph.thing" />
//!     <Parameter Name="times" Type="Edm.Int32" Nullable="false" />
//!   </Action>
//!   <EntityContainer Name="GraphService"><Singleton Name="root" Type="graph.root" /></EntityContainer>
//! </Schema></edmx:DataServices></edmx:Edmx>"#;
//! let endpoints = graph_endpoint_codegen::parse(r#"[{"method": "POST",
//!     "path": "/root/things/{thingId}/poke", "expect": 204, "kind": "action", "version": "beta"}]"#).unwrap();
//! let table = graph_endpoint_codegen::standin::generate_standin(metadata, None, &endpoints).unwrap();
//! assert!(table.contains(r#"["root/things","microsoft.graph.thing"]"#));
//! assert!(table.contains(r#"["root/things/{}/poke","poke",true,false,[["times","Edm.Int32",false]],null]"#));
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::EndpointSpec;
use crate::csdl::{Csdl, Property};
use crate::typed::{Surface, resolve};

/// The stand-in's surface table (JSON text) from the CSDL (`beta`, completed
/// by `fallback`, such as v1.0) and the endpoint list.
///
/// # Errors
///
/// The message of [`Csdl::parse`] when `beta` or `fallback` is not
/// well-formed XML.
pub fn generate_standin(
    beta: &str,
    fallback: Option<&str>,
    endpoints: &[EndpointSpec],
) -> Result<String, String> {
    let mut metadata = Csdl::parse(beta)?;
    if let Some(fallback) = fallback {
        metadata.fill_from(Csdl::parse(fallback)?);
    }
    Ok(standin_table(&metadata, endpoints))
}

/// The stand-in's surface table (JSON text) from parsed metadata.
#[must_use]
pub fn standin_table(csdl: &Csdl, endpoints: &[EndpointSpec]) -> String {
    let surface = Surface::new(csdl, endpoints);
    let mut sets = BTreeMap::new();
    let mut singletons = BTreeMap::new();
    let mut operations = BTreeMap::new();
    let mut patch_status = BTreeMap::new();
    for endpoint in endpoints {
        let segments = wire_segments(&endpoint.path);
        if endpoint.method == "PATCH" {
            patch_status.insert(segments.join("/"), endpoint.expect);
        }
        // Every prefix that is a collection or a single entity is served,
        // so that the items an operation is bound to can be found.
        for end in 1..=segments.len() {
            let prefix = &segments[..end];
            let last = prefix[end - 1].as_str();
            if last == "{}" || last.starts_with("microsoft.graph.") || last.contains(['(', '$']) {
                continue;
            }
            let path = prefix.join("/");
            let Some(r) = resolve(csdl, &path.replace("{}", "{key}")) else {
                continue;
            };
            let Some(ty) = r.ty.filter(|t| csdl.types.get(t).is_some_and(|t| t.entity)) else {
                continue;
            };
            if r.operation.is_some() {
                continue;
            }
            if r.collection {
                sets.entry(path).or_insert(ty);
            } else {
                singletons.entry(path).or_insert(ty);
            }
        }
        if let Some(op) = resolve(csdl, &endpoint.path).and_then(|r| r.operation) {
            let mut path = segments;
            if let Some(last) = path.last_mut() {
                *last = op.name.clone();
            }
            let params: Vec<Value> = op.params.iter().map(property_row).collect();
            let (_, bound_to_collection) = split_collection(&op.binding);
            operations.entry(path.join("/")).or_insert_with(|| {
                json!([
                    path.join("/"),
                    op.name,
                    op.is_action,
                    bound_to_collection,
                    params,
                    op.returns
                ])
            });
        }
    }
    let mut out = String::from("{\n\"sets\": [\n");
    rows(
        &mut out,
        sets.iter().map(|(path, ty)| json!([path, ty])).collect(),
    );
    out.push_str("],\n\"singletons\": [\n");
    rows(
        &mut out,
        singletons
            .iter()
            .map(|(path, ty)| json!([path, ty, patch_status.get(path).copied().unwrap_or(204)]))
            .collect(),
    );
    out.push_str("],\n\"operations\": [\n");
    rows(&mut out, operations.into_values().collect());
    out.push_str("],\n\"types\": [\n");
    let reached: BTreeSet<&String> = surface.reached.keys().collect();
    rows(
        &mut out,
        reached
            .iter()
            .filter_map(|q| csdl.types.get(*q))
            .map(|t| {
                let properties: Vec<Value> = t.properties.iter().map(property_row).collect();
                let navigation: Vec<&str> = t.navigation.iter().map(|p| p.name.as_str()).collect();
                json!([t.qname, t.base, t.entity, properties, navigation])
            })
            .collect(),
    );
    out.push_str("],\n\"enums\": [\n");
    rows(
        &mut out,
        reached
            .iter()
            .filter_map(|q| csdl.enums.get(*q))
            .map(|e| json!([e.qname, e.flags, e.members]))
            .collect(),
    );
    out.push_str("]\n}\n");
    out
}

/// The segments of a documented path, placeholders (`{managedDeviceId}`)
/// written `{}`.
fn wire_segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                "{}".to_owned()
            } else {
                s.to_owned()
            }
        })
        .collect()
}

fn property_row(p: &Property) -> Value {
    json!([p.name, p.ty, p.nullable])
}

fn split_collection(ty: &str) -> (&str, bool) {
    match ty
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        Some(inner) => (inner, true),
        None => (ty, false),
    }
}

/// Writes one JSON value a line, comma-separated.
fn rows(out: &mut String, values: Vec<Value>) {
    let count = values.len();
    for (i, value) in values.into_iter().enumerate() {
        out.push_str(&value.to_string());
        out.push_str(if i + 1 < count { ",\n" } else { "\n" });
    }
}

/// Writes the table to `path`, or with `check`, compares it with what is
/// there: whether they were the same (always true when writing).
///
/// # Errors
///
/// `cannot write PATH: ...` when the file cannot be written.
pub fn write_table(path: &std::path::Path, table: &str, check: bool) -> Result<bool, String> {
    if check {
        let same = std::fs::read_to_string(path).ok().as_deref() == Some(table);
        if !same {
            eprintln!("{} differs from what the generator writes", path.display());
        }
        return Ok(same);
    }
    std::fs::write(path, table).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(true)
}
