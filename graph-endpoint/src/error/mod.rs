//! The one error type of every declared call ([`Error`]), the Graph error it
//! may carry, and the record of each failed attempt ([`Attempt`]).
//!
//! Below it, what error messages are made of: text quoted from elsewhere,
//! cut short (`quoted`), URLs without their query (`shown_url`), a failed
//! exchange described (`transport`), a body that did not decode told by
//! place, never by value (`json_fault`), and the errors of signing in
//! (`identity`).

pub(crate) mod identity;
pub(crate) mod json_fault;
pub(crate) mod quoted;
pub(crate) mod shown_url;
pub(crate) mod transport;

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::error::identity::TokenError;
use crate::error::quoted::Clipped;

/// Everything that can go wrong in a call of a declared endpoint.
///
/// The variants carry what a caller needs to act: the status, the Graph error
/// code, the `request-id` to quote to Microsoft support, the response headers
/// and the raw body. The questions most callers ask have methods:
///
/// ```
/// # use graph_endpoint::{graph_action, Error, Graph, GraphClient};
/// # pub trait AndroidForWorkEnrollmentProfiles: Graph {
/// #     #[graph_action(
/// #         POST, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken", expect = 204,
/// #         version = "beta", permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
/// #     )]
/// #     async fn revoke_token(&self, id: &str) -> Result<(), Error>;
/// # }
/// # impl AndroidForWorkEnrollmentProfiles for GraphClient {}
/// # async fn demo(graph: graph_endpoint::GraphClient) {
/// match graph.revoke_token("6a6b1c0e-0000-0000-0000-000000000000").await {
///     Ok(()) => println!("revoked"),
///     Err(e) if e.is_not_found() => println!("no such profile"),
///     Err(e) => println!(
///         "failed: status {:?}, code {:?}, request-id {:?}",
///         e.status(),
///         e.graph_code(),
///         e.request_id()
///     ),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with a status the endpoint does not expect.
    #[error("{0}")]
    Status(Box<StatusError>),
    /// The service answered with an expected status, but its body did not decode.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// The request could not be sent, or the connection failed before a full
    /// response arrived. The message says what happened and to which host
    /// and port (`connection refused by 127.0.0.1:9`), and after how many
    /// attempts; never the path, which can hold user data.
    #[error(
        "{endpoint}: {}{}",
        crate::error::transport::describe(source),
        Attempts::always(attempts)
    )]
    Transport {
        /// The endpoint's name.
        endpoint: &'static str,
        /// What the HTTP stack reported on the last attempt.
        #[source]
        source: reqwest::Error,
        /// Every attempt made, the last one included.
        attempts: Vec<Attempt>,
    },
    /// A middleware layer ([`GraphClientBuilder::layer`](crate::GraphClientBuilder::layer))
    /// failed the exchange with an error of its own (not retried).
    #[error("{endpoint}: middleware failed: {}{}", Clipped(&source.to_string()), Attempts::several(attempts))]
    Middleware {
        /// The endpoint's name.
        endpoint: &'static str,
        /// What the layer reported.
        #[source]
        source: crate::error::BoxError,
        /// Every attempt made, the last one included.
        attempts: Vec<Attempt>,
    },
    /// A timeout expired.
    #[error("{endpoint}: {kind}{}", Attempts::several(attempts))]
    Timeout {
        /// The endpoint's name.
        endpoint: &'static str,
        /// Which timeout.
        kind: TimeoutKind,
        /// Every attempt made, the last one included (empty for a call timeout).
        attempts: Vec<Attempt>,
    },
    /// A redirect that the runtime refuses to follow.
    #[error("{endpoint}: redirect refused: {}", Clipped(reason))]
    Redirect {
        /// The endpoint's name.
        endpoint: &'static str,
        /// Why: too many, a loop, https to http, or an unreadable `Location`.
        reason: String,
    },
    /// The call's arguments cannot form a valid request (a path value that would
    /// leave its segment, a body that does not serialize, a header value with
    /// line breaks).
    #[error("{endpoint}: invalid request: {}", Clipped(reason))]
    InvalidRequest {
        /// The endpoint's name.
        endpoint: &'static str,
        /// What is wrong, naming the argument.
        reason: String,
    },
    /// The response body was larger than the client allows.
    #[error("{endpoint}: the response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The endpoint's name.
        endpoint: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// The token source could not produce a token.
    #[error("could not get an access token: {0}")]
    Token(#[source] TokenError),
    /// The client's configuration is invalid.
    #[error("invalid client configuration: {}", Clipped(.0))]
    Config(String),
    /// A call in a JSON batch was not run because a call it depends on failed
    /// (the service answered it `424 Failed Dependency`).
    #[error(
        "{endpoint}: not run: it depends on {dependency} (batch item {dependency_id}), which failed{}",
        match dependency_status { Some(status) => format!(" with {status}"), None => String::new() }
    )]
    FailedDependency {
        /// The endpoint's name.
        endpoint: &'static str,
        /// The name of the endpoint whose call failed.
        dependency: &'static str,
        /// The batch item id of the failed call.
        dependency_id: String,
        /// The status the failed call got, when it got one.
        dependency_status: Option<StatusCode>,
    },
    /// The `$batch` request that carried this call failed as a whole, so the
    /// call got no answer of its own. The source is the batch request's error.
    #[error("{endpoint}: the batch request that carried this call failed: {source}")]
    BatchFailed {
        /// The endpoint's name.
        endpoint: &'static str,
        /// What went wrong with the batch request, shared by its calls.
        #[source]
        source: std::sync::Arc<Error>,
    },
    /// A test double was called for an endpoint it does not implement.
    #[error("{endpoint} is not implemented by this test double")]
    NotImplemented {
        /// The endpoint's name.
        endpoint: &'static str,
    },
    /// A job the service runs in the background (a report export, a
    /// `202 Accepted` operation) ended in failure.
    #[error("{operation}: the job ended with status `{}`{}", Clipped(status), match detail { Some(d) => format!(": {}", Clipped(d)), None => String::new() })]
    JobFailed {
        /// What was waited for (`export_report`, `operation`).
        operation: &'static str,
        /// The status the service gave (`failed`, `cancelled`).
        status: String,
        /// The service's explanation, when it gave one.
        detail: Option<String>,
    },
    /// A job did not complete within the deadline it was given.
    #[error("{operation}: the job did not complete within {} s ({polls} polls; last status `{}`)", deadline.as_secs_f64(), Clipped(last_status.as_deref().unwrap_or("none")))]
    JobDeadline {
        /// What was waited for.
        operation: &'static str,
        /// The deadline that passed.
        deadline: std::time::Duration,
        /// How many times the job was asked for its status.
        polls: u32,
        /// The last status it gave.
        last_status: Option<String>,
    },
    /// A streamed body ended before the length it announced, or is not
    /// whole (a zip without its end record), and could not be resumed.
    #[error(
        "{endpoint}: the body is incomplete after {received} bytes: {}",
        Clipped(reason)
    )]
    Incomplete {
        /// The endpoint or transfer (`download`, `upload`).
        endpoint: &'static str,
        /// The bytes received (or sent) when it stopped.
        received: u64,
        /// What is missing and why it could not be resumed.
        reason: String,
    },
    /// An upload session expired (or was cancelled) on the service: its
    /// `uploadUrl` is gone and the upload must start again with a new session.
    #[error("upload: the upload session expired{}; create a new session and upload again", match expired_at { Some(at) => format!(" (at {})", Clipped(at)), None => String::new() })]
    UploadSessionExpired {
        /// The session's `expirationDateTime`, when known.
        expired_at: Option<String>,
    },
    /// An upload host kept acknowledging chunks without taking them: its
    /// `nextExpectedRanges` did not move past `received` for
    /// `attempts` chunks in a row (each after a pause, as a failed chunk).
    #[error(
        "upload: the upload host is not accepting the data: {attempts} chunks in a row were acknowledged without the upload moving past byte {received}"
    )]
    UploadNotAccepted {
        /// The bytes the host has, by its own account.
        received: u64,
        /// How many chunks in a row it acknowledged without progress.
        attempts: u32,
    },
    /// A list's `@odata.nextLink` led back to a page this stream had already
    /// read: following it would loop for ever, so the stream ends here.
    #[error(
        "{endpoint}: the service's @odata.nextLink leads back to a page already read in this list (after {pages} pages): paging stopped, as following it would loop"
    )]
    PagingLoop {
        /// The list's endpoint.
        endpoint: &'static str,
        /// The pages read before the loop was seen.
        pages: usize,
    },
    /// Reading the source or writing the destination of a transfer failed.
    #[error("{endpoint}: {what}: {source}")]
    Io {
        /// The transfer (`download`, `upload`, a declared endpoint's name).
        endpoint: &'static str,
        /// What was being done.
        what: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The HTTP status of the response, if one arrived.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::Transport { source, .. } => source.status(),
            Error::FailedDependency { .. } => Some(StatusCode::FAILED_DEPENDENCY),
            Error::BatchFailed { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The Graph error of the response body, if it had one.
    #[must_use]
    pub fn graph_error(&self) -> Option<&GraphError> {
        match self {
            Error::Status(e) => e.graph.as_ref(),
            _ => None,
        }
    }

    /// The Graph error code (`itemNotFound`, `accessDenied`, ...): program against this, never the message.
    #[must_use]
    pub fn graph_code(&self) -> Option<&str> {
        self.graph_error().map(|g| g.code.as_str())
    }

    /// The service's `request-id`, from the response headers or the error body.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Status(e) => header_str(&e.headers, "request-id")
                .or_else(|| e.graph.as_ref().and_then(|g| g.request_id.as_deref())),
            Error::Decode(e) => header_str(&e.headers, "request-id"),
            Error::BatchFailed { source, .. } => source.request_id(),
            _ => None,
        }
    }

    /// The `client-request-id` this client sent with the failed request.
    #[must_use]
    pub fn client_request_id(&self) -> Option<&str> {
        match self {
            Error::Status(e) => Some(&e.client_request_id),
            Error::Decode(e) => Some(&e.client_request_id),
            _ => None,
        }
    }

    /// The response headers, if a response arrived.
    #[must_use]
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Error::Status(e) => Some(&e.headers),
            Error::Decode(e) => Some(&e.headers),
            _ => None,
        }
    }

    /// The response body (for a failure status, capped at the client's error-body limit).
    #[must_use]
    pub fn body(&self) -> Option<&Bytes> {
        match self {
            Error::Status(e) => Some(&e.body),
            Error::Decode(e) => Some(&e.body),
            _ => None,
        }
    }

    /// 404: the item does not exist.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// 429: the service is throttling this app or tenant.
    #[must_use]
    pub fn is_throttled(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// 401: no token, or the token is expired or for another audience.
    #[must_use]
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// 403: the token lacks a permission, or the tenant lacks a licence.
    #[must_use]
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(StatusCode::FORBIDDEN)
    }

    /// The identity platform's error, when signing in failed.
    #[must_use]
    pub fn identity_error(&self) -> Option<&crate::error::identity::IdentityError> {
        match self {
            Error::Token(source) => source.downcast_ref(),
            _ => None,
        }
    }

    /// Whether this is a timeout, and which.
    #[must_use]
    pub fn timeout_kind(&self) -> Option<TimeoutKind> {
        match self {
            Error::Timeout { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Every attempt the call made, with what went wrong in each (empty when
    /// the call failed before sending).
    #[must_use]
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            Error::Status(e) => &e.attempts,
            Error::Transport { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::Middleware { attempts, .. } => attempts,
            _ => &[],
        }
    }

    /// Whether trying again later may succeed: timeouts, transport failures,
    /// a sign-in that failed for one of these reasons
    /// ([`IdentityError::is_transient`](crate::IdentityError::is_transient)),
    /// and the statuses the client's own retries repeat
    /// ([`RetryPolicy::retries_status`](crate::RetryPolicy::retries_status):
    /// 429, 503, 504, as Graph's SDKs do). One definition serves both, so an
    /// error the client gave up on after retrying is one this calls retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            // Signing in failed for a reason that may pass.
            Error::Token(_) => self
                .identity_error()
                .is_some_and(crate::error::identity::IdentityError::is_transient),
            _ => self.status().is_some_and(is_transient_status),
        }
    }

    /// The permissions the endpoint declares, worth naming when the call was refused with 403.
    #[must_use]
    pub fn permissions(&self) -> &'static [&'static str] {
        match self {
            Error::Status(e) => e.endpoint.permissions(),
            _ => &[],
        }
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// An unexpected status, with everything the response said.
#[non_exhaustive]
pub struct StatusError {
    /// The endpoint that was called.
    pub endpoint: &'static Endpoint,
    /// The status that arrived.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw body, capped at the client's error-body limit.
    pub body: Bytes,
    /// The Graph error, when the body was one.
    pub graph: Option<GraphError>,
    /// The `client-request-id` that was sent.
    pub client_request_id: String,
    /// Every attempt made, the last one included.
    pub attempts: Vec<Attempt>,
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered {}, expected {}",
            self.endpoint,
            self.status,
            ExpectList(self.endpoint.expect())
        )?;
        match &self.graph {
            Some(graph) => write!(f, ": {}: {}", Clipped(&graph.code), Clipped(&graph.message))?,
            None if self.body.is_empty() => f.write_str(" (empty body)")?,
            None => f.write_str(" (the body is not a Graph error)")?,
        }
        if self.status == StatusCode::FORBIDDEN && !self.endpoint.permissions().is_empty() {
            write!(
                f,
                "; this endpoint needs one of the permissions {}",
                self.endpoint.permissions().join(", ")
            )?;
        }
        let request_id = header_str(&self.headers, "request-id")
            .or_else(|| self.graph.as_ref().and_then(|g| g.request_id.as_deref()));
        if let Some(id) = request_id {
            write!(f, " [request-id {}]", Clipped(id))?;
        }
        write!(f, " [client-request-id {}]", self.client_request_id)?;
        write!(f, "{}", Attempts::several(&self.attempts))
    }
}

