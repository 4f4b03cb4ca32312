//! The HTTP side: accepts connections on 127.0.0.1, records each request,
//! applies injected faults, and hands the rest to the token endpoint
//! (`identity`), `$batch` (`batch`) or the resource (`routes`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::RecordedRequest;
use crate::batch::{batch, batch_version};
use crate::body::{ReplyBody, Unread, read_request};
use crate::envelope::Failure;
use crate::faults::{Fault, Injection, RetryAfter, draw};
use crate::identity::App;
use crate::routes::route;
use crate::store::Store;

/// The largest request body accepted (4 MiB); a larger one is answered 413.
const MAX_REQUEST_BODY: usize = 4 * 1024 * 1024;
/// How much of a refused body is still read (and dropped) so the client
/// hears the 413 on a connection that stays open; past this it is closed.
const MAX_DRAINED_BODY: u64 = 64 * 1024 * 1024;

pub struct Shared {
    pub store: Mutex<Store>,
    pub entities: Mutex<crate::entities::Entities>,
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
    pub jobs: crate::reports::Jobs,
    /// Mobile apps and their content, with the storage host's blobs.
    pub app_content: crate::app_content::AppContent,
}

/// Why a connection is closed without an answer.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> InFlight<'a> {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

pub async fn handle(
    shared: Arc<Shared>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<ReplyBody>, Dropped> {
    let _in_flight = InFlight::enter(&shared);
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let expects_continue = parts
        .headers
        .get(http::header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    // A body over the limit must not reach the routes: read as empty, it
    // would create a profile without its fields or make a PATCH a no-op.
    let (body, unread) = match read_request(
        body,
        declared,
        expects_continue,
        MAX_REQUEST_BODY,
        MAX_DRAINED_BODY,
    )
    .await
    {
        Ok(body) => (body, None),
        Err(why) => (Bytes::new(), Some(why)),
    };
    let raw_path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    // Recording is skipped entirely when off, so benchmarks measure the service alone.
    let recorded = shared.record.then(|| RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: raw_path.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
    });
    let n = {
        // Counted and recorded under one lock, so a clear sees both or neither.
        let mut requests = lock(&shared.requests);
        requests.extend(recorded);
        shared.counter.fetch_add(1, Ordering::SeqCst)
    };

    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = parts
        .headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let ids = Ids {
        request_id: &request_id,
        client_request_id: &client_request_id,
    };

    // Refused at the door, as Graph's front end does: before faults,
    // sign-in or token checks, in Graph's error shape for every path.
    match unread {
        None => {}
        Some(Unread::TooLarge) => {
            return Ok(ids.failure(&Failure::new(
                413,
                "RequestEntityTooLarge",
                format!("The request body is larger than the limit of {MAX_REQUEST_BODY} bytes."),
            )));
        }
        Some(Unread::Broken) => {
            return Ok(ids.failure(&Failure::bad_request(
                "BadRequest",
                "The request body could not be read to its end.",
            )));
        }
    }

    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let fault = pick_fault(&shared, n, parts.method.as_str(), &raw_path);
    if let Some(fault) = fault {
        shared.injected.fetch_add(1, Ordering::SeqCst);
        match fault {
            Fault::Delay(delay) => tokio::time::sleep(delay).await,
            other => return answer_fault(other, &ids),
        }
    }

    if let Some(reply) = crate::identity::answer(&shared, &parts, &body) {
        return Ok(ids.decorate(reply));
    }
    if let Some(version) = batch_version(parts.uri.path()) {
        let outcome = batch(&shared, &parts, &body, version, n, &ids);
        return Ok(match outcome {
            Ok(reply) => ids.decorate(reply),
            Err(failure) => ids.failure(&failure),
        });
    }
    let outcome = route(&shared, &parts, &body);
    Ok(match outcome {
        Ok(reply) => ids.decorate(reply),
        Err(failure) => ids.failure(&failure),
    })
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking test thread must not take the stand-in down with it.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

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

pub(crate) struct Ids<'a> {
    request_id: &'a str,
    client_request_id: &'a str,
}

impl Ids<'_> {
    fn decorate(&self, mut response: hyper::Response<ReplyBody>) -> hyper::Response<ReplyBody> {
        let headers = response.headers_mut();
        for (name, value) in [
            ("request-id", self.request_id),
            ("client-request-id", self.client_request_id),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        }
        headers.insert(
            "x-ms-ags-diagnostic",
            HeaderValue::from_static(
                r#"{"ServerInfo":{"DataCenter":"Local","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"graph-endpoint-emulator"}}"#,
            ),
        );
        headers.insert("cache-control", HeaderValue::from_static("no-cache"));
        response
    }

    pub(crate) fn failure(&self, failure: &Failure) -> hyper::Response<ReplyBody> {
        let body = failure.body(self.request_id, self.client_request_id);
        let mut response = json_response(failure.status, &body);
        for (name, value) in &failure.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.headers_mut().insert(*name, value);
            }
        }
        self.decorate(response)
    }
}

