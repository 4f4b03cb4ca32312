//! The models: lossless, derived types reachable, updates that say exactly
//! what changes.

use graph_endpoint_device_management::models::{
    AnyDeviceConfiguration, AnyManagedDevice, DeviceManagementConfigurationPlatforms,
    OmaSettingFloatingPoint, Windows10GeneralConfiguration,
};
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_device_management::support::{Field, Flags};
use serde_json::{Value, json};

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(text: &str) -> (T, Value) {
    let typed: T = serde_json::from_str(text).unwrap();
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(text).unwrap(), "{text}");
    (typed, back)
}

#[test]
fn unknown_properties_members_and_types_null_numbers_and_dates_survive() {
    let text = r##"{
        "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
        "displayName": null,
        "passwordRequired": true,
        "passwordMinimumLength": 12,
        "defenderScanMaxCpu": 51,
        "defenderScanType": "aBrandNewScan",
        "createdDateTime": "2017-01-01T00:00:35.1329464-08:00",
        "notInTheMetadata": {"deep": [1.0000001, 1e300]},
        "version": 2147483647
    }"##;
    let (configuration, _) = round_trip::<AnyDeviceConfiguration>(text);
    let AnyDeviceConfiguration::Windows10GeneralConfiguration(c) = &configuration else {
        panic!("decoded as {configuration:?}");
    };
    assert_eq!(c.password_required(), Some(true));
    assert_eq!(c.password_minimum_length(), Some(12));
    assert_eq!(c.display_name(), None);
    assert_eq!(c.field("displayName"), Field::Null);
    assert_eq!(c.field("description"), Field::Absent);
    let created = c.created_date_time().unwrap();
    assert_eq!(
        (created.nanosecond(), created.offset().whole_hours()),
        (132_946_400, -8)
    );
    assert_eq!(
        c.defender_scan_type().map(|t| t.to_string()),
        Some("aBrandNewScan".to_owned())
    );
    // An unknown @odata.type is kept whole, as Other.
    let (other, _) = round_trip::<AnyDeviceConfiguration>(
        r##"{"@odata.type":"#microsoft.graph.fromTheFuture","displayName":"x","n":0.30000000000000004}"##,
    );
    assert!(matches!(other, AnyDeviceConfiguration::Other(_)));
    assert_eq!(other.display_name(), Some("x"));
    // Single-precision numbers keep every digit of their text.
    // (`Edm.Single` as f32 would write 0.1 back as 0.10000000149011612.)
    let (setting, _) = round_trip::<OmaSettingFloatingPoint>(
        r##"{"@odata.type":"#microsoft.graph.omaSettingFloatingPoint","value":0.1,"other":3.4028235e38}"##,
    );
    assert_eq!(setting.value(), Some(0.1));
}

#[test]
fn flags_are_sets_of_members() {
    use DeviceManagementConfigurationPlatforms::{MacOS, Windows10, Windows10X};
    use graph_endpoint_device_management::models::DeviceManagementConfigurationPolicy;
    let (policy, _) = round_trip::<DeviceManagementConfigurationPolicy>(
        r#"{"platforms":"windows10,macOS,somethingNew"}"#,
    );
    let platforms = policy.platforms().unwrap();
    assert_eq!(platforms.len(), 3);
    assert!(platforms.contains(&Windows10));
    assert!(platforms.contains(&MacOS));
    assert!(!platforms.contains(&Windows10X));
    assert!(
        platforms.contains(&DeviceManagementConfigurationPlatforms::Unrecognized(
            "somethingNew".into()
        ))
    );
    let mut changed = DeviceManagementConfigurationPolicy::new();
    changed.set_platforms(Flags::from([Windows10, Windows10X]));
    assert_eq!(
        serde_json::to_value(&changed).unwrap(),
        json!({
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
            "platforms": "windows10,windows10X"
        })
    );
}

