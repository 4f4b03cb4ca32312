//! The routes of the seed's resource: the collection, one profile, its
//! token actions and delta, after the bearer token is checked.

use bytes::Bytes;
use http::{HeaderValue, Method};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

pub(crate) const COLLECTION: &str = "androidForWorkEnrollmentProfiles";

use crate::body::ReplyBody;
use crate::envelope::Failure;
use crate::query::ListQuery;
use crate::server::{Shared, empty_response, json_response, lock};
use crate::store::is_property;

/// The routes of the seed's resource, after the bearer token is checked.
pub(crate) fn route(
    shared: &Shared,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    check_token(shared, parts)?;
    if let Some(answer) = crate::reports::answer(shared, parts, body) {
        return answer;
    }
    if let Some(answer) = crate::uploads::answer(shared, parts, body) {
        return answer;
    }
    if let Some(answer) = crate::app_content::answer(shared, parts, body) {
        return answer;
    }
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
    // Entity collections served generically (the seed's resource keeps its own routes).
    if matches!(*version, "beta" | "v1.0")
        && rest.get(1) != Some(&COLLECTION)
        && let Some(answer) = crate::entities::route(shared, parts, body, version, rest)
    {
        return answer;
    }
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

pub(crate) fn check_token(shared: &Shared, parts: &http::request::Parts) -> Result<(), Failure> {
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

pub(crate) fn wants_eventual_consistency(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

pub(crate) fn list(
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
    query.check_consistency(wants_eventual_consistency(parts))?;
    query.check_select(is_property)?;
    let top = query.top.unwrap_or(shared.page_size);
    let offset = query.start()?;
    let store = lock(&shared.store);
    let (page, more, count) = match &query.orderby {
        Some(_) => query.sorted_page(store.iter(), offset, top),
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
pub(crate) fn delta(
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
pub(crate) fn entity_select(parts: &http::request::Parts) -> Result<Option<ListQuery>, Failure> {
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

pub(crate) fn with_context(mut entity: Value, kind: &str) -> Value {
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

pub(crate) fn json_body(parts: &http::request::Parts, body: &Bytes) -> Result<Value, Failure> {
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

pub(crate) fn not_found_segment(segment: &str) -> Failure {
    Failure::new(
        404,
        "ResourceNotFound",
        format!("Resource not found for the segment '{segment}'."),
    )
}

pub(crate) fn not_allowed(method: &Method, allow: &'static str) -> Failure {
    let mut failure = Failure::new(
        405,
        "MethodNotAllowed",
        format!("The method '{method}' is not allowed on this resource; allowed: {allow}."),
    );
    failure.headers.push(("allow", allow.to_owned()));
    failure
}