/// One attempt of a call that did not succeed, kept in the final error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first try, 2 for the first retry, ...
    pub number: u32,
    /// What went wrong: a status such as `429 Too Many Requests`, or a transport failure.
    pub outcome: String,
    /// How long the client waited before the next attempt (`None` for the last one).
    pub waited: Option<Duration>,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attempt {}: {}", self.number, self.outcome)?;
        if let Some(wait) = self.waited {
            write!(f, " (waited {} ms)", wait.as_millis())?;
        }
        Ok(())
    }
}

/// The error a middleware service may fail with. A [`reqwest::Error`] in it
/// is reported as a transport failure (and retried like one); anything else
/// fails the call with [`Error::Middleware`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Whether an answer with this status may succeed if asked again later: 429,
/// 503 and 504, as Graph's SDKs have it. The one definition behind
/// [`Error::is_retryable`], [`IdentityError::is_transient`](crate::IdentityError::is_transient)
/// and the statuses [`RetryPolicy`](crate::RetryPolicy) retries.
#[inline]
pub(crate) fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 503 | 504)
}

/// ", after 3 attempts (attempt 1: 503 ...; attempt 2: ...)"; for a single
/// attempt ", after 1 attempt" or nothing.
struct Attempts<'a> {
    attempts: &'a [Attempt],
    count_one: bool,
}

