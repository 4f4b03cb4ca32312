//! The HTTP side: accepts connections on 127.0.0.1, records each request,
//! applies injected faults, and routes the rest to the Graph resource.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::RecordedRequest;
use crate::body::{ReplyBody, Unread, read_request};
use crate::envelope::Failure;
use crate::faults::{Fault, Injection, RetryAfter, draw};
use crate::identity::App;
use crate::query::ListQuery;
use crate::store::{Store, is_property};

const COLLECTION: &str = "androidForWorkEnrollmentProfiles";
/// The largest request body accepted (4 MiB); a larger one is answered 413.
const MAX_REQUEST_BODY: usize = 4 * 1024 * 1024;
/// How much of a refused body is still read (and dropped) so the client
/// hears the 413 on a connection that stays open; past this it is closed.
const MAX_DRAINED_BODY: u64 = 64 * 1024 * 1024;

pub struct Shared {
    pub store: Mutex<Store>,
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

fn pick_fault(shared: &Shared, n: u64, method: &str, path: &str) -> Option<Fault> {
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

struct Ids<'a> {
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

    fn failure(&self, failure: &Failure) -> hyper::Response<ReplyBody> {
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

fn answer_fault(fault: Fault, ids: &Ids<'_>) -> Result<hyper::Response<ReplyBody>, Dropped> {
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

/// The most requests one `$batch` may hold.
const MAX_BATCH: usize = 20;

fn batch_version(path: &str) -> Option<&'static str> {
    match path {
        "/v1.0/$batch" | "/v1.0/%24batch" => Some("v1.0"),
        "/beta/$batch" | "/beta/%24batch" => Some("beta"),
        _ => None,
    }
}

/// One request of a `$batch`, as the client described it.
struct BatchItem {
    id: String,
    method: Method,
    url: String,
    headers: Vec<(http::HeaderName, HeaderValue)>,
    body: Bytes,
    depends_on: Vec<String>,
}

fn parse_batch(body: &Value) -> Result<Vec<BatchItem>, Failure> {
    let invalid = |message: String| Failure::bad_request("BadRequest", message);
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("A batch body is {\"requests\": [...]}.".to_owned()))?;
    if requests.is_empty() {
        return Err(invalid("The batch holds no requests.".to_owned()));
    }
    if requests.len() > MAX_BATCH {
        return Err(invalid(format!(
            "The batch holds {} requests; the limit is {MAX_BATCH}.",
            requests.len()
        )));
    }
    let mut items: Vec<BatchItem> = Vec::with_capacity(requests.len());
    for request in requests {
        let text = |key: &str| request.get(key).and_then(Value::as_str).map(str::to_owned);
        let id = text("id")
            .ok_or_else(|| invalid("Every batch request needs a string 'id'.".to_owned()))?;
        if items.iter().any(|i| i.id == id) {
            return Err(invalid(format!(
                "The batch request id '{id}' is used twice."
            )));
        }
        let method = text("method")
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| invalid(format!("Batch request '{id}' has no valid 'method'.")))?;
        let url = text("url")
            .filter(|u| u.starts_with('/'))
            .ok_or_else(|| invalid(format!("Batch request '{id}' needs a 'url' relative to the version root, starting with '/'.")))?;
        let mut headers = Vec::new();
        if let Some(map) = request.get("headers").and_then(Value::as_object) {
            for (name, value) in map {
                let value = value.as_str().unwrap_or_default();
                if let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    headers.push((name, value));
                }
            }
        }
        let body = match request.get("body") {
            None | Some(Value::Null) => Bytes::new(),
            Some(body) => {
                if !headers.iter().any(|(n, _)| n == "content-type") {
                    return Err(invalid(format!(
                        "Batch request '{id}' has a body but no Content-Type header."
                    )));
                }
                Bytes::from(body.to_string())
            }
        };
        let depends_on = match request.get("dependsOn") {
            None => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|d| d.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    invalid(format!(
                        "Batch request '{id}': dependsOn holds ids as strings."
                    ))
                })?,
            Some(_) => {
                return Err(invalid(format!(
                    "Batch request '{id}': dependsOn is an array."
                )));
            }
        };
        items.push(BatchItem {
            id,
            method,
            url,
            headers,
            body,
            depends_on,
        });
    }
    for item in &items {
        if let Some(missing) = item
            .depends_on
            .iter()
            .find(|d| !items.iter().any(|i| &i.id == *d))
        {
            return Err(invalid(format!(
                "Batch request '{}' depends on '{missing}', which is not in the batch.",
                item.id
            )));
        }
    }
    Ok(items)
}

