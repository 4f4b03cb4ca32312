//! Entity collections and singletons of the surface, served generically
//! from the surface table ([`super::surface`], generated from Graph's
//! metadata), and any collection added with `EmulatorBuilder::entity_sets`.
//!
//! A collection answers create with a server-assigned id (201), get (with
//! `$select` checked against the collection's type), list with paging and
//! `$filter`/`$select`/`$top`/`$skip`/`$orderby`/`$count`/`$search` (on its
//! type's properties), `/$count`, PATCH that merges (a `null` clears a
//! property; 200 with the entity) and delete (204). Items keep whatever they
//! were given, `@odata.type` included (the collection's item type when none
//! was sent); items planted with `Emulator::insert_entity` are kept exactly as
//! given, malformed or not. A singleton answers get and PATCH (merged; the
//! documented status, 200 with the entity or 204). The same paths answer
//! under `beta` and `v1.0`; bound actions and functions are [`super::operations`].

use std::collections::HashMap;

use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::{Map, Value, json};

use super::GraphState;
use super::operations;
use super::query::{ListQuery, Vocabulary, entity_select, wants_eventual_consistency};
use super::surface::{Singleton, surface};
use crate::lock::lock;
use crate::reply::{Failure, ReplyBody, empty_response, json_body, json_response, not_allowed};

/// The collections served, their items by collection path, and the singletons' state.
#[derive(Debug, Default)]
pub struct Entities {
    /// `(segments of the path, `None` where a key goes; item type)`.
    sets: Vec<(Vec<Option<String>>, String)>,
    /// Items of each concrete collection (`deviceManagement/x/abc/y`), in creation order.
    items: HashMap<String, Vec<Value>>,
    /// Each singleton read or changed so far, by concrete path.
    singletons: HashMap<String, Map<String, Value>>,
}

