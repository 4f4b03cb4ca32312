//! The request rate each service family allows, found and held by the client
//! and shared by every call of it (and its clones) to that family.
//!
//! Each family has up to two *lanes*: one for writes (Intune's smaller
//! budget) and one for every request. A request waits for its turn in each
//! lane it belongs to; its answer teaches the lanes (`controller`). Bulk jobs
//! ([`GraphClient::bulk`](crate::GraphClient::bulk)) create lanes and are
//! always paced; a plain call is paced only by a lane that holds a limit (one
//! a bulk job learned, or a documented one a bulk job started from), so what
//! a bulk job learned slows the plain calls that follow, and a client that
//! never runs one behaves as it always did.

mod controller;
mod family;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use http::{HeaderMap, StatusCode};
use tokio::time::Instant;

use controller::{Controller, DEFAULT_INITIAL_RATE, Grant, Outcome};
pub use family::{FamilyLimits, ServiceFamily};

use crate::client::GraphClient;
use crate::request::Request;

/// How a client finds and holds the request rate each service family allows
/// (set with [`GraphClientBuilder::throttling`](crate::GraphClientBuilder::throttling)).
///
/// By default the rate is adaptive: a bulk job
/// ([`GraphClient::bulk`](crate::GraphClient::bulk)) starts each family at
/// its documented limit (Intune's, per app and tenant: [`FamilyLimits`]) or,
/// when none is documented, at 20 requests a second, raises the rate while
/// answers are clean, cuts it on a 429 and holds it just under the limit it
/// measured. Documented limits are ceilings the rate never exceeds. Every
/// call of the client (and of its clones) to a family shares that family's
/// rate, so once a bulk job learned a limit, plain calls to the family are
/// paced by it too.
///
/// ```
/// use std::time::Duration;
/// use graph_endpoint::{FamilyLimits, GraphClient, ServiceFamily, Throttling};
///
/// let graph = GraphClient::builder()
///     .token("eyJ0eXAi...")
///     .throttling(
///         Throttling::default()
///             .initial_rate(50.0)
///             // A tenant shared with other tools: stay at half the devices budget.
///             .limits(
///                 ServiceFamily::INTUNE_DEVICES,
///                 FamilyLimits::new(Some(100), Some(1000), Duration::from_secs(20)),
///             ),
///     )
///     .build()
///     .unwrap();
/// # drop(graph);
/// assert!(!Throttling::off().is_adaptive());
/// ```
#[derive(Clone, Debug)]
pub struct Throttling {
    adaptive: bool,
    initial_rate: f64,
    documented_limits: bool,
    limits: Vec<(ServiceFamily, FamilyLimits)>,
}

impl Default for Throttling {
    fn default() -> Self {
        Throttling {
            adaptive: true,
            initial_rate: DEFAULT_INITIAL_RATE,
            documented_limits: true,
            limits: Vec::new(),
        }
    }
}

impl Throttling {
    /// No adaptive rate: bulk jobs run at their concurrency, and a 429 is
    /// retried under the [`RetryPolicy`](crate::RetryPolicy) like any call.
    #[must_use]
    pub fn off() -> Self {
        Throttling {
            adaptive: false,
            ..Throttling::default()
        }
    }

    /// The rate, in requests per second, a family without a documented
    /// limit starts at (default 20).
    #[must_use]
    pub fn initial_rate(mut self, per_second: f64) -> Self {
        if per_second.is_finite() && per_second > 0.0 {
            self.initial_rate = per_second;
        }
        self
    }

    /// The limits of `family`, instead of the documented ones (or where none
    /// are documented): the rate starts at them and never exceeds them.
    #[must_use]
    pub fn limits(mut self, family: ServiceFamily, limits: FamilyLimits) -> Self {
        self.limits.retain(|(f, _)| *f != family);
        self.limits.push((family, limits));
        self
    }

