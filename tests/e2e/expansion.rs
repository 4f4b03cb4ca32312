//! What the generated code promises: `Send` futures that `tokio::spawn`
//! accepts, metadata constants, test doubles of a declared trait, and
//! transports of one's own.

use crate::common;

use std::sync::Mutex;

use graph_endpoint::bytes::Bytes;
use graph_endpoint::http::{HeaderMap, StatusCode};
use graph_endpoint::{
    ApiVersion, Call, Collection, Error, Graph, GraphClient, Method, RawResponse, Request,
    graph_action,
};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_emulator::{Fault, Injection};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_calls_can_be_spawned() {
    let (emulator, graph) = common::emulator_and_client().await;
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let graph = graph.clone();
            tokio::spawn(async move {
                let profile = AndroidForWorkEnrollmentProfile::named(&format!("spawned {i}"));
                let created = graph.create_profile(&profile).await?;
                let id = created.id().unwrap().to_owned();
                graph.create_token(&id, 60).await?;
                graph.revoke_token(&id).await?;
                Ok::<_, Error>(id)
            })
        })
        .collect();
    let mut ids = Vec::new();
    for handle in handles {
        ids.push(handle.await.unwrap().unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    assert_eq!(emulator.profiles().len(), 20);
    assert_eq!(emulator.request_count(), 60);
}

#[test]
fn endpoint_metadata_is_reachable_as_constants() {
    let endpoint = <GraphClient as AndroidForWorkEnrollmentProfiles>::CREATE_TOKEN;
    assert_eq!(endpoint.name(), "create_token");
    assert_eq!(endpoint.method(), Method::Post);
    assert_eq!(
        endpoint.path(),
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/createToken"
    );
    assert_eq!(endpoint.expect(), &[204]);
    assert_eq!(endpoint.version(), Some(ApiVersion::Beta));
    assert_eq!(
        endpoint.permissions(),
        &["DeviceManagementConfiguration.ReadWrite.All"]
    );
    assert_eq!(
        <GraphClient as AndroidForWorkEnrollmentProfiles>::CREATE_PROFILE.expect(),
        &[201]
    );
}

/// A test double with bodies of its own: no HTTP at all.
#[derive(Default)]
struct FakeProfiles {
    revoked: Mutex<Vec<String>>,
}

impl Graph for FakeProfiles {}

impl AndroidForWorkEnrollmentProfiles for FakeProfiles {
    fn revoke_token(&self, id: &str) -> Call<'_, ()> {
        self.revoked.lock().unwrap().push(id.to_owned());
        Call::ready(Ok(()))
    }

    fn list_profiles(
        &self,
        _top: Option<u32>,
    ) -> Call<'_, Collection<AndroidForWorkEnrollmentProfile>> {
        // An async body works too.
        Call::new(async move {
            tokio::task::yield_now().await;
            Ok(Collection {
                value: vec![
                    AndroidForWorkEnrollmentProfile::from_object(Default::default())
                        .set_id("p1")
                        .set_token_value("T")
                        .clone(),
                ],
                next_link: None,
                count: None,
                delta_link: None,
            })
        })
    }
}

/// Code under test, written against the trait: it works with the client and with doubles.
async fn revoke_all_tokens(graph: &impl AndroidForWorkEnrollmentProfiles) -> Result<usize, Error> {
    let mut revoked = 0;
    for profile in graph.list_profiles(None).await?.value {
        if profile.has_token() {
            graph.revoke_token(profile.id().unwrap_or_default()).await?;
            revoked += 1;
        }
    }
    Ok(revoked)
}

#[tokio::test]
async fn a_test_double_implements_the_trait_with_its_own_bodies() {
    let fake = FakeProfiles::default();
    assert_eq!(revoke_all_tokens(&fake).await.unwrap(), 1);
    assert_eq!(*fake.revoked.lock().unwrap(), ["p1"]);
    // What the double does not override says so.
    let err = fake.delete_profile("p1").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotImplemented {
                endpoint: "delete_profile"
            }
        ),
        "{err:?}"
    );
}

/// A transport of one's own: canned responses, with the declared status
/// checks and decoding running on top.
struct Canned {
    seen: Mutex<Vec<String>>,
}

