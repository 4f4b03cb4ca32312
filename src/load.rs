//! A bounded load run on loopback: `calls` declared calls, `concurrency` at a
//! time, through a client limited to `concurrency` in flight, against the
//! stand-in injecting 429 and 503 into about a tenth of the answers. The
//! load test (`tests/load.rs`) asserts on it, the load benchmark
//! (`benches/load.rs`) reports it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_endpoint::{Error, Graph, GraphClient, Response, RetryPolicy, graph_action};
use graph_endpoint_device_management::hand_written::AndroidForWorkEnrollmentProfile;
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
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
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
    report
}
