//! JSON batching: calls of declared endpoints queued, sent 20 to a `$batch`
//! request, and answered one by one with each call's own typed result.
//! Which calls travel together is `plan`'s business; the JSON of a `$batch`
//! request and its answer is `wire`'s.

mod plan;
mod wire;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use tracing::Instrument;

use crate::call::decode::{self, Finish};
use crate::call::{Call, Parts};
use crate::client::GraphClient;
use crate::endpoint::{ApiVersion, Endpoint, Method};
use crate::error::{Attempt, Error};
use crate::request::{ClientRequestId, Request};
use crate::response::RawResponse;

/// The most requests Graph accepts in one `$batch`.
pub const MAX_BATCH_SIZE: usize = 20;

static BATCH_V1: Endpoint = crate::endpoint::endpoint(
    "batch",
    Method::Post,
    "/$batch",
    &[200],
    Some(ApiVersion::V1),
    &[],
    &[],
);
static BATCH_BETA: Endpoint = crate::endpoint::endpoint(
    "batch",
    Method::Post,
    "/$batch",
    &[200],
    Some(ApiVersion::Beta),
    &[],
    &[],
);

/// A JSON batch: calls of declared endpoints given to [`add`](Batch::add) are
/// queued instead of sent, then [`send`](Batch::send) sends them 20 to a
/// `$batch` request (concurrently, within the client's limits) and hands each
/// call its own typed result, checked against its own endpoint's `expect`.
///
/// - A call answered 429 (or 503, 504) inside a batch is retried in a later
///   batch request, following the client's [`RetryPolicy`](crate::RetryPolicy)
///   and the item's own `Retry-After`.
/// - [`BatchItem::after`] makes a call depend on another (`dependsOn`): both
///   travel in the same request and the service runs them in order. A call
///   whose dependency failed gets [`Error::FailedDependency`].
/// - Calls pinned to different API versions travel in different requests.
/// - A [`Call`] is a description of the request, so any call of a declared
///   endpoint can be queued, with its query options; the batch sends it
///   through its own client.
///
/// ```
/// # use graph_endpoint::{graph_action, Error, Graph, GraphClient};
/// # #[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
/// # pub struct AndroidForWorkEnrollmentProfile {
/// #     #[serde(rename = "displayName", skip_serializing_if = "Option::is_none")]
/// #     pub display_name: Option<String>,
/// # }
/// # impl AndroidForWorkEnrollmentProfile {
/// #     pub fn named(display_name: &str) -> Self {
/// #         AndroidForWorkEnrollmentProfile { display_name: Some(display_name.into()) }
/// #     }
/// # }
/// # pub trait AndroidForWorkEnrollmentProfiles: Graph {
/// #     #[graph_action(
/// #         POST, "/deviceManagement/androidForWorkEnrollmentProfiles", expect = 201, version = "beta",
/// #         permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
/// #     )]
/// #     async fn create_profile(
/// #         &self,
/// #         #[body] profile: &AndroidForWorkEnrollmentProfile,
/// #     ) -> Result<AndroidForWorkEnrollmentProfile, Error>;
/// #     #[graph_action(
/// #         DELETE, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>", expect = 204, version = "beta",
/// #         permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
/// #     )]
/// #     async fn delete_profile(&self, id: &str) -> Result<(), Error>;
/// # }
/// # impl AndroidForWorkEnrollmentProfiles for GraphClient {}
/// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
/// let batch = graph.batch();
/// let kiosk = AndroidForWorkEnrollmentProfile::named("Kiosk");
/// let created = batch.add(graph.create_profile(&kiosk));
/// let gone = batch.add(graph.delete_profile("6a6b1c0e-9b0e-4f3c-a2e8-0d8c5f1e7a11"));
/// let report = batch.send().await;
/// assert_eq!(report.requests, 1);
///
/// let created: AndroidForWorkEnrollmentProfile = created.await?;
/// if let Err(e) = gone.await {
///     println!("delete failed: {e}");
/// }
/// # Ok(()) }
/// ```
pub struct Batch {
    /// Sends the `$batch` requests.
    sender: GraphClient,
    collector: Arc<Collector>,
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("queued", &self.queued())
            .field("client", &self.sender)
            .finish()
    }
}

/// What sending a batch took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchReport {
    /// Calls sent.
    pub calls: usize,
    /// `$batch` HTTP requests sent, retries included.
    pub requests: usize,
    /// Rounds: 1, plus one for each round of retried calls.
    pub rounds: usize,
    /// Calls that were sent again because the service throttled them.
    pub retried: usize,
}

