//! Time that moves only when a test moves it, so that no test depends on how
//! fast the machine is.
//!
//! A test runs on a current-thread runtime started paused
//! (`#[tokio::test(start_paused = true)]`) and holds the clock with
//! [`HeldClock::hold`]: from then on tokio's clock does not jump ahead by
//! itself while the test waits for I/O (a paused clock otherwise advances
//! to the next timer whenever the runtime is idle, which fires timeouts
//! while a loopback answer is on its way). Timers fire only when the test
//! calls [`HeldClock::advance`]; everything else is awaited as an event
//! ([`wait_for`]).
#![allow(dead_code)]

use std::time::Duration;

/// While it lives, the paused clock moves only through [`HeldClock::advance`].
pub struct HeldClock {
    /// Dropping it ends the blocking task that holds the clock.
    _release: std::sync::mpsc::Sender<()>,
}

impl HeldClock {
    /// Holds the clock of the current (paused, current-thread) runtime.
    ///
    /// Tokio does not auto-advance a paused clock while a `spawn_blocking`
    /// task is in progress (the documented way to wait for I/O with the
    /// clock stopped); this keeps one in progress until the value is dropped.
    pub fn hold() -> HeldClock {
        assert_paused();
        let (release, held) = std::sync::mpsc::channel::<()>();
        drop(tokio::task::spawn_blocking(move || {
            // Returns when the sender is dropped.
            let _ = held.recv();
        }));
        HeldClock { _release: release }
    }

    /// Moves the clock forward: every timer due by then fires.
    pub async fn advance(&self, by: Duration) {
        tokio::time::advance(by).await;
        // Let the tasks whose timers fired run before the test looks.
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
    }

    /// How far the clock has moved since `since`.
    pub fn since(&self, since: tokio::time::Instant) -> Duration {
        tokio::time::Instant::now() - since
    }
}

fn assert_paused() {
    let before = tokio::time::Instant::now();
    std::thread::sleep(Duration::from_millis(1));
    assert_eq!(
        tokio::time::Instant::now(),
        before,
        "the runtime must start paused: #[tokio::test(start_paused = true)]"
    );
}

/// Waits until `done()` holds, letting the runtime do its I/O, without
/// moving a held clock. Gives up (panics) after a minute of real time: a
/// guard against a test that would otherwise hang, far above any wait a
/// loopback exchange needs.
pub async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = std::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < give_up,
            "still waiting for {what} after a minute"
        );
        // A blocking pause, so that the held clock stays where it is.
        tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(1)))
            .await
            .unwrap();
    }
}

/// Gives what the runtime has under way a moment (real time, the clock
/// held) to show: before asserting that something has not happened yet.
/// A slow machine can only make such an assertion pass when it should
/// not, never fail when it should pass.
pub async fn settle() {
    for _ in 0..20 {
        tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(1)))
            .await
            .unwrap();
    }
}

/// The output of a spawned task, once it has finished (waited for as an
/// event, with [`wait_for`]'s guard against hanging).
pub async fn finished<T>(task: tokio::task::JoinHandle<T>) -> T {
    wait_for("the task to finish", || task.is_finished()).await;
    task.await.expect("the task did not panic")
}

/// The debug events traced on this thread (the test's and its tasks', on
/// a current-thread runtime), for waiting on what the client has done: the
/// runtime traces a retry just before it starts the wait it chose, so once
/// the event is seen, moving the clock moves that wait.
#[derive(Clone, Default)]
pub struct Traced(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Traced {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Traced {
    type Writer = Traced;
    fn make_writer(&'a self) -> Traced {
        self.clone()
    }
}

impl Traced {
    /// Starts capturing; capturing stops when the guard is dropped.
    pub fn capture() -> (Traced, tracing::subscriber::DefaultGuard) {
        let traced = Traced::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(traced.clone())
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .finish();
        (traced, tracing::subscriber::set_default(subscriber))
    }

    /// How many events said `message`.
    pub fn count(&self, message: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains(message))
            .count()
    }
}
