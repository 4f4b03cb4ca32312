//! What a declared call costs next to the same request written by hand with
//! reqwest: over loopback HTTP (one at a time, and 64 in flight), and on the
//! client side alone with no I/O, with allocations counted.
//!
//! ```text
//! cargo bench --bench per_call
//! ```
//!
//! Both variants send the same request (method, URL, `Authorization`,
//! `Accept`, a fresh `client-request-id`, `SdkVersion`, `User-Agent`) to the
//! same local stand-in, check the status and decode the same JSON into the
//! same type.

use std::sync::LazyLock;

use graph_endpoint::http::{HeaderMap, StatusCode};
use graph_endpoint::models::{AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles};
use graph_endpoint::{Error, Graph, GraphClient, RawResponse, Request};
use graph_endpoint_emulator::{Emulator, Fault, Injection};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

const ID: &str = "6a6b1c0e-9b0e-4f3c-a2e8-0d8c5f1e7a11";
const BODY: &str = r##"{"@odata.type":"#microsoft.graph.androidForWorkEnrollmentProfile","id":"6a6b1c0e-9b0e-4f3c-a2e8-0d8c5f1e7a11","accountId":"0b0c1d2e-0000-4000-8000-000000000001","displayName":"Kiosk","description":"Warehouse","createdDateTime":"2026-11-29T10:00:00Z","lastModifiedDateTime":"2026-11-29T10:00:00Z","tokenValue":null,"tokenExpirationDateTime":"0001-01-01T00:00:00Z","enrolledDeviceCount":0,"qrCodeContent":null,"qrCodeImage":null}"##;

struct World {
    runtime: tokio::runtime::Runtime,
    base: String,
    token: String,
    declared: GraphClient,
    /// Declared, without the per-attempt timeout the hand-written call lacks too.
    declared_without_timeout: GraphClient,
    http: reqwest::Client,
    _emulator: Emulator,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime.block_on(async {
        let emulator = Emulator::builder()
            .record_requests(false)
            .start()
            .await
            .unwrap();
        emulator.inject(Injection::always(Fault::Respond {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: BODY.into(),
        }));
        emulator
    });
    let (declared, declared_without_timeout) = runtime.block_on(async {
        let builder = || {
            GraphClient::builder()
                .base_url(emulator.base_url())
                .token(emulator.token())
        };
        (
            builder().build().unwrap(),
            builder().no_attempt_timeout().build().unwrap(),
        )
    });
    World {
        base: emulator.base_url().to_owned(),
        token: emulator.token(),
        declared,
        declared_without_timeout,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        runtime,
        _emulator: emulator,
    }
});

