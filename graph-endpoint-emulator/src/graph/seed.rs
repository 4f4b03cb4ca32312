//! The seed's resource, `androidForWorkEnrollmentProfiles` under `beta`:
//! its collection (list, create), one profile (get, update, delete), its
//! token actions (`createToken`, `revokeToken`) and `delta`.

use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::{Value, json};

pub(crate) const COLLECTION: &str = "androidForWorkEnrollmentProfiles";

use super::GraphState;
use super::profiles::is_property;
use super::query::{ListQuery, entity_select, wants_eventual_consistency};
use crate::lock::lock;
use crate::reply::{
    Failure, ReplyBody, empty_response, json_body, json_response, not_allowed, not_found_segment,
};

/// The routes of the seed's resource, under `beta`: `rest` is the path's
/// segments after the version, decoded.
pub(crate) fn route(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    rest: &[&str],
) -> Result<hyper::Response<ReplyBody>, Failure> {
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
                let created = lock(&shared.profiles).create(&body)?;
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
                let select = entity_select(parts, is_property)?;
                let profile = lock(&shared.profiles).get(id)?;
                let profile = match (&select, profile) {
                    (Some(select), Value::Object(map)) => select.project(&map),
                    (_, profile) => profile,
                };
                Ok(json_response(200, &with_context(profile, "$entity")))
            }
            Method::PATCH => {
                let body = json_body(parts, body)?;
                let updated = lock(&shared.profiles).update(id, &body)?;
                Ok(json_response(200, &with_context(updated, "$entity")))
            }
            Method::DELETE => {
                lock(&shared.profiles).delete(id)?;
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
            let mut profiles = lock(&shared.profiles);
            match action {
                "createToken" => profiles.create_token(id, &body)?,
                _ => profiles.revoke_token(id, &body)?,
            }
            Ok(empty_response(204))
        }
        _ => Err(not_found_segment(rest.last().copied().unwrap_or_default())),
    }
}

pub(crate) fn list(
    shared: &GraphState,
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
    let profiles = lock(&shared.profiles);
    let (page, more, count) = match &query.orderby {
        Some(_) => query.sorted_page(profiles.iter(), offset, top),
        None => {
            // No sort: the page is read straight off the collection, one page's worth.
            let mut rest = profiles.iter().filter(|p| query.matches(p)).skip(offset);
            let page: Vec<Value> = rest.by_ref().take(top).map(|p| query.project(p)).collect();
            let more = rest.next().is_some();
            let count = if query.count {
                profiles.iter().filter(|p| query.matches(p)).count()
            } else {
                0
            };
            (page, more, count)
        }
    };
    drop(profiles);
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
    shared: &GraphState,
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
    let profiles = lock(&shared.profiles);
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
            if since > profiles.seq() {
                return Err(invalid_token(token));
            }
            (since, profiles.seq(), 0)
        }
        (None, None) => (0, profiles.seq(), 0),
    };
    let changes = profiles.changes(since, upto);
    drop(profiles);
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
