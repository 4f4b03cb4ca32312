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

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

mod support;

use support::wire::{Caller, VARIANTS, serve};

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
