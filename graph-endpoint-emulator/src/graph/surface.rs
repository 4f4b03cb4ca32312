//! The typed surfaces (`/deviceManagement`; `/deviceAppManagement` and
//! `/groups`) as the stand-in knows them: entity collections and singletons
//! with their paths, entity and complex types with their properties
//! (inherited ones through their bases), enum members, and every bound
//! action and function with its parameters and return type.
//!
//! `surface.json` (the device-management crate's) and `surface-apps.json`
//! (the device-app-management crate's) are written by
//! `graph-endpoint-codegen typed ... --standin` from the same metadata and
//! endpoint lists as the typed crates (never edit them by hand); they are
//! embedded and parsed once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::reply::MIN_DATE;

/// `[name, qualified type (Collection(...) kept), nullable]`.
pub type Param = (String, String, bool);

/// `[path, name, is action, bound to a collection, parameters, return type]`.
type OperationRow = (String, String, bool, bool, Vec<Param>, Option<String>);

/// `[name, base, is entity, properties, navigation properties]`.
type TypeRow = (String, Option<String>, bool, Vec<Param>, Vec<String>);

#[derive(Deserialize)]
struct Table {
    sets: Vec<(String, String)>,
    singletons: Vec<(String, String, u16)>,
    operations: Vec<OperationRow>,
    types: Vec<TypeRow>,
    enums: Vec<(String, bool, Vec<String>)>,
}

/// An entity or complex type.
pub struct TypeInfo {
    pub base: Option<String>,
    /// Structural properties declared on this type.
    pub properties: Vec<Param>,
    /// Navigation properties declared on this type.
    pub navigation: Vec<String>,
}

/// An enum type.
pub struct EnumInfo {
    pub flags: bool,
    pub members: Vec<String>,
}

/// A bound action or function, at one path.
pub struct Operation {
    /// The path's segments after the version, `{}` for a key, the last the name.
    pub segments: Vec<String>,
    pub name: String,
    pub is_action: bool,
    pub parameters: Vec<Param>,
    /// The return type, `Collection(...)` kept.
    pub returns: Option<String>,
}

/// A single entity reached without a key of its own.
pub struct Singleton {
    pub segments: Vec<String>,
    pub ty: String,
    /// The documented status of its PATCH (200 with the entity, or 204).
    pub patch_status: u16,
}

/// The surface.
pub struct Surface {
    /// `(path with {} for keys, item type)` of every entity collection.
    pub sets: Vec<(String, String)>,
    pub singletons: Vec<Singleton>,
    pub operations: Vec<Operation>,
    types: HashMap<String, TypeInfo>,
    enums: HashMap<String, EnumInfo>,
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The tables the generator wrote, one a typed crate.
const TABLES: [&str; 2] = [
    include_str!("surface.json"),
    include_str!("surface-apps.json"),
];

/// The surface of both typed crates, parsed once. A type both reach is the
/// same in both tables (they come from the same metadata).
pub fn surface() -> &'static Surface {
    static SURFACE: OnceLock<Surface> = OnceLock::new();
    SURFACE.get_or_init(|| {
        let mut surface = Surface {
            sets: Vec::new(),
            singletons: Vec::new(),
            operations: Vec::new(),
            types: HashMap::new(),
            enums: HashMap::new(),
        };
        for text in TABLES {
            let table: Table = serde_json::from_str(text)
                .expect("the surface tables are the generator's output (a unit test parses them)");
            surface.add(table);
        }
        surface
    })
}

impl Surface {
    fn add(&mut self, table: Table) {
        self.sets.extend(table.sets);
        self.singletons.extend(
            table
                .singletons
                .into_iter()
                .map(|(path, ty, patch_status)| Singleton {
                    segments: segments(&path),
                    ty,
                    patch_status,
                }),
        );
        self.operations.extend(table.operations.into_iter().map(
            |(path, name, is_action, _bound_to_collection, parameters, returns)| Operation {
                segments: segments(&path),
                name,
                is_action,
                parameters,
                returns,
            },
        ));
        self.types.extend(table.types.into_iter().map(
            |(name, base, _, properties, navigation)| {
                (
                    name,
                    TypeInfo {
                        base,
                        properties,
                        navigation,
                    },
                )
            },
        ));
        self.enums.extend(
            table
                .enums
                .into_iter()
                .map(|(name, flags, members)| (name, EnumInfo { flags, members })),
        );
    }
}

/// `Collection(x)` is `(x, true)`, anything else `(ty, false)`.
pub fn split_collection(ty: &str) -> (&str, bool) {
    match ty
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        Some(inner) => (inner, true),
        None => (ty, false),
    }
}

/// Whether request segments match a pattern's (`{}` matches any one segment).
pub fn matches_pattern(pattern: &[String], segments: &[&str]) -> bool {
    pattern.len() == segments.len()
        && pattern
            .iter()
            .zip(segments)
            .all(|(p, s)| p == "{}" && !s.is_empty() || p == s)
}