pub(crate) fn json_response(status: u16, body: &Value) -> hyper::Response<ReplyBody> {
    let mut response = hyper::Response::new(ReplyBody::full(body.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static(
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        ),
    );
    response
}

pub(crate) fn empty_response(status: u16) -> hyper::Response<ReplyBody> {
    let mut response = hyper::Response::new(ReplyBody::empty());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
}

fn retry_after_value(retry_after: &RetryAfter) -> String {
    match retry_after {
        RetryAfter::Seconds(s) => s.to_string(),
        RetryAfter::FractionalSeconds(s) => format!("{s:.3}"),
        RetryAfter::HttpDate(at) => httpdate::fmt_http_date(*at),
        RetryAfter::Raw(raw) => raw.clone(),
    }
}

pub(crate) fn answer_fault(
    fault: Fault,
    ids: &Ids<'_>,
) -> Result<hyper::Response<ReplyBody>, Dropped> {
    let with_retry_after =
        |status: u16, code: &'static str, message: &str, retry_after: Option<RetryAfter>| {
            let mut failure = Failure::new(status, code, message);
            if let Some(retry_after) = retry_after {
                failure
                    .headers
                    .push(("retry-after", retry_after_value(&retry_after)));
            }
            ids.failure(&failure)
        };
    Ok(match fault {
        Fault::Throttle(retry_after) => with_retry_after(
            429,
            "TooManyRequests",
            "Too many requests: the application is being throttled.",
            retry_after,
        ),
        Fault::Unavailable(retry_after) => with_retry_after(
            503,
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
            retry_after,
        ),
        Fault::GatewayTimeout(retry_after) => with_retry_after(
            504,
            "gatewayTimeout",
            "The gateway did not receive a timely response.",
            retry_after,
        ),
        Fault::DropConnection => return Err(Dropped),
        Fault::Delay(_) => unreachable!("delays are applied before routing"),
        Fault::TruncatedBody { status } => {
            let full =
                json!({"value": [{"id": "truncated", "displayName": "this body is cut short"}]})
                    .to_string();
            let half = full.len() / 2;
            let mut response =
                hyper::Response::new(ReplyBody::truncated(Bytes::from(full[..half].to_owned())));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            response
                .headers_mut()
                .insert("content-length", HeaderValue::from(full.len() as u64));
            ids.decorate(response)
        }
        Fault::StalledBody { status, pause } => {
            let full = Bytes::from(
                json!({"id": "stalled", "displayName": "this body stalls halfway"}).to_string(),
            );
            let half = full.len() / 2;
            let mut response = hyper::Response::new(ReplyBody::stalled(
                full.slice(..half),
                pause,
                full.slice(half..),
            ));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            ids.decorate(response)
        }
        Fault::MalformedJson { status } => {
            let mut response = hyper::Response::new(ReplyBody::full(r#"{"value": [{"id": "#));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            ids.decorate(response)
        }
        Fault::HtmlError { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let page = format!(
                "<html><head><title>{status}</title></head><body><h1>{status}</h1><p>The gateway could not reach the service.</p></body></html>"
            );
            let mut response = hyper::Response::new(ReplyBody::full(page));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html"));
            ids.decorate(response)
        }
        Fault::Respond {
            status,
            headers,
            body,
        } => {
            let mut response = hyper::Response::new(ReplyBody::full(body));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            // Scripted headers win over the envelope's.
            let mut response = ids.decorate(response);
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
    })
}

/// Serves one accepted connection until it closes.
pub async fn serve_connection(shared: Arc<Shared>, stream: tokio::net::TcpStream) {
    let service = hyper::service::service_fn(move |request| handle(shared.clone(), request));
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}
