//! The HTTP client that sends the requests of declared endpoints.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::future::Either;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, USER_AGENT};
use http::{HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tower::ServiceExt;
use tracing::Instrument;

use crate::batch::Batch;
use crate::limits::{InFlight, RateLimit};
use crate::middleware::{BoxedLayer, HttpService};
use crate::redirect::{is_redirect, next_hop};
use crate::{
    AccessToken, ApiVersion, Attempt, Cloud, Collection, Endpoint, Error, Graph, HttpStack, Method,
    RawResponse, Request, RetryPolicy, TimeoutKind, TokenSource,
};

static NEXT_PAGE: Endpoint = crate::endpoint::endpoint(
    "next_page",
    Method::Get,
    "<@odata.nextLink>",
    &[200],
    None,
    &[],
    &[],
);

/// The default cap on the length of a request's URL: 16 KiB. Graph's front
/// ends refuse longer request lines (`414 URI Too Long`), so a longer URL is
/// refused before it is sent, with an error naming both lengths.
pub const DEFAULT_MAX_URL_BYTES: usize = 16 * 1024;

/// The default cap on a success body: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// The default cap on the part of an error body kept in an [`Error`]: 64 KiB.
pub const DEFAULT_MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

// Graph's own headers, named once rather than parsed from text per request.
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");
const SDK_VERSION: HeaderName = HeaderName::from_static("sdkversion");
const RETRY_ATTEMPT: HeaderName = HeaderName::from_static("retry-attempt");

/// A Microsoft Graph client: one connection pool, one token source, one base
/// URL, one retry policy, and limits shared by every clone.
///
/// Cheap to clone: clones share the pool, the configuration and the limits.
/// Implement your endpoint traits for it with one line each
/// (`impl MyEndpoints for GraphClient {}`).
///
/// ```
/// use graph_endpoint::{ApiVersion, Cloud, GraphClient};
///
/// let graph = GraphClient::builder()
///     .cloud(Cloud::UsGovL4)
///     .version(ApiVersion::Beta)
///     .token("eyJ0eXAi...")
///     .build()
///     .unwrap();
/// assert_eq!(graph.base_url(), "https://graph.microsoft.us");
/// ```
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<ClientInner>,
}

/// Where the `Authorization` header comes from.
enum Auth {
    /// A fixed token: the header is built once, not on every request.
    Static(HeaderValue),
    /// A source asked before every attempt.
    Source(Arc<dyn TokenSource>),
}

/// The token configured on the builder.
enum TokenChoice {
    Static(AccessToken),
    Source(Arc<dyn TokenSource>),
}

struct ClientInner {
    http: reqwest::Client,
    /// The middleware stack over `http`, when layers were given.
    middleware: Option<HttpService>,
    /// `http` came from the caller, who may have let it follow redirects.
    user_http_client: bool,
    root: String,
    /// `root`, parsed once, with a placeholder path: each call's URL is a
    /// clone of it with the path and query set, so the scheme and host are
    /// not parsed again for every call (see `target`).
    url_template: reqwest::Url,
    /// The path of `root` without its trailing slash (empty for a bare
    /// host), which every call's path goes under.
    base_path: String,
    version: ApiVersion,
    auth: Auth,
    user_agent: HeaderValue,
    sdk_version_v1: HeaderValue,
    sdk_version_beta: HeaderValue,
    max_url_bytes: usize,
    max_body_bytes: usize,
    max_error_body_bytes: usize,
    retry: RetryPolicy,
    attempt_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    in_flight: InFlight,
    rate: RateLimit,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("base_url", &self.inner.root)
            .field("version", &self.inner.version)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Why one attempt did not produce a response.
enum AttemptError {
    /// The HTTP exchange failed (retried when safe).
    Transport(reqwest::Error),
    /// The exchange took longer than the attempt timeout (retried when safe).
    TimedOut,
    /// A middleware layer failed the exchange with an error of its own.
    Middleware(crate::BoxError),
    /// A failure that retrying cannot fix.
    Final(Error),
}

impl AttemptError {
    /// Whether the request surely never reached the service, so that sending
    /// it again is safe whatever its method.
    fn never_left(&self) -> bool {
        matches!(self, AttemptError::Transport(source) if source.is_connect())
    }

    /// The outcome as an [`Attempt`] records it.
    fn describe(&self) -> String {
        match self {
            AttemptError::Transport(source) => crate::transport_error::describe(source),
            AttemptError::TimedOut => "attempt timed out".to_owned(),
            AttemptError::Middleware(source) => {
                format!("middleware: {}", crate::error::Clipped(&source.to_string()))
            }
            AttemptError::Final(error) => error.to_string(),
        }
    }

