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
use graph_endpoint::{Call, Error, GraphClient};
use graph_endpoint_device_management::hand_written::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::{Emulator, Fault, Injection};
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
        .map(|(_, r)| r.as_ref().expect("a stored profile").id.as_deref().unwrap())
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
        assert_eq!(result.unwrap().id.as_deref(), Some(ids[index].as_str()));
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
