//! The models: lossless, derived types reachable, updates that say exactly
//! what changes.

use graph_endpoint_device_management::models::{
    AnyDeviceConfiguration, AnyManagedDevice, DeviceManagementConfigurationPlatforms,
    OmaSettingFloatingPoint, Windows10GeneralConfiguration,
};
use graph_endpoint_device_management::support::{Field, Model};
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
    assert_eq!(
        c.created_date_time(),
        Some("2017-01-01T00:00:35.1329464-08:00")
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
    use graph_endpoint_device_management::models::DeviceManagementConfigurationPolicy;
    let (policy, _) = round_trip::<DeviceManagementConfigurationPolicy>(
        r#"{"platforms":"windows10,macOS,somethingNew"}"#,
    );
    let platforms = policy.platforms().unwrap();
    assert_eq!(platforms.len(), 3);
    assert!(platforms.contains(&DeviceManagementConfigurationPlatforms::Windows10));
    assert!(platforms.contains(&DeviceManagementConfigurationPlatforms::MacOS));
    let mut changed = DeviceManagementConfigurationPolicy::new();
    changed.set_platforms(Some(&[
        DeviceManagementConfigurationPlatforms::Windows10,
        DeviceManagementConfigurationPlatforms::Windows10X,
    ]));
    assert_eq!(
        serde_json::to_value(&changed).unwrap(),
        json!({
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
            "platforms": "windows10,windows10X"
        })
    );
}

#[test]
fn a_derived_type_sends_its_odata_type_and_an_update_only_what_is_set() {
    let mut created = Windows10GeneralConfiguration::new();
    created.set_display_name(Some("Baseline"));
    created.set_password_required(Some(true));
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
    patch.set_description(None);
    patch.set_password_minimum_length(Some(8));
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
