//! Waiting for a job the service runs in the background: a `202 Accepted`
//! whose `Location` is polled, or an entity whose `status` is polled (a
//! report export). Polls keep the interval the service asks for
//! (`Retry-After`), else back off; a deadline bounds the whole wait; dropping
//! the future stops polling (nothing runs in the background).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use crate::client::GraphClient;
use crate::endpoint::{Endpoint, Method};
use crate::error::Error;
use crate::http_stack::retry::retry_after;
use crate::request::Request;
use crate::response::Response;
use crate::transfer::check_transfer_url;

static OPERATION: Endpoint = crate::endpoint::endpoint(
    "operation",
    Method::Get,
    "<Location>",
    &[200, 201, 202, 302, 303],
    None,
    &[],
    &[],
);

type OnPoll = Arc<dyn Fn(&Polled<'_>) + Send + Sync>;

/// How long and how often to wait for a background job: a deadline for the
/// whole wait (default 10 minutes), and the interval between polls when the
/// service does not give one with `Retry-After` (from 1 s, doubling up to
/// 30 s). Optionally, a callback told of every poll.
///
/// ```
/// use std::time::Duration;
/// use graph_endpoint::Wait;
///
/// let wait = Wait::default()
///     .deadline(Duration::from_secs(120))
///     .interval(Duration::from_millis(500), Duration::from_secs(10))
///     .on_poll(|poll| eprintln!("poll {}: {}", poll.number, poll.status));
/// assert_eq!(wait.deadline_after(), Duration::from_secs(120));
/// ```
#[derive(Clone)]
pub struct Wait {
    deadline: Duration,
    first_interval: Duration,
    max_interval: Duration,
    min_interval: Duration,
    on_poll: Option<OnPoll>,
}

/// The shortest wait between two polls by default, whatever the service's
/// `Retry-After` says (`0`, a fraction of a second, a date in the past).
pub const DEFAULT_MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);

impl Default for Wait {
    fn default() -> Self {
        Wait {
            deadline: Duration::from_secs(600),
            first_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            min_interval: DEFAULT_MIN_POLL_INTERVAL,
            on_poll: None,
        }
    }
}

impl fmt::Debug for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("deadline", &self.deadline)
            .field("first_interval", &self.first_interval)
            .field("max_interval", &self.max_interval)
            .field("min_interval", &self.min_interval)
            .finish_non_exhaustive()
    }
}

/// One poll of a job, as [`Wait::on_poll`] is told of it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Polled<'a> {
    /// 1 for the first poll.
    pub number: u32,
    /// The status the job gave (`notStarted`, `inProgress`, ...).
    pub status: &'a str,
    /// Time since the wait began.
    pub elapsed: Duration,
    /// The wait before the next poll.
    pub next_poll_in: Duration,
}

impl Wait {
    /// The longest the whole wait may take; past it the wait fails with
    /// [`Error::JobDeadline`].
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The deadline set.
    #[must_use]
    pub fn deadline_after(&self) -> Duration {
        self.deadline
    }

    /// The interval between polls when the service gives no `Retry-After`:
    /// `first`, doubling up to `max`. A `first` below the
    /// [`min_interval`](Self::min_interval) lowers that floor to it.
    #[must_use]
    pub fn interval(mut self, first: Duration, max: Duration) -> Self {
        self.first_interval = first;
        self.max_interval = max.max(first);
        self.min_interval = self.min_interval.min(first);
        self
    }

    /// The shortest wait between two polls (default
    /// [`DEFAULT_MIN_POLL_INTERVAL`], 1 s), whatever the service's
    /// `Retry-After` says: `Retry-After: 0`, a fraction of a second or a date
    /// in the past never make the polls come faster than this.
    ///
    /// ```
    /// use std::time::Duration;
    /// use graph_endpoint::Wait;
    ///
    /// let wait = Wait::default().min_interval(Duration::from_millis(200));
    /// assert_eq!(wait.poll_floor(), Duration::from_millis(200));
    /// ```
    #[must_use]
    pub fn min_interval(mut self, floor: Duration) -> Self {
        self.min_interval = floor;
        self
    }

    /// The floor set by [`min_interval`](Self::min_interval).
    #[must_use]
    pub fn poll_floor(&self) -> Duration {
        self.min_interval
    }