    /// Ignores Intune's documented limits: every family starts at the initial
    /// rate and finds its limit (limits given with [`limits`](Self::limits) still apply).
    #[must_use]
    pub fn without_documented_limits(mut self) -> Self {
        self.documented_limits = false;
        self
    }

    /// Whether the rate is adaptive.
    #[must_use]
    pub fn is_adaptive(&self) -> bool {
        self.adaptive
    }

    /// The ceiling of a lane, in requests per second.
    fn ceiling(&self, family: &ServiceFamily, budget: Budget) -> Option<f64> {
        let limits = self
            .limits
            .iter()
            .find(|(f, _)| f == family)
            .map(|(_, limits)| *limits)
            .or_else(|| {
                self.documented_limits
                    .then(|| family.documented_limits())
                    .flatten()
            })?;
        match budget {
            Budget::Writes => limits.writes_per_second(),
            Budget::All => limits.any_per_second(),
        }
    }
}

/// The two budgets Intune keeps per family: writes (POST, PUT, PATCH,
/// DELETE), and every request. A write counts against both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Budget {
    /// Writes only.
    Writes,
    /// Requests of every method.
    All,
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Budget::Writes => "writes",
            Budget::All => "all requests",
        })
    }
}

/// What a client has learned of one family's rate, as
/// [`GraphClient::learned_rates`] reports it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LearnedRate {
    /// The family.
    pub family: ServiceFamily,
    /// Which of its budgets.
    pub budget: Budget,
    /// The rate calls are paced at now, requests per second.
    pub rate: f64,
    /// The ceiling: the documented or configured limit, requests per second.
    pub ceiling: Option<f64>,
    /// A limit was learned (a 429 seen) or documented: plain calls are paced
    /// by this rate too.
    pub holds_limit: bool,
    /// 429 answers seen.
    pub throttled: u64,
    /// Clean answers seen.
    pub clean: u64,
}

impl GraphClient {
    /// What this client (and its clones) has learned of each family's rate,
    /// in the families' order.
    ///
    /// ```
    /// let graph = graph_endpoint::GraphClient::builder().token("t").build().unwrap();
    /// assert!(graph.learned_rates().is_empty(), "no bulk job has run");
    /// ```
    #[must_use]
    pub fn learned_rates(&self) -> Vec<LearnedRate> {
        let lanes: Vec<Arc<Lane>> = lock(&self.inner.throttle.lanes).values().cloned().collect();
        let mut rates: Vec<LearnedRate> = lanes
            .iter()
            .map(|lane| {
                let controller = lock(&lane.controller);
                LearnedRate {
                    family: lane.family.clone(),
                    budget: lane.budget,
                    rate: controller.rate(),
                    ceiling: lane.ceiling,
                    holds_limit: controller.holds_a_limit(),
                    throttled: controller.throttled(),
                    clean: controller.clean(),
                }
            })
            .collect();
        rates.sort_by(|a, b| (&a.family, a.budget).cmp(&(&b.family, b.budget)));
        rates
    }
}

/// How a call is paced.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pacing<'a> {
    /// A plain call: paced only by lanes that hold a limit; a 429 is retried
    /// under the retry policy.
    Plain,
    /// A call of a bulk job: always paced; a 429 waits for the call's turn
    /// instead of counting as a retry, and is counted here.
    Bulk { throttled: &'a AtomicU64 },
}

impl Pacing<'_> {
    pub(crate) fn is_bulk(self) -> bool {
        matches!(self, Pacing::Bulk { .. })
    }
}

/// How one call is paced, and what the answer to its last attempt meant
/// for it: the retry step's view of the lanes.
#[derive(Debug)]
pub(crate) struct Pace<'a> {
    pacing: Pacing<'a>,
    last: Answered,
}

impl<'a> Pace<'a> {
    pub(crate) fn new(pacing: Pacing<'a>) -> Pace<'a> {
        Pace {
            pacing,
            last: Answered::default(),
        }
    }

    pub(crate) fn pacing(&self) -> Pacing<'a> {
        self.pacing
    }

