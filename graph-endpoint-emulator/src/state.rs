//! What the stand-in holds while it runs ([`Shared`]), shared by every
//! request, and the choice of the fault a request gets.

use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::faults::{Fault, Injection, draw};
use crate::graph::GraphState;
use crate::identity::Identity;
use crate::lock::lock;
use crate::recorded::RecordedRequest;
use crate::storage::Storage;

/// The state behind the Graph listener: each part's own state, and what the
/// listener keeps across requests (faults to inject, the requests it
/// received, counts). The storage host's listener is given `storage` alone.
pub struct Shared {
    /// The Graph resources.
    pub graph: GraphState,
    /// The identity platform: sign-ins, and the tokens Graph accepts.
    pub identity: Identity,
    /// The storage host's state: report zips, blobs, upload sessions.
    pub storage: Arc<Storage>,
    /// Faults to inject, tried in the order added.
    pub injections: Mutex<Vec<Injection>>,
    /// The seed of the sequence rate-based injections draw from.
    pub seed: u64,
    /// How many faults were injected.
    pub injected: AtomicU64,
    /// How many injections were added (each one's draws are salted with it).
    pub injected_rules: AtomicU64,
    /// Whether requests are kept in `requests`.
    pub record: bool,
    /// The requests received, in arrival order.
    pub requests: Mutex<Vec<RecordedRequest>>,
    /// How many requests arrived since the start.
    pub counter: AtomicU64,
    /// `counter` when the requests were last cleared.
    pub counted_before_clear: AtomicU64,
    /// Requests being handled now, and the most there were at one time.
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// How long every answer waits.
    pub latency: Duration,
    /// The service families it throttles.
    pub limits: crate::throttling::Limits,
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
