//! Runs the local Graph stand-in as a process of its own, throttling one
//! service family (`/groups`, a family no client knows a limit for) at a
//! given rate, for benchmarks of how fast a client gets through a limit.
//!
//! ```text
//! serve-throttled PER_SECOND omitted|exact|whole
//! ```
//!
//! It serves one group, whose id it prints on the first line of standard
//! output after the base URL (`http://127.0.0.1:PORT GROUP_ID`). The family
//! admits `PER_SECOND` requests a second (its bucket holds one second's
//! worth), and its 429s carry no `Retry-After`, the exact wait in fractional
//! seconds, or that wait rounded up to whole seconds. When standard input
//! closes it prints the requests it admitted and throttled
//! (`ADMITTED THROTTLED`) and ends (or after an hour, so a forgotten one
//! still ends by itself).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use graph_endpoint_emulator::{Emulator, FamilyLimit, RetryAfterHint};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (per_second, hint) = match args.as_slice() {
        [rate, hint] => match (rate.parse::<u32>(), hint.as_str()) {
            (Ok(rate), "omitted") => (rate, RetryAfterHint::Omitted),
            (Ok(rate), "exact") => (rate, RetryAfterHint::Exact),
            (Ok(rate), "whole") => (rate, RetryAfterHint::WholeSeconds),
            _ => return usage(),
        },
        _ => return usage(),
    };
    match serve(per_second.max(1), hint) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("serve-throttled: {error}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: serve-throttled PER_SECOND omitted|exact|whole");
    ExitCode::FAILURE
}

fn serve(per_second: u32, hint: RetryAfterHint) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let emulator = Emulator::builder()
            .record_requests(false)
            .limit(
                FamilyLimit::new("groups", ["/groups"])
                    .any(per_second, Duration::from_secs(1))
                    .retry_after(hint),
            )
            .start()
            .await?;
        let group = emulator
            .insert_entity("groups", serde_json::json!({"displayName": "All devices"}))
            .and_then(|g| g["id"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{} {group}", emulator.base_url())?;
        stdout.flush()?;
        drop(stdout);
        let (closed, stdin_closed) = tokio::sync::oneshot::channel();
        // A plain thread, not spawn_blocking: the runtime would wait for a
        // blocking task on shutdown, and this one only ends with stdin.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = closed.send(());
        });
        let _ = tokio::time::timeout(Duration::from_secs(3600), stdin_closed).await;
        let (admitted, throttled) = emulator
            .limit_counts()
            .first()
            .map_or((0, 0), |c| (c.admitted, c.throttled));
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{admitted} {throttled}")?;
        stdout.flush()?;
        Ok(())
    })
}
