//! Middleware that counts: a `tower` layer records every attempt's status
//! class and time, retries included, as a metrics exporter would. Runs
//! against the local stand-in with a throttled answer and a missing profile
//! along the way, then prints the counters.
//!
//! ```text
//! cargo run --example request_metrics
//! ```

use std::error::Error as StdError;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use graph_endpoint::tower::{Layer, Service};
use graph_endpoint::{BoxError, GraphClient, RetryPolicy, reqwest};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::{Emulator, Fault, Injection, RetryAfter};

/// Attempts by status class, and the time they took.
#[derive(Debug, Default)]
struct Counters {
    attempts: u64,
    success: u64,
    client_errors: u64,
    server_errors: u64,
    failed: u64,
    total: Duration,
}

#[derive(Clone)]
struct Metrics<S> {
    inner: S,
    counters: Arc<Mutex<Counters>>,
}

impl<S> Service<reqwest::Request> for Metrics<S>
where
    S: Service<reqwest::Request, Response = reqwest::Response, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = reqwest::Response;
    type Error = BoxError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<reqwest::Response, BoxError>> + Send>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: reqwest::Request) -> Self::Future {
        let counters = self.counters.clone();
        let started = Instant::now();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = answer.await;
            let mut counters = counters.lock().unwrap_or_else(|p| p.into_inner());
            counters.attempts += 1;
            counters.total += started.elapsed();
            match &result {
                Ok(response) if response.status().is_server_error() => counters.server_errors += 1,
                Ok(response) if response.status().is_client_error() => counters.client_errors += 1,
                Ok(_) => counters.success += 1,
                Err(_) => counters.failed += 1,
            }
            result
        })
    }
}

struct MetricsLayer(Arc<Mutex<Counters>>);

impl<S> Layer<S> for MetricsLayer {
    type Service = Metrics<S>;

    fn layer(&self, inner: S) -> Metrics<S> {
        Metrics {
            inner,
            counters: self.0.clone(),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    let emulator = Emulator::builder().profiles(5).start().await?;
    let counters = Arc::new(Mutex::new(Counters::default()));
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(50)))
        .layer(MetricsLayer(counters.clone()))
        .build()?;

    // One answer throttled with 503 (retried), then ten reads and a miss.
    emulator.inject(Injection::once(Fault::Unavailable(Some(
        RetryAfter::Seconds(0),
    ))));
    let ids: Vec<String> = graph
        .list_profiles(None)
        .await?
        .value
        .into_iter()
        .filter_map(|p| p.id().map(str::to_owned))
        .collect();
    for id in ids.iter().cycle().take(10) {
        graph.get_profile(id).await?;
    }
    let missing = graph
        .get_profile("00000000-0000-0000-0000-000000000000")
        .await;
    println!(
        "The missing profile: {}",
        missing.map_or_else(|e| e.to_string(), |_| "found?".into())
    );

    let counters = counters.lock().unwrap_or_else(|p| p.into_inner());
    println!("Attempts through the layer: {}", counters.attempts);
    println!("  2xx: {}", counters.success);
    println!("  4xx: {}", counters.client_errors);
    println!("  5xx: {}", counters.server_errors);
    println!("  transport failures: {}", counters.failed);
    println!(
        "  mean time per attempt: {:.2} ms",
        counters.total.as_secs_f64() * 1000.0 / counters.attempts.max(1) as f64
    );
    // Every request that reached the stand-in passed through the layer.
    let arrived = emulator.request_count() as u64;
    if counters.attempts != arrived
        || (
            counters.success,
            counters.client_errors,
            counters.server_errors,
        ) != (11, 1, 1)
    {
        return Err(format!(
            "the counters {counters:?} do not match the {arrived} requests that arrived"
        )
        .into());
    }
    println!("The counters match the {arrived} requests the stand-in saw");
    Ok(())
}