impl<'a> Attempts<'a> {
    /// Says nothing for a single attempt.
    fn several(attempts: &'a [Attempt]) -> Self {
        Attempts {
            attempts,
            count_one: false,
        }
    }

    /// Says ", after 1 attempt" too: a transport failure reads differently
    /// once one knows it was not retried.
    fn always(attempts: &'a [Attempt]) -> Self {
        Attempts {
            attempts,
            count_one: true,
        }
    }
}

impl fmt::Display for Attempts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.attempts.len() {
            0 | 1 if self.count_one => f.write_str(", after 1 attempt"),
            0 | 1 => Ok(()),
            n => {
                write!(f, ", after {n} attempts (")?;
                // The first two and the last: the message stays short
                // however many retries there were; `Error::attempts` has all.
                for (i, attempt) in self.attempts.iter().enumerate() {
                    if n > 3 && i == 2 {
                        f.write_str("; …")?;
                    }
                    if n > 3 && (2..n - 1).contains(&i) {
                        continue;
                    }
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{attempt}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Which timeout expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Opening the connection took too long.
    Connect,
    /// One attempt (request and response body) took too long.
    Attempt,
    /// The whole call, retries and waits included, took too long.
    Call,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "the connection could not be opened in time",
            TimeoutKind::Attempt => "an attempt took longer than the attempt timeout",
            TimeoutKind::Call => "the call took longer than the call timeout",
        })
    }
}

