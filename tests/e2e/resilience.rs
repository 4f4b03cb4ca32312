//! Retries, timeouts, redirects, limits and size caps, each fault injected by
//! the local stand-in over real HTTP, with the number of requests the server saw.

use std::time::{Duration, SystemTime};

use crate::clock::{HeldClock, finished, settle, wait_for};

use graph_endpoint::{Error, Graph, GraphClient, Response, RetryPolicy, TimeoutKind, graph_action};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_emulator::{Emulator, Fault, Injection, RetryAfter};

type Profile = AndroidForWorkEnrollmentProfile;

pub trait Probes: Graph {
    #[graph_action(
        GET,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>",
        expect = 200,
        version = "beta"
    )]
    async fn get_with_attempts(&self, id: &str) -> Result<Response<Profile>, Error>;

    #[graph_action(
        POST,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/createToken",
        expect = 204,
        version = "beta"
    )]
    async fn create_token_with_attempts(
        &self,
        id: &str,
        #[param] token_validity_in_seconds: i32,
    ) -> Result<Response<()>, Error>;
}

impl Probes for GraphClient {}

/// Short waits so the suite stays fast; the cap shows `Retry-After` is bounded.
fn quick_policy() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(5))
        .max_jitter(Duration::from_millis(2))
        .max_wait(Duration::from_millis(60))
}

fn client(emulator: &Emulator, policy: RetryPolicy) -> GraphClient {
    GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .retry(policy)
        .build()
        .unwrap()
}

async fn setup() -> (Emulator, GraphClient, String) {
    let emulator = Emulator::start().await.unwrap();
    let graph = client(&emulator, quick_policy());
    let id = graph
        .create_profile(&Profile::named("r"))
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    emulator.clear_requests();
    (emulator, graph, id)
}

#[tokio::test]
async fn throttling_is_retried_honouring_retry_after_in_every_form() {
    let (emulator, graph, id) = setup().await;
    let soon = SystemTime::now() + Duration::from_secs(30);
    let cases = [
        (
            RetryAfter::FractionalSeconds(0.02),
            Some(Duration::from_millis(20)),
        ),
        (RetryAfter::Seconds(0), Some(Duration::ZERO)),
        // Longer than the cap: waits the cap.
        (RetryAfter::Seconds(7), Some(Duration::from_millis(60))),
        (RetryAfter::HttpDate(soon), Some(Duration::from_millis(60))),
        // Unreadable: falls back to backoff.
        (RetryAfter::Raw("soon".into()), None),
    ];
    for (retry_after, expected_wait) in cases {
        emulator.clear_requests();
        emulator.inject(Injection::once(Fault::Throttle(Some(retry_after.clone()))));
        let response = graph.get_with_attempts(&id).await.unwrap();
        assert_eq!(emulator.request_count(), 2, "{retry_after:?}");
        let failed = response.failed_attempts();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].outcome, "429 Too Many Requests");
        let waited = failed[0].waited.unwrap();
        match expected_wait {
            Some(wait) => assert_eq!(waited, wait, "{retry_after:?}"),
            None => assert!(
                waited >= Duration::from_millis(5) && waited < Duration::from_millis(7),
                "{waited:?}"
            ),
        }
        let requests = emulator.requests();
        assert_eq!(requests[0].header("retry-attempt"), None);
        assert_eq!(requests[1].header("retry-attempt"), Some("1"));
        assert_eq!(
            requests[0].header("client-request-id"),
            requests[1].header("client-request-id")
        );
    }
}