    /// The error the call ends with, after `attempts`.
    fn into_error(self, endpoint: &'static str, attempts: Vec<Attempt>) -> Error {
        match self {
            AttemptError::Transport(source) => transport_error(endpoint, source, attempts),
            AttemptError::TimedOut => Error::Timeout {
                endpoint,
                kind: TimeoutKind::Attempt,
                attempts,
            },
            AttemptError::Middleware(source) => Error::Middleware {
                endpoint,
                source,
                attempts,
            },
            AttemptError::Final(error) => error,
        }
    }
}

/// The room, in bytes, that a call's URL template leaves for the path and
/// query after the base URL: most Graph URLs fit in it.
const URL_ROOM: usize = 192;

/// What every attempt of one call shares, worked out once per call.
struct Prepared {
    version: ApiVersion,
    url: reqwest::Url,
    client_request_id: HeaderValue,
}

/// What an attempt sends besides its method and URL.
struct GraphHeaders<'a> {
    request: &'a Request,
    prepared: &'a Prepared,
    body: Option<&'a Bytes>,
    /// The attempt's number, from 1.
    number: u32,
    /// `None` once a redirect left the origin the token was meant for.
    authorization: Option<&'a HeaderValue>,
}

impl GraphClient {
    /// Starts configuring a client.
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder::default()
    }

    /// The Graph root URL requests go to, without the version.
    pub fn base_url(&self) -> &str {
        &self.inner.root
    }

    /// The version used by endpoints that do not pin one.
    pub fn default_version(&self) -> ApiVersion {
        self.inner.version
    }

    /// Reads the page an `@odata.nextLink` points to, following the link
    /// verbatim. The link must start with this client's base URL: the token is
    /// never sent anywhere else.
    ///
    /// A declared list that returns [`Paged`](crate::Paged) follows the links
    /// itself, sending the list's headers again on every page.
    pub async fn next_page<T: DeserializeOwned>(
        &self,
        next_link: &str,
    ) -> Result<Collection<T>, Error> {
        crate::call::constructors::call_json(self, Ok(Request::link(&NEXT_PAGE, next_link))).await
    }

    /// Starts a JSON batch: calls of declared endpoints given to
    /// [`Batch::add`] travel 20 to a request. See [`Batch`].
    pub fn batch(&self) -> Batch {
        Batch::new(self.clone())
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Sends one call: the work behind every declared method, in one
    /// non-generic function so that thousands of endpoints share it. Retries,
    /// redirects, limits and timeouts all happen here; the response comes
    /// back whatever its status.
    ///
    /// The URL is worked out when `execute` is called; nothing is sent until
    /// the future is awaited.
    pub fn execute(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<RawResponse, Error>> + Send + '_ {
        // Refused here, before the `async` block: were the `Result` moved into
        // it and unwrapped there, the block would keep two copies of
        // `Prepared`.
        let prepared = match self.prepare(&request) {
            Ok(prepared) => prepared,
            Err(error) => return Either::Left(std::future::ready(Err(error))),
        };
        let endpoint = request.endpoint();
        // The path template, never the filled path: values can be user names.
        let span = tracing::info_span!(
            "graph.call",
            endpoint = endpoint.name(),
            method = endpoint.method().as_str(),
            path = endpoint.path(),
            version = tracing::field::Empty,
            client_request_id = request.client_request_id(),
            request_id = tracing::field::Empty,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        // One `async` block holds the request; the retry loop borrows it, so
        // it is not copied into each layer of the call's state machine.
        Either::Right(async move {
            // Without a subscriber that wants the span, its fields are not
            // worked out at all (two clock reads and a header lookup a call).
            let recording = !span.is_disabled();
            let started = recording.then(|| {
                span.record("version", prepared.version.as_str());
                Instant::now()
            });
            let call = self.execute_with_retries(&request, &prepared);
            let result = match self.inner.call_timeout {
                Some(limit) => match tokio::time::timeout(limit, call)
                    .instrument(span.clone())
                    .await
                {
                    Ok(result) => result,
                    Err(_) => Err(Error::Timeout {
                        endpoint: endpoint.name(),
                        kind: TimeoutKind::Call,
                        attempts: Vec::new(),
                    }),
                },
                None => call.instrument(span.clone()).await,
            };
            if let Some(started) = started {
                span.record("elapsed_ms", started.elapsed().as_millis() as u64);
            }
            match &result {
                Ok(response) if recording => {
                    span.record("status", response.status().as_u16());
                    span.record("attempts", response.failed_attempts().len() + 1);
                    if let Some(id) = response.request_id() {
                        span.record("request_id", id);
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    let _entered = span.enter();
                    tracing::debug!(%error, "graph call failed");
                }
            }
            result
        })
    }

    /// What every attempt of a request shares: the version, the URL, and the
    /// `client-request-id` as a header value.
    fn prepare(&self, request: &Request) -> Result<Prepared, Error> {
        let (version, url) = self.target(request)?;
        let client_request_id =
            HeaderValue::from_str(request.client_request_id()).map_err(|_| {
                invalid_request(
                    request,
                    "the client-request-id is not a valid header value".to_owned(),
                )
            })?;
        Ok(Prepared {
            version,
            url,
            client_request_id,
        })
    }

    async fn execute_with_retries(
        &self,
        request: &Request,
        prepared: &Prepared,
    ) -> Result<RawResponse, Error> {
        let inner = &*self.inner;
        let endpoint = request.endpoint();
        let name = endpoint.name();
        let policy = &inner.retry;
        let mut failed: Vec<Attempt> = Vec::new();
        let mut waited = Duration::ZERO;
        let mut number: u32 = 1;
        let mut refreshed_token = false;
        loop {
            let mut token_used = None;
            let outcome = self
                .attempt(request, prepared, number, &mut token_used)
                .await;
            // An expired token: refreshed and retried once, never more.
            if let (Ok(response), Auth::Source(source), Some(token), false) =
                (&outcome, &inner.auth, &token_used, refreshed_token)
                && response.status().as_u16() == 401
                && says_token_expired(response.body())
            {
                tracing::debug!("the token expired: refreshing it once");
                source.invalidate(token);
                refreshed_token = true;
                continue;
            }
            let may_wait = |wait: Duration| policy.allows(number, waited, wait);
            let (wait, failure) = match outcome {
                Ok(response) => {
                    let status = response.status();
                    let retryable =
                        RetryPolicy::retries_status(status) && !endpoint.expects(status.as_u16());
                    // The wait (a header read and a random draw) is worked out
                    // only for a retryable answer, not on every success.
                    let wait = retryable.then(|| policy.wait_for(number, Some(response.headers())));
                    match wait {
                        Some(wait) if may_wait(wait) => (wait, status.to_string()),
                        // `execute` records the attempts on its span from the response.
                        _ => return Ok(response.with_failed_attempts(failed)),
                    }
                }
                Err(AttemptError::Final(error)) => return Err(error),
                Err(failure) => {
                    // Repeat only what is safe: an idempotent method, or a
                    // request that never left (the connection did not open).
                    let safe = endpoint.method().is_idempotent() || failure.never_left();
                    let outcome = failure.describe();
                    let wait = policy.wait_for(number, None);
                    if !(safe && may_wait(wait)) {
                        tracing::Span::current().record("attempts", number);
                        failed.push(Attempt {
                            number,
                            outcome,
                            waited: None,
                        });
                        return Err(failure.into_error(name, failed));
                    }
                    (wait, outcome)
                }
            };
            tracing::debug!(attempt = number, wait_ms = wait.as_millis() as u64, outcome = %failure, "retrying");
            failed.push(Attempt {
                number,
                outcome: failure,
                waited: Some(wait),
            });
            tokio::time::sleep(wait).await;
            waited += wait;
            number += 1;
        }
    }

    /// The API version a request goes to. A followed link names its own, and
    /// is accepted only under this client's base URL: the token is never sent
    /// anywhere else.
    pub(crate) fn version_for(&self, request: &Request) -> Result<ApiVersion, Error> {
        let Some(link) = request.followed_link() else {
            return Ok(request.endpoint().version().unwrap_or(self.inner.version));
        };
        let root = &self.inner.root;
        let rest = link
            .strip_prefix(root.as_str())
            .filter(|rest| rest.starts_with('/'))
            .ok_or_else(|| {
                invalid_request(request, format!(
                    "the link does not start with the client's base URL {root}: the token is not sent elsewhere"
                ))
            })?;
        if rest.starts_with("/beta/") {
            Ok(ApiVersion::Beta)
        } else if rest.starts_with("/v1.0/") {
            Ok(ApiVersion::V1)
        } else {
            Err(invalid_request(
                request,
                "the link names no API version".to_owned(),
            ))
        }
    }

    /// The version and the URL of a request. The URL is the client's parsed
    /// base with the call's path and query set: only they are parsed, not
    /// the scheme and host again (about a third of what parsing the whole
    /// URL costs). A followed link is parsed whole.
    fn target(&self, request: &Request) -> Result<(ApiVersion, reqwest::Url), Error> {
        let inner = &*self.inner;
        let version = self.version_for(request)?;
        if let Some(link) = request.followed_link() {
            let url = reqwest::Url::parse(link)
                .map_err(|e| invalid_request(request, format!("the link does not parse: {e}")))?;
            return self.within_url_limit(request, version, url);
        }
        let mut path = String::with_capacity(inner.base_path.len() + 6 + request.path().len());
        path.push_str(&inner.base_path);
        path.push('/');
        path.push_str(version.as_str());
        path.push_str(request.path());
        // The clone is as long as the template, so setting a path and query
        // up to that length rewrites the text in place instead of growing
        // it (a realloc or two, which cost more than the copy).
        let mut url = inner.url_template.clone();
        url.set_path(&path);
        if !request.query().is_empty() {
            url.set_query(Some(request.query()));
        }
        self.within_url_limit(request, version, url)
    }

    /// Refuses a URL longer than the client's limit before anything is sent:
    /// the service would refuse it anyway, after the bytes travelled.
    fn within_url_limit(
        &self,
        request: &Request,
        version: ApiVersion,
        url: reqwest::Url,
    ) -> Result<(ApiVersion, reqwest::Url), Error> {
        let (length, limit) = (url.as_str().len(), self.inner.max_url_bytes);
        if length > limit {
            return Err(invalid_request(
                request,
                format!(
                    "the URL would be {length} bytes long; the limit is {limit} bytes (`max_url_bytes`): a value this long belongs in a request body"
                ),
            ));
        }
        Ok((version, url))
    }

    /// One attempt: waits for a place under the limits, sends, follows
    /// redirects, and reads the body.
    async fn attempt(
        &self,
        request: &Request,
        prepared: &Prepared,
        number: u32,
        token_used: &mut Option<AccessToken>,
    ) -> Result<RawResponse, AttemptError> {
        let inner = &*self.inner;
        let endpoint = request.endpoint();
        let name = endpoint.name();
        let _place = inner.in_flight.enter().await;
        inner.rate.wait().await;

        let authorization = match &inner.auth {
            Auth::Static(header) => header.clone(),
            Auth::Source(source) => {
                let token = source
                    .token()
                    .await
                    .map_err(|e| AttemptError::Final(Error::Token(e)))?;
                let header = bearer(&token).ok_or_else(|| {
                    AttemptError::Final(Error::Token(
                        "the token source returned a token that is not a valid header value".into(),
                    ))
                })?;
                *token_used = Some(token);
                header
            }
        };

        let exchange = async {
            let (status, headers, response) = take_head(
                self.send_following_redirects(request, prepared, number, authorization)
                    .await?,
            );
            let expected = endpoint.expects(status.as_u16());
            let limit = if expected {
                inner.max_body_bytes
            } else {
                inner.max_error_body_bytes
            };
            let body = read_body(response, name, limit, expected).await?;
            Ok(RawResponse::new(status, headers, body))
        };
        // One timer around the whole exchange, redirects and body included
        // (reqwest's per-request timeout would arm one for the response and
        // another for its body).
        match inner.attempt_timeout {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or(Err(AttemptError::TimedOut)),
            None => exchange.await,
        }
    }

    /// The HTTP request of an attempt: method and URL, Graph's headers, the
    /// endpoint's own, and the body. Built directly, with room for every
    /// header reserved once, rather than through reqwest's builder, which
    /// converts and grows its header map header by header.
    fn http_request(
        &self,
        method: http::Method,
        url: reqwest::Url,
        attempt: GraphHeaders<'_>,
    ) -> reqwest::Request {
        let inner = &*self.inner;
        let sends_empty_body =
            attempt.body.is_none() && !matches!(method, http::Method::GET | http::Method::DELETE);
        let mut http_request = reqwest::Request::new(method, url);
        let headers = http_request.headers_mut();
        headers.reserve(8 + attempt.request.headers().len());
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            CLIENT_REQUEST_ID,
            attempt.prepared.client_request_id.clone(),
        );
        headers.insert(USER_AGENT, inner.user_agent.clone());
        headers.insert(
            SDK_VERSION,
            match attempt.prepared.version {
                ApiVersion::V1 => inner.sdk_version_v1.clone(),
                ApiVersion::Beta => inner.sdk_version_beta.clone(),
            },
        );
        if let Some(authorization) = attempt.authorization {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        if attempt.number > 1 {
            headers.insert(RETRY_ATTEMPT, HeaderValue::from(attempt.number - 1));
        }
        for (name, value) in attempt.request.headers() {
            headers.append(name.clone(), value.clone());
        }
        if let Some(body) = attempt.body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            *http_request.body_mut() = Some(body.clone().into());
        } else if sends_empty_body {
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
            *http_request.body_mut() = Some(Bytes::new().into());
        }
        http_request
    }

    /// Sends an attempt and follows redirects (see [`next_hop`]). Its own
    /// function, so that what only sending needs is gone from the state kept
    /// while the body is read.
    async fn send_following_redirects(
        &self,
        request: &Request,
        prepared: &Prepared,
        number: u32,
        authorization: HeaderValue,
    ) -> Result<reqwest::Response, AttemptError> {
        let inner = &*self.inner;
        let endpoint = request.endpoint();
        let name = endpoint.name();
        // Set once a redirect was followed; until then the original URL is used.
        let mut redirected: Option<reqwest::Url> = None;
        let mut method = endpoint.method().to_http();
        let mut body = request.body().cloned();
        let mut send_authorization = true;
        let mut redirects = 0;
        loop {
            let url = match &redirected {
                Some(target) => target.clone(),
                None => prepared.url.clone(),
            };
            let http_request = self.http_request(
                method.clone(),
                url,
                GraphHeaders {
                    request,
                    prepared,
                    body: body.as_ref(),
                    number,
                    authorization: send_authorization.then_some(&authorization),
                },
            );

            let response = match &inner.middleware {
                // Without middleware, reqwest is called directly: nothing in between.
                None => inner
                    .http
                    .execute(http_request)
                    .await
                    .map_err(|e| from_reqwest(request, e))?,
                Some(service) => service
                    .clone()
                    .oneshot(http_request)
                    .await
                    .map_err(|error| match error.downcast::<reqwest::Error>() {
                        Ok(e) => from_reqwest(request, *e),
                        Err(other) => AttemptError::Middleware(other),
                    })?,
            };
            let asked = redirected.as_ref().unwrap_or(&prepared.url);
            if inner.user_http_client && response.url() != asked {
                // A client of the caller's that follows redirects itself has
                // already sent the request on, past this client's rules.
                return Err(AttemptError::Final(Error::Redirect {
                    endpoint: name,
                    reason: "the HTTP client given to `http_client` followed a redirect itself; build it with `.redirect(reqwest::redirect::Policy::none())` so that this client's redirect rules apply".to_owned(),
                }));
            }
            let status = response.status();
            // Most answers are not redirects: `Location` is looked up only for one.
            let location = (is_redirect(status) && !endpoint.expects(status.as_u16()))
                .then(|| response.headers().get(LOCATION))
                .flatten()
                .and_then(|l| l.to_str().ok());
            let Some(location) = location else {
                return Ok(response);
            };
            let current = match redirected.take() {
                Some(target) => target,
                None => prepared.url.clone(),
            };
            let hop = next_hop(&current, location, status, redirects).map_err(|reason| {
                AttemptError::Final(Error::Redirect {
                    endpoint: name,
                    reason,
                })
            })?;
            // The bearer token stays with the origin it was meant for.
            send_authorization &= hop.same_origin;
            if hop.becomes_get {
                method = http::Method::GET;
                body = None;
            }
            tracing::debug!(%status, to = %hop.url.origin().ascii_serialization(), "following a redirect");
            redirected = Some(hop.url);
            redirects += 1;
        }
    }
}

/// What a failed exchange means for the attempt: a request reqwest could not
/// build is final; anything else is a transport failure.
fn from_reqwest(request: &Request, error: reqwest::Error) -> AttemptError {
    if error.is_builder() {
        // Without the URL: it can be long and hold user data.
        AttemptError::Final(invalid_request(
            request,
            format!("the request cannot be built: {}", error.without_url()),
        ))
    } else {
        AttemptError::Transport(error)
    }
}

/// Graph's answer to an expired token: 401 `InvalidAuthenticationToken` whose
/// message speaks of expiry (Graph says "Lifetime validation failed, the token is expired.").
fn says_token_expired(body: &[u8]) -> bool {
    crate::GraphError::from_body(body).is_some_and(|e| {
        e.code == "InvalidAuthenticationToken" && e.message.to_ascii_lowercase().contains("expired")
    })
}

fn transport_error(
    endpoint: &'static str,
    source: reqwest::Error,
    attempts: Vec<Attempt>,
) -> Error {
    if source.is_timeout() {
        let kind = if source.is_connect() {
            TimeoutKind::Connect
        } else {
            TimeoutKind::Attempt
        };
        return Error::Timeout {
            endpoint,
            kind,
            attempts,
        };
    }
    Error::Transport {
        endpoint,
        source,
        attempts,
    }
}

/// A request this client refuses to send, and why.
fn invalid_request(request: &Request, reason: String) -> Error {
    Error::InvalidRequest {
        endpoint: request.endpoint().name(),
        reason,
    }
}

/// The status and headers of a response, and the response to read the body
/// from. The headers are taken, not cloned. A function of its own so that the
/// response is never borrowed in `attempt`'s state machine, which would keep
/// a second copy of it there while the body is read.
fn take_head(
    mut response: reqwest::Response,
) -> (http::StatusCode, http::HeaderMap, reqwest::Response) {
    let headers = std::mem::take(response.headers_mut());
    (response.status(), headers, response)
}

/// Reads a body up to `limit` bytes. A success body over the limit is an error;
/// an error body is cut at the limit (it is kept for diagnosis only).
///
/// Not an `async fn`: one would keep the response twice in its state (the
/// argument, and the local it is moved into), 136 bytes more in every call's
/// future.
#[allow(clippy::manual_async_fn)]
fn read_body(
    mut response: reqwest::Response,
    endpoint: &'static str,
    limit: usize,
    fail_over_limit: bool,
) -> impl Future<Output = Result<Bytes, AttemptError>> {
    async move {
        let too_large = || AttemptError::Final(Error::BodyTooLarge { endpoint, limit });
        if fail_over_limit
            && response
                .content_length()
                .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        // Most bodies arrive in one chunk: it is kept as is, without a copy.
        let mut first: Option<Bytes> = None;
        let mut joined = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(AttemptError::Transport)? {
            let so_far = first.as_ref().map_or(joined.len(), Bytes::len);
            if so_far + chunk.len() > limit {
                if fail_over_limit {
                    return Err(too_large());
                }
                if let Some(first) = first.take() {
                    joined.extend_from_slice(&first);
                }
                joined.extend_from_slice(&chunk[..limit - so_far]);
                break;
            }
            match first.take() {
                None if joined.is_empty() => first = Some(chunk),
                None => joined.extend_from_slice(&chunk),
                Some(previous) => {
                    joined.extend_from_slice(&previous);
                    joined.extend_from_slice(&chunk);
                }
            }
        }
        Ok(first.unwrap_or_else(|| joined.freeze()))
    }
}

fn bearer(token: &AccessToken) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.secret())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

