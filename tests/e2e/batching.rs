//! JSON batching of declared calls, over real HTTP against the local stand-in
//! on 127.0.0.1: the requests that arrive, and each call's own typed result.

use crate::common;

use std::time::Duration;

use graph_endpoint::{Error, GraphClient, RetryPolicy};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_emulator::{Emulator, Fault, Injection, RecordedRequest, RetryAfter};
use serde_json::Value;

const COLLECTION: &str = "/deviceManagement/androidForWorkEnrollmentProfiles";

use common::{emulator_with, retrying_client, stored_ids as ids};

/// The `requests` of each `$batch` that arrived.
fn batches(emulator: &Emulator) -> Vec<(RecordedRequest, Vec<Value>)> {
    emulator
        .requests()
        .into_iter()
        .map(|request| {
            assert_eq!(request.method, "POST");
            assert_eq!(request.path, "/beta/$batch");
            let items = request.json().expect("a JSON batch")["requests"]
                .as_array()
                .expect("a requests array")
                .clone();
            (request, items)
        })
        .collect()
}

#[tokio::test]
async fn fifty_mixed_calls_travel_in_three_requests_each_with_its_own_typed_result() {
    let emulator = emulator_with(40).await;
    let graph = common::client_for(&emulator);
    let ids = ids(&emulator);
    let missing = "00000000-0000-0000-0000-000000000404";

    let batch = graph.batch();
    let new_profiles: Vec<_> = (0..10)
        .map(|i| AndroidForWorkEnrollmentProfile::named(&format!("Batch kiosk {i}")))
        .collect();
    let renames: Vec<_> = (0..10)
        .map(|i| AndroidForWorkEnrollmentProfile::named(&format!("Renamed {i}")))
        .collect();
    let creates: Vec<_> = new_profiles
        .iter()
        .map(|p| batch.add(graph.create_profile(p)))
        .collect();
    let updates: Vec<_> = (0..10)
        .map(|i| batch.add(graph.update_profile(&ids[i], &renames[i])))
        .collect();
    let tokens: Vec<_> = (10..20)
        .map(|i| batch.add(graph.create_token(&ids[i], 3600)))
        .collect();
    let revokes: Vec<_> = (20..25)
        .map(|i| batch.add(graph.revoke_token(&ids[i])))
        .collect();
    let gets: Vec<_> = (25..35)
        .map(|i| batch.add(graph.get_profile(&ids[i])))
        .collect();
    let deletes: Vec<_> = (35..39)
        .map(|i| batch.add(graph.delete_profile(&ids[i])))
        .collect();
    let not_found = batch.add(graph.get_profile(missing));
    assert_eq!(batch.queued(), 50);
    assert_eq!(emulator.request_count(), 0, "nothing is sent before `send`");

    let report = batch.send().await;
    assert_eq!(report.calls, 50);
    assert_eq!(report.requests, 3);
    assert_eq!(report.rounds, 1);
    assert_eq!(report.retried, 0);

    // Three HTTP requests, 20 + 20 + 10 calls, every call once.
    let batches = batches(&emulator);
    let mut sizes: Vec<usize> = batches.iter().map(|(_, items)| items.len()).collect();
    sizes.sort();
    assert_eq!(sizes, [10, 20, 20]);
    for (request, _) in &batches {
        common::assert_standard_headers(request, "beta");
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
    let items: Vec<&Value> = batches.iter().flat_map(|(_, items)| items).collect();
    let mut item_ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    item_ids.sort();
    item_ids.dedup();
    assert_eq!(item_ids.len(), 50);
    let token_item = items
        .iter()
        .find(|i| i["url"] == format!("{COLLECTION}/{}/createToken", ids[10]))
        .expect("the createToken call travelled");
    assert_eq!(token_item["method"], "POST");
    assert_eq!(
        token_item["body"],
        serde_json::json!({"tokenValidityInSeconds": 3600})
    );
    assert_eq!(token_item["headers"]["content-type"], "application/json");
    let get_item = items
        .iter()
        .find(|i| i["url"] == format!("{COLLECTION}/{missing}"))
        .unwrap();
    assert_eq!(get_item["method"], "GET");
    assert!(get_item.get("body").is_none());

    // Every call's own typed result.
    for (i, created) in creates.into_iter().enumerate() {
        let created: AndroidForWorkEnrollmentProfile = created.await.unwrap();
        assert_eq!(
            created.display_name(),
            Some(format!("Batch kiosk {i}").as_str())
        );
        let id = created.id().unwrap().to_owned();
        assert!(emulator.profile(&id).is_some());
    }
    for (i, updated) in updates.into_iter().enumerate() {
        let updated = updated.await.unwrap();
        assert_eq!(updated.id(), Some(ids[i].as_str()));
        assert_eq!(
            updated.display_name(),
            Some(format!("Renamed {i}").as_str())
        );
    }
    for (i, token) in tokens.into_iter().enumerate() {
        token.await.unwrap();
        let stored = emulator.profile(&ids[10 + i]).unwrap();
        assert!(
            stored["tokenValue"].is_string(),
            "a token on {}",
            ids[10 + i]
        );
    }
    for revoke in revokes {
        revoke.await.unwrap();
    }
    for (i, got) in gets.into_iter().enumerate() {
        assert_eq!(got.await.unwrap().id(), Some(ids[25 + i].as_str()));
    }
    for (i, deleted) in deletes.into_iter().enumerate() {
        deleted.await.unwrap();
        assert!(emulator.profile(&ids[35 + i]).is_none());
    }
    let error = not_found.await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert_eq!(error.graph_code(), Some("itemNotFound"));
    assert!(error.request_id().is_some(), "{error:?}");
    assert_eq!(emulator.profiles().len(), 40 + 10 - 4);
}

#[tokio::test]
async fn a_call_throttled_inside_a_batch_is_retried_in_a_later_request() {
    let emulator = emulator_with(3).await;
    let graph = retrying_client(&emulator);
    let ids = ids(&emulator);
    emulator.inject(
        Injection::once(Fault::Throttle(Some(RetryAfter::FractionalSeconds(0.05))))
            .on_method("GET")
            .on_path(ids[1].clone()),
    );

    let batch = graph.batch();
    let gets: Vec<_> = ids
        .iter()
        .map(|id| batch.add(graph.get_profile(id)))
        .collect();
    let report = batch.send().await;
    assert_eq!(report.requests, 2);
    assert_eq!(report.rounds, 2);
    assert_eq!(report.retried, 1);
    for (id, got) in ids.iter().zip(gets) {
        assert_eq!(got.await.unwrap().id(), Some(id.as_str()));
    }
    let batches = batches(&emulator);
    assert_eq!(batches[0].1.len(), 3);
    assert_eq!(batches[1].1.len(), 1, "only the throttled call goes again");
    assert_eq!(batches[1].1[0]["url"], format!("{COLLECTION}/{}", ids[1]));
    assert_eq!(emulator.faults_injected(), 1);
}

#[tokio::test]
async fn a_call_throttled_every_time_ends_with_its_429_and_attempts() {
    let emulator = emulator_with(2).await;
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .retry(
            RetryPolicy::default()
                .max_retries(2)
                .base_delay(Duration::from_millis(1))
                .max_jitter(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let ids = ids(&emulator);
    emulator.inject(
        Injection::always(Fault::Throttle(Some(RetryAfter::Seconds(0))))
            .on_method("DELETE")
            .on_path(ids[0].clone()),
    );
    let batch = graph.batch();
    let throttled = batch.add(graph.delete_profile(&ids[0]));
    let fine = batch.add(graph.get_profile(&ids[1]));
    let report = batch.send().await;
    assert_eq!(report.requests, 3, "the first try and two retries");
    fine.await.unwrap();
    let error = throttled.await.unwrap_err();
    assert!(error.is_throttled(), "{error}");
    assert_eq!(error.attempts().len(), 3, "{:?}", error.attempts());
    assert!(emulator.profile(&ids[0]).is_some());
}

#[tokio::test]
async fn a_dependency_chain_runs_in_order_in_one_request() {
    let emulator = emulator_with(1).await;
    let graph = common::client_for(&emulator);
    let id = ids(&emulator).remove(0);

    let batch = graph.batch();
    let rename = AndroidForWorkEnrollmentProfile::named("Chained");
    let renamed = batch.add(graph.update_profile(&id, &rename));
    let token = batch.add(graph.create_token(&id, 600)).after(&renamed);
    let read = batch.add(graph.get_profile(&id)).after(&token);
    let report = batch.send().await;
    assert_eq!(report.requests, 1);

    renamed.await.unwrap();
    token.await.unwrap();
    let read = read.await.unwrap();
    assert_eq!(read.display_name(), Some("Chained"));
    assert!(read.has_token(), "the read ran after the token was created");

    let batches = batches(&emulator);
    let items = &batches[0].1;
    let by_url = |suffix: &str| {
        items
            .iter()
            .find(|i| i["url"].as_str().unwrap().ends_with(suffix))
            .unwrap()
    };
    let update_id = by_url(&id)["id"].clone();
    let token_item = by_url("/createToken");
    assert_eq!(token_item["dependsOn"], serde_json::json!([update_id]));
    let get_item = items.iter().find(|i| i["method"] == "GET").unwrap();
    assert_eq!(get_item["dependsOn"], serde_json::json!([token_item["id"]]));
}

#[tokio::test]
async fn a_failed_dependency_gives_a_clear_error() {
    let emulator = emulator_with(1).await;
    let graph = common::client_for(&emulator);
    let missing = "00000000-0000-0000-0000-000000000404";

    let batch = graph.batch();
    let lookup = batch.add(graph.get_profile(missing));
    let token = batch.add(graph.create_token(missing, 600)).after(&lookup);
    let revoke = batch.add(graph.revoke_token(missing)).after(&token);
    batch.send().await;

    assert!(lookup.await.unwrap_err().is_not_found());
    let error = token.await.unwrap_err();
    match &error {
        Error::FailedDependency {
            endpoint,
            dependency,
            dependency_status,
            ..
        } => {
            assert_eq!(*endpoint, "create_token");
            assert_eq!(*dependency, "get_profile");
            assert_eq!(dependency_status.map(|s| s.as_u16()), Some(404));
        }
        other => panic!("expected FailedDependency, got {other:?}"),
    }
    assert_eq!(error.status().map(|s| s.as_u16()), Some(424));
    let message = error.to_string();
    assert!(
        message.contains("create_token")
            && message.contains("get_profile")
            && message.contains("404"),
        "{message}"
    );
    // Down the chain, the failed dependency is the call before.
    match revoke.await.unwrap_err() {
        Error::FailedDependency { dependency, .. } => assert_eq!(dependency, "create_token"),
        other => panic!("expected FailedDependency, got {other:?}"),
    }
}

#[tokio::test]
async fn calls_that_cannot_travel_say_why() {
    let emulator = emulator_with(1).await;
    let graph = common::client_for(&emulator);
    let id = ids(&emulator).remove(0);
    let batch = graph.batch();

    // Invalid arguments: answered at once, never queued.
    let invalid = batch.add(graph.get_profile(".."));
    assert!(invalid.id().is_none());
    assert_eq!(batch.queued(), 0);
    assert!(matches!(invalid.await, Err(Error::InvalidRequest { .. })));

    // Awaiting a call before the batch was sent.
    let early = batch.add(graph.get_profile(&id));
    let error = early.await.unwrap_err();
    assert!(error.to_string().contains("Batch::send"), "{error}");

    // A test double's call is not batched: it gives its own answer.
    let own = batch.add(graph_endpoint::Call::ready(Ok(7)));
    assert!(own.id().is_none());
    assert_eq!(own.await.unwrap(), 7);

    // More than 20 calls linked by dependencies cannot share one request.
    let mut chain = vec![batch.add(graph.get_profile(&id))];
    for _ in 0..20 {
        let next = batch
            .add(graph.get_profile(&id))
            .after(chain.last().unwrap());
        chain.push(next);
    }
    let report = batch.send().await;
    assert_eq!(report.requests, 0);
    for call in chain {
        let error = call.await.unwrap_err();
        assert!(error.to_string().contains("20"), "{error}");
    }
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn a_batch_request_that_fails_as_a_whole_fails_each_of_its_calls() {
    let emulator = emulator_with(2).await;
    let graph = common::client_for(&emulator);
    let ids = ids(&emulator);
    emulator.inject(
        Injection::once(Fault::graph_error(400, "BadRequest", "Malformed batch."))
            .on_path("$batch"),
    );
    let batch = graph.batch();
    let calls: Vec<_> = ids
        .iter()
        .map(|id| batch.add(graph.get_profile(id)))
        .collect();
    batch.send().await;
    for call in calls {
        let error = call.await.unwrap_err();
        assert!(matches!(error, Error::BatchFailed { .. }), "{error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
        assert!(error.request_id().is_some());
        assert!(error.to_string().contains("Malformed batch"), "{error}");
    }
}