    /// Keeps what the lanes made of an attempt's answer.
    pub(crate) fn answered(&mut self, answered: Answered) {
        self.last = answered;
    }

    /// Whether an answer with `status` makes the call wait its turn and go
    /// again without using up a retry: a 429 the endpoint does not expect,
    /// to a call of a bulk job that a lane paced, while the service admits
    /// anything at all (or has refused everything for less than the retry
    /// policy's waiting budget). Counts the job's 429s.
    pub(crate) fn waits_turn(
        &mut self,
        status: StatusCode,
        endpoint: &crate::endpoint::Endpoint,
    ) -> bool {
        let last = std::mem::take(&mut self.last);
        let Pacing::Bulk { throttled } = self.pacing else {
            return false;
        };
        if !last.throttled || status != StatusCode::TOO_MANY_REQUESTS || endpoint.expects(429) {
            return false;
        }
        throttled.fetch_add(1, Ordering::Relaxed);
        last.may_wait_turn
    }
}

/// The client's lanes, by family and budget.
pub(crate) struct Throttle {
    settings: Throttling,
    lanes: Mutex<HashMap<(ServiceFamily, Budget), Arc<Lane>>>,
    /// Some lane holds a limit: plain calls look their family up.
    pacing_plain_calls: AtomicBool,
}

impl fmt::Debug for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttle")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// One lane: its controller, and the line requests wait in for their slots.
struct Lane {
    family: ServiceFamily,
    budget: Budget,
    ceiling: Option<f64>,
    controller: Mutex<Controller>,
    /// Requests take their turns in order: the one holding it sleeps until
    /// its slot, the others queue behind it.
    turnstile: tokio::sync::Mutex<()>,
    /// Requests queued for the turnstile.
    waiting: AtomicUsize,
}

/// A request's places in its lanes (one or two), to be told how the
/// request was answered. One thin box, so that a call's future holding it
/// grows by a pointer.
pub(crate) struct Admission {
    grants: Box<[Option<Place>; 2]>,
}

/// A request's place in one lane.
type Place = (Arc<Lane>, Grant);

impl Admission {
    fn grants(&self) -> impl Iterator<Item = &Place> {
        self.grants.iter().flatten()
    }
}

