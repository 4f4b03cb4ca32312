//! Per call, as a user measures it: the server in a process of its own, the
//! client in another, both pinned to one core; instructions counted by
//! callgrind, wall time by the clock.
//!
//! ```text
//! cargo bench --bench per_call_process            # every figure (needs taskset and valgrind)
//! cargo bench --bench per_call_process -- quick   # wall time only, fewer calls
//! ```
//!
//! The floor is reqwest alone, with this crate's features, sending what a
//! declared `revokeToken` sends: `POST .../revokeToken` with `Authorization`,
//! `Accept`, `Content-Length: 0` and a fresh `client-request-id`, and checking
//! the 204. The server is a minimal hyper server answering 204 to everything,
//! so that the figures are the client's.
//!
//! This one file is three programs: the orchestrator (no arguments), the
//! server (`serve`), and the client (`client VARIANT MODE N ADDRESS`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use graph_endpoint::models::AndroidForWorkEnrollmentProfiles;
use graph_endpoint::{GraphClient, http};

const ID: &str = "6a6b1c0e-9b0e-4f3c-a2e8-0d8c5f1e7a11";
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.bench.token";
const BEARER: &str = "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.bench.token";

/// The client variants, in the order the tables show them.
const VARIANTS: [&str; 4] = [
    "floor",
    "floor-preparsed-url",
    "declared",
    "declared-no-attempt-timeout",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some("client") => client(&args[1..]),
        Some("quick") => orchestrate(false),
        // `cargo bench` passes `--bench`.
        _ => orchestrate(true),
    }
}

// ---------------------------------------------------------------------------
// The server: hyper, 204 to everything, keep-alive, on 127.0.0.1.
// ---------------------------------------------------------------------------

fn serve() {
    use http_body_util::Empty;
    use hyper::body::Bytes;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        std::io::stdout().flush().unwrap();
        // Ends when the orchestrator closes standard input, or after ten minutes.
        let stop = tokio::task::spawn_blocking(|| {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        });
        let accept = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = service_fn(|_request| async {
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder()
                                .status(204)
                                .header("request-id", "00000000-0000-4000-8000-000000000000")
                                .body(Empty::<Bytes>::new())
                                .unwrap(),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        };
        tokio::select! {
            _ = stop => {}
            _ = accept => {}
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
        }
    });
    std::process::exit(0);
}

// ---------------------------------------------------------------------------
// The client: one variant, `n` calls, sequential or 64 in flight.
// ---------------------------------------------------------------------------

enum Caller {
    /// reqwest alone, the URL made from the id on each call, as code written
    /// by hand does.
    Floor {
        http: reqwest::Client,
        base: String,
    },
    /// reqwest alone, with one URL parsed once and reused: below any client
    /// that takes the id per call.
    FloorPreparsed {
        http: reqwest::Client,
        url: reqwest::Url,
    },
    Declared(GraphClient),
}

fn floor_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The request both floors send, and the check of its answer.
async fn floor_call(http: &reqwest::Client, url: impl reqwest::IntoUrl) {
    let response = http
        .post(url)
        .header(http::header::AUTHORIZATION, BEARER)
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::CONTENT_LENGTH, "0")
        .header(
            "client-request-id",
            uuid::Uuid::new_v4().hyphenated().to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let _ = response.bytes().await.unwrap();
}

impl Caller {
    fn new(variant: &str, base: &str) -> Caller {
        match variant {
            "floor" => Caller::Floor {
                http: floor_client(),
                base: base.to_owned(),
            },
            "floor-preparsed-url" => Caller::FloorPreparsed {
                http: floor_client(),
                url: reqwest::Url::parse(&format!(
                    "{base}/beta/deviceManagement/androidForWorkEnrollmentProfiles/{ID}/revokeToken"
                ))
                .unwrap(),
            },
            "declared" => Caller::Declared(
                GraphClient::builder()
                    .base_url(base)
                    .token(TOKEN)
                    .build()
                    .unwrap(),
            ),
            "declared-no-attempt-timeout" => Caller::Declared(
                GraphClient::builder()
                    .base_url(base)
                    .token(TOKEN)
                    .no_attempt_timeout()
                    .build()
                    .unwrap(),
            ),
            other => panic!("unknown variant {other}"),
        }
    }

    async fn call(&self) {
        match self {
            Caller::Floor { http, base } => {
                let id = std::hint::black_box(ID);
                let url = format!(
                    "{base}/beta/deviceManagement/androidForWorkEnrollmentProfiles/{id}/revokeToken"
                );
                floor_call(http, url.as_str()).await;
            }
            Caller::FloorPreparsed { http, url } => floor_call(http, url.clone()).await,
            Caller::Declared(graph) => graph.revoke_token(std::hint::black_box(ID)).await.unwrap(),
        }
    }
}

