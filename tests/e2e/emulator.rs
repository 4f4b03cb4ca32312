//! The local Graph stand-in, driven through declared endpoints over real HTTP:
//! every operation, every error it answers, and every fault it injects.

use crate::clock::{HeldClock, wait_for};
use crate::common;

use std::time::{Duration, Instant, SystemTime};

use common::{client_for, emulator_and_client};
use graph_endpoint::{Collection, Error, Graph, GraphClient, Response, graph_action};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_emulator::{Emulator, Fault, Injection, RetryAfter};

type Profile = AndroidForWorkEnrollmentProfile;

/// Endpoints the seed trait does not declare, to reach the stand-in's other answers.
pub trait Probes: Graph {
    #[graph_action(
        GET,
        "/deviceManagement/androidForWorkEnrollmentProfiles",
        expect = 200,
        version = "beta"
    )]
    async fn page(
        &self,
        #[query("$top")] top: u32,
        #[query("$skiptoken")] skiptoken: Option<&str>,
    ) -> Result<Collection<Profile>, Error>;

    #[graph_action(
        POST,
        "/deviceManagement/androidForWorkEnrollmentProfiles",
        expect = 201,
        version = "beta"
    )]
    async fn create_with_location(
        &self,
        #[body] profile: &Profile,
    ) -> Result<Response<Profile>, Error>;

    #[graph_action(
        POST,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/microsoft.graph.createToken",
        expect = 204,
        version = "beta"
    )]
    async fn create_token_qualified(
        &self,
        id: &str,
        #[param] token_validity_in_seconds: i32,
    ) -> Result<(), Error>;

    #[graph_action(
        POST,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/microsoft.graph.revokeToken",
        expect = 204,
        version = "beta"
    )]
    async fn revoke_token_qualified(&self, id: &str) -> Result<(), Error>;

    #[graph_action(
        POST,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/createToken",
        expect = 204,
        version = "beta"
    )]
    async fn create_token_raw(
        &self,
        id: &str,
        #[body] body: &serde_json::Value,
    ) -> Result<(), Error>;

    #[graph_action(
        POST,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken",
        expect = 204,
        version = "beta"
    )]
    async fn revoke_token_with(&self, id: &str, #[param] reason: &str) -> Result<(), Error>;

    #[graph_action(
        PATCH,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>",
        expect = 200,
        version = "beta"
    )]
    async fn patch_raw(&self, id: &str, #[body] body: &serde_json::Value)
    -> Result<Profile, Error>;

    #[graph_action(
        GET,
        "/deviceManagement/androidForWorkEnrollmentProfiles",
        expect = 200,
        version = "v1.0"
    )]
    async fn list_in_v1(&self) -> Result<Collection<Profile>, Error>;

    #[graph_action(
        PUT,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>",
        expect = 200,
        version = "beta"
    )]
    async fn put_profile(&self, id: &str, #[body] profile: &Profile) -> Result<Profile, Error>;

    #[graph_action(
        GET,
        "/deviceManagement/androidForWorkEnrollmentProfiles",
        expect = 200,
        version = "beta"
    )]
    async fn search(&self, #[query("$search")] search: &str) -> Result<Collection<Profile>, Error>;

    /// A `$batch` body written by hand, to reach the stand-in's batch checks.
    #[graph_action(POST, "/$batch", expect = 200, version = "beta")]
    async fn raw_batch(
        &self,
        #[body] batch: &serde_json::Value,
    ) -> Result<serde_json::Value, Error>;
}

impl Probes for GraphClient {}

fn named(name: &str) -> Profile {
    Profile::named(name)
}

fn status(err: &Error) -> u16 {
    err.status().map(|s| s.as_u16()).unwrap_or_default()
}

