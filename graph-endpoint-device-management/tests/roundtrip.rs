//! Every example payload of the documentation (1,121 endpoints: 438 request
//! bodies, 779 response bodies) decodes into its endpoint's declared type,
//! `@odata.type` resolved and every declared property checked, and encodes
//! back to an equal JSON value; the one whose date does not parse is
//! reported with its path.

use graph_endpoint_device_management::check::check;
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
