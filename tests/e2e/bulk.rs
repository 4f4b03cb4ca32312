//! Bulk jobs over real HTTP against the local stand-in on 127.0.0.1: results
//! in the calls' order, throttling that makes calls wait their turn instead
//! of failing, server failures still bounded by the retry policy, and a rate
//! that converges on a limit set in the stand-in.
//!
//! The tests run in paused tokio time, stand-in included (its clock is
//! tokio's): rates and waits are measured in that time, whatever the
//! machine's speed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_endpoint::futures_core::Stream;
use graph_endpoint::{Budget, Call, Error, Graph, GraphClient, ServiceFamily, graph_action};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::{Emulator, FamilyLimit, Fault, Injection, RetryAfterHint};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::common::{emulator_with, stored_ids};

const PROFILES: &str = "/beta/deviceManagement/androidForWorkEnrollmentProfiles";

/// A client with the default retry policy (3 retries, 3 s backoff) and the
/// default throttling: what a user gets.
fn default_client(emulator: &Emulator) -> GraphClient {
    GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .build()
        .expect("a loopback client builds")
}

/// The paths of the requests that arrived, with how many times each did.
fn arrivals(emulator: &Emulator) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for request in emulator.requests() {
        *seen
            .entry(format!("{} {}", request.method, request.path))
            .or_default() += 1;
    }
    seen
}

#[tokio::test(start_paused = true)]
async fn results_come_back_in_the_calls_order_each_with_its_own_outcome() {
    let emulator = emulator_with(30).await;
    let graph = default_client(&emulator);
    let ids = stored_ids(&emulator);
    let missing = "00000000-0000-0000-0000-000000000404".to_owned();
    let mut wanted: Vec<String> = ids.clone();
    wanted.insert(7, missing.clone());

    let mut calls: Vec<Call<'_, _>> = wanted.iter().map(|id| graph.get_profile(id)).collect();
    // A call refused before sending, and a test double's answer, keep their places.
    calls.insert(3, graph.get_profile(".."));
    calls.push(Call::ready(Err(Error::NotImplemented {
        endpoint: "double",
    })));

    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&progress);
    let (results, summary) = graph
        .bulk(calls)
        .concurrency(8)
        .on_progress(move |p| seen.lock().unwrap().push(p.done))
        .run()
        .await;

    assert_eq!(results.len(), 33);
    assert!(
        matches!(&results[3], Err(Error::InvalidRequest { .. })),
        "{:?}",
        results[3]
    );
    let found: Vec<&str> = results
        .iter()
        .enumerate()
        .filter(|(i, _)| ![3, 8, 32].contains(i))
        .map(|(_, r)| r.as_ref().expect("a stored profile").id().unwrap())
        .collect();
    assert_eq!(found, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(results[8].as_ref().unwrap_err().is_not_found());
    assert!(matches!(results[32], Err(Error::NotImplemented { .. })));
    assert_eq!(
        (summary.done, summary.succeeded, summary.failed),
        (33, 30, 3)
    );
    assert_eq!(summary.total, Some(33));
    assert_eq!(summary.throttled, 0);
    assert_eq!(*progress.lock().unwrap(), (1..=33).collect::<Vec<_>>());

    // Each stored profile and the missing one were asked for exactly once.
    let expected: BTreeMap<String, usize> = wanted
        .iter()
        .map(|id| (format!("GET {PROFILES}/{id}"), 1))
        .collect();
    assert_eq!(arrivals(&emulator), expected);
}

#[tokio::test(start_paused = true)]
async fn results_can_be_taken_as_they_complete() {
    let emulator = emulator_with(12).await;
    let graph = default_client(&emulator);
    let ids = stored_ids(&emulator);
    // The first call is held back by the stand-in: it completes last.
    emulator.inject(Injection::once(Fault::Delay(Duration::from_secs(5))).on_path(ids[0].as_str()));
    let mut stream = graph
        .bulk(ids.iter().map(|id| graph.get_profile(id)))
        .concurrency(4)
        .stream();
    let mut order = Vec::new();
    while let Some((index, result)) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await
    {
        assert_eq!(result.unwrap().id(), Some(ids[index].as_str()));
        order.push(index);
    }
    assert_eq!(order.len(), 12);
    assert_eq!(
        order.last(),
        Some(&0),
        "the delayed call comes last: {order:?}"
    );
    assert_eq!(stream.summary().succeeded, 12);
}