impl Graph for GraphClient {
    fn send(&self, request: Request) -> impl Future<Output = Result<RawResponse, Error>> + Send {
        self.execute(request)
    }
}

/// Configures a [`GraphClient`].
///
/// ```
/// use std::time::Duration;
/// use graph_endpoint::{GraphClient, RetryPolicy};
///
/// // A client for tests against a local stand-in: plain http is accepted on loopback only.
/// let graph = GraphClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .token("test-token")
///     .retry(RetryPolicy::default().base_delay(Duration::from_millis(10)))
///     .max_in_flight(64)
///     .rate_limit(100, Duration::from_secs(20))
///     .attempt_timeout(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// assert_eq!(graph.base_url(), "http://127.0.0.1:8080");
///
/// // Anywhere else, https is required.
/// let refused = GraphClient::builder().base_url("http://graph.example.com").token("t").build();
/// assert!(refused.is_err());
/// ```
pub struct GraphClientBuilder {
    cloud: Cloud,
    base_url: Option<String>,
    allow_insecure_http: bool,
    version: ApiVersion,
    token: Option<TokenChoice>,
    user_agent: Option<String>,
    connect_timeout: Duration,
    attempt_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    max_url_bytes: usize,
    max_body_bytes: usize,
    max_error_body_bytes: usize,
    retry: RetryPolicy,
    max_in_flight: Option<usize>,
    rate_limit: Option<(u32, Duration)>,
    http_client: Option<reqwest::Client>,
    layers: Vec<BoxedLayer>,
}

