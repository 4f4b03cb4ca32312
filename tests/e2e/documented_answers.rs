//! The client against Graph's answers as Microsoft's documentation shows
//! them (`tests/fixtures/graph/`), served over HTTP on 127.0.0.1 by the
//! stand-in or a scripted server: errors (Intune's among them), the 401
//! that renews a token, throttling, pages with `$skiptoken` and
//! `@odata.count`, delta rounds, JSON batches, long-running operations and
//! report export jobs. Each test asserts what was decoded and what was sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use graph_endpoint::bytes::Bytes;
use graph_endpoint::{
    AccessToken, Collection, DeltaItem, Error, Graph, GraphClient, Paged, Response, RetryPolicy,
    Wait, graph_action, token_fn,
};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_device_management::{ExportJobRequest, ExportJobStatus, ExportJobs};
use graph_endpoint_emulator::{Emulator, Injection};
use serde_json::{Value, json};

use crate::clock::{HeldClock, Traced, finished, settle, wait_for};
use crate::fixtures::{self, Fixture};
use crate::scripted::{Reply, Scripted};

pub trait Documented: Graph {
    #[graph_action(GET, "/me/memberOf", expect = 200, version = "beta")]
    fn member_of(&self) -> Paged<'_, Value>;

    #[graph_action(GET, "/users", expect = 200, version = "beta")]
    fn users(&self) -> Paged<'_, Value>;

    #[graph_action(GET, "/users/delta", expect = 200)]
    fn user_changes(&self) -> Paged<'_, DeltaItem<Value>>;

    #[graph_action(GET, "/me", expect = 200)]
    async fn me(&self) -> Result<Value, Error>;

    #[graph_action(GET, "/me/drive/root:/<file>:/content", expect = [200, 302])]
    async fn file_content(&self, file: &str) -> Result<Response<Bytes>, Error>;

    #[graph_action(GET, "/me/drive/root:/<file>:/content", expect = 200)]
    async fn file_content_without_redirect(&self, file: &str) -> Result<Response<Bytes>, Error>;

    #[graph_action(GET, "/me/planner/tasks", expect = 200)]
    async fn planner_tasks(&self) -> Result<Collection<Value>, Error>;

    #[graph_action(GET, "/groups/<id>/events", expect = 200)]
    async fn group_events(&self, id: &str) -> Result<Collection<Value>, Error>;