#[tokio::test(start_paused = true)]
async fn a_429_storm_does_not_use_up_the_retries_of_bulk_calls() {
    let emulator = emulator_with(20).await;
    let graph = default_client(&emulator);
    let ids = stored_ids(&emulator);
    // The next 80 writes are throttled, without Retry-After: four for each
    // call, one more than the retry policy allows.
    emulator.inject(Injection::times(80, Fault::Throttle(None)).on_method("POST"));

    let (results, summary) = graph
        .bulk(ids.iter().map(|id| graph.revoke_token(id)))
        .run()
        .await;

    let failed = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 0, "{:?}", results.iter().find(|r| r.is_err()));
    assert_eq!(summary.throttled, 80);
    assert_eq!(
        emulator.request_count(),
        100,
        "20 calls, 80 throttled answers"
    );
    let revokes = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/revokeToken"))
        .count();
    assert_eq!(revokes, 100);
}

#[tokio::test(start_paused = true)]
async fn the_same_storm_fails_plain_calls_that_exhaust_their_retries() {
    let emulator = emulator_with(20).await;
    let graph = default_client(&emulator);
    let ids = stored_ids(&emulator);
    emulator.inject(Injection::times(80, Fault::Throttle(None)).on_method("POST"));

    // Every call at once, each its own task, as code without a bulk runner does.
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        let graph = graph.clone();
        tasks.spawn(async move { graph.revoke_token(&id).await });
    }
    let results: Vec<Result<(), Error>> = tasks.join_all().await;

    let exhausted: Vec<&Error> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(exhausted.len(), 20, "each call met four throttled answers");
    for error in exhausted {
        assert!(error.is_throttled(), "{error}");
        assert_eq!(error.attempts().len(), 4, "{error}");
    }
}

#[tokio::test(start_paused = true)]
async fn server_failures_inside_bulk_stay_bounded_by_the_retry_policy() {
    let emulator = emulator_with(10).await;
    let graph = default_client(&emulator);
    let ids = stored_ids(&emulator);
    emulator.inject(Injection::always(Fault::Unavailable(None)).on_path(ids[4].as_str()));

    let started = Instant::now();
    let (results, summary) = graph
        .bulk(ids.iter().map(|id| graph.get_profile(id)))
        .run()
        .await;

    let error = results[4].as_ref().unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        error.attempts().len(),
        4,
        "the first try and three retries: {error}"
    );
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 9);
    assert_eq!((summary.failed, summary.throttled), (1, 0));
    let tries = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(ids[4].as_str()))
        .count();
    assert_eq!(tries, 4);
    // The policy's backoff (3, 6 and 12 s, plus up to 1 s of jitter each).
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(21) && took < Duration::from_secs(25),
        "{took:?}"
    );
}

/// Calls of families the stand-in throttles.
pub trait BulkProbes: Graph {
    #[graph_action(GET, "/groups/<id>", expect = 200)]
    async fn get_group(&self, id: &str) -> Result<Value, Error>;

    #[graph_action(POST, "/deviceManagement/managedDevices/<id>/syncDevice", expect = 204)]
    async fn sync_managed_device(&self, id: &str) -> Result<(), Error>;
}

impl BulkProbes for GraphClient {}

/// A stand-in serving one group, its `/groups` family limited to `per_second`
/// requests a second (a bucket of one second's worth), with `hint` in its 429s.
async fn groups_limited_to(per_second: u32, hint: RetryAfterHint) -> (Emulator, String) {
    let emulator = Emulator::builder()
        .limit(
            FamilyLimit::new("groups", ["/groups"])
                .any(per_second, Duration::from_secs(1))
                .retry_after(hint),
        )
        .start()
        .await
        .expect("the stand-in starts");
    let group = emulator
        .insert_entity("groups", json!({"displayName": "All devices"}))
        .expect("groups are served");
    let id = group["id"].as_str().unwrap().to_owned();
    (emulator, id)
}