impl Default for GraphClientBuilder {
    fn default() -> Self {
        GraphClientBuilder {
            cloud: Cloud::Global,
            base_url: None,
            allow_insecure_http: false,
            version: ApiVersion::V1,
            token: None,
            user_agent: None,
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Some(Duration::from_secs(100)),
            call_timeout: None,
            max_url_bytes: DEFAULT_MAX_URL_BYTES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_error_body_bytes: DEFAULT_MAX_ERROR_BODY_BYTES,
            retry: RetryPolicy::default(),
            max_in_flight: None,
            rate_limit: None,
            http_client: None,
            layers: Vec::new(),
        }
    }
}

impl fmt::Debug for GraphClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClientBuilder")
            .field("cloud", &self.cloud)
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("token", &self.token.as_ref().map(|_| "<token source>"))
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl GraphClientBuilder {
    /// The national cloud (default [`Cloud::Global`]).
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// A custom root URL instead of the cloud's, such as a local stand-in.
    /// `http://` is accepted only for loopback hosts, unless
    /// [`allow_insecure_http`](Self::allow_insecure_http) says otherwise.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Accepts a plain `http://` base URL on a non-loopback host: the token
    /// then travels unencrypted. Off by default.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The version for endpoints that do not pin one (default `v1.0`).
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// A fixed bearer token.
    pub fn token(mut self, token: impl Into<AccessToken>) -> Self {
        self.token = Some(TokenChoice::Static(token.into()));
        self
    }

    /// A source asked for a token before every attempt.
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.token = Some(TokenChoice::Source(Arc::new(source)));
        self
    }

    /// Text appended to the `User-Agent` header, to name your application.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Turns retries off.
    pub fn no_retry(self) -> Self {
        self.retry(RetryPolicy::none())
    }

    /// At most `limit` requests in flight at once, across every clone of the client.
    pub fn max_in_flight(mut self, limit: usize) -> Self {
        self.max_in_flight = Some(limit);
        self
    }

    /// At most `requests` request starts per `per` on average, across every
    /// clone, with bursts up to `requests` (Intune: 100 writes per 20 s per app).
    pub fn rate_limit(mut self, requests: u32, per: Duration) -> Self {
        self.rate_limit = Some((requests, per));
        self
    }

    /// How long establishing a connection may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, from sending the request to the end of
    /// the response body, redirects included (default 100 s). Waiting for a
    /// place under [`max_in_flight`](Self::max_in_flight) or the rate limit,
    /// and fetching a token, do not count.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// No per-attempt timeout: an attempt may take as long as the call
    /// timeout (if any) allows. Saves a timer per attempt.
    pub fn no_attempt_timeout(mut self) -> Self {
        self.attempt_timeout = None;
        self
    }

    /// How long a whole call may take, retries and waits included (default: no limit
    /// beyond the retry policy's).
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// Sends through this reqwest client: for proxies, custom root
    /// certificates, client certificates (mutual TLS), DNS resolvers, or a
    /// connection pool shared with other code. Signing in goes through it too.
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: this
    /// client follows redirects itself, keeping the token on its origin; a
    /// call whose request the given client redirected on its own fails with
    /// [`Error::Redirect`]. Its timeouts, if any, apply besides this client's
    /// ([`connect_timeout`](Self::connect_timeout) is then the given client's
    /// business).
    ///
    /// ```
    /// use graph_endpoint::{reqwest, GraphClient};
    ///
    /// let http = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .proxy(reqwest::Proxy::https("http://proxy.contoso.com:3128").unwrap())
    ///     .build()
    ///     .unwrap();
    /// let graph = GraphClient::builder().http_client(http).token("eyJ0eXAi...").build().unwrap();
    /// # drop(graph);
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Adds a `tower` layer around each attempt's HTTP exchange (see
    /// [`HttpService`](crate::HttpService)): to sign requests, count them,
    /// log them. The first layer added is the outermost. Each attempt goes
    /// through the layers, retries and followed redirects included; the
    /// request has every header set, the bearer token included. Without
    /// layers, attempts call reqwest directly.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<HttpService> + Send + Sync + 'static,
        L::Service: tower::Service<reqwest::Request, Response = reqwest::Response, Error = crate::BoxError>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<reqwest::Request>>::Future: Send + 'static,
    {
        self.layers.push(crate::middleware::boxed_layer(layer));
        self
    }

    /// The longest URL sent (default [`DEFAULT_MAX_URL_BYTES`], 16 KiB); a
    /// call whose URL would be longer fails with [`Error::InvalidRequest`]
    /// naming both lengths, and nothing is sent. The HTTP stack itself holds
    /// no URL over 65,534 bytes, whatever this says.
    pub fn max_url_bytes(mut self, limit: usize) -> Self {
        self.max_url_bytes = limit;
        self
    }

    /// The largest success body accepted (default 64 MiB).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// How much of an error body is kept in an [`Error`] (default 64 KiB).
    pub fn max_error_body_bytes(mut self, limit: usize) -> Self {
        self.max_error_body_bytes = limit;
        self
    }

    /// Builds the client, checking the configuration.
    pub fn build(self) -> Result<GraphClient, Error> {
        let root = match &self.base_url {
            Some(url) => checked_base_url(url, self.allow_insecure_http)?,
            None => self.cloud.graph_root().to_owned(),
        };
        let mut url_template = reqwest::Url::parse(&root)
            .map_err(|e| Error::Config(format!("base URL `{root}` does not parse: {e}")))?;
        let base_path = url_template.path().trim_end_matches('/').to_owned();
        url_template.set_path(&format!("{base_path}/{}", "_".repeat(URL_ROOM)));
        let auth = match self.token {
            Some(TokenChoice::Static(token)) => Auth::Static(bearer(&token).ok_or_else(|| {
                Error::Config("the token is not a valid header value".to_owned())
            })?),
            Some(TokenChoice::Source(source)) => Auth::Source(source),
            None => {
                return Err(Error::Config(
                    "no token source: call `.token(...)` or `.token_source(...)`".to_owned(),
                ));
            }
        };
        let mut user_agent = format!("graph-endpoint/{CRATE_VERSION}");
        if let Some(extra) = &self.user_agent {
            user_agent.push(' ');
            user_agent.push_str(extra);
        }
        let user_agent_text = user_agent;
        let user_agent = HeaderValue::from_str(&user_agent_text)
            .map_err(|_| Error::Config("the user agent is not a valid header value".to_owned()))?;

        // Redirects are the runtime's own business (see `attempt`).
        let user_http_client = self.http_client.is_some();
        let http = match self.http_client {
            Some(client) => client,
            None => crate::http_stack::http_client(self.connect_timeout, &user_agent_text)?,
        };
        let middleware = crate::middleware::stack(&http, &self.layers);
        if let Auth::Source(source) = &auth {
            source.attach(&HttpStack {
                client: http.clone(),
                retry: self.retry.clone(),
            });
        }
        Ok(GraphClient {
            inner: Arc::new(ClientInner {
                http,
                middleware,
                user_http_client,
                root,
                url_template,
                base_path,
                version: self.version,
                auth,
                user_agent,
                sdk_version_v1: HeaderValue::from_static(concat!(
                    "graph-rust/",
                    env!("CARGO_PKG_VERSION")
                )),
                sdk_version_beta: HeaderValue::from_static(concat!(
                    "graph-rust-beta/",
                    env!("CARGO_PKG_VERSION")
                )),
                max_url_bytes: self.max_url_bytes,
                max_body_bytes: self.max_body_bytes,
                max_error_body_bytes: self.max_error_body_bytes,
                retry: self.retry,
                attempt_timeout: self.attempt_timeout,
                call_timeout: self.call_timeout,
                in_flight: InFlight::new(self.max_in_flight),
                rate: RateLimit::new(self.rate_limit),
            }),
        })
    }
}