/// What an answer meant for the lanes, for the retry step.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Answered {
    /// A lane took the answer for a 429.
    throttled: bool,
    /// The service admits anything at all, or has refused every request of
    /// the lane for less than the waiting budget.
    may_wait_turn: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Throttle {
    pub(crate) fn new(settings: Throttling) -> Throttle {
        Throttle {
            settings,
            lanes: Mutex::new(HashMap::new()),
            pacing_plain_calls: AtomicBool::new(false),
        }
    }

    /// Whether a call paced this way may have to wait at all: one atomic
    /// load for a plain call of a client that never ran a bulk job.
    pub(crate) fn may_pace(&self, pacing: Pacing<'_>) -> bool {
        self.settings.adaptive
            && (pacing.is_bulk() || self.pacing_plain_calls.load(Ordering::Relaxed))
    }

    /// Waits for the request's turn in each lane it is paced by. Boxed, so
    /// that a call's future does not carry the waiting in its own state.
    pub(crate) fn admit<'a>(
        &'a self,
        request: &'a Request,
        pacing: Pacing<'a>,
    ) -> Pin<Box<dyn Future<Output = Option<Admission>> + Send + 'a>> {
        Box::pin(async move {
            let lanes = self.lanes_of(request, pacing.is_bulk());
            if lanes.is_empty() {
                return None;
            }
            let mut grants = Box::new([None, None]);
            for (slot, lane) in grants.iter_mut().zip(lanes) {
                let grant = lane.wait_turn().await;
                *slot = Some((lane, grant));
            }
            Some(Admission { grants })
        })
    }

    /// The lanes a request is paced by: writes then all, created for a bulk
    /// job, looked up (and only when holding a limit) for a plain call.
    fn lanes_of(&self, request: &Request, bulk: bool) -> Vec<Arc<Lane>> {
        let family = ServiceFamily::of_path(path_after_version(request));
        let budgets: &[Budget] = if request.endpoint().method() != crate::endpoint::Method::Get {
            &[Budget::Writes, Budget::All]
        } else {
            &[Budget::All]
        };
        let mut lanes = lock(&self.lanes);
        let mut found = Vec::with_capacity(budgets.len());
        for &budget in budgets {
            let key = (family.clone(), budget);
            let lane = if bulk {
                let lane = lanes.entry(key).or_insert_with(|| {
                    let ceiling = self.settings.ceiling(&family, budget);
                    Arc::new(Lane {
                        family: family.clone(),
                        budget,
                        ceiling,
                        controller: Mutex::new(Controller::new(
                            self.settings.initial_rate,
                            ceiling,
                        )),
                        turnstile: tokio::sync::Mutex::new(()),
                        waiting: AtomicUsize::new(0),
                    })
                });
                Arc::clone(lane)
            } else {
                match lanes.get(&key) {
                    Some(lane) if lock(&lane.controller).holds_a_limit() => Arc::clone(lane),
                    _ => continue,
                }
            };
            if lock(&lane.controller).holds_a_limit() {
                self.pacing_plain_calls.store(true, Ordering::Relaxed);
            }
            found.push(lane);
        }
        found
    }
}

/// The path after the version: the request's own, or a followed link's.
fn path_after_version(request: &Request) -> &str {
    match request.followed_link() {
        Some(link) => ["/v1.0/", "/beta/"]
            .iter()
            .find_map(|version| link.find(version).map(|at| &link[at + version.len() - 1..]))
            .unwrap_or(link),
        None => request.path(),
    }
}

impl Lane {
    /// Waits until this lane lets the request go.
    async fn wait_turn(&self) -> Grant {
        /// Keeps `waiting` right when the wait is dropped midway.
        struct Queued<'a>(&'a AtomicUsize);
        impl Drop for Queued<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let queued = Queued(&self.waiting);
        let _turn = self.turnstile.lock().await;
        drop(queued);
        let mut slept = false;
        loop {
            let now = Instant::now();
            let earliest = {
                let mut controller = lock(&self.controller);
                let earliest = controller.earliest(now);
                if earliest <= now {
                    let limited = slept || self.waiting.load(Ordering::Relaxed) > 0;
                    return controller.take(now, limited);
                }
                earliest
            };
            slept = true;
            // Woken, the slot is worked out again: the rate may have changed.
            tokio::time::sleep_until(earliest).await;
        }
    }
}