/// `POST /{version}/$batch`: runs each request as if it had come alone (token
/// check, faults, routes), a request after the ones it depends on; a request
/// whose dependency failed is answered 424 without running.
fn batch(
    shared: &Shared,
    parts: &http::request::Parts,
    body: &Bytes,
    version: &str,
    n: u64,
    ids: &Ids<'_>,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    if parts.method != Method::POST {
        return Err(not_allowed(&parts.method, "POST"));
    }
    check_token(shared, parts)?;
    let items = parse_batch(&json_body(parts, body)?)?;
    let mut statuses: Vec<Option<u16>> = vec![None; items.len()];
    let mut responses = Vec::with_capacity(items.len());
    // Each pass runs the requests whose dependencies have run.
    while responses.len() < items.len() {
        let before = responses.len();
        for (position, item) in items.iter().enumerate() {
            if statuses[position].is_some() {
                continue;
            }
            let dependency_statuses: Option<Vec<u16>> = item
                .depends_on
                .iter()
                .map(|d| {
                    items
                        .iter()
                        .position(|i| &i.id == d)
                        .and_then(|p| statuses[p])
                })
                .collect();
            let Some(dependency_statuses) = dependency_statuses else {
                continue;
            };
            let reply = if dependency_statuses.iter().all(|s| (200..300).contains(s)) {
                run_batch_item(
                    shared,
                    parts,
                    item,
                    version,
                    n.wrapping_mul(64) + position as u64,
                    ids,
                )
            } else {
                ids.failure(&Failure::new(
                    424,
                    "FailedDependency",
                    "A request this request depends on failed.",
                ))
            };
            statuses[position] = Some(reply.status().as_u16());
            responses.push(batch_response(&item.id, reply));
        }
        if responses.len() == before {
            return Err(Failure::bad_request(
                "BadRequest",
                "The dependsOn references of the batch form a cycle.",
            ));
        }
    }
    Ok(json_response(200, &json!({ "responses": responses })))
}

fn run_batch_item(
    shared: &Shared,
    outer: &http::request::Parts,
    item: &BatchItem,
    version: &str,
    n: u64,
    ids: &Ids<'_>,
) -> hyper::Response<ReplyBody> {
    let path = format!("/{version}{}", item.url);
    if let Some(fault) = pick_fault(shared, n, item.method.as_str(), &path) {
        shared.injected.fetch_add(1, Ordering::SeqCst);
        return match fault {
            Fault::Delay(_)
            | Fault::DropConnection
            | Fault::TruncatedBody { .. }
            | Fault::StalledBody { .. } => ids.failure(&Failure::new(
                500,
                "generalException",
                "The request failed inside the batch.",
            )),
            other => answer_fault(other, ids).unwrap_or_else(|Dropped| empty_response(500)),
        };
    }
    let mut builder = http::Request::builder()
        .method(item.method.clone())
        .uri(&path);
    if let Some(authorization) = outer.headers.get("authorization") {
        builder = builder.header("authorization", authorization.clone());
    }
    for (name, value) in &item.headers {
        builder = builder.header(name, value.clone());
    }
    let parts = match builder.body(()) {
        Ok(request) => request.into_parts().0,
        Err(_) => {
            return ids.failure(&Failure::bad_request(
                "BadRequest",
                format!("Batch request '{}' has an invalid url or header.", item.id),
            ));
        }
    };
    match route(shared, &parts, &item.body) {
        Ok(reply) => reply,
        Err(failure) => ids.failure(&failure),
    }
}