/// The stand-in's counts for one family: (admitted, throttled).
fn counts(emulator: &Emulator, family: &str) -> (u64, u64) {
    let counts = emulator
        .limit_counts()
        .into_iter()
        .find(|c| c.family == family)
        .expect("the family is limited");
    (counts.admitted, counts.throttled)
}

#[tokio::test(start_paused = true)]
async fn the_rate_converges_on_a_limit_the_client_is_not_told() {
    for (limit, calls, hint) in [
        (20, 600, RetryAfterHint::Omitted),
        (20, 600, RetryAfterHint::Exact),
        (200, 4_000, RetryAfterHint::Omitted),
        (200, 4_000, RetryAfterHint::Exact),
    ] {
        let (emulator, id) = groups_limited_to(limit, hint).await;
        let graph = default_client(&emulator);
        let started = Instant::now();
        let (results, summary) = graph
            .bulk((0..calls).map(|_| graph.get_group(&id)))
            .run()
            .await;
        let took = started.elapsed();

        assert_eq!(summary.failed, 0, "{limit}/s {hint:?}");
        assert!(results.iter().all(Result::is_ok));
        let (admitted, throttled) = counts(&emulator, "groups");
        assert_eq!(admitted, calls as u64);
        assert_eq!(throttled, summary.throttled, "every 429 was seen");
        // The least time the limit allows: a full bucket, then `limit` a second.
        let ideal = Duration::from_secs_f64(f64::from(calls - limit) / f64::from(limit));
        assert!(
            took.as_secs_f64() <= 1.1 * ideal.as_secs_f64(),
            "{limit}/s {hint:?}: {took:?} against an ideal of {ideal:?}"
        );
        assert!(
            throttled as f64 <= 0.02 * f64::from(calls),
            "{limit}/s {hint:?}: {throttled} of {calls} throttled"
        );
        let learned = graph
            .learned_rates()
            .into_iter()
            .find(|r| r.family.name() == "groups")
            .expect("the family was learned");
        assert!(learned.holds_limit);
        assert!(
            (learned.rate - f64::from(limit)).abs() <= 0.1 * f64::from(limit),
            "{limit}/s {hint:?}: held at {}",
            learned.rate
        );
    }
}

#[tokio::test(start_paused = true)]
async fn plain_calls_are_slowed_by_the_limit_a_bulk_job_learned() {
    let (emulator, id) = groups_limited_to(20, RetryAfterHint::Omitted).await;
    let graph = default_client(&emulator);
    let (_, summary) = graph
        .bulk((0..300).map(|_| graph.get_group(&id)))
        .run()
        .await;
    assert_eq!(summary.failed, 0);
    let (_, throttled_in_bulk) = counts(&emulator, "groups");

    // Forty plain calls at once, each its own task.
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let graph = graph.clone();
        let id = id.clone();
        tasks.spawn(async move { graph.get_group(&id).await.map(drop) });
    }
    let results = tasks.join_all().await;
    let took = started.elapsed();
    assert!(results.iter().all(Result::is_ok));
    let (_, throttled) = counts(&emulator, "groups");
    assert!(
        throttled - throttled_in_bulk <= 1,
        "{} plain calls throttled",
        throttled - throttled_in_bulk
    );
    // Paced at about 20 a second: 40 calls take about two seconds.
    assert!(took >= Duration::from_millis(1_700), "{took:?}");

    // A client that learned nothing sends them at once, and is throttled.
    let fresh = default_client(&emulator);
    tokio::time::sleep(Duration::from_secs(1)).await; // the bucket fills again
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let graph = fresh.clone();
        let id = id.clone();
        tasks.spawn(async move { graph.get_group(&id).await.map(drop) });
    }
    let before = counts(&emulator, "groups").1;
    tasks.join_all().await;
    assert!(
        counts(&emulator, "groups").1 - before >= 15,
        "unpaced plain calls meet the limit"
    );
}