struct ExpectList(&'static [u16]);

impl fmt::Display for ExpectList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, status) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{status}")?;
        }
        Ok(())
    }
}

/// An expected status whose body did not decode into the declared type.
#[non_exhaustive]
pub struct DecodeError {
    /// The endpoint that was called.
    pub endpoint: &'static Endpoint,
    /// The status that arrived.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as it arrived.
    pub body: Bytes,
    /// What serde reported. Its own message may quote a value of the body:
    /// this error's `Display` and `Debug` never show it, and say
    /// [`path`](Self::path), [`problem`](Self::problem) and
    /// [`expected`](Self::expected) instead.
    pub source: serde_json::Error,
    /// The JSON path of the value that did not decode (`value[3].displayName`;
    /// `.` for the whole body).
    pub path: String,
    /// What was wrong there, quoting nothing of the body: `invalid type: string`,
    /// ``missing field `id` ``, `EOF while parsing a value (line 1, column 9)`.
    pub problem: String,
    /// What the declared type wanted there (`i32`, `a string`,
    /// ``one of `a`, `b` ``), when serde says.
    pub expected: Option<String>,
    /// The `client-request-id` that was sent.
    pub client_request_id: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered {} with a body that does not decode: ",
            self.endpoint, self.status,
        )?;
        // A value the metadata declares another type for reads as the path,
        // the declared type, what was found and how to switch to lenient.
        if let Some(declared) = self
            .expected
            .as_deref()
            .and_then(crate::validation::declared_type)
        {
            write!(
                f,
                "{}: expected {}, {}{}",
                Clipped(&self.path),
                Clipped(declared),
                Clipped(&self.problem),
                crate::validation::HOW_TO_SWITCH,
            )?;
        } else {
            write!(
                f,
                "at `{}`: {}",
                Clipped(&self.path),
                Clipped(&self.problem)
            )?;
            if let Some(expected) = &self.expected {
                write!(f, ", expected {}", Clipped(expected))?;
            }
        }
        write!(f, " ({} bytes)", self.body.len())
    }
}

