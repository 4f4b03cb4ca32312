//! Bulk jobs: one call over thousands of objects, run as one job that finds
//! the service's limit and holds it.
//!
//! Each call goes through the client's ordinary send path, paced by its
//! family's lane (`throttle`); a 429 makes it wait its turn there instead of
//! counting against the retry policy. Calls are taken from the iterator only
//! as places free up, so a job over 50,000 objects holds `concurrency`
//! requests at a time, not 50,000.
//!
//! Calls are sent one request each, not packed into `$batch` requests: Intune
//! counts every item of a batch against its family's limits, so packing
//! saves no quota, and a throttled family's rate, not round trips, is what
//! bounds the job. Packing pays where round trips bound it (a link with high
//! latency and few connections, or a family that is not throttled); use a
//! [`Batch`](crate::Batch) there.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::iter::{Enumerate, Fuse};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use crate::call::Call;
use crate::call::Sendable;
use crate::client::GraphClient;
use crate::client::throttle::Pacing;
use crate::error::Error;

/// Calls in flight at once in a bulk job, unless told otherwise.
pub const DEFAULT_BULK_CONCURRENCY: usize = 64;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type Calls<'a, T> = Fuse<Enumerate<Box<dyn Iterator<Item = Call<'a, T>> + Send + 'a>>>;
type ProgressFn<'a> = Box<dyn FnMut(&BulkSummary) + Send + 'a>;

impl GraphClient {
    /// A bulk job over `calls`: awaited, the result of every call, in the
    /// calls' order.
    ///
    /// The job finds the rate each service family allows and holds it (see
    /// [`Throttling`](crate::Throttling)): it starts at the family's
    /// documented limit (Intune's) or, when none is documented, at 20 calls a
    /// second, raises the rate while answers are clean, and cuts it on a 429,
    /// holding it just under the limit it measured. Inside the job a 429 is
    /// not a failure: the throttled call waits its turn and goes again, and
    /// does not use up the [`RetryPolicy`](crate::RetryPolicy)'s retries (only when
    /// the service has refused every call of the family for the policy's
    /// whole waiting budget does the call fail with the 429). Transport
    /// failures, 503 and 504 are retried under the policy as for any call.
    /// Every call of the client to that family, in bulk or not, shares the
    /// rate learned.
    ///
    /// Calls travel through this client whichever client made them, one
    /// request each (not packed into `$batch` requests: Intune counts each
    /// item of a batch against its limits, so packing saves no quota). A
    /// call whose arguments were invalid gives its error; a test double's
    /// call gives its own answer.
    ///
    /// ```
    /// # use graph_endpoint::{graph_action, Error, Graph, GraphClient};
    /// pub trait ManagedDeviceActions: Graph {
    ///     #[graph_action(POST, "/deviceManagement/managedDevices/<id>/syncDevice", expect = 204)]
    ///     async fn sync_managed_device(&self, id: &str) -> Result<(), Error>;
    /// }
    /// impl ManagedDeviceActions for GraphClient {}
    ///
    /// # async fn demo(graph: GraphClient, device_ids: Vec<String>) {
    /// let results = graph
    ///     .bulk(device_ids.iter().map(|id| graph.sync_managed_device(id)))
    ///     .on_progress(|p| eprintln!("{} of {:?} ({} throttled)", p.done, p.total, p.throttled))
    ///     .await;
    /// for (id, result) in device_ids.iter().zip(&results) {
    ///     if let Err(e) = result {
    ///         eprintln!("{id}: {e}");
    ///     }
    /// }
    /// # }
    /// ```
    pub fn bulk<'a, T, I>(&'a self, calls: I) -> Bulk<'a, T>
    where
        T: Send + 'a,
        I: IntoIterator<Item = Call<'a, T>>,
        I::IntoIter: Send + 'a,
    {
        let calls: Box<dyn Iterator<Item = Call<'a, T>> + Send + 'a> = Box::new(calls.into_iter());
        Bulk {
            client: self,
            calls,
            concurrency: DEFAULT_BULK_CONCURRENCY,
            progress: None,
        }
    }
}

