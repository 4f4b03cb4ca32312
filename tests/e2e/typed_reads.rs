//! What the typed surface reads and sends over HTTP: a value whose JSON type
//! is not the one Graph's metadata declares fails the call with its path and
//! the declared type, or, leniently, is a `tracing` warning and stays
//! readable raw; nested models are read in place; an action's nullable
//! parameters left out are absent from the body.

use crate::common;

use std::sync::{Arc, Mutex};

use graph_endpoint::{Error, GraphClient, Validation};
use graph_endpoint_device_management::models::{AnyDeviceConfiguration, HardwareInformation};
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_device_management::support::Field;
use graph_endpoint_device_management::{DeviceConfigurations, ManagedDevices};
use graph_endpoint_emulator::Emulator;
use serde_json::{Value, json};

const CONFIGURATIONS: &str = "deviceManagement/deviceConfigurations";
const DEVICES: &str = "deviceManagement/managedDevices";

/// A stand-in holding three well-formed Windows 10 configurations and a
/// fourth whose `passwordMinimumLength` (an `Int32`) is a string, planted as
/// it is.
async fn stand_in_with_a_drifted_configuration() -> (Emulator, String) {
    let emulator = Emulator::builder().start().await.unwrap();
    for k in 0..3 {
        emulator.insert_entity(
            CONFIGURATIONS,
            json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
                   "displayName": format!("Desk {k}"), "passwordMinimumLength": 8}),
        );
    }
    let drifted = emulator
        .insert_entity(
            CONFIGURATIONS,
            json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
                   "displayName": "Drifted", "passwordMinimumLength": "eight"}),
        )
        .unwrap();
    (emulator, drifted["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_value_of_the_wrong_type_fails_the_call_with_its_path_and_how_to_switch() {
    let (emulator, id) = stand_in_with_a_drifted_configuration().await;
    let graph = common::client_for(&emulator);

    let err = graph
        .list_device_configurations()
        .first_page()
        .await
        .unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("not a decode error: {err:?}")
    };
    assert_eq!(decode.path, "value[3].passwordMinimumLength");
    assert_eq!(decode.status.as_u16(), 200);
    let text = err.to_string();
    assert!(
        text.contains("value[3].passwordMinimumLength: expected Int32, found a string"),
        "{text}"
    );
    assert!(
        text.contains("Validation::Lenient on the client or the call"),
        "{text}"
    );
    // The value itself is never quoted (a body can hold secrets).
    assert!(!text.contains("eight") && !format!("{err:?}").contains("eight"));

    // One item: the path is the property's.
    let err = graph.get_device_configuration(&id).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("passwordMinimumLength: expected Int32, found a string"),
        "{err}"
    );
}

/// Collects what `tracing` writes at WARN and above on this thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn leniently_the_value_is_a_warning_and_stays_readable_raw() {
    let (emulator, id) = stand_in_with_a_drifted_configuration().await;
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .finish(),
    );

    // Per call.
    let strict_client = common::client_for(&emulator);
    let page = strict_client
        .list_device_configurations()
        .validation(Validation::Lenient)
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.value.len(), 4, "no item dropped");
    let drifted = &page.value[3];
    assert!(matches!(
        drifted,
        AnyDeviceConfiguration::Windows10GeneralConfiguration(_)
    ));
    let AnyDeviceConfiguration::Windows10GeneralConfiguration(drifted) = drifted else {
        unreachable!()
    };
    assert_eq!(drifted.password_minimum_length(), None);
    assert_eq!(
        drifted.field("passwordMinimumLength"),
        Field::Present(&json!("eight"))
    );
    assert_eq!(drifted.display_name(), Some("Drifted"));
    let warnings = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(warnings.contains("WARN"), "{warnings}");
    assert!(
        warnings.contains("passwordMinimumLength") && warnings.contains("Int32"),
        "{warnings}"
    );
    assert!(!warnings.contains("eight"), "{warnings}");
    // The call's setting was its own: the client is still strict.
    assert!(matches!(
        strict_client.get_device_configuration(&id).await,
        Err(Error::Decode(_))
    ));

    // For every call of a client.
    let lenient = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .no_retry()
        .validation(Validation::Lenient)
        .build()
        .unwrap();
    let read = lenient.get_device_configuration(&id).await.unwrap();
    assert_eq!(
        read.field("passwordMinimumLength"),
        Field::Present(&json!("eight"))
    );
    // Written back as it came.
    assert_eq!(
        serde_json::to_value(&read).unwrap()["passwordMinimumLength"],
        json!("eight")
    );
}

#[tokio::test]
async fn nested_models_and_list_items_are_read_in_place() {
    let emulator = Emulator::builder().start().await.unwrap();
    let planted = emulator
        .insert_entity(
            DEVICES,
            json!({"@odata.type": "#microsoft.graph.managedDevice", "deviceName": "desk-7",
                   "hardwareInformation": {"serialNumber": "SN-7", "totalStorageSpace": 512},
                   "roleScopeTagIds": ["0", "7"]}),
        )
        .unwrap();
    let graph = common::client_for(&emulator);
    let device = graph
        .get_managed_device(planted["id"].as_str().unwrap())
        .await
        .unwrap();

    let info: &HardwareInformation = device.hardware_information().unwrap();
    assert_eq!(info.serial_number(), Some("SN-7"));
    assert_eq!(info.total_storage_space(), Some(512));
    // The same object, not a copy of it.
    let Value::Object(inside) = &device.object()["hardwareInformation"] else {
        panic!("an object")
    };
    assert!(std::ptr::eq(info.object(), inside));
    let tags: Vec<&str> = device
        .role_scope_tag_ids()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tags, ["0", "7"]);
}

#[tokio::test]
async fn an_action_sends_only_the_nullable_parameters_given() {
    let emulator = Emulator::builder().start().await.unwrap();
    let graph = common::client_for(&emulator);
    let path = "/beta/deviceManagement/managedDevices/d-1/wipe";

    // Whatever the stand-in answers, the request is what is checked.
    let _ = graph
        .wipe_managed_device("d-1", None, None, None, None, None)
        .await;
    let request = emulator.last_request().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", path)
    );
    // Nothing given, nothing sent: no body at all.
    assert!(request.body.is_empty(), "{:?}", request.body);
    assert_eq!(request.header("content-type"), None);

    let _ = graph
        .wipe_managed_device("d-1", None, Some(true), None, None, None)
        .await;
    let request = emulator.last_request().unwrap();
    assert_eq!(request.path, path);
    assert_eq!(request.json().unwrap(), json!({"keepUserData": true}));
    assert_eq!(request.header("content-type"), Some("application/json"));
}