#[tokio::test]
async fn unavailable_and_gateway_timeouts_are_retried_with_backoff() {
    let (emulator, graph, id) = setup().await;
    emulator.inject(Injection::once(Fault::Unavailable(None)));
    emulator.inject(Injection::once(Fault::GatewayTimeout(None)));
    emulator.inject(Injection::once(Fault::Unavailable(Some(
        RetryAfter::FractionalSeconds(0.001),
    ))));
    let response = graph.get_with_attempts(&id).await.unwrap();
    assert_eq!(emulator.request_count(), 4);
    let outcomes: Vec<_> = response
        .failed_attempts()
        .iter()
        .map(|a| a.outcome.as_str())
        .collect();
    assert_eq!(
        outcomes,
        [
            "503 Service Unavailable",
            "504 Gateway Timeout",
            "503 Service Unavailable"
        ]
    );
    let waits: Vec<_> = response
        .failed_attempts()
        .iter()
        .map(|a| a.waited.unwrap())
        .collect();
    // Backoff doubles: 5 ms then 10 ms (plus jitter); the third honours Retry-After.
    assert!(
        waits[0] >= Duration::from_millis(5) && waits[0] < Duration::from_millis(7),
        "{waits:?}"
    );
    assert!(
        waits[1] >= Duration::from_millis(10) && waits[1] < Duration::from_millis(12),
        "{waits:?}"
    );
    assert_eq!(waits[2], Duration::from_millis(1));
    let attempts: Vec<_> = emulator
        .requests()
        .iter()
        .map(|r| r.header("retry-attempt").map(str::to_owned))
        .collect();
    assert_eq!(
        attempts,
        [None, Some("1".into()), Some("2".into()), Some("3".into())]
    );
}

#[tokio::test]
async fn retries_stop_at_the_bound_and_the_error_tells_every_attempt() {
    let (emulator, graph, id) = setup().await;
    emulator.inject(Injection::always(Fault::Throttle(None)));
    let err = graph.get_profile(&id).await.unwrap_err();
    assert!(err.is_throttled());
    assert_eq!(emulator.request_count(), 4, "one try and three retries");
    assert_eq!(err.attempts().len(), 4);
    assert_eq!(err.attempts()[3].waited, None);
    assert!(err.to_string().contains("after 4 attempts"), "{err}");

    // Switched off: one request.
    emulator.clear_requests();
    let once = client(&emulator, RetryPolicy::none());
    assert!(once.get_profile(&id).await.unwrap_err().is_throttled());
    assert_eq!(emulator.request_count(), 1);

    // The budget of waiting ends retries early.
    emulator.clear_requests();
    let budget = client(
        &emulator,
        quick_policy()
            .max_retries(10)
            .max_elapsed(Duration::from_millis(40)),
    );
    let err = budget.get_profile(&id).await.unwrap_err();
    let total: Duration = err.attempts().iter().filter_map(|a| a.waited).sum();
    assert!(total <= Duration::from_millis(40), "{total:?}");
    assert!(emulator.request_count() < 11);
    assert_eq!(emulator.request_count(), err.attempts().len());
}

#[tokio::test]
async fn other_failures_are_not_retried() {
    let (emulator, graph, id) = setup().await;
    for fault in [
        Fault::HtmlError { status: 502 },
        Fault::graph_error(500, "generalException", "boom"),
        Fault::graph_error(400, "BadRequest", "bad"),
        Fault::MalformedJson { status: 200 },
    ] {
        emulator.clear_requests();
        emulator.inject(Injection::once(fault));
        graph.get_profile(&id).await.unwrap_err();
        assert_eq!(emulator.request_count(), 1);
    }
}

#[tokio::test]
async fn posts_and_patches_are_retried_on_throttling() {
    let (emulator, graph, id) = setup().await;
    emulator.inject(Injection::once(Fault::Throttle(Some(RetryAfter::Seconds(
        0,
    )))));
    let response = graph.create_token_with_attempts(&id, 60).await.unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    // The body is sent again.
    assert_eq!(requests[0].body, requests[1].body);
    assert_eq!(&requests[1].body[..], br#"{"tokenValidityInSeconds":60}"#);
}

#[tokio::test]
async fn dropped_connections_are_retried_only_when_safe() {
    let (emulator, graph, id) = setup().await;
    // After the request was sent: a GET is repeated...
    emulator.inject(Injection::once(Fault::DropConnection));
    graph.get_profile(&id).await.unwrap();
    assert_eq!(emulator.request_count(), 2);

    // ...a POST is not: it may have taken effect.
    emulator.clear_requests();
    emulator.inject(Injection::once(Fault::DropConnection));
    let err = graph.create_token(&id, 60).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(emulator.request_count(), 1);
    assert_eq!(err.attempts().len(), 1);

    // A truncated body on a GET is a broken exchange: repeated.
    emulator.clear_requests();
    emulator.inject(Injection::once(Fault::TruncatedBody { status: 200 }));
    graph.get_profile(&id).await.unwrap();
    assert_eq!(emulator.request_count(), 2);
}

#[tokio::test]
async fn a_connection_that_never_opens_is_retried_even_for_a_post() {
    // Nothing listens on this port: no byte of the request can have been sent.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let graph = GraphClient::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .token("t")
        .retry(quick_policy().max_retries(2))
        .build()
        .unwrap();
    let err = graph.create_token("p", 60).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let outcomes: Vec<_> = err.attempts().iter().map(|a| a.outcome.as_str()).collect();
    let refused = format!("connection refused by 127.0.0.1:{port}");
    assert_eq!(outcomes, [refused.as_str(); 3]);
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
}

/// Retries at once: with the clock held, a backoff would need the test to move it.
fn immediate_policy() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::ZERO)
        .max_jitter(Duration::ZERO)
}