impl Admission {
    /// Tells the lanes how the request was answered: `None` when no answer
    /// came (a transport failure or a timeout). `budget` is how long a lane
    /// may have refused everything for a throttled call still to wait its turn.
    pub(crate) fn answer(
        self,
        answer: Option<(StatusCode, &HeaderMap)>,
        budget: std::time::Duration,
    ) -> Answered {
        let now = Instant::now();
        let outcome = match answer {
            Some((status, headers)) if status == StatusCode::TOO_MANY_REQUESTS => {
                Outcome::Throttled(crate::http_stack::retry::retry_after(
                    headers,
                    std::time::SystemTime::now(),
                ))
            }
            Some((status, _)) if status.is_server_error() => Outcome::Neutral,
            Some(_) => Outcome::Clean,
            None => Outcome::Neutral,
        };
        // A 429 is the tightest lane's: a write throttled is most likely over
        // the writes budget, which is the smaller.
        let throttled_lane = match outcome {
            Outcome::Throttled(_) => self
                .grants()
                .enumerate()
                .min_by(|(_, (a, _)), (_, (b, _))| {
                    lock(&a.controller)
                        .rate()
                        .total_cmp(&lock(&b.controller).rate())
                })
                .map(|(index, _)| index),
            _ => None,
        };
        let mut answered = Answered::default();
        for (index, (lane, grant)) in self.grants().enumerate() {
            let outcome = match (outcome, throttled_lane) {
                (Outcome::Throttled(_), Some(throttled)) if throttled != index => Outcome::Neutral,
                _ => outcome,
            };
            let mut controller = lock(&lane.controller);
            controller.answer(*grant, now, outcome);
            if matches!(outcome, Outcome::Throttled(_)) {
                answered = Answered {
                    throttled: true,
                    may_wait_turn: controller
                        .refusing_since()
                        .is_none_or(|since| now.saturating_duration_since(since) <= budget),
                };
            }
        }
        answered
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::endpoint::{Endpoint, Method};
    use crate::request::RequestBuilder;

    const BUDGET: Duration = Duration::from_secs(300);

    static SYNC: Endpoint = crate::endpoint::endpoint(
        "sync_device",
        Method::Post,
        "/deviceManagement/managedDevices/<id>/syncDevice",
        &[204],
        None,
        &[],
        &[],
    );

    fn sync_request() -> Request {
        let mut request = RequestBuilder::new(&SYNC);
        request.literal("/deviceManagement/managedDevices/");
        request.value("id", &"d1");
        request.literal("/syncDevice");
        request.finish().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_bulk_write_waits_in_both_lanes_at_the_documented_limit() {
        let throttle = Throttle::new(Throttling::default());
        let counter = AtomicU64::new(0);
        let bulk = Pacing::Bulk {
            throttled: &counter,
        };
        let request = sync_request();
        let started = Instant::now();
        for _ in 0..11 {
            let admission = throttle.admit(&request, bulk).await.unwrap();
            assert_eq!(admission.grants().count(), 2);
            admission.answer(Some((StatusCode::NO_CONTENT, &HeaderMap::new())), BUDGET);
        }
        // Ten writes a second: the eleventh goes at one second.
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        // A plain call is paced by the lanes the bulk job left behind.
        assert!(throttle.may_pace(Pacing::Plain));
        assert!(throttle.admit(&request, Pacing::Plain).await.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_plain_call_is_not_paced_before_a_lane_holds_a_limit() {
        let throttle = Throttle::new(Throttling::default().without_documented_limits());
        let request = sync_request();
        assert!(!throttle.may_pace(Pacing::Plain));
        assert!(throttle.admit(&request, Pacing::Plain).await.is_none());
        let counter = AtomicU64::new(0);
        let bulk = Pacing::Bulk {
            throttled: &counter,
        };
        let admission = throttle.admit(&request, bulk).await.unwrap();
        admission.answer(Some((StatusCode::NO_CONTENT, &HeaderMap::new())), BUDGET);
        // Starting, not holding: plain calls still go unpaced.
        assert!(throttle.admit(&request, Pacing::Plain).await.is_none());
        let admission = throttle.admit(&request, bulk).await.unwrap();
        let answered = admission.answer(
            Some((StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new())),
            BUDGET,
        );
        assert!(answered.throttled && answered.may_wait_turn);
        assert!(throttle.admit(&request, Pacing::Plain).await.is_some());
    }

    #[test]
    fn a_followed_link_is_classified_by_its_path() {
        static NEXT: Endpoint = crate::endpoint::endpoint(
            "next_page",
            Method::Get,
            "<@odata.nextLink>",
            &[200],
            None,
            &[],
            &[],
        );
        let request = Request::link(
            &NEXT,
            "https://graph.microsoft.com/beta/deviceManagement/managedDevices?$skiptoken=x",
        );
        assert_eq!(
            path_after_version(&request),
            "/deviceManagement/managedDevices?$skiptoken=x"
        );
    }
}
