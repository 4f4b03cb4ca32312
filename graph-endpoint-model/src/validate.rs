//! Checking an object against its type in the [metadata tables](crate::metadata):
//! one function walks every model, whatever its type, so that checking costs
//! no code per type.
//!
//! Every property the type declares (its own and inherited ones, those of
//! the derived type its `@odata.type` names) is checked, recursively through
//! complex types, entity types and collections: its JSON type; `Int64`,
//! `Double` and `Decimal` as Graph writes them (numbers, strings under
//! `IEEE754Compatible`, `"NaN"`, `"INF"`, `"-INF"`); dates, times,
//! durations, GUIDs and base64 that parse; enum members that are strings.
//! Properties, enum members and `@odata.type`s the metadata does not know
//! are accepted as they are. `null` is accepted everywhere, `Nullable="false"`
//! properties included: the documentation's examples send it for some (19
//! times in the examples of this crate: `settingDefinitionId` and
//! `choiceSettingValue` of settings catalog choice settings), and a `null`
//! never stands for a value of another type, so accepting it loses nothing
//! (a getter answers `None`; [`Model::field`](super::Model::field) says `Null`).

use serde_json::Value;

use super::Object;
use super::values;
use crate::metadata::{Kind, PropertyInfo, Tables, TypeInfo};

/// Where a mismatch is, innermost step first while it is found.
enum Step {
    Property(&'static str),
    Index(usize),
}

/// A value whose JSON type is not the declared one.
pub(crate) struct Mismatch {
    steps: Vec<Step>,
    expected: String,
    found: &'static str,
}

impl Mismatch {
    fn new(expected: impl Into<String>, found: &'static str) -> Self {
        Mismatch {
            steps: Vec::new(),
            expected: expected.into(),
            found,
        }
    }

    /// The path inside the checked object: `settings[2].value`.
    pub(crate) fn path(&self) -> String {
        let mut path = String::new();
        for step in self.steps.iter().rev() {
            match step {
                Step::Property(name) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        path
    }

    /// The declared type: `Int32`, `complianceState`, `Collection(String)`.
    pub(crate) fn expected(&self) -> &str {
        &self.expected
    }

    /// What was found instead, in words.
    pub(crate) fn found(&self) -> &'static str {
        self.found
    }
}

/// What the validation in effect does with the first mismatch of `object`
/// against `graph_type` (see [`graph_endpoint::Validation`]): `Err` with
/// the message to fail with, or `Ok` (none, or lenient).
///
/// # Errors
///
/// The mismatch's message under strict validation.
pub fn checked(object: &Object, tables: &'static Tables, graph_type: &str) -> Result<(), String> {
    let Some(ty) = tables.type_info(graph_type) else {
        return Ok(());
    };
    match first_mismatch(object, tables, ty) {
        None => Ok(()),
        Some(m) => {
            graph_endpoint::Validation::mismatch(graph_type, &m.path(), m.expected(), m.found())
        }
    }
}

/// The type an object is: the one its `@odata.type` names when that derives
/// from the declared one, else the declared one.
fn actual_type(
    object: &Object,
    tables: &'static Tables,
    declared: &'static TypeInfo,
) -> &'static TypeInfo {
    object
        .get("@odata.type")
        .and_then(Value::as_str)
        .map(|t| t.trim_start_matches('#'))
        .filter(|t| *t != declared.name)
        .and_then(|t| tables.type_info(t))
        .filter(|t| tables.derives_from(t, declared.name))
        .unwrap_or(declared)
}

/// The first property of `object` that does not have its declared type.
pub(crate) fn first_mismatch(
    object: &Object,
    tables: &'static Tables,
    declared: &'static TypeInfo,
) -> Option<Mismatch> {
    let ty = actual_type(object, tables, declared);
    for (name, value) in object {
        if let Some(property) = ty.property(name)
            && let Some(mut mismatch) = check_property(value, tables, property)
        {
            mismatch.steps.push(Step::Property(property.name));
            return Some(mismatch);
        }
    }
    None
}

fn short(ty: &str) -> &str {
    ty.rsplit('.').next().unwrap_or(ty)
}

fn check_property(
    value: &Value,
    tables: &'static Tables,
    property: &PropertyInfo,
) -> Option<Mismatch> {
    if value.is_null() {
        return None;
    }
    if !property.collection {
        return check_one(value, tables, property);
    }
    let Value::Array(items) = value else {
        return Some(Mismatch::new(
            format!("Collection({})", short(property.ty)),
            values::kind_of(value),
        ));
    };
    items.iter().enumerate().find_map(|(i, item)| {
        if item.is_null() {
            return None;
        }
        check_one(item, tables, property).map(|mut m| {
            m.steps.push(Step::Index(i));
            m
        })
    })
}

/// One value (not `null`) against the type of `property`.
fn check_one(value: &Value, tables: &'static Tables, property: &PropertyInfo) -> Option<Mismatch> {
    let text = value.as_str();
    let fits = match property.kind {
        Kind::String | Kind::Enum | Kind::Flags => text.is_some(),
        Kind::Boolean => value.is_boolean(),
        Kind::Byte => values::int_in(value, 0, 255).is_some(),
        Kind::SByte => values::int_in(value, -128, 127).is_some(),
        Kind::Int16 => values::int_in(value, i16::MIN.into(), i16::MAX.into()).is_some(),
        Kind::Int32 => values::int_in(value, i32::MIN.into(), i32::MAX.into()).is_some(),
        Kind::Int64 => values::int64(value).is_some(),
        Kind::Single | Kind::Double => values::float(value, false).is_some(),
        Kind::Decimal => values::float(value, true).is_some(),
        Kind::Guid => text.and_then(values::guid).is_some(),
        Kind::DateTimeOffset => text.and_then(values::date_time).is_some(),
        Kind::Date => text.and_then(values::date).is_some(),
        Kind::TimeOfDay => text.and_then(values::time_of_day).is_some(),
        Kind::Duration => text.and_then(values::duration).is_some(),
        Kind::Binary => text.and_then(values::binary).is_some(),
        Kind::Complex | Kind::Entity => {
            return match (value, tables.type_info(property.ty)) {
                (Value::Object(inner), Some(ty)) => first_mismatch(inner, tables, ty),
                (Value::Object(_), None) => None,
                _ => Some(Mismatch::new(short(property.ty), values::kind_of(value))),
            };
        }
        Kind::Untyped => true,
    };
    if fits {
        return None;
    }
    let found = match value {
        Value::String(_) if text_kind(property.kind) => "a string that does not parse as one",
        Value::Number(_) if number_kind(property.kind) => "a number that does not fit",
        _ => values::kind_of(value),
    };
    Some(Mismatch::new(short(property.ty), found))
}

fn text_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Guid
            | Kind::DateTimeOffset
            | Kind::Date
            | Kind::TimeOfDay
            | Kind::Duration
            | Kind::Binary
            | Kind::Int64
            | Kind::Decimal
            | Kind::Single
            | Kind::Double
    )
}

