//! Every example payload of the documentation for `/deviceAppManagement` and
//! `/groups` (389: 141 request bodies, 248 response bodies) decodes into its endpoint's declared type, `@odata.type`
//! resolved and every declared property checked, and encodes back to an
//! equal JSON value.

use graph_endpoint_device_app_management::example_check::check;
use serde_json::json;

#[test]
fn every_example_payload_round_trips_through_its_declared_type() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/device-app-management-examples.json"
    ))
    .unwrap();
    let report = check(&text).unwrap();
    assert_eq!(report.differences, Vec::<String>::new());
    assert_eq!(report.equal, report.payloads);
    // The documentation writes a single entity as `{"value": {...}}` in 66
    // responses; the entity inside is checked.
    assert_eq!(
        (
            report.payloads,
            report.requests,
            report.responses,
            report.unwrapped
        ),
        (389, 141, 248, 66)
    );
}

#[test]
fn a_payload_that_does_not_fit_its_type_is_reported() {
    let examples = json!([
        // An enum of the wrong JSON type.
        {"method": "POST", "path": "/deviceAppManagement/mobileApps/{mobileAppId}/assignments", "version": "beta",
         "request": {"@odata.type": "#microsoft.graph.mobileAppAssignment", "intent": 3}, "response": null},
        // A known type that is not a mobile app.
        {"method": "POST", "path": "/deviceAppManagement/mobileApps", "version": "beta",
         "request": {"@odata.type": "#microsoft.graph.group"}, "response": null},
        // Fits: a Win32 app with a size as Graph writes an Int64.
        {"method": "POST", "path": "/deviceAppManagement/mobileApps", "version": "beta",
         "request": {"@odata.type": "#microsoft.graph.win32LobApp", "displayName": "Agent", "size": 4}, "response": null}
    ]);
    let report = check(&examples.to_string()).unwrap();
    assert_eq!(report.payloads, 3);
    assert_eq!(report.equal, 1, "{:?}", report.differences);
    assert_eq!(report.differences.len(), 2);
    assert!(
        report.differences[0].contains("intent") && report.differences[0].contains("installIntent"),
        "{}",
        report.differences[0]
    );
    assert!(
        report.differences[1].contains("microsoft.graph.group"),
        "{}",
        report.differences[1]
    );
}