#[tokio::test]
async fn lists_page_with_next_links() {
    let emulator = Emulator::builder()
        .profiles(250)
        .page_size(100)
        .start()
        .await
        .unwrap();
    let graph = client_for(&emulator);

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = graph.page(100, token.as_deref()).await.unwrap();
        pages += 1;
        seen.extend(page.value.into_iter().map(|p| p.id().unwrap().to_owned()));
        let Some(next) = page.next_link else { break };
        assert!(next.starts_with(&format!(
            "{}/beta/deviceManagement/androidForWorkEnrollmentProfiles?",
            emulator.base_url()
        )));
        token = Some(next.rsplit_once("$skiptoken=").unwrap().1.to_owned());
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 250);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 250, "every profile exactly once");

    // Without $top the stand-in's page size applies.
    assert_eq!(graph.list_profiles(None).await.unwrap().value.len(), 100);
    let err = graph.list_profiles(Some(5000)).await.unwrap_err();
    assert_eq!((status(&err), err.graph_code()), (400, Some("BadRequest")));
}

#[tokio::test]
async fn create_assigns_identity_and_location() {
    let (emulator, graph) = emulator_and_client().await;
    let response = graph.create_with_location(&named("Located")).await.unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let profile = response.body();
    let id = profile.id().unwrap();
    assert_eq!(
        response.location(),
        Some(
            format!(
                "{}/beta/deviceManagement/androidForWorkEnrollmentProfiles/{id}",
                emulator.base_url()
            )
            .as_str()
        )
    );
    assert!(profile.account_id().is_some_and(common::is_guid));
    assert_eq!(
        profile.object()["@odata.type"],
        "#microsoft.graph.androidForWorkEnrollmentProfile"
    );
    assert!(!profile.has_token());
    assert_eq!(emulator.profile(id).unwrap()["displayName"], "Located");

    // Unknown properties are refused on create as well.
    let mut unknown = named("x");
    unknown.set_raw("colour", "blue".into());
    let err = graph.create_profile(&unknown).await.unwrap_err();
    assert_eq!((status(&err), err.graph_code()), (400, Some("BadRequest")));
}

#[tokio::test]
async fn qualified_action_names_work_like_bare_ones() {
    let (_emulator, graph) = emulator_and_client().await;
    let id = graph
        .create_profile(&named("q"))
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    graph.create_token_qualified(&id, 120).await.unwrap();
    assert!(graph.get_profile(&id).await.unwrap().has_token());
    graph.revoke_token_qualified(&id).await.unwrap();
    assert!(!graph.get_profile(&id).await.unwrap().has_token());
}

#[tokio::test]
async fn create_token_validates_its_parameter() {
    let (_emulator, graph) = emulator_and_client().await;
    let id = graph
        .create_profile(&named("t"))
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    for body in [
        serde_json::json!({}),
        serde_json::json!({"tokenValidityInSeconds": "3600"}),
        serde_json::json!({"tokenValidityInSeconds": 3600, "extra": 1}),
        serde_json::json!({"tokenValidityInSeconds": 4_000_000_000i64}),
    ] {
        let err = graph.create_token_raw(&id, &body).await.unwrap_err();
        assert_eq!(
            (status(&err), err.graph_code()),
            (400, Some("BadRequest")),
            "{body}"
        );
    }
    assert!(!graph.get_profile(&id).await.unwrap().has_token());
}

#[tokio::test]
async fn malformed_bodies_and_parameters_are_refused() {
    let (emulator, graph) = emulator_and_client().await;
    let id = graph
        .create_profile(&named("b"))
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let cases = [
        graph
            .create_token_raw(&id, &serde_json::json!([3600]))
            .await
            .unwrap_err(),
        graph.revoke_token_with(&id, "lost").await.unwrap_err(),
        graph
            .patch_raw(&id, &serde_json::json!({"displayName": 7}))
            .await
            .unwrap_err(),
        graph
            .patch_raw(
                &id,
                &serde_json::json!({"@odata.type": "#microsoft.graph.user"}),
            )
            .await
            .unwrap_err(),
    ];
    for err in &cases {
        assert_eq!(
            (status(err), err.graph_code()),
            (400, Some("BadRequest")),
            "{err}"
        );
    }
    // Nothing changed.
    assert_eq!(emulator.profile(&id).unwrap()["displayName"], "b");
    let missing = graph
        .create_token("00000000-0000-0000-0000-000000000000", 60)
        .await
        .unwrap_err();
    assert_eq!(missing.graph_code(), Some("itemNotFound"));
    let unknown_action = graph.revoke_token_qualified("x/../y").await.unwrap_err();
    assert!(unknown_action.is_not_found());
}