/// A bulk job not yet started (see [`GraphClient::bulk`]): `.await` it for
/// every result in order, [`run`](Self::run) it for the summary too, or
/// take results as they complete with [`stream`](Self::stream).
#[must_use = "a bulk job sends nothing until it is awaited"]
pub struct Bulk<'a, T> {
    client: &'a GraphClient,
    calls: Box<dyn Iterator<Item = Call<'a, T>> + Send + 'a>,
    concurrency: usize,
    progress: Option<ProgressFn<'a>>,
}

impl<T> fmt::Debug for Bulk<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bulk")
            .field("concurrency", &self.concurrency)
            .field("calls", &self.calls.size_hint())
            .finish_non_exhaustive()
    }
}

/// Where a bulk job stands: as the progress callback sees it after each
/// call, and as [`Bulk::run`] reports it at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkSummary {
    /// Calls in the job, when the iterator knows its length.
    pub total: Option<usize>,
    /// Calls finished.
    pub done: usize,
    /// Calls that succeeded.
    pub succeeded: usize,
    /// Calls that failed.
    pub failed: usize,
    /// 429 answers the job's calls received (each waited its turn and went again).
    pub throttled: u64,
    /// Time since the job started.
    pub elapsed: Duration,
}

impl<'a, T: Send + 'a> Bulk<'a, T> {
    /// At most `calls` in flight at once (default [`DEFAULT_BULK_CONCURRENCY`],
    /// 64). The family's rate paces them; this bounds the requests waiting
    /// for it and the memory they hold.
    pub fn concurrency(mut self, calls: usize) -> Self {
        self.concurrency = calls.max(1);
        self
    }

    /// Calls `progress` after every finished call (from the task polling the
    /// job; keep it quick).
    pub fn on_progress(mut self, progress: impl FnMut(&BulkSummary) + Send + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Runs the job: every result in the calls' order, and the summary.
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient) {
    /// use graph_endpoint::Call;
    ///
    /// let calls = (0..3).map(|n| Call::ready(Ok(n * 10)));
    /// let (results, summary) = graph.bulk(calls).run().await;
    /// assert_eq!(results.into_iter().map(Result::unwrap).collect::<Vec<_>>(), [0, 10, 20]);
    /// assert_eq!((summary.done, summary.failed), (3, 0));
    /// # }
    /// ```
    pub async fn run(self) -> (Vec<Result<T, Error>>, BulkSummary) {
        let mut stream = self.stream();
        let mut results: Vec<Option<Result<T, Error>>> = Vec::new();
        while let Some((index, result)) =
            std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await
        {
            if index >= results.len() {
                results.resize_with(index + 1, || None);
            }
            results[index] = Some(result);
        }
        let results = results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(Error::InvalidRequest {
                        endpoint: "bulk",
                        reason: "a call of the job gave no result".to_owned(),
                    })
                })
            })
            .collect();
        (results, stream.summary())
    }

    /// The job as a [`Stream`] of `(index, result)` in the order calls
    /// complete; `index` is the call's place in the iterator.
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient) {
    /// use graph_endpoint::Call;
    /// use graph_endpoint::futures_core::Stream;
    ///
    /// let mut stream = graph.bulk((0..3).map(|n| Call::ready(Ok(n)))).stream();
    /// let mut seen = Vec::new();
    /// while let Some((index, result)) =
    ///     std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await
    /// {
    ///     seen.push((index, result.unwrap()));
    /// }
    /// seen.sort();
    /// assert_eq!(seen, [(0, 0), (1, 1), (2, 2)]);
    /// assert_eq!(stream.summary().done, 3);
    /// # }
    /// ```
    pub fn stream(self) -> BulkStream<'a, T> {
        let calls: Box<dyn Iterator<Item = Call<'a, T>> + Send + 'a> = self.calls;
        let (lower, upper) = calls.size_hint();
        BulkStream {
            client: self.client,
            calls: calls.enumerate().fuse(),
            running: FuturesUnordered::new(),
            concurrency: self.concurrency,
            throttled: Arc::new(AtomicU64::new(0)),
            summary: BulkSummary {
                total: (Some(lower) == upper).then_some(lower),
                ..BulkSummary::default()
            },
            started: None,
            progress: self.progress,
        }
    }
}

