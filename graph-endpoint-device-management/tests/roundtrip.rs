//! Every example payload of the documentation (1,121 endpoints: 438 request
//! bodies, 779 response bodies) decodes into its endpoint's declared type,
//! `@odata.type` resolved and every declared property checked, and encodes
//! back to an equal JSON value; the one whose date does not parse is
//! reported with its path.

use graph_endpoint_device_management::example_check::check;
use serde_json::json;

#[test]
fn every_example_payload_round_trips_through_its_declared_type() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/device-management-examples.json"
    ))
    .unwrap();
    let report = check(&text).unwrap();
    // One documented response has a date that is not one (`2020-11-010`):
    // strict decoding rejects it, and the check says where and why.
    assert_eq!(
        report.differences,
        [
            "#926 GET /deviceManagement/virtualEndpoint/cloudPCs/{id} (beta) response: \
          at `gracePeriodEndDateTime`: expected DateTimeOffset, found a string that does not parse as one"
        ]
    );
    assert_eq!(report.payloads, 1217);
    assert_eq!(report.equal, 1216);
    assert_eq!((report.requests, report.responses), (438, 779));
    // The documentation writes a single entity as `{"value": {...}}` in 239
    // responses; the entity inside is checked.
    assert_eq!(report.unwrapped, 239);
}

#[test]
fn a_payload_that_does_not_fit_its_type_is_reported() {
    let examples = json!([
        // A known type that is not derived from deviceConfiguration.
        {"method": "POST", "path": "/deviceManagement/deviceConfigurations", "version": "beta",
         "request": {"@odata.type": "#microsoft.graph.managedDevice"}, "response": null},
        // Not an object.
        {"method": "GET", "path": "/deviceManagement/managedDevices/{managedDeviceId}", "version": "beta",
         "request": null, "response": [1, 2]},
        // A page without `value`.
        {"method": "GET", "path": "/deviceManagement/managedDevices", "version": "beta",
         "request": null, "response": {"items": []}},
        // An endpoint nobody declared.
        {"method": "GET", "path": "/deviceManagement/nothingHere", "version": "beta",
         "request": null, "response": {}},
        // A body where the endpoint takes none.
        {"method": "DELETE", "path": "/deviceManagement/managedDevices/{managedDeviceId}", "version": "beta",
         "request": {"a": 1}, "response": null},
        // An enum parameter of the wrong JSON type.
        {"method": "POST", "path": "/deviceManagement/managedDevices/{managedDeviceId}/cleanWindowsDevice", "version": "beta",
         "request": {"keepUserData": "yes"}, "response": null},
        // Fits: an unknown type derived from nothing known is kept.
        {"method": "POST", "path": "/deviceManagement/deviceConfigurations", "version": "beta",
         "request": {"@odata.type": "#microsoft.graph.fromTheFuture", "x": 1}, "response": null}
    ]);
    let report = check(&examples.to_string()).unwrap();
    assert_eq!(report.payloads, 7);
    assert_eq!(report.equal, 1, "{:#?}", report.differences);
    assert_eq!(report.differ(), 6);
    assert!(report.differences[0].contains("microsoft.graph.managedDevice decoded as"));
    assert!(check("{}").is_err());
}

/// The round-trip command itself: a payload whose property has a value of
/// the wrong JSON type is reported as differing, with its path and reason,
/// and the command fails.
#[test]
fn the_roundtrip_command_reports_a_rejected_payload_with_its_path() {
    let examples = json!([
        {"method": "POST", "path": "/deviceManagement/deviceConfigurations", "version": "beta",
         "request": {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
                     "displayName": "Desks", "passwordMinimumLength": "8"},
         "response": {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
                      "id": "c-1", "displayName": "Desks", "passwordMinimumLength": 8}}
    ]);
    let file = std::env::temp_dir().join(format!("roundtrip-{}.json", std::process::id()));
    std::fs::write(&file, examples.to_string()).unwrap();
    let output = roundtrip_command().arg(&file).output().unwrap();
    std::fs::remove_file(&file).unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("2 payloads, 1 equal, 1 differ"), "{out}");
    assert!(
        out.contains(
            "differs: #0 POST /deviceManagement/deviceConfigurations (beta) request: \
             at `passwordMinimumLength`: expected Int32, found a string"
        ),
        "{out}"
    );
}

/// The example's binary as `cargo test` built it beside this test, or
/// `cargo run` when it was not built (`cargo test --test roundtrip` alone).
fn roundtrip_command() -> std::process::Command {
    let built = std::env::current_exe()
        .ok()
        .and_then(|test| Some(test.parent()?.parent()?.join("examples").join("roundtrip")))
        .filter(|binary| binary.exists());
    match built {
        Some(binary) => std::process::Command::new(binary),
        None => {
            let mut command = std::process::Command::new(env!("CARGO"));
            command.current_dir(env!("CARGO_MANIFEST_DIR")).args([
                "run",
                "--quiet",
                "--example",
                "roundtrip",
                "--",
            ]);
            command
        }
    }
}
