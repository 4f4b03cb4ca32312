//! JSON batching: a `$batch` body checked whole, then each of its requests
//! run as if it came alone, after the requests it depends on.

use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::{Value, json};

use std::sync::atomic::Ordering;

use crate::faults::{Fault, answer_fault};
use crate::identity::check_token;
use crate::reply::{
    Dropped, Failure, Ids, ReplyBody, empty_response, json_body, json_response, not_allowed,
};
use crate::router::route;
use crate::state::{Shared, pick_fault};

/// The most requests one `$batch` may hold.
pub(crate) const MAX_BATCH: usize = 20;

pub(crate) fn batch_version(path: &str) -> Option<&'static str> {
    match path {
        "/v1.0/$batch" | "/v1.0/%24batch" => Some("v1.0"),
        "/beta/$batch" | "/beta/%24batch" => Some("beta"),
        _ => None,
    }
}

/// One request of a `$batch`, as the client described it.
pub(crate) struct BatchItem {
    id: String,
    method: Method,
    url: String,
    headers: Vec<(http::HeaderName, HeaderValue)>,
    body: Bytes,
    depends_on: Vec<String>,
}

pub(crate) fn parse_batch(body: &Value) -> Result<Vec<BatchItem>, Failure> {
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
pub(crate) fn batch(
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
    check_token(&shared.identity, parts)?;
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

pub(crate) fn run_batch_item(
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
    // Each item counts against its family's limits, as Intune counts them.
    if let Err(retry_after) = shared.limits.admit(item.method.as_str(), &item.url) {
        return answer_fault(Fault::Throttle(retry_after), ids)
            .unwrap_or_else(|Dropped| empty_response(500));
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
pub(crate) fn batch_response(id: &str, reply: hyper::Response<ReplyBody>) -> Value {
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
        // A body that is not JSON (an HTML error page, a file's content)
        // travels as a base64 string, as Graph's JSON batching page says,
        // with its Content-Type among the item's headers.
        response["body"] = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            use base64::Engine as _;
            Value::String(base64::engine::general_purpose::STANDARD.encode(&bytes))
        });
    }
    response
}
