//! A bounded load run on loopback: `calls` declared calls, `concurrency` at a
//! time, through a client limited to `concurrency` in flight, against the
//! stand-in injecting 429 and 503 into about a tenth of the answers. The
//! load test (`tests/load.rs`) asserts on it, the load benchmark
//! (`benches/load.rs`) reports it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use graph_endpoint::tower::Service;
use graph_endpoint::{
    BoxError, Error, Graph, GraphClient, HttpService, Response, RetryPolicy, graph_action,
};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfile;
use graph_endpoint_emulator::{Emulator, Fault, Injection};

/// The two calls the load makes: reading a profile and creating its token.
pub trait LoadProbes: Graph {
    #[graph_action(
        GET,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>",
        expect = 200,
        version = "beta"
    )]
    async fn read(&self, id: &str) -> Result<Response<AndroidForWorkEnrollmentProfile>, Error>;

    #[graph_action(
        POST,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/createToken",
        expect = 204,
        version = "beta"
    )]
    async fn token(
        &self,
        id: &str,
        #[param] token_validity_in_seconds: i32,
    ) -> Result<Response<()>, Error>;
}

impl LoadProbes for GraphClient {}

/// What a load run did, as the client and the stand-in counted it.
pub struct LoadReport {
    /// Calls made.
    pub calls: usize,
    /// Calls that succeeded.
    pub succeeded: usize,
    /// Calls that failed after every attempt the policy allows, all with a retryable status.
    pub exhausted: usize,
    /// Attempts the client made, retries included.
    pub attempts: usize,
    /// Requests the stand-in received.
    pub server_requests: usize,
    /// Faults the stand-in injected.
    pub faults_injected: u64,
    /// The most requests the stand-in handled at one time.
    pub max_in_flight: usize,
    /// How long the calls took.
    pub elapsed: Duration,
    /// Peak resident memory of the process at the end, when /proc tells it.
    pub peak_rss_kib: Option<u64>,
    /// Counted from the answers as they came off the wire (a middleware
    /// layer noting each attempt's status under its `client-request-id`),
    /// not from the results the calls returned: calls whose last answer
    /// was a success.
    pub answered_ok_on_wire: usize,
    /// Calls whose every answer, one per attempt the policy allows, was a
    /// 429 or a 503.
    pub throttled_out_on_wire: usize,
    /// Calls whose answers fit neither (none, if the client is right).
    pub other_on_wire: usize,
    /// Distinct `client-request-id`s among the requests the stand-in
    /// received: one per call, shared by its retries.
    pub calls_seen_by_server: usize,
}

type SeenOnWire = Arc<Mutex<HashMap<String, Vec<u16>>>>;

/// Notes the status of every attempt under the call's `client-request-id`.
#[derive(Clone)]
struct WireLog {
    inner: HttpService,
    seen: SeenOnWire,
}

impl Service<graph_endpoint::reqwest::Request> for WireLog {
    type Response = graph_endpoint::reqwest::Response;
    type Error = BoxError;
    type Future =
        Pin<Box<dyn Future<Output = Result<graph_endpoint::reqwest::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: graph_endpoint::reqwest::Request) -> Self::Future {
        let id = request
            .headers()
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let seen = self.seen.clone();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            seen.lock()
                .unwrap()
                .entry(id)
                .or_default()
                .push(response.status().as_u16());
            Ok(response)
        })
    }
}

/// The retries the client's policy allows a call.
pub const RETRIES: u32 = 3;

/// Peak resident memory of this process, from /proc (Linux).
#[must_use]
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `calls` calls, `concurrency` at a time, against a stand-in started for
/// the run, and reports what happened.
///
/// # Panics
///
/// When the stand-in or the client cannot start, or a call fails otherwise
/// than by exhausting its retries on an injected 429 or 503.
pub async fn run(calls: usize, concurrency: usize) -> LoadReport {
    let emulator = Emulator::builder()
        .profiles(16)
        .latency(Duration::from_millis(5))
        .start()
        .await
        .unwrap();
    let ids: Vec<String> = emulator
        .profiles()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    // 5% throttled, then 5.3% of the rest unavailable: about a tenth in all.
    emulator.inject(Injection::rate(0.05, Fault::Throttle(None)));
    emulator.inject(Injection::rate(0.053, Fault::Unavailable(None)));
    let seen_on_wire = SeenOnWire::default();
    let wire_log = seen_on_wire.clone();
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .layer(graph_endpoint::tower::layer::layer_fn(move |inner| {
            WireLog {
                inner,
                seen: wire_log.clone(),
            }
        }))
        .max_in_flight(concurrency)
        .retry(
            RetryPolicy::default()
                .max_retries(RETRIES)
                .base_delay(Duration::from_millis(1))
                .max_jitter(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let ids = Arc::new(ids);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    // `concurrency` workers share the calls, so no more than that are ever started at once.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..concurrency {
        let graph = graph.clone();
        let ids = ids.clone();
        let next = next.clone();
        tasks.spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= calls {
                    break;
                }
                let id = &ids[n % ids.len()];
                let outcome = if n.is_multiple_of(4) {
                    graph
                        .token(id, 3600)
                        .await
                        .map(|r| r.failed_attempts().len())
                } else {
                    graph.read(id).await.map(|r| r.failed_attempts().len())
                };
                outcomes.push(outcome);
            }
            outcomes
        });
    }
    let mut report = LoadReport {
        calls,
        succeeded: 0,
        exhausted: 0,
        attempts: 0,
        server_requests: 0,
        faults_injected: 0,
        max_in_flight: 0,
        elapsed: Duration::ZERO,
        peak_rss_kib: None,
        answered_ok_on_wire: 0,
        throttled_out_on_wire: 0,
        other_on_wire: 0,
        calls_seen_by_server: 0,
    };
    while let Some(joined) = tasks.join_next().await {
        for outcome in joined.unwrap() {
            match outcome {
                Ok(retries) => {
                    report.succeeded += 1;
                    report.attempts += retries + 1;
                }
                Err(error) => {
                    assert!(
                        error.is_throttled() || error.status().map(|s| s.as_u16()) == Some(503),
                        "only an exhausted retry may fail: {error}"
                    );
                    assert_eq!(error.attempts().len(), RETRIES as usize + 1, "{error}");
                    report.exhausted += 1;
                    report.attempts += error.attempts().len();
                }
            }
        }
    }
    report.elapsed = started.elapsed();
    report.server_requests = emulator.request_count();
    report.faults_injected = emulator.faults_injected();
    report.max_in_flight = emulator.max_in_flight();
    report.peak_rss_kib = peak_rss_kib();
    for statuses in seen_on_wire.lock().unwrap().values() {
        let throttled = |s: &u16| matches!(s, 429 | 503);
        match statuses.split_last() {
            Some((last, before)) if (200..300).contains(last) && before.iter().all(throttled) => {
                report.answered_ok_on_wire += 1;
            }
            _ if statuses.len() == RETRIES as usize + 1 && statuses.iter().all(throttled) => {
                report.throttled_out_on_wire += 1;
            }
            _ => report.other_on_wire += 1,
        }
    }
    report.calls_seen_by_server = emulator
        .requests()
        .iter()
        .filter_map(|r| r.header("client-request-id"))
        .collect::<std::collections::HashSet<_>>()
        .len();
    report
}