#[tokio::test]
async fn the_resource_is_beta_only() {
    let (_emulator, graph) = emulator_and_client().await;
    let err = graph.list_in_v1().await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.graph_code(), Some("ResourceNotFound"));
}

#[tokio::test]
async fn wrong_methods_and_queries_are_refused() {
    let (_emulator, graph) = emulator_and_client().await;
    let id = graph
        .create_profile(&named("m"))
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let err = graph.put_profile(&id, &named("n")).await.unwrap_err();
    assert_eq!(
        (status(&err), err.graph_code()),
        (405, Some("MethodNotAllowed"))
    );
    assert_eq!(err.headers().unwrap()["allow"], "GET, PATCH, DELETE");

    // `$search` on an Intune collection needs no `ConsistencyLevel` (an
    // advanced query of directory objects only; see conformance).
    assert!(graph.search("\"kiosk\"").await.unwrap().value.is_empty());
    // Search terms go in double quotes.
    let err = graph.search("kiosk").await.unwrap_err();
    assert_eq!((status(&err), err.graph_code()), (400, Some("BadRequest")));
}

#[tokio::test]
async fn tokens_are_checked() {
    let emulator = Emulator::start().await.unwrap();
    let intruder = GraphClient::builder()
        .base_url(emulator.base_url())
        .token("not-the-token")
        .build()
        .unwrap();
    let err = intruder.list_profiles(None).await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(err.graph_code(), Some("InvalidAuthenticationToken"));
    let error = err.graph_error().unwrap();
    assert!(error.request_id.as_deref().is_some_and(common::is_guid));
    assert_eq!(error.client_request_id.as_deref(), err.client_request_id());
    assert!(
        error
            .date
            .as_deref()
            .is_some_and(|d| d.len() == 19 && !d.ends_with('Z'))
    );

    // An accepted token that is later revoked (as when it expires).
    emulator.accept_token("second");
    let second = GraphClient::builder()
        .base_url(emulator.base_url())
        .token("second")
        .build()
        .unwrap();
    second.list_profiles(None).await.unwrap();
    emulator.revoke_access_token("second");
    assert!(
        second
            .list_profiles(None)
            .await
            .unwrap_err()
            .is_unauthorized()
    );
}

#[tokio::test]
async fn the_envelope_echoes_client_request_ids() {
    let (emulator, graph) = emulator_and_client().await;
    let response = graph.create_with_location(&named("e")).await.unwrap();
    let sent = emulator.last_request().unwrap();
    assert_eq!(
        response.header("client-request-id"),
        sent.header("client-request-id")
    );
    assert!(response.request_id().is_some_and(common::is_guid));
    assert_ne!(response.request_id(), sent.header("client-request-id"));
    assert!(response.header("x-ms-ags-diagnostic").is_some());
}

#[tokio::test(start_paused = true)]
async fn concurrent_writes_are_safe() {
    let clock = HeldClock::hold();
    let (emulator, graph) = emulator_and_client().await;
    // The stand-in holds each create until the clock moves, so all 64 are
    // in its hands at once before any is answered.
    emulator.inject(Injection::times(64, Fault::Delay(Duration::from_secs(1))).on_method("POST"));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let graph = graph.clone();
        tasks.spawn(async move {
            let id = graph
                .create_profile(&named(&format!("c{i}")))
                .await?
                .id()
                .unwrap()
                .to_owned();
            graph.create_token(&id, 60).await?;
            graph
                .update_profile(&id, &named(&format!("c{i}-renamed")))
                .await?;
            Ok::<_, Error>(id)
        });
    }
    wait_for("64 creates in flight", || emulator.request_count() == 64).await;
    assert_eq!(emulator.max_in_flight(), 64);
    assert!(emulator.profiles().is_empty(), "none answered yet");
    clock.advance(Duration::from_secs(1)).await;
    let mut ids = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        ids.push(joined.unwrap().unwrap());
    }
    assert_eq!(emulator.profiles().len(), 64);
    for id in &ids {
        let stored = emulator.profile(id).unwrap();
        assert!(
            stored["displayName"]
                .as_str()
                .unwrap()
                .ends_with("-renamed")
        );
        assert!(stored["tokenValue"].is_string());
    }
    assert_eq!(emulator.request_count(), 64 * 3);
    assert_eq!(emulator.faults_injected(), 64);
    assert_eq!(emulator.max_in_flight(), 64);
}

