//! The seven androidForWorkEnrollmentProfile operations end to end over real
//! HTTP: the exact request that arrives, and the result for the expected
//! status, an unexpected success status, a Graph error body, a non-JSON error
//! body and an undecodable success body.

use crate::common;

use std::future::Future;

use common::{assert_standard_headers, emulator_and_client};
use graph_endpoint::Error;
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_emulator::{Emulator, Fault, Injection};
use serde_json::json;

const BASE: &str = "/beta/deviceManagement/androidForWorkEnrollmentProfiles";

fn kiosk() -> AndroidForWorkEnrollmentProfile {
    let mut kiosk = AndroidForWorkEnrollmentProfile::named("Kiosk");
    kiosk.set_description("Warehouse tablets");
    kiosk
}

async fn created(graph: &impl AndroidForWorkEnrollmentProfiles) -> String {
    graph
        .create_profile(&kiosk())
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned()
}

/// Runs `call` against each failure an endpoint can meet and checks the typed error.
async fn failure_modes<F, Fut>(emulator: &Emulator, expected: u16, returns_body: bool, call: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    // A success status the endpoint does not expect.
    let other = if expected == 204 { 200 } else { 202 };
    emulator.inject(Injection::once(Fault::json(other, json!({}))));
    let err = call().await.unwrap_err();
    assert!(matches!(err, Error::Status(_)), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(other));
    assert!(
        err.to_string().contains(&format!("expected {expected}")),
        "{err}"
    );

    // A Graph error body.
    emulator.inject(Injection::once(Fault::Respond {
        status: 403,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("request-id".into(), "req-403".into()),
        ],
        body: json!({"error": {"code": "accessDenied", "message": "Application is not authorized.",
            "innerError": {"code": "missingPermission", "request-id": "req-403", "date": "2026-11-29T10:00:00"}}})
        .to_string()
        .into(),
    }));
    let err = call().await.unwrap_err();
    assert!(err.is_forbidden());
    assert_eq!(err.graph_code(), Some("accessDenied"));
    assert_eq!(
        err.graph_error().unwrap().inner_codes,
        ["missingPermission"]
    );
    assert_eq!(err.request_id(), Some("req-403"));
    assert!(err.client_request_id().is_some_and(common::is_guid));
    assert!(
        err.permissions()
            .contains(&"DeviceManagementConfiguration.ReadWrite.All")
    );
    assert!(
        err.to_string()
            .contains("DeviceManagementConfiguration.ReadWrite.All"),
        "{err}"
    );

    // A gateway's HTML page.
    emulator.inject(Injection::once(Fault::HtmlError { status: 502 }));
    let err = call().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(err.graph_code(), None);
    assert!(err.body().is_some_and(|b| b.starts_with(b"<html>")));
    assert!(
        err.request_id().is_some(),
        "the stand-in's request-id header is kept"
    );
    // Graph's SDKs do not retry 502, and neither does the client: one
    // definition of retryable.
    assert!(!err.is_retryable());

    // An expected status with a body that does not decode.
    emulator.inject(Injection::once(Fault::Respond {
        status: expected,
        headers: vec![("content-type".into(), "application/json".into())],
        body: "{\"value\": [".into(),
    }));
    let result = call().await;
    if returns_body {
        let err = result.unwrap_err();
        let Error::Decode(decode) = &err else {
            panic!("expected a decode error, got {err:?}")
        };
        assert_eq!(decode.status.as_u16(), expected);
        assert_eq!(&decode.body[..], b"{\"value\": [");
        assert!(decode.source.is_eof(), "{}", decode.source);
    } else {
        // The body of a bodyless result is not read as JSON.
        result.unwrap();
    }
}

#[tokio::test]
async fn list_profiles() {
    let (emulator, graph) = emulator_and_client().await;
    emulator.seed_profiles(3);

    let page = graph.list_profiles(Some(2)).await.unwrap();
    assert_eq!(page.value.len(), 2);
    assert!(page.next_link.as_deref().unwrap().contains("$skiptoken=2"));
    let request = emulator.last_request().unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, format!("{BASE}?$top=2"));
    assert_standard_headers(&request, "beta");
    assert!(request.header("content-type").is_none());
    assert!(request.body.is_empty());

    let all = graph.list_profiles(None).await.unwrap();
    assert_eq!(all.value.len(), 3);
    assert_eq!(all.next_link, None);
    assert_eq!(emulator.last_request().unwrap().path, BASE);

    failure_modes(&emulator, 200, true, || async {
        graph.list_profiles(None).await.map(drop)
    })
    .await;
}

#[tokio::test]
async fn get_profile() {
    let (emulator, graph) = emulator_and_client().await;
    let id = created(&graph).await;

    let profile = graph.get_profile(&id).await.unwrap();
    assert_eq!(profile.id(), Some(id.as_str()));
    assert_eq!(profile.display_name(), Some("Kiosk"));
    assert_eq!(
        profile.object()["@odata.type"],
        "#microsoft.graph.androidForWorkEnrollmentProfile"
    );
    let request = emulator.last_request().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", format!("{BASE}/{id}").as_str())
    );
    assert_standard_headers(&request, "beta");

    let missing = graph
        .get_profile("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(missing.graph_code(), Some("itemNotFound"));

    failure_modes(&emulator, 200, true, || async {
        graph.get_profile(&id).await.map(drop)
    })
    .await;
}