/// A queued call: await it after [`Batch::send`] for the call's own result.
#[must_use = "a batch item holds the call's result: await it after `Batch::send`"]
pub struct BatchItem<'a, T> {
    index: Option<usize>,
    collector: Arc<Collector>,
    state: ItemState<'a, T>,
}

enum ItemState<'a, T> {
    /// Queued: the batch answers it, then `finish` makes the result.
    Queued {
        endpoint: &'static Endpoint,
        client_request_id: ClientRequestId,
        finish: Finish<T>,
        validation: crate::validation::Validation,
    },
    /// The call never reached the batch: its arguments were invalid.
    Refused(Option<Error>),
    /// A call with an answer of its own (a test double's): not batched.
    Answer(Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>),
}

// Nothing is pinned in place: a future it polls is boxed.
impl<T> Unpin for BatchItem<'_, T> {}

impl<T> fmt::Debug for BatchItem<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchItem")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

impl<T> BatchItem<'_, T> {
    /// The item's `id` in the `$batch` request; `None` when the call never
    /// reached the batch (invalid arguments: awaiting it gives the error).
    #[must_use]
    pub fn id(&self) -> Option<String> {
        self.index.map(|i| i.to_string())
    }

    /// Runs this call only after `dependency` succeeded (`dependsOn`). Both
    /// travel in the same `$batch` request; if the dependency fails, this call
    /// is not run and its result is [`Error::FailedDependency`].
    pub fn after<D>(self, dependency: &BatchItem<'_, D>) -> Self {
        if let Some(index) = self.index {
            let mut state = lock(&self.collector.state);
            let same_batch = Arc::ptr_eq(&self.collector, &dependency.collector);
            match dependency.index {
                Some(dependency) if same_batch && dependency != index => {
                    state.slots[index].depends_on.push(dependency)
                }
                _ => state.slots[index].broken_dependency = true,
            }
        }
        self
    }
}

impl<T> Future for BatchItem<'_, T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match &mut this.state {
            ItemState::Queued {
                endpoint,
                client_request_id,
                finish,
                validation,
            } => {
                let Some(index) = this.index else {
                    return Poll::Ready(Err(Error::InvalidRequest {
                        endpoint: endpoint.name(),
                        reason: "a queued call has no place in its batch".to_owned(),
                    }));
                };
                let response = std::task::ready!(this.collector.poll_answer(index, endpoint, cx))?;
                let response = decode::check_status(endpoint, *client_request_id, response)?;
                Poll::Ready(validation.scope(|| finish(endpoint, *client_request_id, response)))
            }
            ItemState::Refused(error) => {
                Poll::Ready(Err(error.take().unwrap_or_else(|| Error::InvalidRequest {
                    endpoint: "batch",
                    reason: "a batch item was polled after it completed".to_owned(),
                })))
            }
            ItemState::Answer(answer) => answer.as_mut().poll(cx),
        }
    }
}

/// The queue behind a [`Batch`].
#[derive(Default)]
struct Collector {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    slots: Vec<Slot>,
}