fn held_client(emulator: &Emulator, builder: graph_endpoint::GraphClientBuilder) -> GraphClient {
    builder
        .base_url(emulator.base_url())
        .token(emulator.token())
        .retry(immediate_policy())
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn the_attempt_timeout_covers_a_body_that_stalls() {
    let clock = HeldClock::hold();
    let (emulator, _, id) = setup().await;
    let stall = || {
        Injection::once(Fault::StalledBody {
            status: 200,
            pause: Duration::from_millis(400),
        })
    };

    // The status and half the body arrive at once, the rest after 400 ms:
    // a 100 ms attempt timeout still ends the attempt, and the GET is retried.
    let graph = held_client(
        &emulator,
        GraphClient::builder().attempt_timeout(Duration::from_millis(100)),
    );
    emulator.inject(stall());
    let (probe, target) = (graph.clone(), id.clone());
    let call = tokio::spawn(async move { probe.get_with_attempts(&target).await });
    wait_for("the first attempt", || emulator.request_count() == 1).await;
    clock.advance(Duration::from_millis(99)).await;
    settle().await;
    assert_eq!(emulator.request_count(), 1, "no retry before the timeout");
    clock.advance(Duration::from_millis(1)).await;
    let response = finished(call).await.unwrap();
    assert_eq!(response.failed_attempts().len(), 1);
    assert_eq!(response.failed_attempts()[0].outcome, "attempt timed out");
    assert_eq!(response.body().id(), Some(id.as_str()));
    assert_eq!(emulator.request_count(), 2);

    // Without an attempt timeout the client waits the stall out, in one attempt.
    emulator.clear_requests();
    let patient = held_client(&emulator, GraphClient::builder().no_attempt_timeout());
    emulator.inject(stall());
    let target = id.clone();
    let call = tokio::spawn(async move { patient.get_with_attempts(&target).await });
    wait_for("the attempt", || emulator.request_count() == 1).await;
    clock.advance(Duration::from_secs(60)).await;
    let response = finished(call).await.unwrap();
    assert!(response.failed_attempts().is_empty());
    assert_eq!(response.body().id(), Some("stalled"));
    assert_eq!(emulator.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn each_timeout_is_its_own_error() {
    let clock = HeldClock::hold();
    let (emulator, _, id) = setup().await;
    let graph = held_client(
        &emulator,
        GraphClient::builder().attempt_timeout(Duration::from_millis(100)),
    );
    let slow = || Injection::once(Fault::Delay(Duration::from_millis(400)));

    // A slow answer to a GET: the attempt times out, the retry succeeds.
    emulator.inject(slow());
    let (probe, target) = (graph.clone(), id.clone());
    let call = tokio::spawn(async move { probe.get_with_attempts(&target).await });
    wait_for("the first attempt", || emulator.request_count() == 1).await;
    clock.advance(Duration::from_millis(100)).await;
    let response = finished(call).await.unwrap();
    assert_eq!(response.failed_attempts().len(), 1);
    assert_eq!(response.failed_attempts()[0].outcome, "attempt timed out");
    assert_eq!(emulator.request_count(), 2);

    // A slow answer to a POST is not repeated.
    emulator.clear_requests();
    emulator.inject(slow());
    let (probe, target) = (graph.clone(), id.clone());
    let call = tokio::spawn(async move { probe.create_token(&target, 60).await });
    wait_for("the POST", || emulator.request_count() == 1).await;
    clock.advance(Duration::from_millis(100)).await;
    let err = finished(call).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Attempt), "{err:?}");
    assert_eq!(err.attempts().len(), 1);
    assert_eq!(emulator.request_count(), 1);

    // The whole call, retries included: it ends when the call timeout
    // passes, not at the stand-in's pace.
    let bounded = held_client(
        &emulator,
        GraphClient::builder().call_timeout(Duration::from_millis(150)),
    );
    emulator.clear_requests();
    emulator.inject(Injection::always(Fault::Delay(Duration::from_secs(30))).on_method("GET"));
    let started = tokio::time::Instant::now();
    let target = id.clone();
    let call = tokio::spawn(async move { bounded.get_profile(&target).await });
    wait_for("the attempt", || emulator.request_count() == 1).await;
    clock.advance(Duration::from_millis(149)).await;
    settle().await;
    assert!(!call.is_finished(), "not before the call timeout");
    clock.advance(Duration::from_millis(1)).await;
    let err = finished(call).await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Call), "{err:?}");
    assert_eq!(clock.since(started), Duration::from_millis(150));
    emulator.clear_injections();
}