const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The same call, by hand.
async fn handwritten_get(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
) -> Result<AndroidForWorkEnrollmentProfile, String> {
    let url = format!(
        "{base}/beta/deviceManagement/androidForWorkEnrollmentProfiles/{}",
        utf8_percent_encode(id, SEGMENT)
    );
    let response = http
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("client-request-id", uuid::Uuid::new_v4().to_string())
        .header("SdkVersion", "graph-rust-beta/0.1.0")
        .header("user-agent", "graph-endpoint/0.1.0")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != StatusCode::OK {
        return Err(format!("unexpected status {}", response.status()));
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

fn main() {
    LazyLock::force(&WORLD);
    interleaved_ratios();
    divan::main();
}

/// Declared and hand-written calls alternate in rounds, so drift in a noisy
/// machine hits both alike; the ratio of the summed times is reported.
fn interleaved_ratios() {
    let w = &*WORLD;
    for (label, declared_client) in [
        ("default client", &w.declared),
        ("no attempt timeout", &w.declared_without_timeout),
    ] {
        interleave(&format!("sequential, {label}"), 300, |declared| {
            w.runtime.block_on(async {
                for _ in 0..300 {
                    if declared {
                        declared_client.get_profile(ID).await.unwrap();
                    } else {
                        handwritten_get(&w.http, &w.base, &w.token, ID)
                            .await
                            .unwrap();
                    }
                }
            })
        });
        interleave(&format!("64 in flight, {label}"), 10 * 64, |declared| {
            w.runtime.block_on(async {
                for _ in 0..10 {
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..64 {
                        if declared {
                            let graph = declared_client.clone();
                            set.spawn(
                                async move { graph.get_profile(ID).await.map(drop).unwrap() },
                            );
                        } else {
                            let (http, base, token) =
                                (w.http.clone(), w.base.clone(), w.token.clone());
                            set.spawn(async move {
                                handwritten_get(&http, &base, &token, ID)
                                    .await
                                    .map(drop)
                                    .unwrap()
                            });
                        }
                    }
                    set.join_all().await;
                }
            })
        });
    }
}

/// Runs `round(true)` (declared) and `round(false)` (hand-written) for 30
/// rounds, alternating which goes first, and prints the per-call times and
/// their ratio. `calls_per_round` is how many calls one `round` makes.
fn interleave(label: &str, calls_per_round: u32, round: impl Fn(bool)) {
    use std::time::{Duration, Instant};
    let rounds = 30;
    let timed = |declared: bool| {
        let started = Instant::now();
        round(declared);
        started.elapsed()
    };
    let (mut declared, mut handwritten) = (Duration::ZERO, Duration::ZERO);
    for n in 0..rounds {
        if n % 2 == 0 {
            declared += timed(true);
            handwritten += timed(false);
        } else {
            handwritten += timed(false);
            declared += timed(true);
        }
    }
    let calls = (rounds * calls_per_round) as f64;
    println!(
        "{label}, interleaved over {calls} calls each: declared {:.1} µs, hand-written {:.1} µs per call, ratio {:.3}",
        declared.as_secs_f64() * 1e6 / calls,
        handwritten.as_secs_f64() * 1e6 / calls,
        declared.as_secs_f64() / handwritten.as_secs_f64()
    );
}

#[divan::bench_group(sample_count = 200, sample_size = 20)]
mod loopback_sequential {
    use super::*;

    #[divan::bench]
    fn declared() -> AndroidForWorkEnrollmentProfile {
        let w = &*WORLD;
        w.runtime.block_on(w.declared.get_profile(ID)).unwrap()
    }

    #[divan::bench]
    fn handwritten() -> AndroidForWorkEnrollmentProfile {
        let w = &*WORLD;
        w.runtime
            .block_on(handwritten_get(&w.http, &w.base, &w.token, ID))
            .unwrap()
    }
}

/// One iteration is 64 calls in flight at once.
#[divan::bench_group(sample_count = 40, sample_size = 2)]
mod loopback_64_in_flight {
    use super::*;

    #[divan::bench]
    fn declared() -> usize {
        let w = &*WORLD;
        w.runtime.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..64 {
                let graph = w.declared.clone();
                set.spawn(async move { graph.get_profile(ID).await.unwrap() });
            }
            set.join_all().await.len()
        })
    }

    #[divan::bench]
    fn handwritten() -> usize {
        let w = &*WORLD;
        w.runtime.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..64 {
                let http = w.http.clone();
                let base = w.base.clone();
                let token = w.token.clone();
                set.spawn(async move { handwritten_get(&http, &base, &token, ID).await.unwrap() });
            }
            set.join_all().await.len()
        })
    }
}

/// The client side alone: build the request, check the status, decode the body.
mod client_side_no_io {
    use super::*;

    /// A transport that answers at once, so only the declared call's own work is measured.
    struct Instant;

    impl Graph for Instant {
        async fn send(&self, request: Request) -> Result<RawResponse, Error> {
            divan::black_box(&request);
            Ok(RawResponse::new(
                StatusCode::OK,
                HeaderMap::new(),
                BODY.into(),
            ))
        }
    }

    impl AndroidForWorkEnrollmentProfiles for Instant {}

    #[divan::bench]
    fn declared() -> AndroidForWorkEnrollmentProfile {
        futures_block_on(Instant.get_profile(divan::black_box(ID))).unwrap()
    }

    #[divan::bench]
    fn handwritten() -> AndroidForWorkEnrollmentProfile {
        let w = &*WORLD;
        let url = format!(
            "{}/beta/deviceManagement/androidForWorkEnrollmentProfiles/{}",
            w.base,
            utf8_percent_encode(divan::black_box(ID), SEGMENT)
        );
        let request = w
            .http
            .get(url)
            .bearer_auth(&w.token)
            .header("accept", "application/json")
            .header("client-request-id", uuid::Uuid::new_v4().to_string())
            .header("SdkVersion", "graph-rust-beta/0.1.0")
            .header("user-agent", "graph-endpoint/0.1.0")
            .build()
            .unwrap();
        divan::black_box(&request);
        let status = StatusCode::OK;
        assert_eq!(status, StatusCode::OK);
        let body = bytes::Bytes::from_static(BODY.as_bytes());
        serde_json::from_slice(&body).unwrap()
    }

    /// Polls a future that never waits (the instant transport) to completion.
    fn futures_block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }
}
