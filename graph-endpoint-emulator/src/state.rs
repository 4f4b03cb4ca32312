//! What the stand-in holds while it runs, shared by every request of both
//! listeners, and the choice of the fault a request gets.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize};

use crate::faults::{Fault, Injection, draw};
use crate::graph::GraphState;
use crate::identity::Identity;
use crate::lock::lock;
use crate::recorded::RecordedRequest;

/// The state behind both listeners.
pub struct Shared {
    /// The Graph resources.
    pub graph: GraphState,
    pub injections: Mutex<Vec<Injection>>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub counter: AtomicU64,
    pub injected: AtomicU64,
    pub injected_rules: AtomicU64,
    pub counted_before_clear: AtomicU64,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub seed: u64,
    pub latency: std::time::Duration,
    pub record: bool,
    /// The identity platform: sign-ins, and the tokens Graph accepts.
    pub identity: Identity,
    /// The storage host's state: report zips, blobs, upload sessions.
    pub storage: std::sync::Arc<crate::storage::Storage>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("base_url", &self.graph.base_url)
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
