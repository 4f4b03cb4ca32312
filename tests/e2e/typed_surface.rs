//! The typed surface against the generic stand-in: a third of the CRUD
//! endpoints whose collection the stand-in serves from the same metadata
//! (over 500, every area, every kind, beta and v1.0) are called over HTTP,
//! and their typed results checked: the type each item decoded as, its id,
//! what a PATCH merged or cleared, what a delete removed.

use crate::common;

use std::collections::BTreeSet;

use graph_endpoint_device_management::samples::{SERVED, call_served};
use graph_endpoint_emulator::Emulator;
use serde_json::{Value, json};

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

#[tokio::test]
async fn crud_endpoints_of_every_area_against_the_generic_stand_in() {
    let emulator = Emulator::builder()
        .page_size(2)
        .record_requests(false)
        .start()
        .await
        .unwrap();
    let graph = common::client_for(&emulator);
    assert!(SERVED.len() >= 300, "{} served endpoints", SERVED.len());
    let mut areas = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    let mut versions = BTreeSet::new();
    let mut called = 0;
    for (n, case) in SERVED.iter().enumerate() {
        // The seed's resource and the report export jobs keep their own
        // behaviour (tests/emulator.rs, tests/long_work.rs).
        if case
            .collection
            .starts_with("deviceManagement/androidForWorkEnrollmentProfiles")
            || case
                .collection
                .starts_with("deviceManagement/reports/exportJobs")
        {
            continue;
        }
        called += 1;
        emulator.clear_entities();
        let what = format!("{} ({})", case.endpoint, case.kind);
        let typed = format!("#{}", case.item_type);
        let before = emulator.entities(case.collection).len();
        let mut body = serde_json::Map::new();
        match case.kind {
            "list" => {
                for k in 0..3 {
                    emulator
                        .insert_entity(case.collection, json!({"displayName": format!("item {k}")}))
                        .unwrap_or_else(|| panic!("{what}: not served"));
                }
            }
            "get" | "update" | "delete" => {
                emulator
                    .insert_entity(
                        case.collection,
                        json!({"id": case.id, "displayName": "one", "description": "kept"}),
                    )
                    .unwrap_or_else(|| panic!("{what}: not served"));
                if case.kind == "update" {
                    body = object(json!({"displayName": null, "notes": "set"}));
                }
            }
            _ => body = object(json!({"displayName": "created"})),
        }
        let items = call_served(&graph, n, body)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        match case.kind {
            "list" => {
                // Every page followed (two items a page), each item of its type.
                assert_eq!(items.len(), before + 3, "{what}");
                for (decoded, item) in &items {
                    assert_eq!(*decoded, Some(case.item_type), "{what}");
                    assert_eq!(item["@odata.type"], json!(typed), "{what}");
                }
            }
            "get" => {
                let (decoded, item) = &items[0];
                assert_eq!(*decoded, Some(case.item_type), "{what}");
                assert_eq!(item["id"], json!(case.id), "{what}");
                assert_eq!(item["displayName"], json!("one"), "{what}");
            }
            "create" => {
                let (decoded, item) = &items[0];
                assert_eq!(*decoded, Some(case.item_type), "{what}");
                assert!(
                    item["id"].as_str().is_some_and(|id| !id.is_empty()),
                    "{what}"
                );
                assert_eq!(item["displayName"], json!("created"), "{what}");
                assert_eq!(
                    emulator.entities(case.collection).len(),
                    before + 1,
                    "{what}"
                );
            }
            "update" => {
                let (_, item) = &items[0];
                assert_eq!(item["displayName"], Value::Null, "{what}: cleared");
                assert_eq!(item["notes"], json!("set"), "{what}");
                assert_eq!(item["description"], json!("kept"), "{what}: merged");
            }
            "delete" => {
                assert!(items.is_empty());
                let left = emulator.entities(case.collection);
                assert!(!left.iter().any(|i| i["id"] == json!(case.id)), "{what}");
            }
            other => panic!("{what}: kind {other}"),
        }
        areas.insert(case.area);
        kinds.insert(case.kind);
        versions.insert(case.endpoint.version().map(|v| v.as_str()));
    }
    assert!(called >= 300, "{called} called");
    assert_eq!(areas.len(), 9, "{areas:?}");
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    assert_eq!(versions.len(), 2, "{versions:?}");
}

#[tokio::test]
async fn the_generic_collections_filter_select_page_and_keep_types() {
    use graph_endpoint::Filter;
    use graph_endpoint_device_management::DeviceConfigurations;
    use graph_endpoint_device_management::models::{
        AnyDeviceConfiguration, IosGeneralDeviceConfiguration,
    };
    use graph_endpoint_device_management::prelude::*;
    use graph_endpoint_device_management::support::Field;

    let emulator = Emulator::builder().page_size(2).start().await.unwrap();
    let graph = common::client_for(&emulator);
    for k in 0..5 {
        let mut ios = IosGeneralDeviceConfiguration::new();
        ios.set_camera_blocked(k % 2 == 0)
            .set_display_name(&format!("Kiosk {k}"));
        let created = graph
            .create_device_configuration(&ios.into())
            .await
            .unwrap();
        assert!(matches!(
            created,
            AnyDeviceConfiguration::IosGeneralDeviceConfiguration(_)
        ));
    }
    emulator.insert_entity(
        "deviceManagement/deviceConfigurations",
        json!({"displayName": "Other", "@odata.type": "#microsoft.graph.notInTheMetadata"}),
    );

    // $filter, $select and $top go on every page; items keep their type.
    let mut items = graph
        .list_device_configurations()
        .filter(Filter::starts_with("displayName", "Kiosk"))
        .select(["displayName"])
        .top(2)
        .items();
    let mut names = Vec::new();
    while let Some(item) = items.try_next().await.unwrap() {
        assert!(matches!(
            item,
            AnyDeviceConfiguration::IosGeneralDeviceConfiguration(_)
        ));
        assert_eq!(item.field("cameraBlocked"), Field::Absent, "not selected");
        names.push(item.display_name().unwrap().to_owned());
    }
    assert_eq!(
        names,
        ["Kiosk 0", "Kiosk 1", "Kiosk 2", "Kiosk 3", "Kiosk 4"]
    );
    let nexts = emulator
        .requests()
        .iter()
        .filter(|r| r.path.contains("skiptoken"))
        .count();
    assert_eq!(nexts, 2, "three pages of two");

    // An unknown type is listed as Other, kept whole; v1.0 serves the same collection.
    let v1 =
        graph_endpoint_device_management::v1::DeviceConfigurations::list_device_configurations(
            &graph,
        )
        .first_page()
        .await
        .unwrap();
    assert_eq!(v1.value.len(), 2, "a page of two, under v1.0 too");
    assert!(
        v1.next_link
            .as_deref()
            .is_some_and(|l| l.contains("/v1.0/"))
    );
    let first = graph
        .list_device_configurations()
        .filter(Filter::eq("displayName", "Other"))
        .first_page()
        .await
        .unwrap();
    assert!(matches!(first.value[0], AnyDeviceConfiguration::Other(_)));
    assert_eq!(
        first.value[0].odata_type(),
        Some("microsoft.graph.notInTheMetadata")
    );

    // A missing item is Graph's 404.
    let err = graph
        .get_device_configuration("no-such-id")
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}
