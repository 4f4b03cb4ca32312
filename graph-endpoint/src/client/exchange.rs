//! One call's exchange with the service: attempts under the retry policy,
//! each within the limits and its timeout, following redirects by the
//! runtime's own rules, and reading the body within its cap, or leaving it
//! on the connection for a streamed result ([`BodyStream`]).

use std::future::Future;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::future::Either;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, USER_AGENT};
use http::{HeaderName, HeaderValue};
use tokio::time::Instant;
use tower::ServiceExt;
use tracing::Instrument;

use crate::auth::secret::AccessToken;
use crate::body::BodyStream;
use crate::client::target::{Prepared, invalid_request};
use crate::client::throttle::{Pace, Pacing};
use crate::client::{Auth, GraphClient};
use crate::endpoint::ApiVersion;
use crate::error::{Attempt, Error, TimeoutKind};
use crate::http_stack::redirect::{is_redirect, next_hop};
use crate::http_stack::retry::RetryPolicy;
use crate::request::Request;
use crate::response::{RawResponse, Response};

// Graph's own headers, named once rather than parsed from text per request.
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");
const SDK_VERSION: HeaderName = HeaderName::from_static("sdkversion");
const RETRY_ATTEMPT: HeaderName = HeaderName::from_static("retry-attempt");

/// Why one attempt did not produce a response.
pub(crate) enum AttemptError {
    /// The HTTP exchange failed (retried when safe).
    Transport(reqwest::Error),
    /// The exchange took longer than the attempt timeout (retried when safe).
    TimedOut,
    /// A middleware layer failed the exchange with an error of its own.
    Middleware(crate::error::BoxError),
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
            AttemptError::Transport(source) => crate::error::transport::describe(source),
            AttemptError::TimedOut => "attempt timed out".to_owned(),
            AttemptError::Middleware(source) => {
                format!(
                    "middleware: {}",
                    crate::error::quoted::Clipped(&source.to_string())
                )
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

/// What an attempt makes of a response's body: read whole within its cap
/// (`Bytes`, every buffered call), or left on the connection when the status
/// is expected ([`Streamed`], a `BodyStream` result). Generic, so that the
/// buffered path is the very code it was.
pub(crate) trait Answer: Sized + Send + 'static {
    /// The body of a response whose status and headers were taken.
    fn read(
        response: reqwest::Response,
        endpoint: &'static str,
        limit: usize,
        expected: bool,
    ) -> impl Future<Output = Result<Self, AttemptError>> + Send;

    /// The body's bytes, when they were read (for Graph's expired-token answer).
    fn read_bytes(&self) -> &[u8];
}

impl Answer for Bytes {
    #[inline]
    fn read(
        response: reqwest::Response,
        endpoint: &'static str,
        limit: usize,
        expected: bool,
    ) -> impl Future<Output = Result<Self, AttemptError>> + Send {
        read_body(response, endpoint, limit, expected)
    }

    #[inline]
    fn read_bytes(&self) -> &[u8] {
        self
    }
}

/// The body of a streamed call: left on the connection for an expected
/// status, read (within the error-body cap) for any other.
pub(crate) enum Streamed {
    Live(reqwest::Response),
    Read(Bytes),
}

impl Answer for Streamed {
    async fn read(
        response: reqwest::Response,
        endpoint: &'static str,
        limit: usize,
        expected: bool,
    ) -> Result<Self, AttemptError> {
        if expected {
            Ok(Streamed::Live(response))
        } else {
            read_body(response, endpoint, limit, false)
                .await
                .map(Streamed::Read)
        }
    }

    fn read_bytes(&self) -> &[u8] {
        match self {
            Streamed::Live(_) => &[],
            Streamed::Read(bytes) => bytes,
        }
    }
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
        self.execute_as::<Bytes>(request)
    }

    /// Sends a request whose success body is streamed: the same attempts,
    /// retries, redirects and timeouts as any call, up to the response's
    /// head; the body is then read chunk by chunk by the caller.
    pub(crate) async fn execute_streamed(&self, request: Request) -> Result<BodyStream, Error> {
        let endpoint = request.endpoint().name();
        let response = self.execute_as::<Streamed>(request).await?;
        let attempts = response.failed_attempts().to_vec();
        let (status, headers) = (response.status(), response.headers().clone());
        Ok(match response.into_body() {
            Streamed::Live(live) => {
                BodyStream::live(endpoint, status, headers, live, self.inner.attempt_timeout)
            }
            Streamed::Read(body) => {
                BodyStream::from_response(RawResponse::new(status, headers, body)).named(endpoint)
            }
        }
        .with_failed_attempts(attempts))
    }

    /// [`execute`](Self::execute), with the body made into `B`.
    pub(crate) fn execute_as<B: Answer>(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response<B>, Error>> + Send + '_ {
        self.execute_paced::<B>(request, Pacing::Plain)
    }

