//! Strict decoding: payloads made from the documentation's examples, each
//! with one known property given a value of the wrong JSON type, are all
//! rejected, each with the path of that property; models decoded by hand
//! fail the same way, and leniently keep the value.

use graph_endpoint::Validation;
use graph_endpoint_device_management::example_check::check;
use graph_endpoint_device_management::metadata::{self, Kind, TypeInfo};
use graph_endpoint_device_management::models::{
    AnyDeviceConfiguration, AnyManagedDevice, OmaSettingFloatingPoint,
};
use graph_endpoint_device_management::support::{Codec, Field, Model, codec_raw};
use serde_json::{Value, json};

/// A value of the wrong JSON type for a property: a string for a number, a
/// number for a date or an enum, an object for a collection, ...
fn wrong_value(kind: Kind, collection: bool) -> Option<Value> {
    if collection {
        return Some(json!({"not": "a collection"}));
    }
    Some(match kind {
        Kind::Byte | Kind::SByte | Kind::Int16 | Kind::Int32 => json!("12"),
        Kind::Int64 | Kind::Decimal => json!(true),
        Kind::Single | Kind::Double => json!("1.5"),
        Kind::Boolean => json!("true"),
        Kind::String => json!(12),
        Kind::Guid
        | Kind::DateTimeOffset
        | Kind::Date
        | Kind::TimeOfDay
        | Kind::Duration
        | Kind::Binary
        | Kind::Enum
        | Kind::Flags => json!(1_700_000_000),
        Kind::Complex | Kind::Entity => json!("not an object"),
        Kind::Untyped => return None,
    })
}

/// The type an object's `@odata.type` names, when the metadata knows it.
fn typed(object: &serde_json::Map<String, Value>) -> Option<&'static TypeInfo> {
    object
        .get("@odata.type")
        .and_then(Value::as_str)
        .and_then(|t| metadata::type_info(t.trim_start_matches('#')))
}

/// Gives the first declared, non-null property of `object` (in name order)
/// a value of the wrong type; its name.
fn corrupt(object: &mut serde_json::Map<String, Value>) -> Option<String> {
    let ty = typed(object)?;
    let (name, wrong) = object.iter().find_map(|(name, value)| {
        let property = ty.property(name)?;
        if value.is_null() {
            return None;
        }
        wrong_value(property.kind, property.collection).map(|w| (name.clone(), w))
    })?;
    object.insert(name.clone(), wrong);
    Some(name)
}

#[test]
fn every_documented_payload_with_one_wrong_typed_property_is_rejected_with_its_path() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/device-management-examples.json"
    ))
    .unwrap();
    let examples: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut made = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for example in &examples {
        for which in ["request", "response"] {
            let Some(Value::Object(payload)) = example.get(which) else {
                continue;
            };
            if !declared_typed(example, which) {
                continue;
            }
            let mut payload = payload.clone();
            // The object itself, the entity documented as `{"value": {...}}`,
            // or the first item of a page.
            let (place, name) = if typed(&payload).is_some() {
                let Some(name) = corrupt(&mut payload) else {
                    continue;
                };
                (String::new(), name)
            } else {
                match payload.get_mut("value") {
                    Some(Value::Object(inner)) if is_typed(inner) => {
                        let Some(name) = corrupt(inner) else { continue };
                        (String::new(), name)
                    }
                    Some(Value::Array(items)) => {
                        let Some(Value::Object(first)) = items.first_mut() else {
                            continue;
                        };
                        let Some(name) = corrupt(first) else { continue };
                        ("value[0].".to_owned(), name)
                    }
                    _ => continue,
                }
            };
            let mut corrupted = example.clone();
            corrupted[which] = Value::Object(payload);
            corrupted[if which == "request" {
                "response"
            } else {
                "request"
            }] = Value::Null;
            let report = check(&json!([corrupted]).to_string()).unwrap();
            made += 1;
            assert_eq!(report.equal, 0, "{which} of {}: accepted", example["path"]);
            let difference = &report.differences[0];
            assert!(
                difference.contains(&format!("at `{place}{name}"))
                    && difference.contains("expected"),
                "{difference}"
            );
            kinds.insert(difference.split(", found ").nth(1).unwrap_or("").to_owned());
        }
    }
    // Hundreds of payloads, every kind of mismatch.
    assert!(made > 600, "{made} corrupted payloads");
    for found in ["a string", "a number", "an object", "a boolean"] {
        assert!(kinds.contains(found), "{kinds:?}");
    }
}