#[tokio::test]
async fn throttling_carries_retry_after_in_every_form() {
    let (emulator, graph) = emulator_and_client().await;
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    let cases = [
        (Some(RetryAfter::Seconds(7)), Some("7")),
        (Some(RetryAfter::FractionalSeconds(2.128)), Some("2.128")),
        (
            Some(RetryAfter::HttpDate(date)),
            Some("Sun, 06 Nov 1994 08:49:37 GMT"),
        ),
        (Some(RetryAfter::Raw("soon".into())), Some("soon")),
        (None, None),
    ];
    for (retry_after, header) in cases {
        emulator.inject(Injection::once(Fault::Throttle(retry_after)));
        let err = graph.list_profiles(None).await.unwrap_err();
        assert!(err.is_throttled());
        assert_eq!(err.graph_code(), Some("TooManyRequests"));
        assert_eq!(
            err.headers()
                .unwrap()
                .get("retry-after")
                .map(|v| v.to_str().unwrap()),
            header
        );
    }
    assert_eq!(emulator.faults_injected(), 5);
}

#[tokio::test]
async fn unavailable_and_gateway_timeouts() {
    let (emulator, graph) = emulator_and_client().await;
    for (fault, code) in [
        (Fault::Unavailable(Some(RetryAfter::Seconds(3))), 503),
        (Fault::Unavailable(None), 503),
        (
            Fault::GatewayTimeout(Some(RetryAfter::FractionalSeconds(0.5))),
            504,
        ),
        (Fault::GatewayTimeout(None), 504),
    ] {
        let has_retry_after = matches!(
            fault,
            Fault::Unavailable(Some(_)) | Fault::GatewayTimeout(Some(_))
        );
        emulator.inject(Injection::once(fault));
        let err = graph.list_profiles(None).await.unwrap_err();
        assert_eq!(status(&err), code);
        assert!(err.is_retryable());
        assert!(err.graph_code().is_some());
        assert_eq!(
            err.headers().unwrap().contains_key("retry-after"),
            has_retry_after
        );
    }
}

#[tokio::test]
async fn delays_dropped_connections_and_broken_bodies() {
    let (emulator, graph) = emulator_and_client().await;
    let id = graph
        .create_profile(&named("f"))
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();

    emulator.inject(Injection::once(Fault::Delay(Duration::from_millis(150))));
    let started = Instant::now();
    graph.get_profile(&id).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));

    emulator.inject(Injection::once(Fault::DropConnection));
    let err = graph.get_profile(&id).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(err.status(), None);

    emulator.inject(Injection::once(Fault::TruncatedBody { status: 200 }));
    let err = graph.get_profile(&id).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");

    emulator.inject(Injection::once(Fault::MalformedJson { status: 200 }));
    let err = graph.get_profile(&id).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");

    emulator.inject(Injection::once(Fault::HtmlError { status: 502 }));
    let err = graph.get_profile(&id).await.unwrap_err();
    assert_eq!((status(&err), err.graph_code()), (502, None));

    // The stand-in still answers normally afterwards.
    graph.get_profile(&id).await.unwrap();
    assert_eq!(emulator.faults_injected(), 5);
}

