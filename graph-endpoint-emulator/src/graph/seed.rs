//! The seed's resource, `androidForWorkEnrollmentProfiles` under `beta`:
//! its collection (list, create), one profile (get, update, delete) and its
//! token actions (`createToken`, `revokeToken`). No `delta`: Graph's metadata
//! binds no delta function to this type.

use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::{Value, json};

pub(crate) const COLLECTION: &str = "androidForWorkEnrollmentProfiles";

use super::GraphState;
use super::profiles::is_property;
use super::query::{ListQuery, entity_select};
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
    // Graph's metadata binds no delta function to this entity type, so
    // there is no delta round to resume here.
    if query.delta_token.is_some() {
        return Err(Failure::bad_request(
            "Request_UnsupportedQuery",
            "$deltatoken is not a query option of this collection: it has no delta function.",
        ));
    }
    // An Intune collection, not a directory object: $count and $search need
    // no ConsistencyLevel header here.
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