impl Surface {
    /// The type's name as the surface holds it, when it knows the type.
    pub fn known_type(&self, ty: &str) -> Option<&str> {
        self.types.get_key_value(ty).map(|(name, _)| name.as_str())
    }

    /// Whether the type is an entity or complex type (not a primitive or an enum).
    pub fn is_structured(&self, ty: &str) -> bool {
        self.types.contains_key(ty)
    }

    /// The type and its bases, nearest first.
    fn lineage<'a>(&'a self, ty: &str) -> impl Iterator<Item = &'a TypeInfo> + use<'a> {
        let mut next = self.types.get(ty);
        let mut steps = 0;
        std::iter::from_fn(move || {
            let current = next?;
            steps += 1;
            // A base cycle would be a broken table: stop rather than spin.
            next = current
                .base
                .as_deref()
                .and_then(|b| self.types.get(b))
                .filter(|_| steps < 64);
            Some(current)
        })
    }

    /// A structural property of the type or one of its bases.
    pub fn property(&self, ty: &str, name: &str) -> Option<&Param> {
        self.lineage(ty)
            .find_map(|t| t.properties.iter().find(|p| p.0 == name))
    }

    /// Whether `name` is a property (structural or navigation) of the type or a base.
    pub fn has_member(&self, ty: &str, name: &str) -> bool {
        self.lineage(ty).any(|t| {
            t.properties.iter().any(|p| p.0 == name) || t.navigation.iter().any(|n| n == name)
        })
    }

    /// Whether `ty` is `ancestor` or derives from it.
    pub fn derives_from(&self, ty: &str, ancestor: &str) -> bool {
        ty == ancestor
            || self
                .lineage(ty)
                .any(|t| t.base.as_deref() == Some(ancestor))
    }

    pub fn enum_info(&self, ty: &str) -> Option<&EnumInfo> {
        self.enums.get(ty)
    }

    /// The operation a request path names (its last segment, with or without
    /// `microsoft.graph.` and a function's parentheses).
    pub fn operation(&self, segments: &[&str]) -> Option<&Operation> {
        let (last, head) = segments.split_last()?;
        let name = last.split('(').next().unwrap_or(last);
        let name = name.strip_prefix("microsoft.graph.").unwrap_or(name);
        self.operations.iter().find(|op| {
            op.segments.len() == segments.len()
                && op.name == name
                && matches_pattern(&op.segments[..head.len()], head)
        })
    }

    /// The singleton a request path is.
    pub fn singleton(&self, segments: &[&str]) -> Option<&Singleton> {
        self.singletons
            .iter()
            .find(|s| matches_pattern(&s.segments, segments))
    }

    /// A value of the type, as an answer of that type carries when there is
    /// nothing better to say: `[]` for a collection, the first member of an
    /// enum, the zero of a primitive, an object with its `@odata.type` and its
    /// non-nullable properties for a structured type.
    pub fn default_value(&self, ty: &str, depth: usize) -> Value {
        let (inner, collection) = split_collection(ty);
        if collection {
            return json!([]);
        }
        match inner {
            "Edm.String" | "Edm.Binary" | "Edm.Stream" => json!(""),
            "Edm.Boolean" => json!(false),
            "Edm.Byte" | "Edm.SByte" | "Edm.Int16" | "Edm.Int32" | "Edm.Int64" => json!(0),
            "Edm.Single" | "Edm.Double" | "Edm.Decimal" => json!(0.0),
            "Edm.Guid" => json!("00000000-0000-0000-0000-000000000000"),
            "Edm.DateTimeOffset" => json!(MIN_DATE),
            "Edm.Date" => json!("0001-01-01"),
            "Edm.TimeOfDay" => json!("00:00:00"),
            "Edm.Duration" => json!("PT0S"),
            _ => {
                if let Some(e) = self.enums.get(inner) {
                    return e.members.first().map_or(Value::Null, |m| json!(m));
                }
                if !self.types.contains_key(inner) {
                    return Value::Null;
                }
                let mut object = Map::new();
                object.insert("@odata.type".into(), json!(format!("#{inner}")));
                // Nested structures stop at a few levels: the metadata has cycles.
                if depth < 4 {
                    let lineage: Vec<&TypeInfo> = self.lineage(inner).collect();
                    for t in lineage.iter().rev() {
                        for (name, ty, nullable) in &t.properties {
                            if !nullable && !object.contains_key(name) {
                                let value = if name == "id" {
                                    json!(uuid::Uuid::new_v4().to_string())
                                } else {
                                    self.default_value(ty, depth + 1)
                                };
                                object.insert(name.clone(), value);
                            }
                        }
                    }
                }
                Value::Object(object)
            }
        }
    }

    /// Whether `value` is of the type, as Graph reads a request: `None` when
    /// it is, else what it expected. Unknown types accept anything.
    pub fn type_mismatch(&self, ty: &str, value: &Value) -> Option<String> {
        let (inner, collection) = split_collection(ty);
        if collection {
            let Value::Array(items) = value else {
                return Some(format!("a JSON array of {inner}"));
            };
            return items
                .iter()
                .filter(|item| !item.is_null())
                .find_map(|item| self.type_mismatch(inner, item));
        }
        let text = value.as_str();
        let ok = match inner {
            "Edm.String" | "Edm.Binary" => text.is_some(),
            "Edm.Boolean" => value.is_boolean(),
            "Edm.Byte" => value.as_u64().is_some_and(|n| n <= 255),
            "Edm.SByte" => value.as_i64().is_some_and(|n| i8::try_from(n).is_ok()),
            "Edm.Int16" => value.as_i64().is_some_and(|n| i16::try_from(n).is_ok()),
            "Edm.Int32" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "Edm.Int64" => value.is_i64() || text.is_some_and(|t| t.parse::<i64>().is_ok()),
            "Edm.Single" | "Edm.Double" | "Edm.Decimal" => {
                value.is_number()
                    || text.is_some_and(|t| {
                        matches!(t, "NaN" | "INF" | "-INF") || t.parse::<f64>().is_ok()
                    })
            }
            "Edm.Guid" => text.is_some_and(|t| uuid::Uuid::parse_str(t).is_ok()),
            "Edm.DateTimeOffset" => text.is_some_and(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .is_ok()
            }),
            "Edm.Date" => text.is_some_and(|t| {
                time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]"))
                    .is_ok()
            }),
            "Edm.TimeOfDay" => text.is_some_and(|t| t.contains(':')),
            "Edm.Duration" => text.is_some_and(|t| t.trim_start_matches('-').starts_with('P')),
            _ => {
                if let Some(e) = self.enums.get(inner) {
                    text.is_some_and(|t| {
                        let mut names = t.split(',').map(str::trim);
                        if e.flags {
                            names.all(|n| e.members.iter().any(|m| m == n))
                        } else {
                            e.members.iter().any(|m| m == t)
                        }
                    })
                } else if self.types.contains_key(inner) {
                    value.is_object()
                } else {
                    true
                }
            }
        };
        (!ok).then(|| inner.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_parses_and_knows_the_surface() {
        let s = surface();
        assert!(s.sets.len() > 250, "{} sets", s.sets.len());
        assert!(
            s.sets
                .iter()
                .any(|(p, t)| p == "deviceManagement/managedDevices"
                    && t == "microsoft.graph.managedDevice")
        );
        let device = "microsoft.graph.managedDevice";
        assert_eq!(
            s.property(device, "complianceState").map(|p| p.1.as_str()),
            Some("microsoft.graph.complianceState")
        );
        // Inherited from microsoft.graph.entity.
        assert!(s.property(device, "id").is_some());
        assert!(s.has_member(device, "users"));
        assert!(s.derives_from(
            "microsoft.graph.windows10GeneralConfiguration",
            "microsoft.graph.deviceConfiguration"
        ));
        let sync = s
            .operation(&[
                "deviceManagement",
                "managedDevices",
                "abc",
                "microsoft.graph.syncDevice",
            ])
            .unwrap();
        assert!(sync.is_action && sync.parameters.is_empty() && sync.returns.is_none());
        assert!(s.singleton(&["deviceManagement"]).is_some());
        // The apps crate's table.
        assert!(s.sets.iter().any(
            |(p, t)| p == "deviceAppManagement/mobileApps" && t == "microsoft.graph.mobileApp"
        ));
        assert!(s.sets.iter().any(|(p, _)| p == "groups"));
        let assign = s
            .operation(&["deviceAppManagement", "mobileApps", "abc", "assign"])
            .unwrap();
        assert!(assign.is_action && assign.returns.is_none());
        assert!(s.derives_from("microsoft.graph.win32LobApp", "microsoft.graph.mobileApp"));
    }

    #[test]
    fn values_are_checked_against_their_type() {
        let s = surface();
        assert_eq!(s.type_mismatch("Edm.Int32", &json!(3)), None);
        assert_eq!(
            s.type_mismatch("Edm.Int32", &json!("3")),
            Some("Edm.Int32".into())
        );
        assert_eq!(
            s.type_mismatch("microsoft.graph.complianceState", &json!("compliant")),
            None
        );
        assert!(
            s.type_mismatch("microsoft.graph.complianceState", &json!("green"))
                .is_some()
        );
        assert!(
            s.type_mismatch("Collection(Edm.String)", &json!(["a", 1]))
                .is_some()
        );
        let default = s.default_value("microsoft.graph.deviceCompliancePolicyAssignment", 0);
        assert_eq!(
            default["@odata.type"],
            json!("#microsoft.graph.deviceCompliancePolicyAssignment")
        );
    }
}
