//! What the stand-in holds while it runs, shared by every request of both
//! listeners, and the choice of the fault a request gets.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize};

use crate::faults::{Fault, Injection, draw};
use crate::graph::profiles::Store;
use crate::identity::App;
use crate::lock::lock;
use crate::recorded::RecordedRequest;

/// The state behind both listeners.
pub struct Shared {
    pub store: Mutex<Store>,
    pub entities: Mutex<crate::graph::entities::Entities>,
    pub injections: Mutex<Vec<Injection>>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub tokens: Mutex<Vec<String>>,
    pub counter: AtomicU64,
    pub injected: AtomicU64,
    pub injected_rules: AtomicU64,
    pub counted_before_clear: AtomicU64,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub base_url: String,
    pub page_size: usize,
    pub seed: u64,
    pub latency: std::time::Duration,
    pub record: bool,
    pub apps: Vec<App>,
    /// Public clients, device codes, authorization codes, refresh tokens.
    pub delegated: crate::identity::Delegated,
    pub token_lifetime: std::time::Duration,
    /// Tokens issued by the sign-in endpoint, with their expiry.
    pub issued: Mutex<std::collections::HashMap<String, tokio::time::Instant>>,
    pub token_requests: AtomicU64,
    /// The storage host's state: report zips, blobs, upload sessions.
    pub storage: crate::storage::Storage,
    /// Report export jobs.
    pub jobs: crate::graph::reports::Jobs,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The fault the `n`th request (`method`, raw `path`) gets: the first
/// injection that matches it, used up when it was for a number of requests.
pub(crate) fn pick_fault(shared: &Shared, n: u64, method: &str, path: &str) -> Option<Fault> {
    let mut injections = lock(&shared.injections);
    let index = injections.iter().position(|inj| {
        inj.matches(method, path)
            && inj.remaining != Some(0)
            && inj
                .rate
                .is_none_or(|ratio| draw(shared.seed ^ inj.salt, n) < ratio)
    })?;
    let injection = &mut injections[index];
    let fault = injection.fault.clone();
    if let Some(remaining) = &mut injection.remaining {
        *remaining -= 1;
        if *remaining == 0 {
            injections.remove(index);
        }
    }
    Some(fault)
}