#[tokio::test]
async fn injections_match_by_method_path_count_and_rate() {
    let (emulator, graph) = emulator_and_client().await;
    let id = graph
        .create_profile(&named("r"))
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();

    emulator.inject(
        Injection::times(2, Fault::Unavailable(None))
            .on_method("POST")
            .on_path("createToken"),
    );
    graph.get_profile(&id).await.unwrap();
    assert_eq!(status(&graph.create_token(&id, 60).await.unwrap_err()), 503);
    assert_eq!(status(&graph.create_token(&id, 60).await.unwrap_err()), 503);
    graph.create_token(&id, 60).await.unwrap();

    emulator.inject(Injection::rate(0.25, Fault::Throttle(None)).on_method("GET"));
    let before = emulator.faults_injected();
    let mut throttled = 0;
    for _ in 0..200 {
        match graph.get_profile(&id).await {
            Ok(_) => {}
            Err(e) if e.is_throttled() => throttled += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(emulator.faults_injected() - before, throttled);
    assert!(
        (25..=75).contains(&throttled),
        "about a quarter throttled: {throttled}"
    );
    emulator.clear_injections();
    graph.get_profile(&id).await.unwrap();
}

#[tokio::test]
async fn a_port_can_be_chosen_and_the_stand_in_stops_when_dropped() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let emulator = Emulator::builder().port(port).start().await.unwrap();
    assert_eq!(emulator.base_url(), format!("http://127.0.0.1:{port}"));
    let graph = client_for(&emulator);
    graph.list_profiles(None).await.unwrap();
    drop(emulator);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let fresh = GraphClient::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .token("emulator-token")
        .no_retry()
        .build()
        .unwrap();
    let err = fresh.list_profiles(None).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn malformed_batches_are_refused_whole() {
    use serde_json::json;
    let (emulator, graph) = emulator_and_client().await;
    let get = |id: &str| json!({"id": id, "method": "GET", "url": "/deviceManagement/androidForWorkEnrollmentProfiles"});
    let cases = [
        (
            "21 requests",
            json!({"requests": (0..21).map(|i| get(&i.to_string())).collect::<Vec<_>>()}),
            "limit is 20",
        ),
        ("no requests", json!({"requests": []}), "no requests"),
        (
            "an id twice",
            json!({"requests": [get("1"), get("1")]}),
            "used twice",
        ),
        (
            "an unknown dependency",
            json!({"requests": [{"id": "1", "method": "GET", "url": "/deviceManagement/androidForWorkEnrollmentProfiles", "dependsOn": ["9"]}]}),
            "not in the batch",
        ),
        (
            "a cycle",
            json!({"requests": [
                {"id": "1", "method": "GET", "url": "/deviceManagement/androidForWorkEnrollmentProfiles", "dependsOn": ["2"]},
                {"id": "2", "method": "GET", "url": "/deviceManagement/androidForWorkEnrollmentProfiles", "dependsOn": ["1"]}
            ]}),
            "cycle",
        ),
        (
            "a body without Content-Type",
            json!({"requests": [{"id": "1", "method": "POST", "url": "/deviceManagement/androidForWorkEnrollmentProfiles", "body": {"displayName": "x"}}]}),
            "Content-Type",
        ),
        (
            "a url that is not relative",
            json!({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/beta/me"}]}),
            "relative",
        ),
    ];
    for (what, batch, says) in cases {
        let err = graph.raw_batch(&batch).await.unwrap_err();
        assert_eq!(
            (status(&err), err.graph_code()),
            (400, Some("BadRequest")),
            "{what}"
        );
        let message = &err.graph_error().unwrap().message;
        assert!(message.contains(says), "{what}: {message}");
    }
    assert!(emulator.profiles().is_empty(), "nothing ran");

    // A well-formed batch answers 200 with one response per request, in any order.
    let answer = graph
        .raw_batch(&json!({"requests": [
            {"id": "a", "method": "POST", "url": "/deviceManagement/androidForWorkEnrollmentProfiles",
             "headers": {"Content-Type": "application/json"}, "body": {"displayName": "From a batch"}},
            {"id": "b", "method": "GET", "url": "/deviceManagement/androidForWorkEnrollmentProfiles?$select=displayName", "dependsOn": ["a"]}
        ]}))
        .await
        .unwrap();
    let responses = answer["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 2);
    let by_id = |id: &str| responses.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(by_id("a")["status"], 201);
    assert_eq!(by_id("a")["body"]["displayName"], "From a batch");
    assert!(by_id("a")["headers"]["location"].is_string());
    assert_eq!(by_id("b")["status"], 200);
    assert_eq!(
        by_id("b")["body"]["value"][0]["displayName"],
        "From a batch"
    );
}