    /// [`execute_as`](Self::execute_as), paced as `pacing` says (a bulk
    /// job's calls wait their turn after a 429; see `throttle`).
    pub(crate) fn execute_paced<'a, B: Answer>(
        &'a self,
        request: Request,
        pacing: Pacing<'a>,
    ) -> impl Future<Output = Result<Response<B>, Error>> + Send + 'a {
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
            let call = self.execute_with_retries(&request, &prepared, Pace::new(pacing));
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

    async fn execute_with_retries<B: Answer>(
        &self,
        request: &Request,
        prepared: &Prepared,
        mut pace: Pace<'_>,
    ) -> Result<Response<B>, Error> {
        let inner = &*self.inner;
        let endpoint = request.endpoint();
        let name = endpoint.name();
        let policy = &inner.retry;
        let mut failed: Vec<Attempt> = Vec::new();
        let mut waited = Duration::ZERO;
        let mut number: u32 = 1;
        let mut refreshed_token = false;
        // Throttled attempts of a bulk call that waited their turn: they do
        // not count against the retry policy.
        let mut waited_turns: u32 = 0;
        loop {
            let mut token_used = None;
            let outcome = self
                .attempt::<B>(request, prepared, number, &mut token_used, &mut pace)
                .await;
            // An expired token: refreshed and retried once, never more.
            if let (Ok(response), Auth::Source(source), Some(token), false) =
                (&outcome, &inner.auth, &token_used, refreshed_token)
                && response.status().as_u16() == 401
                && says_token_expired(response.body().read_bytes())
            {
                tracing::debug!("the token expired: refreshing it once");
                source.invalidate(token);
                refreshed_token = true;
                continue;
            }
            let may_wait = |wait: Duration| policy.allows(number - waited_turns, waited, wait);
            let (wait, failure) = match outcome {
                Ok(response) => {
                    let status = response.status();
                    // Throttling is not failure inside a bulk job: the call
                    // goes again in its turn, without using up a retry.
                    if pace.waits_turn(status, endpoint) {
                        failed.push(Attempt {
                            number,
                            outcome: format!("{status} (waited for its turn)"),
                            waited: Some(Duration::ZERO),
                        });
                        waited_turns += 1;
                        number += 1;
                        continue;
                    }
                    let retryable =
                        RetryPolicy::retries_status(status) && !endpoint.expects(status.as_u16());
                    // The wait (a header read and a random draw) is worked out
                    // only for a retryable answer, not on every success.
                    let wait = retryable
                        .then(|| policy.wait_for(number - waited_turns, Some(response.headers())));
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
                    let wait = policy.wait_for(number - waited_turns, None);
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

    /// One attempt: waits for a place under the limits, sends, follows
    /// redirects, and reads the body.
    async fn attempt<B: Answer>(
        &self,
        request: &Request,
        prepared: &Prepared,
        number: u32,
        token_used: &mut Option<AccessToken>,
        pace: &mut Pace<'_>,
    ) -> Result<Response<B>, AttemptError> {
        let inner = &*self.inner;
        let endpoint = request.endpoint();
        let name = endpoint.name();
        let _place = inner.in_flight.enter().await;
        inner.rate.wait().await;
        let admission = if inner.throttle.may_pace(pace.pacing()) {
            inner.throttle.admit(request, pace.pacing()).await
        } else {
            None
        };

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
            let body = B::read(response, name, limit, expected).await?;
            Ok(Response::new(status, headers, body))
        };
        // One timer around the whole exchange, redirects and body included
        // (reqwest's per-request timeout would arm one for the response and
        // another for its body).
        let result = match inner.attempt_timeout {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or(Err(AttemptError::TimedOut)),
            None => exchange.await,
        };
        if let Some(admission) = admission {
            let answer = result.as_ref().ok();
            pace.answered(admission.answer(
                answer.map(|response| (response.status(), response.headers())),
                inner.retry.elapsed_budget(),
            ));
        }
        result
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
            // A GET or DELETE never gets here, so reads pay nothing for it.
            match attempt.request.stream() {
                None => {
                    headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
                    *http_request.body_mut() = Some(Bytes::new().into());
                }
                Some(slot) => {
                    let (content_type, length, body) = slot.take();
                    headers.insert(CONTENT_TYPE, content_type);
                    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
                    *http_request.body_mut() = Some(body);
                }
            }
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
                    .clients
                    .for_url(http_request.url())
                    .map_err(AttemptError::Final)?
                    .execute(http_request)
                    .await
                    .map_err(|e| from_reqwest(request, e))?,
                // Boxed: the middleware's future is kept out of every call's
                // state, which stays as small as it is without middleware.
                Some(service) => Box::pin(service.clone().oneshot(http_request))
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
    crate::error::GraphError::from_body(body).is_some_and(|e| {
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
        source: crate::error::shown_url::quiet(source),
        attempts,
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

pub(crate) fn bearer(token: &AccessToken) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.secret())).ok()?;
    value.set_sensitive(true);
    Some(value)
}
