//! 10,000 calls at 64 in flight through declared endpoints, with about a tenth
//! of the answers injected as 429 or 503: every call ends right, the server
//! sees exactly the retries the policy allows, the in-flight limit holds, and
//! memory stays bounded. Loopback only; it stops by itself.

use graph_endpoint_suite::load;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_under_injected_throttling() {
    let report = load::run(10_000, 64).await;
    // Every call reached the server, under one client-request-id of its own.
    assert_eq!(report.calls_seen_by_server, 10_000);
    // Each call's outcome, as the answers on the wire tell it, is the one it
    // returned: a success after throttled attempts, or every allowed attempt
    // throttled; nothing else.
    assert_eq!(report.other_on_wire, 0);
    assert_eq!(
        report.answered_ok_on_wire + report.throttled_out_on_wire,
        10_000
    );
    assert_eq!(report.succeeded, report.answered_ok_on_wire);
    assert_eq!(report.exhausted, report.throttled_out_on_wire);
    // Each success is one answer the stand-in gave without a fault.
    assert_eq!(
        report.server_requests - report.faults_injected as usize,
        report.answered_ok_on_wire
    );
    // Every attempt the client made arrived, and nothing else.
    assert_eq!(report.server_requests, report.attempts);
    // Each failed attempt was an injected fault; each call's last attempt that succeeded was not.
    assert_eq!(
        report.faults_injected as usize,
        report.attempts - report.succeeded
    );
    // About a tenth of the answers were faults.
    let share = report.faults_injected as f64 / report.server_requests as f64;
    assert!((0.07..0.13).contains(&share), "fault share {share}");
    assert!(
        report.max_in_flight <= 64,
        "in flight {}",
        report.max_in_flight
    );
    assert!(
        report.max_in_flight >= 32,
        "the load really ran concurrently: {}",
        report.max_in_flight
    );
    let rss = report.peak_rss_kib.expect("/proc/self/status is readable");
    assert!(rss < 512 * 1024, "peak RSS {rss} KiB");
    println!(
        "calls {} ok {} exhausted {} requests {} faults {} max in flight {} elapsed {:?} peak RSS {} KiB",
        report.calls,
        report.succeeded,
        report.exhausted,
        report.server_requests,
        report.faults_injected,
        report.max_in_flight,
        report.elapsed,
        rss
    );
}
