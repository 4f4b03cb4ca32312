//! The typed `/deviceAppManagement` and `/groups` surface over HTTP: a Win32
//! app created, assigned to a group and its assignments listed, each request
//! exactly as Graph documents it, and the answers read as their models.

use crate::common;

use graph_endpoint_device_app_management::models::{
    AnyDeviceAndAppManagementAssignmentTarget, AnyMobileApp, GroupAssignmentTarget, InstallIntent,
    MobileAppAssignment, Win32LobApp,
};
use graph_endpoint_device_app_management::prelude::*;
use graph_endpoint_device_app_management::{Groups, MobileApps};
use graph_endpoint_emulator::Emulator;
use serde_json::{Value, json};

#[tokio::test]
async fn a_win32_app_is_created_assigned_to_a_group_and_its_assignments_listed() {
    let emulator = Emulator::builder().start().await.unwrap();
    let group = emulator
        .insert_entity("groups", json!({"displayName": "Pilot devices"}))
        .unwrap();
    let group_id = group["id"].as_str().unwrap().to_owned();
    let graph = common::client_for(&emulator);

    // The group to assign to, found by the typed list.
    let groups = graph.list_groups().first_page().await.unwrap();
    assert_eq!(groups.value.len(), 1);
    assert_eq!(groups.value[0].display_name(), Some("Pilot devices"));

    let mut app = Win32LobApp::new();
    app.set_display_name("Contoso Agent")
        .set_publisher("Contoso")
        .set_file_name("agent.intunewin")
        .set_setup_file_path("setup.exe");
    let created = graph
        .create_mobile_app(&AnyMobileApp::Win32LobApp(app))
        .await
        .unwrap();
    let AnyMobileApp::Win32LobApp(created) = created else {
        panic!("not read back as a Win32 app: {created:?}")
    };
    let app_id = created.id().unwrap().to_owned();
    assert_eq!(created.display_name(), Some("Contoso Agent"));

    let mut target = GroupAssignmentTarget::new();
    target.set_group_id(&group_id);
    let mut assignment = MobileAppAssignment::new();
    assignment
        .set_intent(InstallIntent::Required)
        .set_target(AnyDeviceAndAppManagementAssignmentTarget::GroupAssignmentTarget(target));
    graph
        .assign_mobile_app(&app_id, &[assignment])
        .await
        .unwrap();

    let listed = graph
        .list_mobile_app_assignments(&app_id)
        .first_page()
        .await
        .unwrap();
    assert_eq!(listed.value.len(), 1);
    assert_eq!(listed.value[0].intent(), Some(InstallIntent::Required));
    let Some(AnyDeviceAndAppManagementAssignmentTarget::GroupAssignmentTarget(read)) =
        listed.value[0].target()
    else {
        panic!("not a group target: {:?}", listed.value[0].target())
    };
    assert_eq!(read.group_id(), Some(group_id.as_str()));

    // The app itself is there by its id.
    let got = graph.get_mobile_app(&app_id).await.unwrap();
    assert!(matches!(got, AnyMobileApp::Win32LobApp(_)));
    let all = graph.list_mobile_apps().first_page().await.unwrap();
    assert_eq!(all.value.len(), 1);

    // Exactly the requests Graph documents.
    let requests = emulator.requests();
    let seen: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let assign_path = format!("/beta/deviceAppManagement/mobileApps/{app_id}/assign");
    let assignments_path = format!("/beta/deviceAppManagement/mobileApps/{app_id}/assignments");
    let get_path = format!("/beta/deviceAppManagement/mobileApps/{app_id}");
    assert_eq!(
        seen,
        [
            ("GET", "/beta/groups"),
            ("POST", "/beta/deviceAppManagement/mobileApps"),
            ("POST", assign_path.as_str()),
            ("GET", assignments_path.as_str()),
            ("GET", get_path.as_str()),
            ("GET", "/beta/deviceAppManagement/mobileApps"),
        ]
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
    );
    let body = |i: usize| serde_json::from_slice::<Value>(&requests[i].body).unwrap();
    assert_eq!(
        body(1),
        json!({
            "@odata.type": "#microsoft.graph.win32LobApp",
            "displayName": "Contoso Agent",
            "publisher": "Contoso",
            "fileName": "agent.intunewin",
            "setupFilePath": "setup.exe"
        })
    );
    assert_eq!(
        body(2),
        json!({"mobileAppAssignments": [{
            "@odata.type": "#microsoft.graph.mobileAppAssignment",
            "intent": "required",
            "target": {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                "groupId": group_id
            }
        }]})
    );
    for i in [1, 2] {
        assert_eq!(
            requests[i].header("content-type"),
            Some("application/json"),
            "request {i}"
        );
    }
}
