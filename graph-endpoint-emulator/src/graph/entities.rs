//! Entity collections served generically, from a description of their paths
//! and item types (such as the typed device-management crate's
//! `ENTITY_SETS`, generated from Graph's metadata): create with a
//! server-assigned id (201), get (with `$select`), list with paging and the
//! `$filter`/`$select`/`$top`/`$skip`/`$orderby`/`$count`/`$search` the
//! stand-in understands, PATCH that merges (a `null` clears a property; 200
//! with the entity), delete (204). Items keep whatever they were given,
//! `@odata.type` included (the collection's item type when none was sent).
//! The same paths answer under `beta` and `v1.0`.

use std::collections::HashMap;

use bytes::Bytes;
use http::Method;
use serde_json::{Map, Value, json};

use super::GraphState;
use super::profiles::is_property;
use super::query::{ListQuery, entity_select, wants_eventual_consistency};
use crate::lock::lock;
use crate::reply::{Failure, ReplyBody, empty_response, json_body, json_response, not_allowed};

/// The collections served, and their items by collection path.
#[derive(Debug, Default)]
pub struct Entities {
    /// `(segments of the path, `None` where a key goes; item type)`.
    sets: Vec<(Vec<Option<String>>, String)>,
    /// Items of each concrete collection (`deviceManagement/x/abc/y`), in creation order.
    items: HashMap<String, Vec<Map<String, Value>>>,
}

impl Entities {
    /// Collections from `(path, item type)` pairs: `/deviceManagement/x/{}/y`
    /// (`{}` for a key) and `microsoft.graph.y`.
    pub fn new(sets: &[(&str, &str)]) -> Entities {
        let mut out = Entities::default();
        for (path, ty) in sets {
            let segments = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| (s != "{}").then(|| s.to_owned()))
                .collect();
            out.sets
                .push((segments, ty.trim_start_matches('#').to_owned()));
        }
        out
    }

    /// The set whose path the segments are: its item type.
    fn collection(&self, segments: &[&str]) -> Option<&str> {
        self.sets.iter().find_map(|(pattern, ty)| {
            (pattern.len() == segments.len()
                && pattern
                    .iter()
                    .zip(segments)
                    .all(|(p, s)| p.as_deref().is_none_or(|p| p == *s)))
            .then_some(ty.as_str())
        })
    }

    /// Adds an item to a collection (by its concrete path, after the
    /// version), with a fresh `id` unless it has one; `None` when no
    /// collection has that path or the item is not an object.
    pub fn insert(&mut self, collection: &str, item: Value) -> Option<Value> {
        let segments: Vec<&str> = collection.split('/').filter(|s| !s.is_empty()).collect();
        let ty = self.collection(&segments)?.to_owned();
        let Value::Object(mut item) = item else {
            return None;
        };
        if !item.get("id").is_some_and(Value::is_string) {
            item.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
        }
        item.entry("@odata.type")
            .or_insert_with(|| json!(format!("#{ty}")));
        self.items
            .entry(segments.join("/"))
            .or_default()
            .push(item.clone());
        Some(Value::Object(item))
    }

    /// Sets one property of an item of a collection (by its concrete path,
    /// after the version); whether the item is there.
    pub fn update_item(&mut self, collection: &str, id: &str, name: &str, value: Value) -> bool {
        let key: Vec<&str> = collection.split('/').filter(|s| !s.is_empty()).collect();
        let Some(item) = self.items.get_mut(&key.join("/")).and_then(|items| {
            items
                .iter_mut()
                .find(|i| i.get("id").and_then(Value::as_str) == Some(id))
        }) else {
            return false;
        };
        item.insert(name.to_owned(), value);
        true
    }

    /// Removes every item.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The items of a collection (by its concrete path, after the version).
    pub fn list(&self, collection: &str) -> Vec<Value> {
        let key: Vec<&str> = collection.split('/').filter(|s| !s.is_empty()).collect();
        self.items
            .get(&key.join("/"))
            .map(|items| items.iter().cloned().map(Value::Object).collect())
            .unwrap_or_default()
    }
}

fn not_found(id: &str) -> Failure {
    Failure::new(
        404,
        "ResourceNotFound",
        format!("The entity with id '{id}' was not found."),
    )
}

/// Answers a request for a served collection or one of its items; `None`
/// when the path is not one of them.
pub(crate) fn route(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    version: &str,
    rest: &[&str],
) -> Option<Result<hyper::Response<ReplyBody>, Failure>> {
    let entities = lock(&shared.entities);
    let method = &parts.method;
    if let Some(ty) = entities.collection(rest) {
        let ty = ty.to_owned();
        drop(entities);
        let key = rest.join("/");
        return Some(match *method {
            Method::GET => list(shared, parts, version, &key, &ty),
            Method::POST => create(shared, parts, body, version, &key, &ty),
            _ => Err(not_allowed(method, "GET, POST")),
        });
    }
    let (id, collection) = rest.split_last()?;
    entities.collection(collection)?;
    drop(entities);
    let key = collection.join("/");
    let context = format!("{}/{version}/$metadata#{key}/$entity", shared.base_url);
    Some(match *method {
        Method::GET => {
            get(shared, parts, &key, id).map(|item| json_response(200, &with(item, &context)))
        }
        Method::PATCH => update(shared, parts, body, &key, id)
            .map(|item| json_response(200, &with(item, &context))),
        Method::DELETE => {
            let mut entities = lock(&shared.entities);
            let items = entities.items.entry(key).or_default();
            match items
                .iter()
                .position(|i| i.get("id").and_then(Value::as_str) == Some(id))
            {
                Some(at) => {
                    items.remove(at);
                    Ok(empty_response(204))
                }
                None => Err(not_found(id)),
            }
        }
        _ => Err(not_allowed(method, "GET, PATCH, DELETE")),
    })
}