/// Whether the example's endpoint declares this payload as a typed value
/// (not raw JSON, which nothing checks).
fn declared_typed(example: &Value, which: &str) -> bool {
    let text = |k: &str| example[k].as_str().unwrap_or_default();
    graph_endpoint_device_management::ENDPOINTS
        .iter()
        .find(|d| {
            d.method == text("method") && d.path == text("path") && d.version == text("version")
        })
        .and_then(|d| if which == "request" { d.body } else { d.result })
        .is_some_and(|codec| !std::ptr::fn_addr_eq(codec, codec_raw as Codec))
}

fn is_typed(inner: &serde_json::Map<String, Value>) -> bool {
    typed(inner).is_some()
}

#[test]
fn decoding_by_hand_is_strict_and_names_the_path_without_the_value() {
    let page = json!({"value": [
        {"@odata.type": "#microsoft.graph.windowsManagedDevice", "deviceName": "a"},
        {"@odata.type": "#microsoft.graph.windowsManagedDevice", "deviceName": "b",
         "hardwareInformation": {"totalStorageSpace": "secret-ish text"}}
    ]});
    let error =
        serde_json::from_value::<graph_endpoint::Collection<AnyManagedDevice>>(page.clone())
            .unwrap_err()
            .to_string();
    assert!(
        error.starts_with("hardwareInformation.totalStorageSpace: expected Int64, found a string that does not parse as one"),
        "{error}"
    );
    assert!(error.contains("Validation::Lenient"), "{error}");
    assert!(!error.contains("secret-ish"), "{error}");

    // Leniently, the same page decodes; the value stays readable raw.
    let lenient: graph_endpoint::Collection<AnyManagedDevice> = Validation::Lenient
        .scope(|| serde_json::from_value(page))
        .unwrap();
    let info = lenient.value[1].hardware_information().unwrap();
    assert_eq!(info.total_storage_space(), None);
    assert_eq!(
        info.field("totalStorageSpace"),
        Field::Present(&json!("secret-ish text"))
    );
}

#[test]
fn unknown_properties_members_and_types_and_nulls_are_accepted() {
    let configuration: AnyDeviceConfiguration = serde_json::from_value(json!({
        "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
        "notInTheMetadata": [1, "two"],
        "defenderScanType": "aBrandNewScan",
        "passwordMinimumLength": null,
        "passwordRequired": null,
        "createdDateTime": "2017-01-01T00:00:35.1329464-08:00",
        "version": 3
    }))
    .unwrap();
    assert!(matches!(
        configuration,
        AnyDeviceConfiguration::Windows10GeneralConfiguration(_)
    ));
    let future: AnyDeviceConfiguration = serde_json::from_value(
        json!({"@odata.type": "#microsoft.graph.fromTheFuture", "displayName": "x", "anything": {}}),
    )
    .unwrap();
    assert!(matches!(future, AnyDeviceConfiguration::Other(_)));
    // A type the metadata does not know is still checked against its base.
    let error = serde_json::from_value::<AnyDeviceConfiguration>(
        json!({"@odata.type": "#microsoft.graph.fromTheFuture", "displayName": 7}),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with("displayName: expected String, found a number"),
        "{error}"
    );
    // Int64 as Graph writes it under IEEE754Compatible, doubles that JSON cannot hold.
    let device: AnyManagedDevice =
        serde_json::from_value(json!({"freeStorageSpaceInBytes": "9007199254740993"})).unwrap();
    assert_eq!(
        device.free_storage_space_in_bytes(),
        Some(9_007_199_254_740_993)
    );
    assert_eq!(
        device.object()["freeStorageSpaceInBytes"],
        json!("9007199254740993")
    );
    let setting: OmaSettingFloatingPoint =
        serde_json::from_value(json!({"value": "-INF"})).unwrap();
    assert_eq!(setting.value(), Some(f64::NEG_INFINITY));
    assert!(serde_json::from_value::<OmaSettingFloatingPoint>(json!({"value": "1.5"})).is_err());
}