impl<'a, T: Send + 'a> IntoFuture for Bulk<'a, T> {
    type Output = Vec<Result<T, Error>>;
    type IntoFuture = BoxFuture<'a, Vec<Result<T, Error>>>;

    /// Runs the job and gives every result, in the calls' order.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.run().await.0 })
    }
}

/// A bulk job's results as they complete (see [`Bulk::stream`]).
#[must_use = "a stream sends nothing until it is polled"]
pub struct BulkStream<'a, T> {
    client: &'a GraphClient,
    calls: Calls<'a, T>,
    running: FuturesUnordered<BoxFuture<'a, (usize, Result<T, Error>)>>,
    concurrency: usize,
    throttled: Arc<AtomicU64>,
    summary: BulkSummary,
    started: Option<Instant>,
    progress: Option<ProgressFn<'a>>,
}

impl<T> fmt::Debug for BulkStream<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkStream")
            .field("summary", &self.summary())
            .field("running", &self.running.len())
            .finish_non_exhaustive()
    }
}

impl<T> BulkStream<'_, T> {
    /// Where the job stands now.
    #[must_use]
    pub fn summary(&self) -> BulkSummary {
        BulkSummary {
            throttled: self.throttled.load(Ordering::Relaxed),
            elapsed: self.started.map_or(Duration::ZERO, |at| at.elapsed()),
            ..self.summary.clone()
        }
    }
}

impl<'a, T: Send + 'a> BulkStream<'a, T> {
    /// Starts calls until `concurrency` are in flight or none are left.
    fn top_up(&mut self) {
        while self.running.len() < self.concurrency {
            let Some((index, call)) = self.calls.next() else {
                return;
            };
            let client = self.client;
            let throttled = Arc::clone(&self.throttled);
            self.running.push(Box::pin(async move {
                (index, run_call(client, call, &throttled).await)
            }));
        }
    }
}

/// One call of a bulk job: sent through `client`, waiting its turn when throttled.
async fn run_call<T>(
    client: &GraphClient,
    call: Call<'_, T>,
    throttled: &AtomicU64,
) -> Result<T, Error> {
    let (request, finish) = match call.into_request() {
        Sendable::Request(request, finish) => (request, finish),
        // Refused, streamed or a test double's: it answers for itself.
        Sendable::Itself(call) => return call.await,
    };
    let endpoint = request.endpoint();
    let client_request_id = request.client_request_id_value();
    let response = client
        .execute_paced::<Bytes>(request, Pacing::Bulk { throttled })
        .await?;
    let response = crate::call::decode::check_status(endpoint, client_request_id, response)?;
    finish(endpoint, client_request_id, response)
}

impl<'a, T: Send + 'a> Stream for BulkStream<'a, T> {
    type Item = (usize, Result<T, Error>);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        this.started.get_or_insert_with(Instant::now);
        this.top_up();
        let Some((index, result)) = std::task::ready!(Pin::new(&mut this.running).poll_next(cx))
        else {
            return Poll::Ready(None);
        };
        this.summary.done += 1;
        if result.is_ok() {
            this.summary.succeeded += 1;
        } else {
            this.summary.failed += 1;
        }
        this.top_up();
        if this.progress.is_some() {
            let summary = this.summary();
            if let Some(progress) = &mut this.progress {
                progress(&summary);
            }
        }
        Poll::Ready(Some((index, result)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (lower, upper) = self.calls.size_hint();
        let running = self.running.len();
        (lower + running, upper.map(|upper| upper + running))
    }
}