/// A Graph error body: `{"error": {"code", "message", "innerError": {...}}}`.
///
/// ```
/// use graph_endpoint::GraphError;
/// let body = br#"{"error": {"code": "itemNotFound", "message": "Not found",
///     "innerError": {"code": "profileMissing", "request-id": "r1", "date": "2021-05-18T19:03:10"}}}"#;
/// let error = GraphError::from_body(body).unwrap();
/// assert_eq!(error.code, "itemNotFound");
/// assert_eq!(error.inner_codes, ["profileMissing"]);
/// assert_eq!(error.request_id.as_deref(), Some("r1"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GraphError {
    /// The error code: program against this.
    pub code: String,
    /// The human-readable message (unlocalised, may change).
    pub message: String,
    /// The codes of nested `innerError`s, outermost first: more specific causes.
    pub inner_codes: Vec<String>,
    /// The service's `request-id`.
    pub request_id: Option<String>,
    /// The `client-request-id` the service saw.
    pub client_request_id: Option<String>,
    /// When the error happened, as the service wrote it (no time zone; UTC).
    pub date: Option<String>,
}

impl GraphError {
    /// Parses a Graph error body; `None` if the body is not one (HTML, empty, other JSON).
    pub fn from_body(body: &[u8]) -> Option<GraphError> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let error = value.get("error")?;
        let code = error.get("code")?.as_str()?.to_owned();
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut parsed = GraphError {
            code,
            message,
            inner_codes: Vec::new(),
            request_id: None,
            client_request_id: None,
            date: None,
        };
        let mut inner = inner_error(error);
        while let Some(level) = inner {
            let text = |key: &str| level.get(key).and_then(Value::as_str).map(str::to_owned);
            if let Some(code) = text("code") {
                parsed.inner_codes.push(code);
            }
            // `requestId` is how Graph's errors page spells it.
            parsed.request_id = parsed
                .request_id
                .or_else(|| text("request-id"))
                .or_else(|| text("requestId"));
            parsed.client_request_id = parsed
                .client_request_id
                .or_else(|| text("client-request-id"));
            parsed.date = parsed.date.or_else(|| text("date"));
            inner = inner_error(level);
        }
        Some(parsed)
    }
}