#[tokio::test]
async fn a_connect_timeout_is_reported_as_such() {
    // A listener whose accept queue is full: new connections are never completed.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(stream)) = tokio::time::timeout(
            Duration::from_millis(100),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(stream);
        }
    }
    let graph = GraphClient::builder()
        .base_url(format!("http://{addr}"))
        .token("t")
        .no_retry()
        .connect_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = graph.get_profile("p").await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Connect), "{err:?}");
    drop(listener);
}

#[tokio::test]
async fn bodies_over_the_limits() {
    let emulator = Emulator::builder().profiles(50).start().await.unwrap();
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .no_retry()
        .max_body_bytes(1000)
        .max_error_body_bytes(16)
        .build()
        .unwrap();
    let err = graph.list_profiles(None).await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1000, .. }),
        "{err:?}"
    );
    assert_eq!(graph.list_profiles(Some(1)).await.unwrap().value.len(), 1);

    emulator.inject(Injection::once(Fault::HtmlError { status: 502 }));
    let err = graph.list_profiles(Some(1)).await.unwrap_err();
    assert_eq!(err.body().unwrap().len(), 16);
}

#[tokio::test]
async fn redirects_follow_the_runtime_policy() {
    let (emulator, graph, id) = setup().await;
    let redirect = |status: u16, to: String| Fault::Respond {
        status,
        headers: vec![("location".into(), to)],
        body: Default::default(),
    };

    // Followed within the origin, with the token.
    let target = format!("/beta/deviceManagement/androidForWorkEnrollmentProfiles/{id}");
    emulator.inject(Injection::once(redirect(307, target.clone())));
    assert_eq!(
        graph.get_profile(&id).await.unwrap().id(),
        Some(id.as_str())
    );
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].header("authorization").is_some());

    // To another host (another port is another origin): the token stays home.
    let other = Emulator::start().await.unwrap();
    emulator.clear_requests();
    emulator.inject(Injection::once(redirect(
        302,
        format!("{}{target}", other.base_url()),
    )));
    let err = graph.get_profile(&id).await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    let arrived = other.last_request().unwrap();
    assert_eq!(arrived.header("authorization"), None);
    assert_eq!(arrived.path, target);

    // 303 turns a POST into a GET without body.
    emulator.clear_requests();
    emulator.inject(Injection::once(redirect(303, target.clone())).on_method("POST"));
    let err = graph.create_token(&id, 60).await.unwrap_err();
    assert_eq!(
        err.status().map(|s| s.as_u16()),
        Some(200),
        "the GET answered 200, not the 204 expected"
    );
    let requests = emulator.requests();
    assert_eq!(
        (requests[1].method.as_str(), requests[1].body.len()),
        ("GET", 0)
    );

    // A loop ends after five.
    emulator.clear_requests();
    emulator.inject(Injection::always(redirect(308, target.clone())));
    let err = graph.get_profile(&id).await.unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
    assert_eq!(emulator.request_count(), 6);
    emulator.clear_injections();
    assert_eq!(other.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_in_flight_limit_holds_across_clones() {
    let clock = HeldClock::hold();
    let (emulator, _, id) = setup().await;
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .max_in_flight(4)
        .build()
        .unwrap();
    // Each answer waits for the clock: what is in flight stays in flight
    // until the test moves it.
    emulator.inject(Injection::always(Fault::Delay(Duration::from_secs(1))));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let graph = graph.clone();
        let id = id.clone();
        tasks.spawn(async move { graph.get_profile(&id).await.map(drop) });
    }
    for round in 1..=10 {
        wait_for("four more calls", || emulator.request_count() == 4 * round).await;
        settle().await;
        assert_eq!(emulator.request_count(), 4 * round, "no fifth place");
        clock.advance(Duration::from_secs(1)).await;
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    emulator.clear_injections();
    assert_eq!(emulator.max_in_flight(), 4);
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_spaces_requests() {
    let clock = HeldClock::hold();
    let (emulator, _, id) = setup().await;
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .rate_limit(10, Duration::from_secs(1))
        .build()
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..15 {
        let graph = graph.clone();
        let id = id.clone();
        tasks.spawn(async move { graph.get_profile(&id).await.map(drop) });
    }
    // Ten at once, then one every 100 ms.
    wait_for("the first ten", || emulator.request_count() == 10).await;
    for sent in 11..=15 {
        clock.advance(Duration::from_millis(99)).await;
        settle().await;
        assert_eq!(emulator.request_count(), sent - 1, "not before its turn");
        clock.advance(Duration::from_millis(1)).await;
        wait_for("the next call", || emulator.request_count() == sent).await;
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(emulator.request_count(), 15);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_call_cancels_it_and_frees_its_place() {
    let clock = HeldClock::hold();
    let (emulator, _, id) = setup().await;
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .max_in_flight(1)
        .build()
        .unwrap();
    emulator.inject(Injection::once(Fault::Delay(Duration::from_secs(30))));
    // The caller gives up on the slow call: its future is dropped mid-flight.
    let (probe, target) = (graph.clone(), id.clone());
    let abandoned = tokio::spawn(async move {
        tokio::time::timeout(Duration::from_millis(100), probe.get_profile(&target))
            .await
            .is_err()
    });
    wait_for("the slow call", || emulator.request_count() == 1).await;
    clock.advance(Duration::from_millis(100)).await;
    assert!(finished(abandoned).await, "the caller gave up");
    // The single in-flight place is free again while the stand-in still
    // holds the first answer, and the client works.
    let target = id.clone();
    let next = tokio::spawn(async move { graph.get_profile(&target).await });
    assert_eq!(finished(next).await.unwrap().id(), Some(id.as_str()));
    assert_eq!(emulator.request_count(), 2);
}

#[test]
fn plain_http_elsewhere_than_loopback_needs_an_explicit_yes() {
    let refused = GraphClient::builder()
        .base_url("http://graph.internal:8080")
        .token("t")
        .build();
    assert!(
        matches!(refused, Err(Error::Config(ref m)) if m.contains("unencrypted")),
        "{refused:?}"
    );
    let allowed = GraphClient::builder()
        .base_url("http://graph.internal:8080")
        .allow_insecure_http(true)
        .token("t")
        .build();
    assert_eq!(allowed.unwrap().base_url(), "http://graph.internal:8080");
    for loopback in [
        "http://127.0.0.1:1",
        "http://127.8.9.10:1",
        "http://localhost:1",
        "http://[::1]:1",
    ] {
        assert!(
            GraphClient::builder()
                .base_url(loopback)
                .token("t")
                .build()
                .is_ok(),
            "{loopback}"
        );
    }
    assert!(
        GraphClient::builder()
            .base_url("ftp://127.0.0.1")
            .token("t")
            .build()
            .is_err()
    );
    assert!(
        GraphClient::builder()
            .base_url("https://x.example")
            .build()
            .is_err(),
        "a token source is required"
    );
}