fn client(args: &[String]) {
    let [variant, mode, n, address] = args else {
        panic!("client VARIANT sequential|concurrent N ADDRESS");
    };
    let n: usize = n.parse().unwrap();
    let base = format!("http://{address}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let caller = std::sync::Arc::new(Caller::new(variant, &base));
    let elapsed = runtime.block_on(async {
        // Warm the connection pool first, outside the measured calls.
        for _ in 0..64 {
            caller.call().await;
        }
        let started = Instant::now();
        match mode.as_str() {
            "sequential" => {
                for _ in 0..n {
                    caller.call().await;
                }
            }
            "concurrent" => {
                let mut tasks = tokio::task::JoinSet::new();
                for worker in 0..64 {
                    let caller = caller.clone();
                    let share = n / 64 + usize::from(worker < n % 64);
                    tasks.spawn(async move {
                        for _ in 0..share {
                            caller.call().await;
                        }
                    });
                }
                while let Some(done) = tasks.join_next().await {
                    done.unwrap();
                }
            }
            other => panic!("unknown mode {other}"),
        }
        started.elapsed()
    });
    println!("{}", elapsed.as_nanos());
}

// ---------------------------------------------------------------------------
// The orchestrator.
// ---------------------------------------------------------------------------

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(pinned: bool) -> Server {
        let exe = std::env::current_exe().unwrap();
        let mut command = pinned_command(pinned, &exe);
        command
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = command.spawn().expect("the server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        Server {
            child,
            address: line.trim().to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// `taskset -c 0 PROGRAM` when pinning (and taskset exists), else `PROGRAM`.
fn pinned_command(pinned: bool, program: &std::path::Path) -> Command {
    if pinned && has("taskset") {
        let mut command = Command::new("taskset");
        command.arg("-c").arg("0").arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn has(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Nanoseconds for `n` calls of `variant` in `mode`.
fn run_client(variant: &str, mode: &str, n: usize, server: &Server, pinned: bool) -> u128 {
    let exe = std::env::current_exe().unwrap();
    let output = pinned_command(pinned, &exe)
        .args(["client", variant, mode, &n.to_string(), &server.address])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

/// Instructions callgrind counts for the client process making `n` calls.
fn instructions(variant: &str, n: usize, server: &Server) -> u64 {
    let exe = std::env::current_exe().unwrap();
    let out = std::env::temp_dir().join(format!(
        "graph-endpoint-callgrind-{variant}-{n}-{}.out",
        std::process::id()
    ));
    let output = Command::new("taskset")
        .args(["-c", "0", "valgrind", "--tool=callgrind"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&exe)
        .args([
            "client",
            variant,
            "sequential",
            &n.to_string(),
            &server.address,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    text.lines()
        .find_map(|line| line.strip_prefix("summary: "))
        .or_else(|| text.lines().find_map(|line| line.strip_prefix("totals: ")))
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("callgrind's summary line")
}

fn orchestrate(full: bool) {
    let pinned = has("taskset");
    let server = Server::start(pinned);
    println!(
        "per call against a separate server process on {} ({})",
        server.address,
        if pinned {
            "server and client pinned to core 0"
        } else {
            "taskset missing: not pinned"
        }
    );

    if full && has("valgrind") {
        println!(
            "\nclient instructions per call (callgrind, (N=2000 - N=200) / 1800, sequential):"
        );
        let floor = per_call_instructions("floor", &server);
        for variant in VARIANTS {
            let count = if variant == "floor" {
                floor
            } else {
                per_call_instructions(variant, &server)
            };
            println!("  {variant:<30} {count:>9.0}  {:.3}x", count / floor);
        }
    }

    let (rounds, n) = if full { (7, 2000) } else { (3, 500) };
    for mode in ["sequential", "concurrent"] {
        // Rounds interleave the variants, so drift in the machine's speed
        // falls on all of them alike; the median round is reported.
        let mut per_variant: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
        for _ in 0..rounds {
            for (i, variant) in VARIANTS.iter().enumerate() {
                let nanos = run_client(variant, mode, n, &server, pinned);
                per_variant[i].push(nanos as f64 / n as f64);
            }
        }
        let medians: Vec<f64> = per_variant
            .iter_mut()
            .map(|v| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            })
            .collect();
        match mode {
            "sequential" => println!(
                "\nsequential, µs per call (median of {rounds} interleaved rounds of {n}):"
            ),
            _ => println!(
                "\n64 in flight, calls per second (median of {rounds} interleaved rounds of {n}):"
            ),
        }
        for (i, variant) in VARIANTS.iter().enumerate() {
            let (value, ratio) = match mode {
                "sequential" => (medians[i] / 1000.0, medians[i] / medians[0]),
                _ => (1e9 / medians[i], medians[0] / medians[i]),
            };
            println!("  {variant:<30} {value:>9.1}  {ratio:.3}x");
        }
    }
}

fn per_call_instructions(variant: &str, server: &Server) -> f64 {
    let small = instructions(variant, 200, server);
    let large = instructions(variant, 2000, server);
    (large.saturating_sub(small)) as f64 / 1800.0
}