    /// Calls `on_poll` after every poll that found the job still running.
    #[must_use]
    pub fn on_poll(mut self, on_poll: impl Fn(&Polled<'_>) + Send + Sync + 'static) -> Self {
        self.on_poll = Some(Arc::new(on_poll));
        self
    }
}

/// What one poll found.
pub(crate) enum Step<T> {
    /// Still running, with the status it gave and the wait it asked for.
    Running {
        status: String,
        retry_after: Option<Duration>,
    },
    Done(T),
}

/// Polls until `poll` says done, within `wait`'s deadline. The first poll
/// comes after `first_delay` (a 202's `Retry-After`), or at once.
pub(crate) async fn poll_until<T, F, Fut>(
    operation: &'static str,
    wait: &Wait,
    first_delay: Option<Duration>,
    mut poll: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Step<T>, Error>>,
{
    let started = Instant::now();
    let deadline = started + wait.deadline;
    let mut polls = 0u32;
    let mut last_status: Option<String> = None;
    let mut backoff = wait.first_interval;
    // A service that asks to be polled again at once is not polled in a
    // tight loop: every wait it asks for is kept above the floor.
    let floor = |asked: Duration| asked.max(wait.min_interval);
    let mut delay = first_delay.map(floor);
    let expired = |polls: u32, last_status: Option<String>| Error::JobDeadline {
        operation,
        deadline: wait.deadline,
        polls,
        last_status,
    };
    loop {
        if let Some(delay) = delay {
            let wake = Instant::now() + delay;
            if wake >= deadline {
                tokio::time::sleep_until(deadline).await;
                return Err(expired(polls, last_status));
            }
            tokio::time::sleep_until(wake).await;
        }
        polls += 1;
        let step = match tokio::time::timeout_at(deadline, poll()).await {
            Ok(step) => step?,
            Err(_) => return Err(expired(polls, last_status)),
        };
        match step {
            Step::Done(value) => return Ok(value),
            Step::Running {
                status,
                retry_after,
            } => {
                let next = match retry_after {
                    Some(asked) => floor(asked),
                    None => {
                        let next = floor(backoff);
                        backoff = (backoff * 2).min(wait.max_interval);
                        next
                    }
                };
                if let Some(on_poll) = &wait.on_poll {
                    on_poll(&Polled {
                        number: polls,
                        status: &status,
                        elapsed: started.elapsed(),
                        next_poll_in: next,
                    });
                }
                tracing::debug!(operation, poll = polls, status = %status, next_ms = next.as_millis() as u64, "job still running");
                last_status = Some(status);
                delay = Some(next);
            }
        }
    }
}

impl Wait {
    /// Waits for a resource the service works on in the background (a job
    /// whose `status` tells where it is, such as a report export): calls
    /// `poll` at once, then again after each wait, until the status says the
    /// job is done, and returns the resource it last answered.
    ///
    /// `poll` makes the call that reads the resource (any [`Call`](crate::Call)
    /// or future answering a [`Response`]); `status` reads the status from
    /// it. Statuses are read as Graph's job statuses are, in any case:
    /// `completed`, `succeeded`, `success` are done; `failed`, `cancelled`,
    /// `canceled`, `error` are [`Error::JobFailed`]; anything else
    /// (`notStarted`, `inProgress`, ...) is still running. Each answer's
    /// `Retry-After` sets the next wait, else the interval backs off; no
    /// wait is shorter than the [`min_interval`](Self::min_interval).
    /// `operation` names the wait in its errors. Dropping the future stops
    /// the polling.
    ///
    /// ```
    /// use graph_endpoint::{graph_action, Error, Graph, GraphClient, Response, Wait};
    ///
    /// #[derive(serde::Deserialize)]
    /// pub struct ExportJob {
    ///     pub status: String,
    ///     pub url: Option<String>,
    /// }
    ///
    /// pub trait ExportJobs: Graph {
    ///     #[graph_action(GET, "/deviceManagement/reports/exportJobs('<id>')", expect = 200, version = "beta")]
    ///     async fn get_export_job(&self, id: &str) -> Result<Response<ExportJob>, Error>;
    /// }
    /// impl ExportJobs for GraphClient {}
    ///
    /// # async fn demo(graph: GraphClient) -> Result<(), Error> {
    /// let job = Wait::default()
    ///     .until_done("export_report", || graph.get_export_job("Devices_05e1"), |job| job.status.clone())
    ///     .await?;
    /// println!("{:?}", job.url);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when the status says the job failed;
    /// [`Error::JobDeadline`] when the deadline passes first; and the first
    /// error a poll answers.
    pub async fn until_done<T, C>(
        &self,
        operation: &'static str,
        mut poll: impl FnMut() -> C,
        status: impl Fn(&T) -> String,
    ) -> Result<T, Error>
    where
        C: IntoFuture<Output = Result<Response<T>, Error>>,
    {
        let status = &status;
        poll_until(operation, self, None, move || {
            let answer = poll();
            async move {
                let response = answer.await?;
                let asked = retry_after(response.headers(), SystemTime::now());
                let resource = response.into_body();
                let status = status(&resource);
                match said(&status) {
                    Said::Done => Ok(Step::Done(resource)),
                    Said::Failed => Err(Error::JobFailed {
                        operation,
                        status,
                        detail: None,
                    }),
                    Said::Running => Ok(Step::Running {
                        status,
                        retry_after: asked,
                    }),
                }
            }
        })
        .await
    }
}

/// The end of a `202 Accepted` operation: the last answer of its
/// `Location`, and where the result is when the service says so.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Completed {
    /// The status of the last answer.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body (the operation's status object, or the result itself).
    pub body: Bytes,
    /// The result's location: a `303`/`302`'s `Location`, or the body's
    /// `resourceLocation`.
    pub resource_location: Option<String>,
}

impl Completed {
    /// The body decoded as JSON.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] (endpoint `operation`) when the body does not
    /// decode as `T`.
    ///
    /// ```
    /// # fn demo(done: graph_endpoint::Completed) -> Result<(), graph_endpoint::Error> {
    /// let value: serde_json::Value = done.json()?;
    /// # Ok(()) }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        crate::error::json_fault::from_slice(&self.body).map_err(|(_, fault)| {
            Error::InvalidRequest {
                endpoint: "operation",
                reason: format!("the completed operation's body does not decode: {fault}"),
            }
        })
    }
}