/// The `id` of a stored item, as a path names it (a number planted as an id
/// is named by its digits).
fn id_of(item: &Value) -> Option<String> {
    match item.get("id")? {
        Value::String(id) => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// What a collection's queries may name: its type's properties when the
/// surface knows the type.
pub(crate) fn vocabulary(ty: &str) -> Vocabulary {
    surface()
        .known_type(ty)
        .map_or(Vocabulary::Untyped, Vocabulary::Typed)
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

impl Entities {
    /// The surface's collections, then these `(path, item type)` pairs:
    /// `/deviceManagement/x/{}/y` (`{}` for a key) and `microsoft.graph.y`.
    pub fn new(extra: &[(&str, &str)]) -> Entities {
        let mut out = Entities::default();
        let all = surface()
            .sets
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .chain(extra.iter().copied());
        for (path, ty) in all {
            let pattern = segments(path)
                .into_iter()
                .map(|s| (s != "{}").then(|| s.to_owned()))
                .collect();
            out.sets
                .push((pattern, ty.trim_start_matches('#').to_owned()));
        }
        out
    }

    /// The set whose path the segments are: its item type.
    pub(crate) fn collection(&self, segments: &[&str]) -> Option<&str> {
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
    /// version) as it is given; an object without `id` gets a fresh one, and
    /// one without `@odata.type` the collection's item type. `None` when no
    /// collection has that path.
    pub fn insert(&mut self, collection: &str, item: Value) -> Option<Value> {
        let segments = segments(collection);
        let ty = self.collection(&segments)?.to_owned();
        let item = as_stored(item, &ty);
        self.items
            .entry(segments.join("/"))
            .or_default()
            .push(item.clone());
        Some(item)
    }

    /// Sets one property of an item of a collection (by its concrete path,
    /// after the version); whether the item is there (and an object).
    pub fn update_item(&mut self, collection: &str, id: &str, name: &str, value: Value) -> bool {
        let Some(item) = self
            .items
            .get_mut(&segments(collection).join("/"))
            .and_then(|items| items.iter_mut().find(|i| id_of(i).as_deref() == Some(id)))
            .and_then(Value::as_object_mut)
        else {
            return false;
        };
        item.insert(name.to_owned(), value);
        true
    }

    /// Removes every item, and forgets what singletons were changed to.
    pub fn clear(&mut self) {
        self.items.clear();
        self.singletons.clear();
    }

    /// The items of a collection (by its concrete path, after the version).
    pub fn list(&self, collection: &str) -> Vec<Value> {
        self.items
            .get(&segments(collection).join("/"))
            .cloned()
            .unwrap_or_default()
    }

    /// The item of a collection with that id.
    pub(crate) fn find(&self, key: &str, id: &str) -> Option<&Value> {
        self.items
            .get(key)?
            .iter()
            .find(|i| id_of(i).as_deref() == Some(id))
    }

    fn find_mut(&mut self, key: &str, id: &str) -> Option<&mut Value> {
        self.items
            .get_mut(key)?
            .iter_mut()
            .find(|i| id_of(i).as_deref() == Some(id))
    }

    /// Replaces the items of a collection (by its concrete path).
    pub(crate) fn replace(&mut self, key: String, items: Vec<Value>) {
        self.items.insert(key, items);
    }

    /// Whether the item the last key of `segments` names is missing from a
    /// served collection: `Some(id)` then.
    pub(crate) fn missing_parent<'a>(
        &self,
        pattern: &[String],
        segments: &[&'a str],
    ) -> Option<&'a str> {
        let at = pattern.iter().rposition(|s| s == "{}")?;
        let collection = &segments[..at];
        let id = segments[at];
        (self.collection(collection).is_some() && self.find(&collection.join("/"), id).is_none())
            .then_some(id)
    }
}

/// An item as a collection of `ty` keeps it: an object without `id` gets a
/// fresh one and one without `@odata.type` the collection's item type;
/// anything else is kept as it is.
pub(crate) fn as_stored(item: Value, ty: &str) -> Value {
    match item {
        Value::Object(mut object) => {
            object
                .entry("id")
                .or_insert_with(|| json!(uuid::Uuid::new_v4().to_string()));
            object
                .entry("@odata.type")
                .or_insert_with(|| json!(format!("#{ty}")));
            Value::Object(object)
        }
        other => other,
    }
}

pub(crate) fn not_found(id: &str) -> Failure {
    Failure::new(
        404,
        "ResourceNotFound",
        format!("The entity with id '{id}' was not found."),
    )
}

/// Answers a request for a served collection, one of its items, a
/// singleton, or a bound operation; `None` when the path is none of them.
pub(crate) fn route(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    version: &str,
    rest: &[&str],
) -> Option<Result<hyper::Response<ReplyBody>, Failure>> {
    if let Some(operation) = surface().operation(rest) {
        return Some(operations::answer(
            shared, parts, body, version, rest, operation,
        ));
    }
    let entities = lock(&shared.entities);
    let method = &parts.method;
    if let Some((&"$count", collection)) = rest.split_last()
        && let Some(ty) = entities.collection(collection)
    {
        let ty = ty.to_owned();
        drop(entities);
        return Some(match *method {
            Method::GET => count(shared, parts, &collection.join("/"), &ty),
            _ => Err(not_allowed(method, "GET")),
        });
    }
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
    if let Some(singleton) = surface().singleton(rest) {
        drop(entities);
        return Some(single(shared, parts, body, version, rest, singleton));
    }
    let (id, collection) = rest.split_last()?;
    let ty = entities.collection(collection)?.to_owned();
    drop(entities);
    let key = collection.join("/");
    let context = format!("{}/{version}/$metadata#{key}/$entity", shared.base_url);
    Some(match *method {
        Method::GET => {
            get(shared, parts, &key, &ty, id).map(|item| json_response(200, &with(item, &context)))
        }
        Method::PATCH => update(shared, parts, body, &key, id)
            .map(|item| json_response(200, &with(item, &context))),
        Method::DELETE => {
            let mut entities = lock(&shared.entities);
            let items = entities.items.entry(key).or_default();
            match items.iter().position(|i| id_of(i).as_deref() == Some(*id)) {
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

pub(crate) fn with(mut item: Value, context: &str) -> Value {
    if let Value::Object(map) = &mut item {
        map.insert("@odata.context".into(), json!(context));
    }
    item
}

fn object_body(parts: &http::request::Parts, body: &Bytes) -> Result<Map<String, Value>, Failure> {
    match json_body(parts, body)? {
        Value::Object(object) => Ok(object),
        _ => Err(Failure::bad_request(
            "BadRequest",
            "Empty Payload. JSON content expected.",
        )),
    }
}

fn create(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    version: &str,
    key: &str,
    ty: &str,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let mut item = object_body(parts, body)?;
    // The service assigns the id.
    item.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
    item.entry("@odata.type")
        .or_insert_with(|| json!(format!("#{ty}")));
    lock(&shared.entities)
        .items
        .entry(key.to_owned())
        .or_default()
        .push(Value::Object(item.clone()));
    let context = format!("{}/{version}/$metadata#{key}/$entity", shared.base_url);
    Ok(json_response(201, &with(Value::Object(item), &context)))
}

fn get(
    shared: &GraphState,
    parts: &http::request::Parts,
    key: &str,
    ty: &str,
    id: &str,
) -> Result<Value, Failure> {
    let select = entity_select(parts, vocabulary(ty))?;
    let entities = lock(&shared.entities);
    let item = entities.find(key, id).ok_or_else(|| not_found(id))?;
    Ok(match select {
        Some(select) => select.project(item),
        None => item.clone(),
    })
}

fn update(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    key: &str,
    id: &str,
) -> Result<Value, Failure> {
    let changes = object_body(parts, body)?;
    let mut entities = lock(&shared.entities);
    let item = entities.find_mut(key, id).ok_or_else(|| not_found(id))?;
    let Value::Object(object) = item else {
        return Err(Failure::bad_request(
            "BadRequest",
            format!("The entity with id '{id}' is not an object and cannot be updated."),
        ));
    };
    merge(object, changes);
    Ok(item.clone())
}

/// Merges a PATCH: the id is the service's; everything else is set, `null` included.
fn merge(object: &mut Map<String, Value>, changes: Map<String, Value>) {
    for (name, value) in changes {
        if name != "id" {
            object.insert(name, value);
        }
    }
}

/// The query of a list, read against the collection's type: only a
/// directory object's collection needs `ConsistencyLevel: eventual` for
/// `$count`, `$search`, `ne` and `not` (Graph's "Advanced query capabilities
/// on Azure AD directory objects" page); Intune's collections do not ask for
/// it.
fn list_query(parts: &http::request::Parts, ty: &str) -> Result<ListQuery, Failure> {
    let query = ListQuery::parse_for(parts.uri.query().unwrap_or_default(), vocabulary(ty))?;
    if is_directory_object(ty) {
        query.check_consistency(wants_eventual_consistency(parts))?;
    }
    query.check_select()?;
    Ok(query)
}

fn list(
    shared: &GraphState,
    parts: &http::request::Parts,
    version: &str,
    key: &str,
    ty: &str,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let query = list_query(parts, ty)?;
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
    let next = offset + page.len();
    answer.insert("value".into(), Value::Array(page));
    if more {
        answer.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}/{version}/{key}?{}",
                shared.base_url,
                query.next_query(top, &next.to_string())
            )),
        );
    }
    Ok(json_response(200, &Value::Object(answer)))
}

/// `GET .../$count`: how many items match the `$filter`, as plain text.
fn count(
    shared: &GraphState,
    parts: &http::request::Parts,
    key: &str,
    ty: &str,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let query = list_query(parts, ty)?;
    let entities = lock(&shared.entities);
    let count = entities.items.get(key).map_or(0, |items| {
        items.iter().filter(|i| query.matches(*i)).count()
    });
    drop(entities);
    let mut response = hyper::Response::new(ReplyBody::full(count.to_string()));
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    Ok(response)
}

/// GET and PATCH of a singleton. One that was never written reads as its
/// type with its non-nullable properties at their zero values.
fn single(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    version: &str,
    rest: &[&str],
    singleton: &Singleton,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let key = rest.join("/");
    let context = format!("{}/{version}/$metadata#{key}", shared.base_url);
    let vocabulary = vocabulary(&singleton.ty);
    let select = match parts.method {
        Method::GET => entity_select(parts, vocabulary)?,
        Method::PATCH => None,
        _ => return Err(not_allowed(&parts.method, "GET, PATCH")),
    };
    let changes = match parts.method {
        Method::PATCH => Some(object_body(parts, body)?),
        _ => None,
    };
    let mut entities = lock(&shared.entities);
    if let Some(id) = entities.missing_parent(&singleton.segments, rest) {
        return Err(not_found(id));
    }
    let state = entities.singletons.entry(key).or_insert_with(|| {
        match surface().default_value(&singleton.ty, 0) {
            Value::Object(object) => object,
            _ => Map::new(),
        }
    });
    if let Some(changes) = changes {
        merge(state, changes);
        let state = Value::Object(state.clone());
        drop(entities);
        return Ok(if singleton.patch_status == 204 {
            empty_response(204)
        } else {
            json_response(singleton.patch_status, &with(state, &context))
        });
    }
    let state = match select {
        Some(select) => select.project(state),
        None => Value::Object(state.clone()),
    };
    drop(entities);
    Ok(json_response(200, &with(state, &context)))
}