#[tokio::test]
async fn create_profile() {
    let (emulator, graph) = emulator_and_client().await;

    let profile = graph.create_profile(&kiosk()).await.unwrap();
    assert!(profile.id().is_some_and(common::is_guid));
    assert!(profile.account_id().is_some());
    assert!(profile.created_date_time().is_some());
    assert_eq!(
        profile.created_date_time(),
        profile.last_modified_date_time()
    );
    assert_eq!(profile.enrolled_device_count(), Some(0));
    let request = emulator.last_request().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", BASE)
    );
    assert_standard_headers(&request, "beta");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json().unwrap(),
        json!({"displayName": "Kiosk", "description": "Warehouse tablets"})
    );
    assert_eq!(
        request.header("content-length"),
        Some(request.body.len().to_string().as_str())
    );

    failure_modes(&emulator, 201, true, || async {
        graph.create_profile(&kiosk()).await.map(drop)
    })
    .await;
}

#[tokio::test]
async fn update_profile() {
    let (emulator, graph) = emulator_and_client().await;
    let id = created(&graph).await;
    let changes = AndroidForWorkEnrollmentProfile::named("Renamed");

    let updated = graph.update_profile(&id, &changes).await.unwrap();
    assert_eq!(updated.display_name(), Some("Renamed"));
    assert_eq!(updated.description(), Some("Warehouse tablets"));
    let request = emulator.last_request().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("PATCH", format!("{BASE}/{id}").as_str())
    );
    assert_standard_headers(&request, "beta");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.json().unwrap(), json!({"displayName": "Renamed"}));

    // Read-only and unknown properties are refused by the service.
    let mut read_only = AndroidForWorkEnrollmentProfile::from_object(Default::default());
    read_only.set_token_value("forged");
    let err = graph.update_profile(&id, &read_only).await.unwrap_err();
    assert_eq!(
        (err.status().unwrap().as_u16(), err.graph_code()),
        (400, Some("BadRequest"))
    );
    let mut unknown = AndroidForWorkEnrollmentProfile::from_object(Default::default());
    unknown.set_raw("colour", json!("blue"));
    let err = graph.update_profile(&id, &unknown).await.unwrap_err();
    assert!(err.graph_error().unwrap().message.contains("colour"));

    failure_modes(&emulator, 200, true, || async {
        graph.update_profile(&id, &changes).await.map(drop)
    })
    .await;
}

#[tokio::test]
async fn delete_profile() {
    let (emulator, graph) = emulator_and_client().await;
    let id = created(&graph).await;

    graph.delete_profile(&id).await.unwrap();
    let request = emulator.last_request().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("DELETE", format!("{BASE}/{id}").as_str())
    );
    assert_standard_headers(&request, "beta");
    assert!(request.body.is_empty());
    assert!(graph.get_profile(&id).await.unwrap_err().is_not_found());
    assert!(graph.delete_profile(&id).await.unwrap_err().is_not_found());

    failure_modes(&emulator, 204, false, || async {
        graph.delete_profile(&id).await
    })
    .await;
}

#[tokio::test]
async fn create_token() {
    let (emulator, graph) = emulator_and_client().await;
    let id = created(&graph).await;

    graph.create_token(&id, 3600).await.unwrap();
    let request = emulator.last_request().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", format!("{BASE}/{id}/createToken").as_str())
    );
    assert_standard_headers(&request, "beta");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(&request.body[..], br#"{"tokenValidityInSeconds":3600}"#);

    let profile = graph.get_profile(&id).await.unwrap();
    assert!(profile.has_token());
    let expires = profile.token_expiration_date_time().unwrap();
    let remaining = expires - time::OffsetDateTime::now_utc();
    assert!(
        remaining > time::Duration::seconds(3500) && remaining <= time::Duration::seconds(3600),
        "expires in {remaining}"
    );
    assert!(
        profile
            .qr_code_content()
            .unwrap()
            .contains(&profile.token_value().unwrap().to_owned())
    );
    assert_eq!(profile.qr_code_image().unwrap().type_(), Some("image/png"));

    for invalid in [0, -5] {
        let err = graph.create_token(&id, invalid).await.unwrap_err();
        assert_eq!(err.status().unwrap().as_u16(), 400, "validity {invalid}");
        assert_eq!(err.graph_code(), Some("BadRequest"));
    }
    // No upper bound: the action's page documents an Int32 and none.
    graph.create_token(&id, i32::MAX).await.unwrap();

    failure_modes(&emulator, 204, false, || async {
        graph.create_token(&id, 600).await
    })
    .await;
}

#[tokio::test]
async fn revoke_token() {
    let (emulator, graph) = emulator_and_client().await;
    let id = created(&graph).await;
    graph.create_token(&id, 3600).await.unwrap();

    graph.revoke_token(&id).await.unwrap();
    let request = emulator.last_request().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", format!("{BASE}/{id}/revokeToken").as_str())
    );
    assert_standard_headers(&request, "beta");
    assert_eq!(request.header("content-length"), Some("0"));
    assert!(request.header("content-type").is_none());
    assert!(request.body.is_empty());

    let profile = graph.get_profile(&id).await.unwrap();
    assert!(!profile.has_token());
    assert_eq!(profile.qr_code_content(), None);
    assert_eq!(
        profile.token_expiration_date_time(),
        Some(time::macros::datetime!(0001-01-01 0:00 UTC))
    );
    assert!(profile.last_modified_date_time() >= profile.created_date_time());

    failure_modes(&emulator, 204, false, || async {
        graph.revoke_token(&id).await
    })
    .await;
}