impl Graph for Canned {
    async fn send(&self, request: Request) -> Result<RawResponse, Error> {
        self.seen.lock().unwrap().push(format!(
            "{} {}?{} {}",
            request.endpoint().method(),
            request.path(),
            request.query(),
            String::from_utf8_lossy(request.body().map(|b| &b[..]).unwrap_or_default())
        ));
        let (status, body) = match request.endpoint().name() {
            "get_profile" => (200, r#"{"id": "p1", "displayName": "Canned"}"#),
            _ => (
                404,
                r#"{"error": {"code": "itemNotFound", "message": "gone"}}"#,
            ),
        };
        Ok(RawResponse::new(
            StatusCode::from_u16(status).unwrap(),
            HeaderMap::new(),
            body.into(),
        ))
    }
}

impl AndroidForWorkEnrollmentProfiles for Canned {}

#[tokio::test]
async fn a_transport_double_gets_the_real_checks() {
    let canned = Canned {
        seen: Mutex::new(Vec::new()),
    };
    let profile = canned.get_profile("p1").await.unwrap();
    assert_eq!(profile.display_name(), Some("Canned"));
    let err = canned.create_token("p 1", 30).await.unwrap_err();
    assert_eq!(err.graph_code(), Some("itemNotFound"));
    assert_eq!(
        *canned.seen.lock().unwrap(),
        [
            "GET /deviceManagement/androidForWorkEnrollmentProfiles/p1? ",
            "POST /deviceManagement/androidForWorkEnrollmentProfiles/p%201/createToken? {\"tokenValidityInSeconds\":30}",
        ]
    );
}

pub trait Everything: Graph {
    #[graph_action(GET, "/users", expect = 200)]
    async fn users(
        &self,
        #[query("$top")] top: u32,
        #[query("$filter")] filter: Option<&str>,
        #[header("ConsistencyLevel")] consistency: Option<&str>,
    ) -> Result<graph_endpoint::Response<graph_endpoint::bytes::Bytes>, Error>;

    #[graph_action(POST, "/users/<id>/assignLicense", expect = 200, headers("Prefer" = "return=minimal"))]
    async fn assign_license(
        &self,
        id: u64,
        #[param] add_licenses: Vec<String>,
        #[param("removeLicenses")] remove: Vec<String>,
    ) -> Result<Option<serde_json::Value>, Error>;

    #[graph_action(GET, "/directory/deletedItems/microsoft.graph.<type>", expect = 200)]
    async fn deleted_items(&self, r#type: &str) -> Result<serde_json::Value, Error>;
}

impl Everything for GraphClient {}

#[tokio::test]
async fn query_parameters_headers_and_parameters_arrive_as_declared() {
    let (emulator, graph) = common::emulator_and_client().await;
    // The stand-in serves no /users: each answer is scripted, and decoded as declared.
    let page = br#"{"value":[{"id":"u1"}]}"#;
    emulator.inject(Injection::times(
        2,
        Fault::Respond {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from_static(page),
        },
    ));
    let users = graph
        .users(5, Some("displayName eq 'O''Neil & co'"), Some("eventual"))
        .await
        .unwrap();
    assert_eq!(users.status(), 200);
    assert_eq!(users.header("content-type"), Some("application/json"));
    assert_eq!(&users.body()[..], page, "the body as it arrived");
    let request = emulator.last_request().unwrap();
    assert_eq!(
        request.path,
        "/v1.0/users?$top=5&$filter=displayName%20eq%20%27O%27%27Neil%20%26%20co%27"
    );
    assert_eq!(request.header("consistencylevel"), Some("eventual"));

    let users = graph.users(1, None, None).await.unwrap();
    assert_eq!(&users.body()[..], page);
    let request = emulator.last_request().unwrap();
    assert_eq!(request.path, "/v1.0/users?$top=1");
    assert_eq!(request.header("consistencylevel"), None);

    // `Option<T>`: a JSON body is `Some`, an empty one `None`.
    emulator.inject(Injection::once(Fault::json(200, json!({"id": "7"}))));
    let assigned = graph.assign_license(7, vec!["a".into()], vec![]).await;
    assert_eq!(assigned.unwrap(), Some(json!({"id": "7"})));
    let request = emulator.last_request().unwrap();
    assert_eq!(request.path, "/v1.0/users/7/assignLicense");
    assert_eq!(request.header("prefer"), Some("return=minimal"));
    assert_eq!(
        request.json().unwrap(),
        serde_json::json!({"addLicenses": ["a"], "removeLicenses": []})
    );
    emulator.inject(Injection::once(Fault::Respond {
        status: 200,
        headers: vec![],
        body: Bytes::new(),
    }));
    let assigned = graph.assign_license(7, vec![], vec![]).await;
    assert_eq!(assigned.unwrap(), None, "an empty body is None");
    assert_eq!(
        emulator.last_request().unwrap().header("content-length"),
        Some("38")
    );
}

#[tokio::test]
async fn a_keyword_placeholder_is_filled_by_its_raw_argument() {
    let (emulator, graph) = common::emulator_and_client().await;
    emulator.inject(Injection::times(2, Fault::json(200, json!({"value": []}))));
    let deleted = graph.deleted_items("group").await.unwrap();
    assert_eq!(deleted, json!({"value": []}));
    let request = emulator.last_request().unwrap();
    assert_eq!(
        request.path,
        "/v1.0/directory/deletedItems/microsoft.graph.group"
    );
    // The value is encoded like any placeholder's: it stays in its segment.
    assert_eq!(
        graph.deleted_items("a b/c").await.unwrap(),
        json!({"value": []})
    );
    let request = emulator.last_request().unwrap();
    assert_eq!(
        request.path,
        "/v1.0/directory/deletedItems/microsoft.graph.a%20b%2Fc"
    );
}
