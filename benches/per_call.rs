//! What a declared call costs next to the same request written by hand with
//! reqwest, with the stand-in in the same process: over loopback HTTP (one at
//! a time, and 64 in flight), as interleaved pairs of rounds. The figures a
//! user sees, with the server in a process of its own, are
//! `per_call_process`'s; allocations per call are `per_call_allocations`'.
//!
//! ```text
//! cargo bench --bench per_call
//! ```
//!
//! Both variants send the same request (method, URL, `Authorization`,
//! `Accept`, a fresh `client-request-id`, `SdkVersion`, `User-Agent`) to the
//! same local stand-in, check the status and decode the same JSON into the
//! same type.

use std::future::IntoFuture;
use std::sync::LazyLock;

use graph_endpoint::http::StatusCode;
use graph_endpoint::{Call, Endpoint, Error, GraphClient, Request};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_emulator::{Emulator, Fault, Injection};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

const ID: &str = "6a6b1c0e-9b0e-4f3c-a2e8-0d8c5f1e7a11";
const BODY: &str = r##"{"@odata.type":"#microsoft.graph.androidForWorkEnrollmentProfile","id":"6a6b1c0e-9b0e-4f3c-a2e8-0d8c5f1e7a11","accountId":"0b0c1d2e-0000-4000-8000-000000000001","displayName":"Kiosk","description":"Warehouse","createdDateTime":"2026-11-29T10:00:00Z","lastModifiedDateTime":"2026-11-29T10:00:00Z","tokenValue":null,"tokenExpirationDateTime":"0001-01-01T00:00:00Z","enrolledDeviceCount":0,"qrCodeContent":null,"qrCodeImage":null}"##;

