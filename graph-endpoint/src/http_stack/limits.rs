//! Client-wide limits shared by every clone of a client: requests in flight,
//! and an optional request rate.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Caps the requests in flight across all clones of a client.
#[derive(Debug, Clone)]
pub(crate) struct InFlight(Option<Arc<Semaphore>>);

impl InFlight {
    pub(crate) fn new(limit: Option<usize>) -> InFlight {
        InFlight(limit.map(|n| Arc::new(Semaphore::new(n.max(1)))))
    }

    /// Waits for a free place; the place is given back when the permit drops.
    pub(crate) async fn enter(&self) -> Option<OwnedSemaphorePermit> {
        match &self.0 {
            // The semaphore is never closed, so acquiring cannot fail.
            Some(semaphore) => semaphore.clone().acquire_owned().await.ok(),
            None => None,
        }
    }
}

/// Spaces requests so that no more than `requests` start in any `per` window
/// on average, allowing a burst of `requests` (a token bucket in GCRA form).
#[derive(Debug, Clone)]
pub(crate) struct RateLimit(Option<Arc<RateState>>);

#[derive(Debug)]
pub(crate) struct RateState {
    interval: Duration,
    burst: Duration,
    /// The theoretical arrival time of the next request.
    next: Mutex<Option<Instant>>,
}

impl RateLimit {
    pub(crate) fn new(limit: Option<(u32, Duration)>) -> RateLimit {
        RateLimit(limit.map(|(requests, per)| {
            let requests = requests.max(1);
            let interval = per / requests;
            Arc::new(RateState {
                interval,
                burst: interval * (requests - 1),
                next: Mutex::new(None),
            })
        }))
    }

    /// Waits until this request may start.
    pub(crate) async fn wait(&self) {
        let Some(state) = &self.0 else { return };
        let start = {
            let mut next = state.next.lock().await;
            let now = Instant::now();
            let tat = next.map_or(now, |t| t.max(now));
            // Allowed as soon as the bucket has room: tat - burst.
            let allowed_at = tat.checked_sub(state.burst).unwrap_or(now).max(now);
            *next = Some(tat + state.interval);
            allowed_at
        };
        tokio::time::sleep_until(start).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_rate_limit_spaces_requests_after_a_burst() {
        let limit = RateLimit::new(Some((5, Duration::from_secs(1))));
        let started = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..12 {
            limit.wait().await;
            starts.push(started.elapsed());
        }
        // A burst of five, then one every 200 ms.
        assert!(
            starts[..5].iter().all(|s| *s == Duration::ZERO),
            "{starts:?}"
        );
        assert_eq!(starts[5], Duration::from_millis(200));
        assert_eq!(starts[11], Duration::from_millis(1400));
    }

    #[tokio::test]
    async fn in_flight_places_are_given_back() {
        let limit = InFlight::new(Some(2));
        let a = limit.enter().await;
        let _b = limit.enter().await;
        assert!(
            tokio::time::timeout(Duration::from_millis(20), limit.enter())
                .await
                .is_err()
        );
        drop(a);
        assert!(limit.enter().await.is_some());
    }
}