/// One entry of `responses`: status, headers, and the body as JSON.
fn batch_response(id: &str, reply: hyper::Response<ReplyBody>) -> Value {
    let (parts, body) = reply.into_parts();
    let mut headers = serde_json::Map::new();
    for (name, value) in &parts.headers {
        if let Ok(value) = value.to_str() {
            headers.insert(name.as_str().to_owned(), json!(value));
        }
    }
    let mut response = json!({"id": id, "status": parts.status.as_u16(), "headers": headers});
    let bytes = body.into_bytes();
    if !bytes.is_empty() {
        response["body"] = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    }
    response
}

/// The routes of the seed's resource, after the bearer token is checked.
fn route(
    shared: &Shared,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    check_token(shared, parts)?;
    let segments: Vec<String> = parts
        .uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (version, rest) = segments
        .split_first()
        .ok_or_else(|| not_found_segment(""))?;
    match *version {
        "beta" => {}
        "v1.0" => {
            let segment = rest.get(1).or(rest.first()).copied().unwrap_or_default();
            return Err(not_found_segment(segment));
        }
        other => {
            return Err(Failure::bad_request(
                "BadRequest",
                format!("Invalid version: '{other}'. Use 'v1.0' or 'beta'."),
            ));
        }
    }
    let method = &parts.method;
    match rest {
        ["deviceManagement", COLLECTION] => match *method {
            Method::GET => list(shared, parts),
            Method::POST => {
                if body.is_empty() {
                    return Err(Failure::bad_request(
                        "BadRequest",
                        "Empty Payload. JSON content expected.",
                    ));
                }
                let body = json_body(parts, body)?;
                let created = lock(&shared.store).create(&body)?;
                let location = format!(
                    "{}/beta/deviceManagement/{COLLECTION}/{}",
                    shared.base_url,
                    created["id"].as_str().unwrap_or_default()
                );
                let mut response = json_response(201, &with_context(created, "$entity"));
                if let Ok(location) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert("location", location);
                }
                Ok(response)
            }
            _ => Err(not_allowed(method, "GET, POST")),
        },
        [
            "deviceManagement",
            COLLECTION,
            "delta" | "delta()" | "microsoft.graph.delta()",
        ] => match *method {
            Method::GET => delta(shared, parts),
            _ => Err(not_allowed(method, "GET")),
        },
        ["deviceManagement", COLLECTION, id] => match *method {
            Method::GET => {
                let select = entity_select(parts)?;
                let profile = lock(&shared.store).get(id)?;
                let profile = match (&select, profile) {
                    (Some(select), Value::Object(map)) => select.project(&map),
                    (_, profile) => profile,
                };
                Ok(json_response(200, &with_context(profile, "$entity")))
            }
            Method::PATCH => {
                let body = json_body(parts, body)?;
                let updated = lock(&shared.store).update(id, &body)?;
                Ok(json_response(200, &with_context(updated, "$entity")))
            }
            Method::DELETE => {
                lock(&shared.store).delete(id)?;
                Ok(empty_response(204))
            }
            _ => Err(not_allowed(method, "GET, PATCH, DELETE")),
        },
        ["deviceManagement", COLLECTION, id, action] => {
            let action = action.strip_prefix("microsoft.graph.").unwrap_or(action);
            if !matches!(action, "createToken" | "revokeToken") {
                return Err(not_found_segment(action));
            }
            if *method != Method::POST {
                return Err(not_allowed(method, "POST"));
            }
            let body = json_body(parts, body)?;
            let mut store = lock(&shared.store);
            match action {
                "createToken" => store.create_token(id, &body)?,
                _ => store.revoke_token(id, &body)?,
            }
            Ok(empty_response(204))
        }
        _ => Err(not_found_segment(rest.last().copied().unwrap_or_default())),
    }
}

