//! Runs the local Graph stand-in as a process of its own: prints its base URL
//! as the first line of standard output, then serves until standard input
//! closes (or ten minutes pass, so a forgotten one still ends by itself).
//!
//! Tests use it to watch the stand-in from outside, for instance its CPU time
//! while it runs under a lowered file-descriptor limit.

use std::io::Write;
use std::time::Duration;

use graph_endpoint_emulator::Emulator;

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let emulator = Emulator::builder().record_requests(false).start().await?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", emulator.base_url())?;
        stdout.flush()?;
        drop(stdout);
        let (closed, stdin_closed) = tokio::sync::oneshot::channel();
        // A plain thread, not spawn_blocking: the runtime would wait for a
        // blocking task on shutdown, and this one only ends with stdin.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = closed.send(());
        });
        let _ = tokio::time::timeout(Duration::from_secs(600), stdin_closed).await;
        drop(emulator);
        Ok(())
    })
}
