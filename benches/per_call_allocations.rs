//! Allocations and bytes allocated per call, and the size of what a call
//! boxes, for each client variant of `per_call_process`: the server in a
//! process of its own, the client counted in this one.
//!
//! ```text
//! cargo bench --bench per_call_allocations
//! ```

use std::alloc::System;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use graph_endpoint::GraphClient;
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

mod support;

use support::wire::{Caller, ID, VARIANTS, serve};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CALLS: usize = 2000;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        serve();
    }
    let mut server = Command::new(std::env::current_exe().unwrap())
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut address = String::new();
    BufReader::new(server.stdout.as_mut().unwrap())
        .read_line(&mut address)
        .unwrap();
    let base = format!("http://{}", address.trim());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    println!("per call, sequential, {CALLS} calls after a warm-up (client process only):");
    for variant in VARIANTS {
        let caller = Caller::new(variant, &base);
        let (allocations, bytes) = runtime.block_on(async {
            for _ in 0..64 {
                caller.call().await;
            }
            let region = Region::new(GLOBAL);
            for _ in 0..CALLS {
                caller.call().await;
            }
            let change = region.change();
            (change.allocations, change.bytes_allocated)
        });
        println!(
            "  {variant:<30} {:>6.1} allocations  {:>8.0} bytes",
            allocations as f64 / CALLS as f64,
            bytes as f64 / CALLS as f64
        );
    }

    // The one box a declared call makes: the transport's future.
    let graph = GraphClient::builder()
        .base_url(&base)
        .token("t")
        .build()
        .unwrap();
    let call = graph.revoke_token(ID);
    if let Some(request) = call.request().cloned() {
        let future = graph.execute(request);
        println!(
            "\nboxed per declared call: the transport's future, {} bytes",
            std::mem::size_of_val(&future)
        );
    }
    drop(server.stdin.take());
    let _ = server.wait();
}