fn check_token(shared: &Shared, parts: &http::request::Parts) -> Result<(), Failure> {
    let presented = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = presented else {
        return Err(Failure::new(
            401,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        ));
    };
    if let Some(expiry) = lock(&shared.issued).get(token) {
        return if *expiry > tokio::time::Instant::now() {
            Ok(())
        } else {
            Err(Failure::new(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            ))
        };
    }
    if lock(&shared.tokens).iter().any(|t| t == token) {
        Ok(())
    } else {
        Err(Failure::new(
            401,
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
        ))
    }
}

fn wants_eventual_consistency(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

fn list(
    shared: &Shared,
    parts: &http::request::Parts,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let query = ListQuery::parse(parts.uri.query().unwrap_or_default())?;
    if query.delta_token.is_some() {
        return Err(Failure::bad_request(
            "Request_UnsupportedQuery",
            "$deltatoken belongs to the delta function: .../androidForWorkEnrollmentProfiles/delta.",
        ));
    }
    if query.is_advanced() && !wants_eventual_consistency(parts) {
        return Err(Failure::bad_request(
            "Request_UnsupportedQuery",
            "$count, $search, ne and not are advanced queries: they need the header 'ConsistencyLevel: eventual'.",
        ));
    }
    query.check_select(is_property)?;
    let top = query.top.unwrap_or(shared.page_size);
    let offset = match &query.skip_token {
        Some(token) => token.parse().map_err(|_| {
            Failure::bad_request(
                "BadRequest",
                format!("Invalid value '{token}' for $skiptoken."),
            )
        })?,
        None => query.offset,
    };
    let store = lock(&shared.store);
    let (page, more, count) = match &query.orderby {
        Some((property, descending)) => {
            let mut matching: Vec<_> = store.iter().filter(|p| query.matches(p)).collect();
            let key = |p: &serde_json::Map<String, Value>| {
                p.get(property)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            matching.sort_by_key(|p| key(p));
            if *descending {
                matching.reverse();
            }
            let page: Vec<Value> = matching
                .iter()
                .skip(offset)
                .take(top)
                .map(|p| query.project(p))
                .collect();
            let more = offset + page.len() < matching.len();
            (page, more, matching.len())
        }
        None => {
            // No sort: the page is read straight off the store, one page's worth.
            let mut rest = store.iter().filter(|p| query.matches(p)).skip(offset);
            let page: Vec<Value> = rest.by_ref().take(top).map(|p| query.project(p)).collect();
            let more = rest.next().is_some();
            let count = if query.count {
                store.iter().filter(|p| query.matches(p)).count()
            } else {
                0
            };
            (page, more, count)
        }
    };
    drop(store);
    let next = offset + page.len();
    let mut body = serde_json::Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/beta/$metadata#deviceManagement/{COLLECTION}",
            shared.base_url
        )),
    );
    // Graph gives the count on the first page only.
    if query.count && query.skip_token.is_none() {
        body.insert("@odata.count".into(), json!(count));
    }
    body.insert("value".into(), Value::Array(page));
    if more {
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}/beta/deviceManagement/{COLLECTION}?{}",
                shared.base_url,
                query.next_query(top, &next.to_string())
            )),
        );
    }
    Ok(json_response(200, &Value::Object(body)))
}