fn checked_base_url(url: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let parsed = crate::http_stack::secure_url("base URL", url, allow_insecure_http)
        .map_err(Error::Config)?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL `{url}` must not have a query or fragment"
        )));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::RequestBuilder;

    static GET_USER: Endpoint = crate::endpoint::endpoint(
        "get_user",
        Method::Get,
        "/users/<id>",
        &[200],
        Some(ApiVersion::Beta),
        &[],
        &[],
    );

    #[test]
    fn the_url_goes_under_the_base_path_with_its_query() {
        let graph = GraphClient::builder()
            .base_url("http://127.0.0.1:9/graph/")
            .token("t0ken")
            .build()
            .unwrap();
        let mut request = RequestBuilder::new(&GET_USER);
        request.literal("/users/");
        request.value("id", &"a/b?c#d é");
        request.query("$select", &"id,displayName");
        let request = request.finish().unwrap();
        let prepared = graph.prepare(&request).unwrap();
        // The same URL parsing the whole text gives: the base's path kept,
        // the value still one segment, the query after it.
        let expected =
            "http://127.0.0.1:9/graph/beta/users/a%2Fb%3Fc%23d%20%C3%A9?$select=id%2CdisplayName";
        assert_eq!(prepared.url.as_str(), expected);
        assert_eq!(prepared.url, reqwest::Url::parse(expected).unwrap());
    }
}