#[test]
fn a_flags_value_is_equal_whatever_the_order_of_its_members() {
    use DeviceManagementConfigurationPlatforms::{MacOS, Windows10};
    use graph_endpoint_device_management::models::DeviceManagementConfigurationPolicy;
    let (policy, _) =
        round_trip::<DeviceManagementConfigurationPolicy>(r#"{"platforms":"macOS,windows10"}"#);
    assert_eq!(policy.platforms(), Some(Flags::from([Windows10, MacOS])));
    assert_ne!(policy.platforms(), Some(Flags::from([Windows10])));
    // Blanks around members are not part of them.
    let (spaced, _) =
        round_trip::<DeviceManagementConfigurationPolicy>(r#"{"platforms":" windows10 , macOS"}"#);
    assert_eq!(spaced.platforms(), policy.platforms());
}

#[test]
fn a_member_repeated_is_in_the_set_once() {
    use DeviceManagementConfigurationPlatforms::{MacOS, Windows10};
    use graph_endpoint_device_management::models::DeviceManagementConfigurationPolicy;
    // Unchanged, the payload is written back as it came, repetition and all.
    let (mut policy, _) = round_trip::<DeviceManagementConfigurationPolicy>(
        r#"{"platforms":"windows10,macOS,windows10,somethingNew,somethingNew"}"#,
    );
    let platforms = policy.platforms().unwrap();
    assert_eq!(platforms.len(), 3);
    assert_eq!(
        platforms.to_string(),
        "windows10,macOS,somethingNew",
        "each member once, in the order first seen"
    );
    let built: Flags<_> = [Windows10, MacOS, Windows10, MacOS].into_iter().collect();
    assert_eq!(built.len(), 2);
    let mut extended = Flags::from([MacOS]);
    extended.extend([MacOS, Windows10, Windows10]);
    assert_eq!(extended, built);
    // Written back through the setter, the set has each member once.
    policy.set_platforms(platforms);
    assert_eq!(
        policy.object()["platforms"],
        json!("windows10,macOS,somethingNew")
    );
}

#[test]
fn an_unknown_member_survives_a_read_modify_write() {
    use DeviceManagementConfigurationPlatforms::{MacOS, Windows10, Windows10X};
    use graph_endpoint_device_management::models::DeviceManagementConfigurationPolicy;
    let (mut policy, _) = round_trip::<DeviceManagementConfigurationPolicy>(
        r#"{"id":"p1","platforms":"windows10,linuxOfTheFuture,macOS"}"#,
    );
    let mut platforms = policy.platforms().unwrap();
    assert!(platforms.remove(&MacOS));
    assert!(platforms.insert(Windows10X));
    assert!(!platforms.insert(Windows10));
    policy.set_platforms(platforms);
    assert_eq!(
        serde_json::to_string(&policy).unwrap(),
        r#"{"id":"p1","platforms":"windows10,linuxOfTheFuture,windows10X"}"#
    );
    let again = policy.platforms().unwrap();
    assert!(
        again.contains(&DeviceManagementConfigurationPlatforms::Unrecognized(
            "linuxOfTheFuture".into()
        ))
    );
}

#[test]
fn an_unchanged_model_with_flags_is_written_back_byte_for_byte() {
    use graph_endpoint_device_management::models::{
        DeviceManagementConfigurationPolicy, Windows10XSCEPCertificateProfile,
    };
    // (Members of an object are written in the order of their names.)
    for text in [
        r#"{"name":"x","platforms":"windows10, macOS,windows10,"}"#,
        r#"{"platforms":"","technologies":null}"#,
    ] {
        let policy: DeviceManagementConfigurationPolicy = serde_json::from_str(text).unwrap();
        let _ = policy.platforms();
        assert_eq!(serde_json::to_string(&policy).unwrap(), text);
    }
    let text = r##"{"@odata.type":"#microsoft.graph.windows10XSCEPCertificateProfile","hashAlgorithm":["sha2","sha1,sha2"],"keyUsage":"digitalSignature,keyEncipherment","subjectAlternativeNameFormats":[]}"##;
    let profile: Windows10XSCEPCertificateProfile = serde_json::from_str(text).unwrap();
    assert_eq!(profile.hash_algorithm().map(|a| a.len()), Some(2));
    assert_eq!(profile.key_usage().map(|u| u.len()), Some(2));
    assert_eq!(serde_json::to_string(&profile).unwrap(), text);
}

#[test]
fn a_collection_of_flags_is_a_list_of_sets() {
    use HashAlgorithms::{Sha1, Sha2};
    use graph_endpoint_device_management::models::{
        HashAlgorithms, Windows10XSCEPCertificateProfile,
    };
    let (mut profile, _) = round_trip::<Windows10XSCEPCertificateProfile>(
        r#"{"hashAlgorithm":["sha2","sha2,sha1","md5"]}"#,
    );
    let algorithms = profile.hash_algorithm().unwrap().to_vec().unwrap();
    assert_eq!(
        algorithms,
        [
            Flags::from([Sha2]),
            Flags::from([Sha1, Sha2]),
            Flags::from([HashAlgorithms::Unrecognized("md5".into())])
        ]
    );
    profile.set_hash_algorithm(&[Flags::from([Sha1, Sha2]), Flags::new()]);
    assert_eq!(profile.object()["hashAlgorithm"], json!(["sha1,sha2", ""]));
}

#[test]
fn clearing_flags_writes_null_and_unset_removes_them() {
    use graph_endpoint_device_management::models::DeviceManagementConfigurationPolicy;
    let (mut policy, _) = round_trip::<DeviceManagementConfigurationPolicy>(
        r#"{"platforms":"windows10","name":"x"}"#,
    );
    // `clear_x` writes an explicit `null` (on a PATCH: clear it), as for every property.
    policy.clear_platforms();
    policy.clear_name();
    assert_eq!(policy.field("platforms"), Field::Null);
    assert_eq!(policy.platforms(), None);
    assert_eq!(
        serde_json::to_value(&policy).unwrap(),
        json!({"platforms": null, "name": null})
    );
    // An explicit `null` read from a payload is the same as one set.
    let (read, _) =
        round_trip::<DeviceManagementConfigurationPolicy>(r#"{"platforms":null,"name":null}"#);
    assert_eq!(read, policy);
    // `unset_x` removes the property: not sent at all.
    policy.unset_platforms();
    assert_eq!(policy.field("platforms"), Field::Absent);
    assert_eq!(policy.platforms(), None);
    assert_eq!(
        serde_json::to_value(&policy).unwrap(),
        json!({"name": null})
    );
    // An empty set is a value, not a `null`.
    policy.set_platforms(Flags::new());
    assert_eq!(policy.field("platforms"), Field::Present(&json!("")));
    assert_eq!(policy.platforms(), Some(Flags::new()));
}

#[test]
fn a_derived_type_sends_its_odata_type_and_an_update_only_what_is_set() {
    let mut created = Windows10GeneralConfiguration::new();
    created.set_display_name("Baseline");
    created.set_password_required(true);
    let body: AnyDeviceConfiguration = created.into();
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({
            "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
            "displayName": "Baseline",
            "passwordRequired": true
        })
    );
    let mut patch = Windows10GeneralConfiguration::new();
    patch.unset("@odata.type");
    patch.clear_description();
    patch.set_password_minimum_length(8);
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        json!({"description": null, "passwordMinimumLength": 8})
    );
}

#[test]
fn a_page_of_devices_matches_on_concrete_types() {
    let page: graph_endpoint::Collection<AnyManagedDevice> = serde_json::from_value(json!({
        "value": [
            {"@odata.type": "#microsoft.graph.managedDevice", "deviceName": "a"},
            {"deviceName": "b"},
            {"@odata.type": "#microsoft.graph.windowsManagedDevice", "deviceName": "c"}
        ]
    }))
    .unwrap();
    let kinds: Vec<_> = page.value.iter().map(|d| d.decoded_as()).collect();
    assert_eq!(
        kinds,
        [
            Some("microsoft.graph.managedDevice"),
            Some("microsoft.graph.managedDevice"),
            Some("microsoft.graph.windowsManagedDevice")
        ]
    );
    assert_eq!(page.value[2].device_name(), Some("c"));
}