/// `GET .../delta`: the first round lists every profile; its last page
/// carries an `@odata.deltaLink` whose `$deltatoken` is the change number the
/// round reached. A round started from that link lists what changed since:
/// profiles created or updated, then deleted ones as `@removed`.
fn delta(
    shared: &Shared,
    parts: &http::request::Parts,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let query = ListQuery::parse(parts.uri.query().unwrap_or_default())?;
    if query.filter.is_some() || query.orderby.is_some() || query.search.is_some() || query.count {
        return Err(Failure::bad_request(
            "Request_UnsupportedQuery",
            "delta supports $select and $top only.",
        ));
    }
    query.check_select(is_property)?;
    let invalid_token = |token: &str| {
        Failure::bad_request(
            "BadRequest",
            format!("Invalid delta or skip token '{token}'."),
        )
    };
    let store = lock(&shared.store);
    let top = query.top.unwrap_or(shared.page_size);
    let (since, upto, offset) = match (&query.skip_token, &query.delta_token) {
        (Some(token), _) => {
            let numbers: Vec<u64> = token
                .split('.')
                .map(|n| n.parse().map_err(|_| invalid_token(token)))
                .collect::<Result<_, _>>()?;
            match numbers[..] {
                [since, upto, offset] => (since, upto, offset as usize),
                _ => return Err(invalid_token(token)),
            }
        }
        (None, Some(token)) => {
            let since: u64 = token.parse().map_err(|_| invalid_token(token))?;
            if since > store.seq() {
                return Err(invalid_token(token));
            }
            (since, store.seq(), 0)
        }
        (None, None) => (0, store.seq(), 0),
    };
    let changes = store.changes(since, upto);
    drop(store);
    let page: Vec<Value> = changes
        .iter()
        .skip(offset)
        .take(top)
        .map(|change| match change {
            Value::Object(map) if !map.contains_key("@removed") => query.project(map),
            other => other.clone(),
        })
        .collect();
    let next = offset + page.len();
    let link = format!(
        "{}/beta/deviceManagement/{COLLECTION}/delta",
        shared.base_url
    );
    let mut body = serde_json::Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/beta/$metadata#Collection(microsoft.graph.androidForWorkEnrollmentProfile)",
            shared.base_url
        )),
    );
    body.insert("value".into(), Value::Array(page));
    if next < changes.len() {
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{link}?$top={top}&$skiptoken={since}.{upto}.{next}"
            )),
        );
    } else {
        body.insert(
            "@odata.deltaLink".into(),
            json!(format!("{link}?$deltatoken={upto}")),
        );
    }
    Ok(json_response(200, &Value::Object(body)))
}

/// `$select` on one entity; any other query option is refused.
fn entity_select(parts: &http::request::Parts) -> Result<Option<ListQuery>, Failure> {
    let query = parts.uri.query().unwrap_or_default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        let name = percent_decode_str(name).decode_utf8_lossy();
        if name.starts_with('$') && name != "$select" {
            return Err(Failure::bad_request(
                "Request_UnsupportedQuery",
                format!("Query option '{name}' is not supported here."),
            ));
        }
    }
    if query.is_empty() {
        return Ok(None);
    }
    let select = ListQuery::parse(query)?;
    select.check_select(is_property)?;
    Ok(Some(select))
}

fn with_context(mut entity: Value, kind: &str) -> Value {
    if let Value::Object(map) = &mut entity {
        map.insert(
            "@odata.context".into(),
            json!(format!(
                "https://graph.microsoft.com/beta/$metadata#deviceManagement/{COLLECTION}/{kind}"
            )),
        );
    }
    entity
}

fn json_body(parts: &http::request::Parts, body: &Bytes) -> Result<Value, Failure> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    let json_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json_type {
        return Err(Failure::new(
            415,
            "UnsupportedMediaType",
            "A request body needs 'Content-Type: application/json'.",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        Failure::bad_request(
            "BadRequest",
            format!("The request body is not valid JSON: {e}"),
        )
    })
}

fn not_found_segment(segment: &str) -> Failure {
    Failure::new(
        404,
        "ResourceNotFound",
        format!("Resource not found for the segment '{segment}'."),
    )
}

fn not_allowed(method: &Method, allow: &'static str) -> Failure {
    let mut failure = Failure::new(
        405,
        "MethodNotAllowed",
        format!("The method '{method}' is not allowed on this resource; allowed: {allow}."),
    );
    failure.headers.push(("allow", allow.to_owned()));
    failure
}

/// Serves one accepted connection until it closes.
pub async fn serve_connection(shared: Arc<Shared>, stream: tokio::net::TcpStream) {
    let service = hyper::service::service_fn(move |request| handle(shared.clone(), request));
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}