/// The directory objects: the entity types whose base type is
/// `microsoft.graph.directoryObject` in Graph's metadata. Only their
/// collections take `$count`, `$search`, `ne` and `not` as advanced queries
/// that need `ConsistencyLevel: eventual` (Graph's "Advanced query
/// capabilities on Azure AD directory objects" page); Intune's collections
/// do not ask for it.
const DIRECTORY_OBJECTS: &[&str] = &[
    "microsoft.graph.administrativeUnit",
    "microsoft.graph.application",
    "microsoft.graph.contract",
    "microsoft.graph.device",
    "microsoft.graph.directoryObject",
    "microsoft.graph.directoryRole",
    "microsoft.graph.directoryRoleTemplate",
    "microsoft.graph.group",
    "microsoft.graph.orgContact",
    "microsoft.graph.servicePrincipal",
    "microsoft.graph.user",
];

fn is_directory_object(item_type: &str) -> bool {
    DIRECTORY_OBJECTS.contains(&item_type)
}

fn with(mut item: Value, context: &str) -> Value {
    if let Value::Object(map) = &mut item {
        map.insert("@odata.context".into(), json!(context));
    }
    item
}

fn create(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    version: &str,
    key: &str,
    ty: &str,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let Value::Object(mut item) = json_body(parts, body)? else {
        return Err(Failure::bad_request(
            "BadRequest",
            "Empty Payload. JSON content expected.",
        ));
    };
    // The service assigns the id.
    item.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
    item.entry("@odata.type")
        .or_insert_with(|| json!(format!("#{ty}")));
    lock(&shared.entities)
        .items
        .entry(key.to_owned())
        .or_default()
        .push(item.clone());
    let context = format!("{}/{version}/$metadata#{key}/$entity", shared.base_url);
    Ok(json_response(201, &with(Value::Object(item), &context)))
}

fn get(
    shared: &GraphState,
    parts: &http::request::Parts,
    key: &str,
    id: &str,
) -> Result<Value, Failure> {
    let select = entity_select(parts, is_property)?;
    let entities = lock(&shared.entities);
    let item = entities
        .items
        .get(key)
        .and_then(|items| {
            items
                .iter()
                .find(|i| i.get("id").and_then(Value::as_str) == Some(id))
        })
        .ok_or_else(|| not_found(id))?;
    Ok(match select {
        Some(select) => select.project(item),
        None => Value::Object(item.clone()),
    })
}

fn update(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    key: &str,
    id: &str,
) -> Result<Value, Failure> {
    let Value::Object(changes) = json_body(parts, body)? else {
        return Err(Failure::bad_request(
            "BadRequest",
            "Empty Payload. JSON content expected.",
        ));
    };
    let mut entities = lock(&shared.entities);
    let item = entities
        .items
        .get_mut(key)
        .and_then(|items| {
            items
                .iter_mut()
                .find(|i| i.get("id").and_then(Value::as_str) == Some(id))
        })
        .ok_or_else(|| not_found(id))?;
    for (name, value) in changes {
        // The id is the service's; everything else is merged, `null` included.
        if name != "id" {
            item.insert(name, value);
        }
    }
    Ok(Value::Object(item.clone()))
}

fn list(
    shared: &GraphState,
    parts: &http::request::Parts,
    version: &str,
    key: &str,
    item_type: &str,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let query = ListQuery::parse(parts.uri.query().unwrap_or_default())?;
    if is_directory_object(item_type) {
        query.check_consistency(wants_eventual_consistency(parts))?;
    }
    let top = query.top.unwrap_or(shared.page_size);
    let offset = query.start()?;
    let entities = lock(&shared.entities);
    let empty = Vec::new();
    let (page, more, count) = query.sorted_page(
        entities.items.get(key).unwrap_or(&empty).iter(),
        offset,
        top,
    );
    drop(entities);
    let mut answer = Map::new();
    answer.insert(
        "@odata.context".into(),
        json!(format!("{}/{version}/$metadata#{key}", shared.base_url)),
    );
    if query.count && query.skip_token.is_none() {
        answer.insert("@odata.count".into(), json!(count));
    }
    answer.insert("value".into(), Value::Array(page.clone()));
    if more {
        answer.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}/{version}/{key}?{}",
                shared.base_url,
                query.next_query(top, &(offset + page.len()).to_string())
            )),
        );
    }
    Ok(json_response(200, &Value::Object(answer)))
}