fn number_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Byte | Kind::SByte | Kind::Int16 | Kind::Int32 | Kind::Int64
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn property(kind: Kind, ty: &'static str) -> PropertyInfo {
        PropertyInfo {
            name: "p",
            ty,
            kind,
            collection: false,
            nullable: true,
        }
    }

    /// What a value of each numeric kind is found to be: `None` when it fits.
    fn found(kind: Kind, ty: &'static str, value: Value) -> Option<&'static str> {
        check_property(&value, &crate::metadata::TABLES, &property(kind, ty)).map(|m| m.found())
    }

    #[test]
    fn numbers_are_read_as_graph_writes_them() {
        // Int64: a number, or a string under IEEE754Compatible.
        for fits in [json!(9_007_199_254_740_993_i64), json!("-42"), json!(null)] {
            assert_eq!(
                found(Kind::Int64, "Edm.Int64", fits.clone()),
                None,
                "{fits}"
            );
        }
        assert_eq!(
            found(Kind::Int64, "Edm.Int64", json!("forty")),
            Some("a string that does not parse as one")
        );
        assert_eq!(
            found(Kind::Int64, "Edm.Int64", json!(1.5)),
            Some("a number that does not fit")
        );
        assert_eq!(
            found(Kind::Int64, "Edm.Int64", json!(true)),
            Some("a boolean")
        );
        // Double: a number, or the three strings JSON has no number for.
        for fits in [
            json!(1.5),
            json!(-3),
            json!("NaN"),
            json!("INF"),
            json!("-INF"),
        ] {
            assert_eq!(
                found(Kind::Double, "Edm.Double", fits.clone()),
                None,
                "{fits}"
            );
        }
        assert_eq!(
            found(Kind::Double, "Edm.Double", json!("1.5")),
            Some("a string that does not parse as one")
        );
        // Decimal: a number, or a string of one under IEEE754Compatible.
        for fits in [json!(12.25), json!("12.25"), json!("-7")] {
            assert_eq!(
                found(Kind::Decimal, "Edm.Decimal", fits.clone()),
                None,
                "{fits}"
            );
        }
        for wrong in [json!("INF"), json!("twelve")] {
            assert_eq!(
                found(Kind::Decimal, "Edm.Decimal", wrong.clone()),
                Some("a string that does not parse as one"),
                "{wrong}"
            );
        }
        // Int32: a number in its range, never a string.
        assert_eq!(found(Kind::Int32, "Edm.Int32", json!(2_147_483_647)), None);
        assert_eq!(
            found(Kind::Int32, "Edm.Int32", json!(2_147_483_648_i64)),
            Some("a number that does not fit")
        );
        assert_eq!(
            found(Kind::Int32, "Edm.Int32", json!("8")),
            Some("a string")
        );
    }

    #[test]
    fn text_kinds_parse_and_enums_are_strings() {
        let cases = [
            (
                Kind::DateTimeOffset,
                "Edm.DateTimeOffset",
                json!("2024-02-29T12:30:00.1234567-08:00"),
                json!("2020-11-010"),
            ),
            (
                Kind::Date,
                "Edm.Date",
                json!("2024-02-29"),
                json!("2023-02-29"),
            ),
            (
                Kind::TimeOfDay,
                "Edm.TimeOfDay",
                json!("07:05:00.5"),
                json!("25:00:00"),
            ),
            (
                Kind::Duration,
                "Edm.Duration",
                json!("P1DT2H30M"),
                json!("2 hours"),
            ),
            (
                Kind::Guid,
                "Edm.Guid",
                json!("0b283420-3420-0b28-2034-280b2034280b"),
                json!("not-a-guid"),
            ),
            (Kind::Binary, "Edm.Binary", json!("aGk="), json!("%%%")),
        ];
        for (kind, ty, fits, wrong) in cases {
            assert_eq!(found(kind, ty, fits.clone()), None, "{ty} {fits}");
            assert_eq!(
                found(kind, ty, wrong.clone()),
                Some("a string that does not parse as one"),
                "{ty} {wrong}"
            );
            assert_eq!(
                found(kind, ty, json!(1_700_000_000)),
                Some("a number"),
                "{ty}"
            );
        }
        assert_eq!(
            found(
                Kind::Enum,
                "microsoft.graph.complianceState",
                json!("aNewState")
            ),
            None
        );
        assert_eq!(
            found(Kind::Enum, "microsoft.graph.complianceState", json!(3)),
            Some("a number")
        );
    }
}