struct World {
    /// Runs the calls under test: one thread, so that the client's own work
    /// is what differs between the variants, not where tasks get scheduled.
    runtime: tokio::runtime::Runtime,
    /// Runs the stand-in on a thread of its own, apart from the client.
    _server_runtime: tokio::runtime::Runtime,
    base: String,
    token: String,
    declared: GraphClient,
    /// Declared, without the per-attempt timeout the hand-written call lacks too.
    declared_without_timeout: GraphClient,
    http: reqwest::Client,
    /// A second hand-written client, for the harness's A/A row.
    http_second: reqwest::Client,
    /// The same, with the 100 s timeout the default declared client has per attempt.
    http_with_timeout: reqwest::Client,
    _emulator: Emulator,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("stand-in")
        .enable_all()
        .build()
        .unwrap();
    let emulator = server_runtime.block_on(async {
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let builder = || {
        GraphClient::builder()
            .base_url(emulator.base_url())
            .token(emulator.token())
    };
    World {
        base: emulator.base_url().to_owned(),
        token: emulator.token(),
        declared: builder().build().unwrap(),
        declared_without_timeout: builder().no_attempt_timeout().build().unwrap(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        http_second: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        http_with_timeout: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(100))
            .build()
            .unwrap(),
        runtime,
        _server_runtime: server_runtime,
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
    // One variant alone, for a profiler: `PER_CALL_PROFILE=declared perf record ...`.
    if let Ok(variant) = std::env::var("PER_CALL_PROFILE") {
        return profile_one(&variant);
    }
    interleaved_ratios();
}

/// 50,000 sequential calls of one variant and nothing else (or
/// `PER_CALL_PROFILE_CALLS`), with the wall time and the calling thread's CPU
/// time per call.
fn profile_one(variant: &str) {
    let w = &*WORLD;
    // Either a declared client, or the reqwest client of a hand-written call.
    let client = match variant {
        "declared" => Ok(&w.declared),
        "declared-no-attempt-timeout" => Ok(&w.declared_without_timeout),
        "handwritten" => Err(&w.http),
        "handwritten-with-timeout" => Err(&w.http_with_timeout),
        other => panic!(
            "PER_CALL_PROFILE is `declared`, `declared-no-attempt-timeout`, `handwritten` \
             or `handwritten-with-timeout`, not `{other}`"
        ),
    };
    // PER_CALL_PROFILE_CALLS sets how many (a profiler such as callgrind
    // wants fewer).
    let calls: u32 = std::env::var("PER_CALL_PROFILE_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let cpu_before = thread_cpu_ns();
    let started = std::time::Instant::now();
    w.runtime.block_on(async {
        for _ in 0..calls {
            match client {
                Ok(graph) => drop(graph.get_profile(ID).await.unwrap()),
                Err(http) => drop(handwritten_get(http, &w.base, &w.token, ID).await.unwrap()),
            }
        }
    });
    let wall = started.elapsed();
    let cpu = thread_cpu_ns()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    println!(
        "{variant}: {calls} calls, {:.1} µs wall per call, {} client-thread CPU per call",
        wall.as_secs_f64() * 1e6 / f64::from(calls),
        cpu.map_or("unknown".to_owned(), |ns| format!(
            "{:.2} µs",
            ns as f64 / 1e3 / f64::from(calls)
        ))
    );
}

/// CPU time of the calling thread in ns, from the scheduler's own account
/// (`/proc/thread-self/schedstat`, Linux); `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The endpoint `get_profile` declares, for the rows that call
/// `GraphClient::execute` without the declared method around it.
static GET_PROFILE: Endpoint = graph_endpoint::__private::endpoint(
    "get_profile",
    graph_endpoint::__private::Method::Get,
    "/deviceManagement/androidForWorkEnrollmentProfiles/<id>",
    &[200],
    Some(graph_endpoint::ApiVersion::Beta),
    &[],
    &[],
);

/// The request `get_profile(ID)` builds, built the same way.
fn get_profile_request() -> Request {
    let mut request = graph_endpoint::__private::RequestBuilder::new(&GET_PROFILE);
    request.literal("/deviceManagement/androidForWorkEnrollmentProfiles/");
    request.value("id", &ID);
    request.finish().unwrap()
}

/// `get_profile(ID)` through `GraphClient::execute` alone (no attempt timer):
/// the transport without the declared method around it.
async fn execute_and_decode() -> Result<(), Error> {
    let response = WORLD
        .declared_without_timeout
        .execute(get_profile_request())
        .await?;
    let _: AndroidForWorkEnrollmentProfile = serde_json::from_slice(response.body()).unwrap();
    Ok(())
}

/// 200 calls one at a time, interleaved with as many hand-written ones.
fn sequential<T, E: std::fmt::Debug, F: IntoFuture<Output = Result<T, E>>>(
    label: &str,
    http: &reqwest::Client,
    declared_call: impl Fn() -> F,
) {
    let w = &*WORLD;
    interleave(&format!("sequential, {label}"), 200, |declared| {
        w.runtime.block_on(async {
            for _ in 0..200 {
                if declared {
                    declared_call().await.unwrap();
                } else {
                    handwritten_get(http, &w.base, &w.token, ID).await.unwrap();
                }
            }
        })
    })
}

/// Declared and hand-written calls alternate in rounds, so drift in a noisy
/// machine hits both alike.
fn interleaved_ratios() {
    let w = &*WORLD;
    // The harness itself: the hand-written call against itself, through a
    // second client of its own, should read 1.00 give or take the noise.
    sequential("A/A: hand-written through a second client", &w.http, || {
        handwritten_get(&w.http_second, &w.base, &w.token, ID)
    });
    // Where the time goes, layer by layer (all without the attempt timer):
    // the transport alone awaited in place, then boxed as a `Call` is.
    sequential("GraphClient::execute in place", &w.http, execute_and_decode);
    sequential("GraphClient::execute boxed in a Call", &w.http, || {
        Call::new(execute_and_decode())
    });
    // What the 100 s timer alone costs each side, one call at a time: the
    // declared default client against the declared client without it, and
    // reqwest's timeout against none (here "declared" is the timed side).
    interleave("sequential, timer cost, declared", 200, |timed| {
        let graph = if timed {
            &w.declared
        } else {
            &w.declared_without_timeout
        };
        w.runtime.block_on(async {
            for _ in 0..200 {
                graph.get_profile(ID).await.unwrap();
            }
        })
    });
    sequential("timer cost, hand-written", &w.http, || {
        handwritten_get(&w.http_with_timeout, &w.base, &w.token, ID)
    });
    // Each declared client against a hand-written one with the same timers:
    // none, or a 100 s timeout on the request.
    for (label, declared_client, http) in [
        (
            "declared without attempt timeout vs hand-written without timeout",
            &w.declared_without_timeout,
            &w.http,
        ),
        (
            "declared default client vs hand-written with a 100 s timeout",
            &w.declared,
            &w.http_with_timeout,
        ),
    ] {
        sequential(label, http, || declared_client.get_profile(ID));
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
                                (http.clone(), w.base.clone(), w.token.clone());
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

/// Runs `round(true)` (declared) and `round(false)` (hand-written) in
/// adjacent pairs, alternating which goes first, and prints the per-call
/// times, the ratio of the summed times, and the median and quartiles of the
/// per-pair ratios (a pair shares the machine's state of the moment, so its
/// ratio is little moved by drift). `calls_per_round` is how many calls one
/// `round` makes.
fn interleave(label: &str, calls_per_round: u32, round: impl Fn(bool)) {
    use std::time::{Duration, Instant};
    const PAIRS: usize = 100;
    let timed = |declared: bool| {
        let started = Instant::now();
        round(declared);
        started.elapsed()
    };
    // One unmeasured pair warms both connection pools.
    timed(true);
    timed(false);
    let (mut declared, mut handwritten) = (Duration::ZERO, Duration::ZERO);
    let mut ratios = Vec::with_capacity(PAIRS);
    for n in 0..PAIRS {
        let (d, h) = if n % 2 == 0 {
            let d = timed(true);
            (d, timed(false))
        } else {
            let h = timed(false);
            (timed(true), h)
        };
        declared += d;
        handwritten += h;
        ratios.push(d.as_secs_f64() / h.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let quartile = |q: usize| ratios[(PAIRS - 1) * q / 4];
    let calls = (PAIRS as u32 * calls_per_round) as f64;
    println!(
        "{label}, {PAIRS} pairs of {calls_per_round} calls: declared {:.1} µs, hand-written {:.1} µs per call; \
         ratio of sums {:.3}; per-pair ratio median {:.3} (quartiles {:.3}..{:.3})",
        declared.as_secs_f64() * 1e6 / calls,
        handwritten.as_secs_f64() * 1e6 / calls,
        declared.as_secs_f64() / handwritten.as_secs_f64(),
        quartile(2),
        quartile(1),
        quartile(3),
    );
}