/// Where a `202`'s `Location` is polled.
enum PollTarget {
    /// Under the client's base URL: a Graph call, with the token.
    Graph(String),
    /// Anywhere else: without the token.
    Elsewhere(reqwest::Url),
}

/// What a job's `status` says.
enum Said {
    Running,
    Done,
    Failed,
}

/// Graph's job statuses, in any case: `notStarted`, `inProgress`,
/// `running`, `waiting`, `pending`, `accepted` run; `completed`,
/// `succeeded`, `success` are done; `failed`, `cancelled`, `canceled`,
/// `error` failed; anything else is taken as still running.
fn said(status: &str) -> Said {
    match status.to_ascii_lowercase().as_str() {
        "completed" | "succeeded" | "success" => Said::Done,
        "failed" | "cancelled" | "canceled" | "error" => Said::Failed,
        _ => Said::Running,
    }
}

/// The explanation a failed job's body gives, if any.
fn failure_detail(body: &Value) -> Option<String> {
    body.pointer("/error/message")
        .or_else(|| body.get("statusDetail"))
        .or_else(|| body.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

impl GraphClient {
    /// Waits for the operation a `202 Accepted` answer started: polls its
    /// `Location` (first after the answer's `Retry-After`, if any), keeping
    /// each poll's `Retry-After` or backing off as `wait` says, until the
    /// operation is done, within `wait`'s deadline.
    ///
    /// A poll that answers `202` is still running; `200`/`201` with a
    /// `status` of `notStarted`, `inProgress`, ... is still running, with
    /// `completed`/`succeeded` done, with `failed` an [`Error::JobFailed`];
    /// a `200`/`201` without `status` is the result; a `303`/`302` is done,
    /// its `Location` in [`Completed::resource_location`]. A `Location`
    /// under the client's base URL is polled as a Graph call (token,
    /// retries); one on another host is polled without the token, and only
    /// over https (or http on this machine). Dropping the future stops the
    /// polling; the deadline is [`Error::JobDeadline`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when `accepted` has no `Location`, or it does
    /// not parse or (on another host) is not https or carries credentials;
    /// [`Error::JobFailed`] when a poll says `failed`, `cancelled` or `error`;
    /// [`Error::JobDeadline`] when `wait`'s deadline passes first; and a poll's
    /// failure: [`Error::Status`] for a status other than 200, 201, 202, 302 or
    /// 303, [`Error::Transport`], [`Error::Timeout`], [`Error::Middleware`],
    /// [`Error::BodyTooLarge`], and for a `Location` under the base URL
    /// [`Error::Token`] or [`Error::Redirect`].
    ///
    /// ```
    /// use graph_endpoint::{graph_action, Error, Graph, GraphClient, Response, Wait};
    ///
    /// pub trait Jobs: Graph {
    ///     #[graph_action(POST, "/deviceManagement/reports/exportJobs", expect = 202, version = "beta",
    ///                    headers("Prefer" = "respond-async"))]
    ///     async fn start_export(&self, #[body] job: &serde_json::Value) -> Result<Response<()>, Error>;
    /// }
    /// impl Jobs for GraphClient {}
    ///
    /// # async fn demo(graph: GraphClient) -> Result<(), Error> {
    /// let accepted = graph.start_export(&serde_json::json!({"reportName": "Devices"})).await?;
    /// let done = graph.wait_for_operation(&accepted, &Wait::default()).await?;
    /// let job: serde_json::Value = done.json()?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_operation<T>(
        &self,
        accepted: &Response<T>,
        wait: &Wait,
    ) -> Result<Completed, Error> {
        let location = accepted.location().ok_or_else(|| Error::InvalidRequest {
            endpoint: "operation",
            reason: format!("the {} answer has no Location to poll", accepted.status()),
        })?;
        let location = self.resolve(location)?;
        let first = retry_after(accepted.headers(), SystemTime::now());
        poll_until("operation", wait, first, || self.poll_location(&location)).await
    }

    /// `location` made absolute against the base URL, and judged by its
    /// parsed origin and path: under the base URL it is polled as a Graph
    /// call (with the token); anywhere else without it, and only when https
    /// (or plain http on this machine).
    fn resolve(&self, location: &str) -> Result<PollTarget, Error> {
        let base = reqwest::Url::parse(self.base_url()).map_err(|e| Error::InvalidRequest {
            endpoint: "operation",
            reason: format!("the base URL does not parse: {e}"),
        })?;
        let url = base.join(location).map_err(|e| Error::InvalidRequest {
            endpoint: "operation",
            reason: format!("the Location does not parse: {e}"),
        })?;
        if self.is_under_base(&url) {
            return Ok(PollTarget::Graph(url.into()));
        }
        check_transfer_url("operation", "the Location", url.as_str()).map(PollTarget::Elsewhere)
    }

    async fn poll_location(&self, location: &PollTarget) -> Result<Step<Completed>, Error> {
        let (status, headers, body) = match location {
            PollTarget::Graph(link) => {
                let request = Request::link(&OPERATION, link);
                let id = request.client_request_id_value();
                let response = crate::call::decode::check_status(
                    &OPERATION,
                    id,
                    self.execute(request).await?,
                )?;
                let status = response.status();
                let headers = response.headers().clone();
                (status, headers, response.into_body())
            }
            PollTarget::Elsewhere(url) => {
                let request = reqwest::Request::new(http::Method::GET, url.clone());
                let answer = self.send_foreign("operation", request).await?;
                if !OPERATION.expects(answer.status().as_u16()) {
                    return Err(answer.into_status_error(self, &OPERATION).await);
                }
                answer.read(self.inner.max_body_bytes).await?
            }
        };
        let asked = retry_after(&headers, SystemTime::now());
        let header = |name: http::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if matches!(status.as_u16(), 302 | 303) {
            return Ok(Step::Done(Completed {
                resource_location: header(http::header::LOCATION),
                status,
                headers,
                body,
            }));
        }
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let job_status = json.get("status").and_then(Value::as_str);
        // A monitor may say `completed` (or `failed`) with a 202 still
        // (Graph's long-running actions page shows it): the body decides.
        let said_over = job_status.map(said).filter(|s| !matches!(s, Said::Running));
        if status == StatusCode::ACCEPTED && said_over.is_none() {
            return Ok(Step::Running {
                status: job_status.unwrap_or("accepted").to_owned(),
                retry_after: asked,
            });
        }
        let done = || Completed {
            resource_location: json
                .get("resourceLocation")
                .and_then(Value::as_str)
                .map(str::to_owned),
            status,
            headers: headers.clone(),
            body: body.clone(),
        };
        match job_status.map(said) {
            None | Some(Said::Done) => Ok(Step::Done(done())),
            Some(Said::Running) => Ok(Step::Running {
                status: job_status.unwrap_or_default().to_owned(),
                retry_after: asked,
            }),
            Some(Said::Failed) => Err(Error::JobFailed {
                operation: "operation",
                status: job_status.unwrap_or_default().to_owned(),
                detail: failure_detail(&json),
            }),
        }
    }
}
