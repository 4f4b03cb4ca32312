//! Bulk work against a limit the client is not told: how close to the least
//! time the limit allows a job gets, and how many 429s it meets on the way,
//! next to the same job run as SDK users run one today.
//!
//! ```text
//! cargo bench --bench bulk           # 10/s to 500/s, with and without Retry-After
//! cargo bench --bench bulk -- quick  # 100/s (2,000 calls) and 500/s only
//! cargo bench --bench bulk -- whole  # Retry-After in whole seconds instead
//! ```
//!
//! The stand-in runs in a process of its own (`src/bin/serve-throttled.rs`,
//! a fresh one for each run), throttling the `/groups` family at the rate
//! given (a token bucket holding one second's worth), its 429s without
//! `Retry-After`, with the exact wait, or with that wait rounded up to whole
//! seconds (`whole`). The client, in this process, reads
//! one group over and over (`GET /v1.0/groups/{id}`):
//!
//! - **bulk**: `graph.bulk(calls)` on a client with the defaults (64 calls in
//!   flight; the rate found and held by the client);
//! - **sdk-style**: 64 tasks sharing the calls on a client with the defaults
//!   and no bulk job, as code on Graph's SDKs runs one: every call sent at
//!   once, a 429 retried after `Retry-After` or a backoff of 3 s doubling, at
//!   most 3 retries.
//!
//! The least time is `(calls - limit) / limit`: a full bucket at once, then
//! the limit each second. 429s are counted by the stand-in.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_endpoint::{Error, Graph, GraphClient, graph_action};
use serde_json::Value;

pub trait Groups: Graph {
    #[graph_action(GET, "/groups/<id>", expect = 200)]
    async fn get_group(&self, id: &str) -> Result<Value, Error>;
}

impl Groups for GraphClient {}

/// The stand-in in a process of its own.
struct Server {
    child: Child,
    base_url: String,
    group: String,
}

impl Server {
    fn start(per_second: u32, retry_after: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_serve-throttled"))
            .args([per_second.to_string().as_str(), retry_after])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the stand-in starts");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("piped"))
            .read_line(&mut line)
            .expect("the stand-in prints its address");
        let (base_url, group) = line.trim().split_once(' ').expect("URL and group id");
        Server {
            base_url: base_url.to_owned(),
            group: group.to_owned(),
            child,
        }
    }

    /// Stops the stand-in: the requests it admitted and throttled.
    fn stop(mut self) -> (u64, u64) {
        drop(self.child.stdin.take());
        let mut line = String::new();
        BufReader::new(self.child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the stand-in prints its counts");
        let _ = self.child.wait();
        let mut counts = line.split_whitespace().map(|n| n.parse().unwrap_or(0));
        (counts.next().unwrap_or(0), counts.next().unwrap_or(0))
    }
}

/// One run's outcome.
struct Run {
    elapsed: Duration,
    failed: usize,
    throttled: u64,
}

fn client(server: &Server) -> GraphClient {
    GraphClient::builder()
        .base_url(&server.base_url)
        .token(graph_endpoint_emulator::DEFAULT_TOKEN)
        .build()
        .expect("a loopback client builds")
}

async fn bulk(server: &Server, calls: usize) -> Run {
    let graph = client(server);
    let started = Instant::now();
    let (_, summary) = graph
        .bulk((0..calls).map(|_| graph.get_group(&server.group)))
        .run()
        .await;
    Run {
        elapsed: started.elapsed(),
        failed: summary.failed,
        throttled: 0,
    }
}

async fn sdk_style(server: &Server, calls: usize) -> Run {
    let graph = client(server);
    let group = Arc::new(server.group.clone());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (graph, group, next) = (graph.clone(), group.clone(), next.clone());
        workers.spawn(async move {
            let mut failed = 0;
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < calls {
                if graph.get_group(&group).await.is_err() {
                    failed += 1;
                }
            }
            failed
        });
    }
    let failed = workers.join_all().await.into_iter().sum();
    Run {
        elapsed: started.elapsed(),
        failed,
        throttled: 0,
    }
}

fn measure(per_second: u32, retry_after: &str, calls: usize, sdk: bool) -> Run {
    let server = Server::start(per_second, retry_after);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut run = runtime.block_on(async {
        if sdk {
            sdk_style(&server, calls).await
        } else {
            bulk(&server, calls).await
        }
    });
    drop(runtime);
    let (_, throttled) = server.stop();
    run.throttled = throttled;
    run
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "quick");
    // `omitted`, `exact` or `whole` among the arguments pick the kinds of
    // Retry-After to run; by default without one and with the exact wait.
    let mut hints: Vec<&str> = ["omitted", "exact", "whole"]
        .into_iter()
        .filter(|hint| args.iter().any(|a| a == hint))
        .collect();
    if hints.is_empty() {
        hints = vec!["omitted", "exact"];
    }
    let cases: &[(u32, usize)] = if quick {
        &[(100, 2_000), (500, 10_000)]
    } else {
        &[(10, 1_000), (20, 2_000), (100, 10_000), (500, 10_000)]
    };
    println!(
        "| limit | Retry-After | calls | least time | bulk: time | bulk: 429s | bulk: failed | sdk-style: time | sdk-style: 429s | sdk-style: failed |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &(per_second, calls) in cases {
        for &retry_after in &hints {
            let least = (calls as f64 - f64::from(per_second)) / f64::from(per_second);
            let bulk = measure(per_second, retry_after, calls, false);
            let sdk = measure(per_second, retry_after, calls, true);
            let cell = |run: &Run| {
                format!(
                    "{:.1} s ({:.2}x) | {} ({:.1}%) | {}",
                    run.elapsed.as_secs_f64(),
                    run.elapsed.as_secs_f64() / least,
                    run.throttled,
                    100.0 * run.throttled as f64 / calls as f64,
                    run.failed
                )
            };
            println!(
                "| {per_second}/s | {retry_after} | {calls} | {least:.1} s | {} | {} |",
                cell(&bulk),
                cell(&sdk)
            );
            std::io::stdout().flush().ok();
        }
    }
}