struct Slot {
    endpoint: &'static Endpoint,
    request: Option<Request>,
    depends_on: Vec<usize>,
    broken_dependency: bool,
    phase: Phase,
    outcome: Option<Result<RawResponse, Error>>,
    waker: Option<Waker>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Queued,
    Sending,
    Answered,
    /// Awaited before the batch was sent: it got an error and is not sent.
    Abandoned,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Collector {
    /// Queues a request; its place in the batch.
    fn queue(&self, request: Request) -> usize {
        let mut state = lock(&self.state);
        let index = state.slots.len();
        state.slots.push(Slot {
            endpoint: request.endpoint(),
            request: Some(request),
            depends_on: Vec::new(),
            broken_dependency: false,
            phase: Phase::Queued,
            outcome: None,
            waker: None,
        });
        index
    }

    fn finish(&self, index: usize, outcome: Result<RawResponse, Error>) {
        let waker = {
            let mut state = lock(&self.state);
            let slot = &mut state.slots[index];
            slot.outcome = Some(outcome);
            slot.phase = Phase::Answered;
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The answer of the call in place `index`, once the batch has it. A call
    /// awaited before the batch was sent is abandoned with an error.
    fn poll_answer(
        &self,
        index: usize,
        endpoint: &'static Endpoint,
        cx: &mut Context<'_>,
    ) -> Poll<Result<RawResponse, Error>> {
        let mut state = lock(&self.state);
        let slot = &mut state.slots[index];
        if let Some(outcome) = slot.outcome.take() {
            return Poll::Ready(outcome);
        }
        if slot.phase == Phase::Queued {
            slot.phase = Phase::Abandoned;
            slot.request = None;
            return Poll::Ready(Err(Error::InvalidRequest {
                endpoint: endpoint.name(),
                reason: "the batch was not sent: await `Batch::send()` before awaiting its calls"
                    .to_owned(),
            }));
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A call on its way through the rounds of [`Batch::send`].
struct InFlight {
    request: Request,
    /// A followed link's path and query after the version root, as a
    /// `$batch` item names it.
    relative_link: Option<String>,
    endpoint: &'static Endpoint,
    version: ApiVersion,
    depends_on: Vec<usize>,
    attempts: Vec<Attempt>,
}

/// How a call ended, as far as the calls depending on it care.
#[derive(Clone, Copy)]
enum Ended {
    Succeeded,
    Failed(Option<StatusCode>),
}

/// The state of one [`Batch::send`] across its rounds.
struct Rounds<'a> {
    report: BatchReport,
    calls: HashMap<usize, InFlight>,
    names: HashMap<usize, &'static str>,
    ended: HashMap<usize, Ended>,
    /// Time spent waiting for throttled calls so far.
    waited: Duration,
    policy: crate::http_stack::retry::RetryPolicy,
    collector: &'a Collector,
}

/// The answers of one round, sorted by what happens next.
#[derive(Default)]
struct Sorted {
    /// Throttled calls, with the wait each asked for and the status.
    retry: HashMap<usize, (Duration, StatusCode)>,
    /// Calls answered 424: their dependency failed, or was throttled.
    failed_dependency: Vec<(usize, RawResponse)>,
    /// Calls with their final answer.
    finished: Vec<(usize, Result<RawResponse, Error>)>,
}

impl Rounds<'_> {
    /// This round's `$batch` requests; calls that cannot travel are answered.
    fn plan(&mut self) -> Vec<Vec<usize>> {
        let (chunks, refused) = plan::plan(&self.calls, &self.ended, &self.names);
        for (index, error) in refused {
            self.calls.remove(&index);
            self.ended.insert(index, Ended::Failed(error.status()));
            self.collector.finish(index, Err(error));
        }
        chunks
    }

    /// Sorts the answers of a round: a throttled call goes again if the
    /// retry policy allows; a `$batch` request that failed fails its calls.
    fn sort(
        &self,
        chunks: &[Vec<usize>],
        answers: Vec<Result<Vec<(usize, RawResponse)>, Error>>,
    ) -> Sorted {
        let mut sorted = Sorted::default();
        for (chunk, answer) in chunks.iter().zip(answers) {
            let answers = match answer {
                Ok(answers) => answers,
                Err(error) => {
                    let shared = Arc::new(error);
                    for &index in chunk {
                        let endpoint = self.calls[&index].endpoint.name();
                        sorted.finished.push((
                            index,
                            Err(Error::BatchFailed {
                                endpoint,
                                source: Arc::clone(&shared),
                            }),
                        ));
                    }
                    continue;
                }
            };
            for (index, response) in answers {
                let call = &self.calls[&index];
                let status = response.status();
                let expected = call.endpoint.expects(status.as_u16());
                if !expected && crate::http_stack::retry::RetryPolicy::retries_status(status) {
                    let number = call.attempts.len() as u32 + 1;
                    let wait = self.policy.wait_for(number, Some(response.headers()));
                    if self.policy.allows(number, self.waited, wait) {
                        sorted.retry.insert(index, (wait, status));
                        continue;
                    }
                }
                if !expected && status == StatusCode::FAILED_DEPENDENCY {
                    sorted.failed_dependency.push((index, response));
                    continue;
                }
                sorted.finished.push((index, Ok(response)));
            }
        }
        sorted
    }

    /// Hands the finished calls their answers, and readies the throttled
    /// ones (and those that failed only because a dependency was throttled)
    /// for the next round: the wait before it, if there is one.
    fn settle(&mut self, sorted: Sorted) -> Option<Duration> {
        let Sorted {
            retry,
            failed_dependency,
            finished,
        } = sorted;
        let mut dependent_retries = Vec::new();
        let mut still_failed = Vec::new();
        for (index, response) in failed_dependency {
            if plan::depends_on_any(index, &self.calls, &retry) {
                dependent_retries.push(index);
            } else {
                still_failed.push((index, response));
            }
        }
        for (index, outcome) in finished {
            let Some(call) = self.calls.remove(&index) else {
                continue;
            };
            let ended = match &outcome {
                Ok(response) if call.endpoint.expects(response.status().as_u16()) => {
                    Ended::Succeeded
                }
                Ok(response) => Ended::Failed(Some(response.status())),
                Err(error) => Ended::Failed(error.status()),
            };
            self.ended.insert(index, ended);
            let outcome = outcome.map(|response| response.with_failed_attempts(call.attempts));
            self.collector.finish(index, outcome);
        }
        for (index, response) in still_failed {
            let Some(call) = self.calls.remove(&index) else {
                continue;
            };
            let outcome =
                plan::failed_dependency_error(&call, &self.calls, &self.ended, &self.names)
                    .unwrap_or_else(|| Ok(response.with_failed_attempts(call.attempts)));
            self.ended
                .insert(index, Ended::Failed(Some(StatusCode::FAILED_DEPENDENCY)));
            self.collector.finish(index, outcome);
        }
        if retry.is_empty() {
            return None;
        }
        // One wait for the round: the longest any throttled call asked for.
        let wait = retry.values().map(|(w, _)| *w).max().unwrap_or_default();
        let again = retry
            .iter()
            .map(|(&index, (_, status))| (index, format!("{status} (in a batch)")))
            .chain(dependent_retries.iter().map(|&index| {
                (
                    index,
                    "424 Failed Dependency (its dependency was throttled)".to_owned(),
                )
            }));
        for (index, outcome) in again {
            if let Some(call) = self.calls.get_mut(&index) {
                call.attempts.push(Attempt {
                    number: call.attempts.len() as u32 + 1,
                    outcome,
                    waited: Some(wait),
                });
            }
        }
        self.report.retried += retry.len() + dependent_retries.len();
        Some(wait)
    }
}

impl GraphClient {
    /// Starts a JSON batch: calls of declared endpoints given to
    /// [`Batch::add`] travel 20 to a request. See [`Batch`].
    #[must_use]
    pub fn batch(&self) -> Batch {
        Batch::new(self.clone())
    }
}

impl Batch {
    fn new(sender: GraphClient) -> Batch {
        Batch {
            sender,
            collector: Arc::default(),
        }
    }

    /// The client that sends this batch's requests.
    #[must_use]
    pub fn client(&self) -> &GraphClient {
        &self.sender
    }

    /// Queues one call of a declared endpoint, such as
    /// `batch.add(graph.revoke_token(id))`. Nothing is sent yet; the call
    /// travels through this batch's client whichever client made it.
    ///
    /// A call whose arguments are invalid is answered at once (awaiting the
    /// item gives the error) and never reaches the batch. A test double's
    /// call ([`Call::new`], [`Call::ready`]) is not batched: the item gives
    /// its own answer.
    pub fn add<'a, T>(&self, call: Call<'a, T>) -> BatchItem<'a, T> {
        let (index, state) = match call.into_parts() {
            Parts::Request(Ok(request), finish, validation) => {
                let endpoint = request.endpoint();
                let client_request_id = request.client_request_id_value();
                (
                    Some(self.collector.queue(request)),
                    ItemState::Queued {
                        endpoint,
                        client_request_id,
                        finish,
                        validation: validation.unwrap_or(self.sender.inner.validation),
                    },
                )
            }
            Parts::Request(Err(error), ..) => (None, ItemState::Refused(Some(error))),
            Parts::Answer(answer) => (None, ItemState::Answer(answer)),
        };
        BatchItem {
            index,
            collector: Arc::clone(&self.collector),
            state,
        }
    }

    /// Calls queued and not yet sent.
    #[must_use]
    pub fn queued(&self) -> usize {
        lock(&self.collector.state)
            .slots
            .iter()
            .filter(|s| s.phase == Phase::Queued)
            .count()
    }

    /// Sends every queued call, 20 to a `$batch` request, the requests
    /// concurrently; retries throttled calls in later requests; then every
    /// [`BatchItem`] holds its call's result. Failures are the items' own: a
    /// `$batch` request that fails as a whole gives its calls
    /// [`Error::BatchFailed`].
    pub async fn send(&self) -> BatchReport {
        let calls = self.take_queued();
        let mut rounds = Rounds {
            report: BatchReport {
                calls: calls.len(),
                ..BatchReport::default()
            },
            // Names of every call, for the errors of the calls that depend on them.
            names: calls
                .iter()
                .map(|(&index, call)| (index, call.endpoint.name()))
                .collect(),
            calls,
            ended: HashMap::new(),
            waited: Duration::ZERO,
            policy: self.sender.retry_policy().clone(),
            collector: &self.collector,
        };
        let span = tracing::info_span!(
            "graph.batch",
            calls = rounds.calls.len(),
            requests = tracing::field::Empty
        );
        while !rounds.calls.is_empty() {
            rounds.report.rounds += 1;
            let chunks = rounds.plan();
            let sends = chunks
                .iter()
                .map(|chunk| self.send_chunk(chunk, &rounds.calls));
            let answers = futures_util::future::join_all(sends)
                .instrument(span.clone())
                .await;
            rounds.report.requests += chunks.len();
            let sorted = rounds.sort(&chunks, answers);
            let Some(wait) = rounds.settle(sorted) else {
                // Nothing throttled: every call was answered.
                continue;
            };
            tracing::debug!(
                parent: &span,
                wait_ms = wait.as_millis() as u64,
                "retrying throttled batch calls"
            );
            tokio::time::sleep(wait).await;
            rounds.waited += wait;
        }
        span.record("requests", rounds.report.requests);
        rounds.report
    }

    /// Takes every queued call out of the queue, with the version and URL it
    /// travels with; a call that cannot travel is answered at once.
    fn take_queued(&self) -> HashMap<usize, InFlight> {
        let mut calls = HashMap::new();
        let mut refused = Vec::new();
        {
            let mut state = lock(&self.collector.state);
            for (index, slot) in state.slots.iter_mut().enumerate() {
                if slot.phase != Phase::Queued {
                    continue;
                }
                slot.phase = Phase::Sending;
                let Some(request) = slot.request.take() else {
                    continue;
                };
                let endpoint = slot.endpoint;
                let invalid = |reason: String| Error::InvalidRequest {
                    endpoint: endpoint.name(),
                    reason,
                };
                if slot.broken_dependency {
                    refused.push((
                        index,
                        invalid("it depends on a call that is not queued in this batch".to_owned()),
                    ));
                    continue;
                }
                // The version the call would be sent with alone (a followed
                // link checked against the base URL, as for any call).
                let target = match request.followed_link() {
                    None => self.sender.version_for(&request).map(|v| (v, None)),
                    Some(link) => self
                        .sender
                        .link_target(link)
                        .map(|(version, _, relative)| (version, Some(relative)))
                        .map_err(invalid),
                };
                match target {
                    Ok((version, relative_link)) => {
                        calls.insert(
                            index,
                            InFlight {
                                version,
                                relative_link,
                                request,
                                endpoint,
                                depends_on: slot.depends_on.clone(),
                                attempts: Vec::new(),
                            },
                        );
                    }
                    Err(error) => refused.push((index, error)),
                }
            }
        }
        for (index, error) in refused {
            self.collector.finish(index, Err(error));
        }
        calls
    }

    /// Sends one `$batch` request and returns the answer of each call in it.
    async fn send_chunk(
        &self,
        chunk: &[usize],
        calls: &HashMap<usize, InFlight>,
    ) -> Result<Vec<(usize, RawResponse)>, Error> {
        let version = calls[&chunk[0]].version;
        let endpoint = match version {
            ApiVersion::V1 => &BATCH_V1,
            ApiVersion::Beta => &BATCH_BETA,
        };
        let mut items = Vec::with_capacity(chunk.len());
        for &index in chunk {
            let call = &calls[&index];
            items.push(wire::batch_item(index, call, chunk)?);
        }
        let body = serde_json::to_vec(&wire::BatchBody { requests: items }).map_err(|e| {
            Error::InvalidRequest {
                endpoint: "batch",
                reason: format!("the batch does not serialize: {e}"),
            }
        })?;
        let request = Request::verbatim(
            endpoint,
            "/$batch".to_owned(),
            String::new(),
            Some(Bytes::from(body)),
        );
        let client_request_id = request.client_request_id_value();
        let response = self.sender.execute(request).await?;
        let response = crate::call::decode::check_status(endpoint, client_request_id, response)?;
        let outer_headers = response.headers().clone();
        let answer: wire::BatchAnswer =
            crate::call::decode::decode_body(endpoint, client_request_id, &response)?;
        let mut answered = Vec::with_capacity(chunk.len());
        for item in answer.responses {
            let Some(index) = item.id.parse::<usize>().ok().filter(|i| chunk.contains(i)) else {
                continue;
            };
            answered.push((index, item.into_response(&outer_headers)));
        }
        for &index in chunk {
            if !answered.iter().any(|(i, _)| *i == index) {
                // The service left a call out: report it as a failed call of its own.
                let mut headers = HeaderMap::new();
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                answered.push((
                    index,
                    RawResponse::new(
                        StatusCode::BAD_GATEWAY,
                        headers,
                        Bytes::from_static(
                            br#"{"error":{"code":"missingBatchResponse","message":"The batch answer had no response for this call."}}"#,
                        ),
                    ),
                ));
            }
        }
        Ok(answered)
    }
}
