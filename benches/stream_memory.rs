//! Peak memory of streaming a large collection: 100,000 profiles from the
//! stand-in, read (1) as one page, (2) as a stream of items, one page held at
//! a time, and (3) collected into a `Vec`, for comparison.
//!
//! Each reading runs in a process of its own, so that its peak resident set
//! (`VmHWM`) is its own; the stand-in runs in another process, so its 100,000
//! stored profiles are not counted. Run with:
//!
//! ```text
//! cargo bench --bench stream_memory
//! ```
//!
//! Linux only (it reads `/proc/self/status`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use graph_endpoint::GraphClient;
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_emulator::Emulator;

const PROFILES: usize = 100_000;
const PAGE: u32 = 100;
const ROLE: &str = "GRAPH_ENDPOINT_BENCH_ROLE";

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("stand-in") => stand_in(),
        Ok(mode) => measure(mode),
        Err(_) => orchestrate(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The stand-in with 100,000 profiles; prints its URL, serves until stdin closes.
fn stand_in() {
    let runtime = runtime();
    runtime.block_on(async {
        let emulator = Emulator::builder()
            .profiles(PROFILES)
            .record_requests(false)
            .start()
            .await
            .expect("the stand-in starts");
        println!("{}", emulator.base_url());
        // Serve until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await
        .ok();
        drop(emulator);
    });
}

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// Reads the collection one way and prints `items peak_kib`.
fn measure(mode: &str) {
    let base_url = std::env::var("GRAPH_ENDPOINT_BENCH_URL").expect("the stand-in's URL");
    let runtime = runtime();
    let items = runtime.block_on(async {
        let graph = GraphClient::builder()
            .base_url(base_url)
            .token(graph_endpoint_emulator::DEFAULT_TOKEN)
            .build()
            .expect("a client");
        match mode {
            "first-page" => graph
                .profiles()
                .top(PAGE)
                .first_page()
                .await
                .expect("one page")
                .value
                .len(),
            "stream" => {
                let mut items = graph.profiles().top(PAGE).items();
                let mut count = 0;
                while let Some(profile) = items.try_next().await.expect("every page") {
                    // Touch each item so the work is not optimised away.
                    count += usize::from(profile.id().is_some());
                }
                count
            }
            "collect" => {
                let mut items = graph.profiles().top(PAGE).items();
                let mut all: Vec<AndroidForWorkEnrollmentProfile> = Vec::new();
                while let Some(profile) = items.try_next().await.expect("every page") {
                    all.push(profile);
                }
                all.len()
            }
            other => panic!("unknown mode {other}"),
        }
    });
    println!("{items} {}", peak_kib());
}

fn orchestrate() {
    let me = std::env::current_exe().expect("the bench binary");
    let mut stand_in = Command::new(&me)
        .env(ROLE, "stand-in")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the stand-in process starts");
    let mut url = String::new();
    BufReader::new(stand_in.stdout.take().expect("piped"))
        .read_line(&mut url)
        .expect("the stand-in prints its URL");
    let url = url.trim().to_owned();

    println!("stream_memory: {PROFILES} profiles from the stand-in, pages of {PAGE}");
    println!(
        "{:<12} {:>8} {:>14} {:>10}",
        "reading", "items", "peak RSS (KiB)", "vs 1 page"
    );
    let mut baseline = None;
    for mode in ["first-page", "stream", "collect"] {
        let output = Command::new(&me)
            .env(ROLE, mode)
            .env("GRAPH_ENDPOINT_BENCH_URL", &url)
            .output()
            .expect("the measuring process runs");
        assert!(
            output.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let mut fields = text
            .split_whitespace()
            .map(|f| f.parse::<u64>().expect("numbers"));
        let (items, peak) = (fields.next().unwrap(), fields.next().unwrap());
        let base = *baseline.get_or_insert(peak);
        println!(
            "{mode:<12} {items:>8} {peak:>14} {:>9.2}x",
            peak as f64 / base as f64
        );
    }
    drop(stand_in.stdin.take());
    let _ = stand_in.wait();
}
