//! The load run of `tests/load.rs`, in release mode, reporting its numbers:
//! 10,000 declared calls at 64 in flight against the local stand-in with about
//! a tenth of the answers injected as 429 or 503.
//!
//! ```text
//! cargo bench --bench load
//! ```

use graph_endpoint_suite::load;

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let before = load::peak_rss_kib();
    let report = runtime.block_on(load::run(10_000, 64));
    let share = report.faults_injected as f64 / report.server_requests as f64;
    println!(
        "load: {} calls, 64 in flight, stand-in latency 5 ms",
        report.calls
    );
    println!("  succeeded           {}", report.succeeded);
    println!("  failed after retries {}", report.exhausted);
    println!(
        "  requests at server  {} (= attempts made: {})",
        report.server_requests, report.attempts
    );
    println!(
        "  faults injected     {} ({:.1}% of answers)",
        report.faults_injected,
        share * 100.0
    );
    println!("  max in flight       {} (limit 64)", report.max_in_flight);
    println!(
        "  elapsed             {:.2} s",
        report.elapsed.as_secs_f64()
    );
    println!(
        "  throughput          {:.0} calls/s",
        report.calls as f64 / report.elapsed.as_secs_f64()
    );
    println!(
        "  peak RSS            {} KiB (before the run: {} KiB)",
        report.peak_rss_kib.unwrap_or_default(),
        before.unwrap_or_default()
    );
    assert_eq!(report.server_requests, report.attempts);
    assert!(report.max_in_flight <= 64);
}