/// Some services spell it `innerError`, others `innererror`.
fn inner_error(level: &Value) -> Option<&Value> {
    level
        .get("innerError")
        .or_else(|| level.get("innererror"))
        .filter(|v| v.is_object())
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", Clipped(&self.code), Clipped(&self.message))
    }
}

impl fmt::Debug for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphError")
            .field("code", &Clipped(&self.code))
            .field("message", &Clipped(&self.message))
            .field("inner_codes", &self.inner_codes)
            .field("request_id", &self.request_id.as_deref().map(Clipped))
            .field(
                "client_request_id",
                &self.client_request_id.as_deref().map(Clipped),
            )
            .field("date", &self.date.as_deref().map(Clipped))
            .finish()
    }
}

/// A body in `Debug` output: its length and its start, never all of it.
struct BodyPreview<'a>(&'a [u8]);

impl fmt::Debug for BodyPreview<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = String::from_utf8_lossy(self.0);
        write!(f, "{} bytes ", self.0.len())?;
        fmt::Debug::fmt(&Clipped(&text), f)
    }
}

/// Headers in `Debug` output: names, and values clipped.
struct HeadersPreview<'a>(&'a HeaderMap);

impl fmt::Debug for HeadersPreview<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes());
                (name.as_str().to_owned(), Clipped(&value).to_string())
            }))
            .finish()
    }
}

impl fmt::Debug for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusError")
            .field("endpoint", &self.endpoint.name())
            .field("status", &self.status)
            .field("headers", &HeadersPreview(&self.headers))
            .field("body", &BodyPreview(&self.body))
            .field("graph", &self.graph)
            .field("client_request_id", &self.client_request_id)
            .field("attempts", &self.attempts.len())
            .finish()
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A body that decoded in part may hold secrets (`tokenValue`,
        // `secretText`): its length only, and serde's message not at all.
        f.debug_struct("DecodeError")
            .field("endpoint", &self.endpoint.name())
            .field("status", &self.status)
            .field("headers", &HeadersPreview(&self.headers))
            .field("body_bytes", &self.body.len())
            .field("path", &Clipped(&self.path))
            .field("problem", &Clipped(&self.problem))
            .field("expected", &self.expected.as_deref().map(Clipped))
            .field("client_request_id", &self.client_request_id)
            .finish()
    }
}