#[tokio::test(start_paused = true)]
async fn intune_writes_go_at_the_documented_limit() {
    let emulator = Emulator::builder()
        .managed_devices(250)
        .intune_limits()
        .start()
        .await
        .expect("the stand-in starts");
    let graph = default_client(&emulator);
    let ids: Vec<String> = emulator
        .entities("deviceManagement/managedDevices")
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let started = Instant::now();
    let (results, summary) = graph
        .bulk(ids.iter().map(|id| graph.sync_managed_device(id)))
        .run()
        .await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(
        summary.throttled, 0,
        "the documented limit is never exceeded"
    );
    // 200 writes per 20 s is ten a second: 250 syncs take 24.9 s.
    assert_eq!(started.elapsed(), Duration::from_millis(24_900));
    let syncs = emulator.device_syncs();
    assert_eq!(syncs.len(), 250);
    assert!(syncs.values().all(|n| *n == 1));
    assert_eq!(counts(&emulator, "intune-devices"), (250, 0));
    let writes = graph
        .learned_rates()
        .into_iter()
        .find(|r| r.budget == Budget::Writes)
        .expect("the writes lane");
    assert_eq!(writes.family, ServiceFamily::INTUNE_DEVICES);
    assert_eq!(writes.ceiling, Some(10.0));
}

#[tokio::test(start_paused = true)]
async fn each_item_of_a_batch_is_throttled_on_its_own() {
    let emulator = Emulator::builder()
        .managed_devices(20)
        .limit(
            FamilyLimit::new("devices", ["/deviceManagement/managedDevices"])
                // Half the documented limit, as if other apps of the
                // tenant used the rest.
                .writes(5, Duration::from_secs(1))
                .retry_after(RetryAfterHint::WholeSeconds),
        )
        .start()
        .await
        .expect("the stand-in starts");
    let graph = default_client(&emulator);
    let ids: Vec<String> = emulator
        .entities("deviceManagement/managedDevices")
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();

    let started = Instant::now();
    let batch = graph.batch();
    let items: Vec<_> = ids
        .iter()
        .map(|id| batch.add(graph.sync_managed_device(id)))
        .collect();
    let report = batch.send().await;
    for item in items {
        item.await.expect("every sync succeeds in the end");
    }
    // Five items fit the bucket each time; the others were answered 429
    // inside the batch with `Retry-After: 1`, and went again a second later.
    assert_eq!((report.requests, report.rounds, report.retried), (4, 4, 30));
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert_eq!(counts(&emulator, "devices"), (20, 30));
    let batches: Vec<usize> = emulator
        .requests()
        .iter()
        .map(|r| {
            assert_eq!(
                (r.method.as_str(), r.path.as_str()),
                ("POST", "/v1.0/$batch")
            );
            r.json().unwrap()["requests"].as_array().unwrap().len()
        })
        .collect();
    assert_eq!(batches, [20, 15, 10, 5]);
    assert!(emulator.device_syncs().values().all(|n| *n == 1));
}

#[test]
fn the_bulk_sync_example_syncs_every_device_and_sums_up() {
    let out =
        crate::examples::run_example_with("bulk_sync", &["--devices", "30", "--unknown", "2"], &[]);
    crate::examples::assert_lines(
        &out,
        &[
            "30 managed devices, 200 syncs per 20 s allowed",
            "managed devices: 30\n",
            "synced: 30 of 32 in ",
            "failed: 2 (404 ResourceNotFound: 2)\n",
            "429s seen: 0\n",
            "the limit (200 per 20 s: 200 at once, then 10.0/s) allows 32 in 0.0 s at best",
            "rate held at the end: 10.0 writes/s (documented limit 10.0/s)\n",
            "the stand-in synced 30 devices, each once: true\n",
        ],
    );
}