    #[graph_action(PATCH, "/me", expect = 204)]
    async fn update_me(&self, #[body] changes: &Value) -> Result<(), Error>;

    #[graph_action(GET, "/me/photo/$value", expect = 200)]
    async fn photo(&self) -> Result<Bytes, Error>;

    #[graph_action(POST, "/me/drive/items/<id>/copy", expect = 202, version = "beta")]
    async fn copy_item(&self, id: &str, #[body] target: &Value) -> Result<Response<()>, Error>;
}

impl Documented for GraphClient {}

fn client(url: &str) -> GraphClient {
    GraphClient::builder()
        .base_url(url)
        .token("documented-token")
        .no_retry()
        .build()
        .unwrap()
}

/// A scripted Graph answering request `n` with `answers[n]` (the last one
/// after that), links moved under its own root.
async fn serving(answers: Vec<Fixture>) -> Scripted {
    let root = Arc::new(std::sync::OnceLock::<String>::new());
    let under = root.clone();
    let server = Scripted::start(move |n, _| {
        let fixture = &answers[n.min(answers.len() - 1)];
        fixture.reply(under.get().map_or("", String::as_str))
    })
    .await;
    root.set(server.url()).unwrap();
    server
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_documented_error_envelope_decodes() {
    let fixture = fixtures::load("error-envelope");
    let emulator = Emulator::start().await.unwrap();
    let graph = client(emulator.base_url());
    emulator.inject(Injection::once(fixture.fault(emulator.base_url())));
    let err = graph.get_profile("p1").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(416));
    let graph_error = err.graph_error().expect("a Graph error");
    assert_eq!(graph_error.code, "invalidRange");
    assert_eq!(
        graph_error.message,
        "Uploaded fragment overlaps with existing data."
    );
    // The page spells it `requestId` inside innerError.
    assert_eq!(graph_error.request_id.as_deref(), Some("request-id"));
    assert_eq!(graph_error.date.as_deref(), Some("date-time"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn intunes_documented_403_names_the_permissions_and_keeps_its_ids() {
    let fixture = fixtures::load("intune-forbidden");
    let emulator = Emulator::start().await.unwrap();
    let graph = client(emulator.base_url());
    emulator.inject(Injection::once(fixture.fault(emulator.base_url())));
    let err = graph.revoke_token("p1").await.unwrap_err();
    assert!(err.is_forbidden());
    let graph_error = err.graph_error().unwrap();
    assert_eq!(graph_error.code, "Forbidden");
    assert!(
        graph_error
            .message
            .starts_with("Application is not authorized")
    );
    assert_eq!(
        graph_error.request_id.as_deref(),
        Some("00000000-0000-0000-0000-000000000000")
    );
    // The date as Intune wrote it, not reinterpreted.
    assert_eq!(graph_error.date.as_deref(), Some("1980-01-0112:00:00"));
    let shown = err.to_string();
    assert!(
        shown.contains("DeviceManagementConfiguration.ReadWrite.All"),
        "{shown}"
    );
}

#[tokio::test]
async fn an_intune_message_that_is_itself_json_is_kept_as_text() {
    let fixture = fixtures::load("intune-message-embeds-json");
    let emulator = Emulator::start().await.unwrap();
    let graph = client(emulator.base_url());
    emulator.inject(Injection::once(fixture.fault(emulator.base_url())));
    let err = graph.get_profile("p1").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    let graph_error = err.graph_error().unwrap();
    assert_eq!(graph_error.code, "Unknown");
    assert_eq!(
        graph_error.message,
        fixture.body["error"]["message"].as_str().unwrap()
    );
    // The embedded document still reads as JSON for whoever wants its parts.
    let embedded: Value = serde_json::from_str(&graph_error.message).unwrap();
    assert_eq!(embedded["_version"], 3);
    assert_eq!(
        graph_error.request_id.as_deref(),
        Some("f89fa640-415b-444f-946d-94237acdf16d")
    );
    // Shown short: the message is quoted clipped.
    let shown = err.to_string();
    assert!(shown.len() < 1_000, "{shown}");
    assert!(shown.contains("more bytes)"), "{shown}");
}

#[tokio::test]
async fn the_documented_advanced_query_error_is_not_retried() {
    let fixture = fixtures::load("unsupported-query");
    let emulator = Emulator::start().await.unwrap();
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .build()
        .unwrap();
    emulator.inject(Injection::always(fixture.fault(emulator.base_url())));
    let err = graph.list_profiles(None).await.unwrap_err();
    assert_eq!(err.graph_code(), Some("Request_UnsupportedQuery"));
    assert_eq!(
        err.graph_error().unwrap().client_request_id.as_deref(),
        Some("7964ef27-13a3-6ca4-ed7b-73c271110867")
    );
    assert!(!err.is_retryable());
    assert_eq!(emulator.request_count(), 1);
    emulator.clear_injections();
}

#[tokio::test]
async fn an_expired_token_answer_renews_the_token_and_the_call_goes_on() {
    let fixture = fixtures::load("token-expired");
    let profile = json!({"id": "p1", "displayName": "Kiosk"});
    let server = Scripted::start(move |n, _| match n {
        0 => fixture.reply(""),
        _ => Reply::json(200, &profile),
    })
    .await;
    let issued = Arc::new(AtomicUsize::new(0));
    let count = issued.clone();
    let graph = GraphClient::builder()
        .base_url(server.url())
        .token_source(token_fn(move || {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(AccessToken::new(format!("token-{n}"))) }
        }))
        .no_retry()
        .build()
        .unwrap();
    let profile = graph.get_profile("p1").await.unwrap();
    assert_eq!(profile.display_name(), Some("Kiosk"));
    let arrived = server.arrived();
    assert_eq!(arrived.len(), 2, "refused once, renewed once");
    assert_eq!(arrived[0].header("authorization"), Some("Bearer token-1"));
    assert_eq!(arrived[1].header("authorization"), Some("Bearer token-2"));
    assert_eq!(
        arrived[0].header("client-request-id"),
        arrived[1].header("client-request-id")
    );
}

// ---------------------------------------------------------------------------
// Throttling
// ---------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn the_documented_429_is_waited_out_for_its_fractional_retry_after() {
    let clock = HeldClock::hold();
    let fixture = fixtures::load("throttled");
    let emulator = Emulator::start().await.unwrap();
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .retry(RetryPolicy::default())
        .build()
        .unwrap();
    emulator.inject(Injection::once(fixture.fault(emulator.base_url())));
    let (traced, guard) = Traced::capture();
    let probe = graph.clone();
    let call = tokio::spawn(async move { probe.list_profiles(None).await });
    wait_for("the throttled request", || emulator.request_count() == 1).await;
    wait_for("the retry's wait", || traced.count("retrying") == 1).await;
    drop(guard);
    clock.advance(Duration::from_millis(2_127)).await;
    settle().await;
    assert_eq!(emulator.request_count(), 1, "not before Retry-After: 2.128");
    clock.advance(Duration::from_millis(1)).await;
    finished(call).await.unwrap();
    assert_eq!(emulator.request_count(), 2);

    // Without retries, the error says what the service said.
    let once = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .no_retry()
        .build()
        .unwrap();
    emulator.inject(Injection::once(fixture.fault(emulator.base_url())));
    let err = once.list_profiles(None).await.unwrap_err();
    assert!(err.is_throttled());
    assert_eq!(err.headers().unwrap()["retry-after"], "2.128");
    let graph_error = err.graph_error().unwrap();
    assert_eq!(graph_error.code, "TooManyRequests");
    assert_eq!(graph_error.inner_codes, ["429"]);
    assert_eq!(
        graph_error.request_id.as_deref(),
        Some("94fb3b52-452a-4535-a601-69e0a90e3aa2")
    );
}

// ---------------------------------------------------------------------------
// Pages and delta
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_skiptoken_next_link_is_followed_verbatim() {
    let page = fixtures::load("page-with-skiptoken");
    let server = Scripted::start({
        let page = page.clone();
        move |n, request| match n {
            0 => page.reply(&format!("http://{}", request.header("host").unwrap())),
            _ => Reply::json(200, &json!({"value": []})),
        }
    })
    .await;
    let graph = client(&server.url());
    let mut roles = graph.member_of().items();
    let role = roles.try_next().await.unwrap().unwrap();
    assert_eq!(role["displayName"], "User Administrator");
    assert_eq!(role["@odata.type"], "#microsoft.graph.directoryRole");
    assert!(roles.try_next().await.unwrap().is_none());
    let arrived = server.arrived();
    assert_eq!(arrived[0].target, "/beta/me/memberOf");
    let documented = page.body["@odata.nextLink"].as_str().unwrap();
    assert_eq!(
        format!("https://graph.microsoft.com{}", arrived[1].target),
        documented,
        "the next link, as written"
    );
}

#[tokio::test]
async fn odata_count_is_read_from_the_first_page() {
    let server = serving(vec![fixtures::load("page-with-count")]).await;
    let graph = client(&server.url());
    let mut users = graph.users().count().items();
    let user = users.try_next().await.unwrap().unwrap();
    assert_eq!(user["userPrincipalName"], "LynneR@contoso.com");
    assert!(users.try_next().await.unwrap().is_none());
    assert_eq!(users.count(), Some(36));
    let arrived = server.arrived();
    assert_eq!(arrived.len(), 1);
    assert_eq!(arrived[0].target, "/beta/users?$count=true");
    assert_eq!(arrived[0].header("consistencylevel"), Some("eventual"));
}

#[tokio::test]
async fn a_documented_delta_round_and_the_next_one_decode() {
    let server = serving(vec![
        fixtures::load("delta-users-first-page"),
        fixtures::load("delta-users-next-page"),
        fixtures::load("delta-users-last-page"),
        fixtures::load("delta-users-changes"),
    ])
    .await;
    let graph = client(&server.url());
    let mut round = graph.user_changes().items();
    let mut names = Vec::new();
    while let Some(item) = round.try_next().await.unwrap() {
        names.push(
            item.changed().unwrap()["displayName"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        names,
        [
            "Testuser1",
            "Testuser2",
            "Testuser3",
            "Testuser4",
            "Testuser5",
            "Testuser6"
        ]
    );
    let link = round.delta_link().unwrap().to_owned();
    assert_eq!(
        link,
        format!(
            "{}/v1.0/users/delta?$deltatoken=oEcOySpF_hWYmTIUZBOIfPzcwisr_rPe8o9M54L45qEXQGmvQC6T2dbL-9O7nSU-njKhFiGlAZqewNAThmCVnNxqPu5gOBegrm1CaVZ-ZtFZ2tPOAO98OD9y0ao460",
            server.url()
        )
    );

    let mut next = graph.user_changes().resume_from(&link).items();
    let changed = next.try_next().await.unwrap().unwrap();
    assert_eq!(changed.changed().unwrap()["displayName"], "Testuser7");
    let removed = next.try_next().await.unwrap().unwrap();
    match removed {
        DeltaItem::Removed(removed) => {
            assert_eq!(removed.id, "8ffff70c-1c63-4860-b963-e34ec660931d");
            assert_eq!(removed.reason.as_deref(), Some("changed"));
        }
        DeltaItem::Changed(other) => panic!("{other}"),
    }
    assert!(next.try_next().await.unwrap().is_none());

    let targets: Vec<String> = server.arrived().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/v1.0/users/delta".to_owned(),
            "/v1.0/users/delta?$skiptoken=oEBwdSP6uehIAxQOWq_3Ksh_TLol6KIm3stvdc6hGhZRi1hQ7Spe__dpvm3U4zReE4CYXC2zOtaKdi7KHlUtC2CbRiBIUwOxPKLa".to_owned(),
            "/v1.0/users/delta?$skiptoken=pqwSUjGYvb3jQpbwVAwEL7yuI3dU1LecfkkfLPtnIjtQ5LOhVoS7qQG_wdVCHHlbQpga7".to_owned(),
            link.trim_start_matches(&server.url()).to_owned(),
        ]
    );
}

// ---------------------------------------------------------------------------
// JSON batching
// ---------------------------------------------------------------------------

/// The `$batch` requests that arrived, as JSON.
fn batch_bodies(server: &Scripted) -> Vec<Value> {
    server
        .arrived()
        .iter()
        .filter(|r| r.target.ends_with("/$batch"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn items_answered_out_of_order_reach_their_own_calls_checked_against_their_own_expect() {
    let server = serving(vec![fixtures::load("batch-out-of-order")]).await;
    let graph = client(&server.url());
    let batch = graph.batch();
    // Five calls are items 0 to 4; the documented answer has 1 to 4.
    let unanswered = batch.add(graph.me());
    let file = batch.add(graph.file_content("report.pdf"));
    let tasks = batch.add(graph.planner_tasks());
    let events = batch.add(graph.group_events("g1"));
    let updated = batch.add(graph.update_me(&json!({"city": "Redmond"})));
    let report = batch.send().await;
    assert_eq!(report.requests, 1);

    // 302 is one of the statuses `file_content` declares: its answer, with the item's header.
    let file = file.await.unwrap();
    assert_eq!(file.status(), 302);
    assert_eq!(
        file.location(),
        Some("https://b0mpua-by3301.files.1drv.com/y23vmagahszhxzlcvhasdhasghasodfi")
    );
    assert_eq!(tasks.await.unwrap().value, Vec::<Value>::new());
    let err = events.await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.graph_code(), Some("Forbidden"));
    updated.await.unwrap();
    let err = unanswered.await.unwrap_err();
    assert_eq!(err.graph_code(), Some("missingBatchResponse"));

    // The same answer, for a declaration that does not expect 302.
    let server = serving(vec![fixtures::load("batch-out-of-order")]).await;
    let graph = client(&server.url());
    let batch = graph.batch();
    let unanswered = batch.add(graph.me());
    let file = batch.add(graph.file_content_without_redirect("report.pdf"));
    batch.send().await;
    assert!(unanswered.await.is_err());
    let err = file.await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302));
    assert!(err.to_string().contains("expected 200"), "{err}");
    let sent = &batch_bodies(&server)[0]["requests"];
    assert_eq!(sent[1]["url"], "/me/drive/root:/report.pdf:/content");
}

#[tokio::test]
async fn an_items_own_headers_and_error_travel_with_its_call() {
    let server = serving(vec![fixtures::load("batch-errors-with-headers")]).await;
    let graph = client(&server.url());
    let batch = graph.batch();
    let calls: Vec<_> = (0..5).map(|_| batch.add(graph.planner_tasks())).collect();
    batch.send().await;
    let mut results = Vec::new();
    for call in calls {
        results.push(call.await.unwrap_err());
    }
    assert_eq!(results[2].status().map(|s| s.as_u16()), Some(403));
    assert_eq!(results[2].graph_code(), Some(""));
    assert_eq!(
        results[2].headers().unwrap()["x-tasks-correlationid"],
        "18a8e521-78a4-4129-9b6b-d678116464e7"
    );
    assert_eq!(
        results[2].graph_error().unwrap().request_id.as_deref(),
        Some("93b6f17e-c05d-4f45-ad2a-6665c708d8a0")
    );
    assert_eq!(results[3].graph_code(), Some("Authorization_RequestDenied"));
    assert_eq!(results[4].status().map(|s| s.as_u16()), Some(405));
    assert_eq!(results[4].graph_code(), Some("Request_BadRequest"));
}

#[tokio::test(start_paused = true)]
async fn a_throttled_item_and_the_one_depending_on_it_go_again_after_its_retry_after() {
    let clock = HeldClock::hold();
    let first = fixtures::load("batch-throttled-and-failed-dependency");
    let server = Scripted::start(move |n, _| match n {
        0 => first.reply(""),
        _ => Reply::json(
            200,
            &json!({"responses": [
                {"id": "1", "status": 204},
                {"id": "0", "status": 200, "body": {"id": "me"}}
            ]}),
        ),
    })
    .await;
    let graph = GraphClient::builder()
        .base_url(server.url())
        .token("documented-token")
        .retry(RetryPolicy::default())
        .build()
        .unwrap();
    let batch = graph.batch();
    let read = batch.add(graph.me());
    let update = batch
        .add(graph.update_me(&json!({"city": "Redmond"})))
        .after(&read);
    let (traced, _guard) = Traced::capture();
    let sending = tokio::spawn(async move { batch.send().await });
    wait_for("the first $batch", || server.arrived().len() == 1).await;
    wait_for("the retry's wait", || {
        traced.count("retrying throttled batch calls") == 1
    })
    .await;
    // The item's own Retry-After (2.128 s), read from the JSON content.
    clock.advance(Duration::from_millis(2_127)).await;
    settle().await;
    assert_eq!(
        server.arrived().len(),
        1,
        "not before the item's Retry-After"
    );
    clock.advance(Duration::from_millis(1)).await;
    let report = finished(sending).await;
    assert_eq!(report.requests, 2);
    assert_eq!(read.await.unwrap()["id"], "me");
    update.await.unwrap();
    let second = &batch_bodies(&server)[1]["requests"];
    assert_eq!(second.as_array().unwrap().len(), 2, "both calls again");
    assert_eq!(second[1]["dependsOn"], json!(["0"]));
}

#[tokio::test]
async fn a_base64_item_body_is_the_bytes_it_encodes() {
    let server = serving(vec![fixtures::load("batch-binary-body")]).await;
    let graph = client(&server.url());
    let batch = graph.batch();
    let photo = batch.add(graph.photo());
    batch.send().await;
    assert_eq!(
        &photo.await.unwrap()[..],
        b"\x89PNG\r\n\x1a\n",
        "the PNG signature, decoded"
    );
}

// ---------------------------------------------------------------------------
// Long-running operations
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_documented_operation_is_polled_on_its_own_host_without_the_token() {
    let accepted = fixtures::load("operation-accepted");
    let monitor = serving(vec![
        fixtures::load("operation-in-progress"),
        fixtures::load("operation-completed"),
    ])
    .await;
    let location = format!(
        "{}/monitor/4A3407B5-88FC-4504-8B21-0AABD3412717",
        monitor.url()
    );
    let graph_answer = Reply::new(202).header("location", &location);
    assert_eq!(accepted.status, 202);
    assert!(
        accepted
            .header("location")
            .unwrap()
            .ends_with("/monitor/4A3407B5-88FC-4504-8B21-0AABD3412717")
    );
    let graph_server = Scripted::start(move |_, _| graph_answer.clone()).await;
    let graph = client(&graph_server.url());
    let started = graph
        .copy_item("folder-1", &json!({"name": "Copy of LargeFolder1"}))
        .await
        .unwrap();
    let wait = Wait::default().interval(Duration::from_millis(1), Duration::from_millis(1));
    let done = graph.wait_for_operation(&started, &wait).await.unwrap();
    // Completed is said with a 202 too: the status in the body decides.
    let status: Value = done.json().unwrap();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["resourceId"], "01MOWKYVJML57KN2ANMBA3JZJS2MBGC7KM");
    let polls = monitor.arrived();
    assert_eq!(polls.len(), 2);
    for poll in &polls {
        assert_eq!(poll.target, "/monitor/4A3407B5-88FC-4504-8B21-0AABD3412717");
        assert_eq!(
            poll.header("authorization"),
            None,
            "the monitor gets no token"
        );
        assert_eq!(poll.header("client-request-id"), None);
    }
}

#[tokio::test]
async fn an_operation_ends_at_a_redirect_or_a_200_without_status() {
    let result = fixtures::load("operation-result");
    // A foreign monitor that redirects to the result: the redirect is the end.
    for status in [302, 303] {
        let monitor = Scripted::start(move |_, _| {
            Reply::new(status).header(
                "location",
                "https://graph.microsoft.com/beta/me/drive/items/01MOWKYV",
            )
        })
        .await;
        let location = format!("{}/monitor/1", monitor.url());
        let graph = client("http://127.0.0.1:9");
        let done = graph
            .wait_for_operation(&accepted_at(&location), &Wait::default())
            .await
            .unwrap();
        assert_eq!(done.status.as_u16(), status);
        assert_eq!(
            done.resource_location.as_deref(),
            Some("https://graph.microsoft.com/beta/me/drive/items/01MOWKYV")
        );
        assert_eq!(monitor.arrived().len(), 1);
    }

    // A monitor on Graph: polled with the token (same origin); a 303 to the
    // result ends the wait there (the caller reads the result if it wants it)...
    let server = Scripted::start(move |_, _| {
        Reply::new(303).header("location", "/beta/me/drive/items/01MOWKYV")
    })
    .await;
    let graph = client(&server.url());
    let done = graph
        .wait_for_operation(&accepted_at("/beta/monitor/2"), &Wait::default())
        .await
        .unwrap();
    assert_eq!(done.status.as_u16(), 303);
    assert_eq!(
        done.resource_location.as_deref(),
        Some("/beta/me/drive/items/01MOWKYV")
    );
    let arrived = server.arrived();
    assert_eq!(arrived.len(), 1, "the result itself is not fetched");
    assert_eq!(
        arrived[0].header("authorization"),
        Some("Bearer documented-token")
    );

    // ...and so does a 200 without `status`: the documented result itself.
    let server = serving(vec![
        fixtures::load("operation-in-progress"),
        result.clone(),
    ])
    .await;
    let graph = client(&server.url());
    let wait = Wait::default().interval(Duration::from_millis(1), Duration::from_millis(1));
    let done = graph
        .wait_for_operation(&accepted_at("/beta/monitor/3"), &wait)
        .await
        .unwrap();
    assert_eq!(done.status.as_u16(), 200);
    let item: Value = done.json().unwrap();
    assert_eq!(item, result.body);
    assert_eq!(server.arrived().len(), 2);
}

/// A 202 whose Location is `location`.
fn accepted_at(location: &str) -> Response<()> {
    Response::new(
        graph_endpoint::http::StatusCode::ACCEPTED,
        [(
            graph_endpoint::http::header::LOCATION,
            location.parse().unwrap(),
        )]
        .into_iter()
        .collect(),
        (),
    )
}

// ---------------------------------------------------------------------------
// Report export jobs
// ---------------------------------------------------------------------------

#[tokio::test]
async fn documented_export_job_states_decode() {
    let created = fixtures::load("export-job-created");
    let completed = fixtures::load("export-job-completed");
    let storage = Scripted::start(|_, _| Reply::new(404)).await;
    let storage_root = storage.url();
    let server = Scripted::start(move |n, _| {
        let fixture = if n == 0 { &created } else { &completed };
        let mut reply = fixture.reply("");
        // The SAS URL, on a storage host of this test's own.
        reply.body = Bytes::from(String::from_utf8(reply.body.to_vec()).unwrap().replace(
            "https://amsua0702repexpstorage.blob.core.windows.net",
            &storage_root,
        ));
        reply
    })
    .await;
    let graph = client(&server.url());
    let request = ExportJobRequest::new("Devices");
    let job = graph
        .export_report(&request, &Wait::default())
        .await
        .unwrap();
    assert_eq!(job.status, ExportJobStatus::Completed);
    assert_eq!(job.id, "Devices_05e62361-783b-4cec-b635-0aed0ecf14a3");
    assert!(
        job.url.as_deref().unwrap().starts_with(&format!(
            "{}/cec055a4-97f0-4889-b790-dc7ad0d12c29/",
            storage.url()
        )),
        "{:?}",
        job.url
    );
    let arrived = server.arrived();
    assert_eq!(arrived[0].method, "POST");
    assert_eq!(
        arrived[0].target,
        "/beta/deviceManagement/reports/exportJobs"
    );
    assert_eq!(arrived[0].header("prefer"), None, "no respond-async");
    assert_eq!(
        arrived[1].target,
        "/beta/deviceManagement/reports/exportJobs('Devices_05e62361-783b-4cec-b635-0aed0ecf14a3')"
    );
}

#[test]
fn every_fixture_names_its_source() {
    let all = fixtures::all();
    assert!(all.len() >= 20, "{}", all.len());
    for fixture in &all {
        assert!(
            fixture.source.starts_with("https://learn.microsoft.com/")
                || fixture
                    .source
                    .starts_with("https://github.com/microsoftgraph/"),
            "{}: {}",
            fixture.name,
            fixture.source
        );
        assert!(
            ["verbatim", "composed", "recorded"].contains(&fixture.taken.as_str()),
            "{}: {}",
            fixture.name,
            fixture.taken
        );
        assert!((100..600).contains(&fixture.status), "{}", fixture.name);
    }
    // The ones not copied from a page are the README's listed assumptions.
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/graph/README.md"
    ))
    .unwrap();
    for fixture in all.iter().filter(|f| f.taken != "verbatim") {
        assert!(
            readme.contains(&format!("`{}.json`", fixture.name)),
            "{} is not listed as an assumption",
            fixture.name
        );
    }
}
