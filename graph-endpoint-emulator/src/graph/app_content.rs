//! Apps and their content, Graph's side (`/deviceAppManagement/mobileApps`):
//! apps created (stamped as Intune does) and patched (a committed content
//! version checked), kept in the collection the surface table serves, so
//! that reads, queries, `assign` and the assignments list are the generic
//! ones ([`super::entities`], [`super::operations`]); content versions; content files whose
//! `uploadState` moves through its pending states (each lasting a
//! configurable number of polls) to a storage URI on the storage host,
//! renewals of it, and a commit that checks the uploaded file against its
//! encryption info as Intune does ([`super::content_check`]), ending in
//! `commitFileSuccess` or `commitFileFailed`. The blocks themselves go to
//! the storage host ([`crate::storage::blocks`]), which keeps the blobs.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::GraphState;
use crate::lock::lock;
use crate::reply::{
    Failure, ReplyBody, empty_response, json_body, json_response, not_allowed, rfc3339,
};

const URI_REQUEST_PENDING: &str = "azureStorageUriRequestPending";
const URI_REQUEST_SUCCESS: &str = "azureStorageUriRequestSuccess";
const RENEWAL_PENDING: &str = "azureStorageUriRenewalPending";
const RENEWAL_SUCCESS: &str = "azureStorageUriRenewalSuccess";
const COMMIT_PENDING: &str = "commitFilePending";
const COMMIT_SUCCESS: &str = "commitFileSuccess";
const COMMIT_FAILED: &str = "commitFileFailed";

/// How the stand-in plays app content.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Polls of a content file that find each pending state still pending.
    pub pending_polls: u32,
    /// How long a storage URI it hands out is good for.
    pub uri_lifetime: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            pending_polls: 1,
            uri_lifetime: Duration::from_secs(15 * 60),
        }
    }
}

/// Apps, content versions and files (their blobs are on the storage host).
pub(crate) struct AppContent {
    pub config: Config,
    pub state: Mutex<ContentState>,
}

#[derive(Default)]
pub(crate) struct ContentState {
    /// Content versions of each app, by app id: version ids in order.
    versions: HashMap<String, Vec<String>>,
    pub files: Vec<ContentFile>,
    /// Outcomes to use instead of success when the next pending state ends.
    pub outcomes: VecDeque<String>,
}

pub(crate) struct ContentFile {
    pub app_id: String,
    pub version_id: String,
    pub id: String,
    pub blob: String,
    pub body: Map<String, Value>,
    pub state: &'static str,
    polls_left: u32,
    uri: Option<(String, OffsetDateTime)>,
    check: Option<Result<(), String>>,
    pub failure: Option<String>,
}

/// A content file as the stand-in holds it, for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppContentFile {
    /// The app.
    pub app_id: String,
    /// The content version.
    pub content_version: String,
    /// The file's id.
    pub id: String,
    /// Its `name`.
    pub name: String,
    /// Its `uploadState`.
    pub upload_state: String,
    /// Why the commit failed, when it did: what did not match.
    pub commit_failure: Option<String>,
}

impl AppContent {
    pub(crate) fn new(config: Config) -> AppContent {
        AppContent {
            config,
            state: Mutex::new(ContentState::default()),
        }
    }
}

/// Answers the requests of `/deviceAppManagement/mobileApps...` that need
/// more than the generic collection (`segments`: the path's, percent-decoded):
/// an app's creation, its PATCH, and its content versions; `None` for any
/// other request.
pub(crate) fn answer(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    segments: &[&str],
) -> Option<Result<hyper::Response<ReplyBody>, Failure>> {
    let [
        "beta" | "v1.0",
        "deviceAppManagement",
        "mobileApps",
        rest @ ..,
    ] = segments
    else {
        return None;
    };
    let ours = matches!(
        (rest, &parts.method),
        ([], &Method::POST) | ([_], &Method::PATCH) | ([_, _, "contentVersions", ..], _)
    );
    ours.then(|| route(shared, parts, body, rest))
}

/// Where the apps are kept: the surface's collection.
const MOBILE_APPS: &str = "deviceAppManagement/mobileApps";

/// The app with that id, as stored.
fn app(shared: &GraphState, id: &str) -> Result<Map<String, Value>, Failure> {
    lock(&shared.entities)
        .find(MOBILE_APPS, id)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| Failure::new(404, "ResourceNotFound", format!("No mobile app '{id}'.")))
}

fn route(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    rest: &[&str],
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let content = &shared.app_content;
    match rest {
        [] => {
            let app = object_body(parts, body)?;
            let Some(kind) = app.get("@odata.type").and_then(Value::as_str) else {
                return Err(Failure::bad_request(
                    "BadRequest",
                    "A mobile app needs its @odata.type (#microsoft.graph.win32LobApp, ...).",
                ));
            };
            if !kind.starts_with("#microsoft.graph.") {
                return Err(Failure::bad_request(
                    "BadRequest",
                    format!("Unknown @odata.type '{kind}'."),
                ));
            }
            let mut app = app;
            let now = rfc3339(OffsetDateTime::now_utc());
            app.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
            app.insert("createdDateTime".into(), json!(now));
            app.insert("lastModifiedDateTime".into(), json!(now));
            app.entry("committedContentVersion").or_insert(Value::Null);
            app.entry("uploadState").or_insert(json!(0));
            let app = Value::Object(app);
            lock(&shared.entities).insert(MOBILE_APPS, app.clone());
            Ok(json_response(201, &app))
        }
        [app_id] => {
            let changes = object_body(parts, body)?;
            let kind = app(shared, app_id)?["@odata.type"].clone();
            if let Some(given) = changes.get("@odata.type")
                && *given != kind
            {
                return Err(Failure::bad_request(
                    "BadRequest",
                    format!("The app is a {kind}, not a {given}."),
                ));
            }
            if let Some(version) = changes.get("committedContentVersion") {
                let version = version.as_str().unwrap_or_default();
                lock(&content.state).check_committable(app_id, version)?;
            }
            let mut entities = lock(&shared.entities);
            for (key, value) in changes {
                entities.update_item(MOBILE_APPS, app_id, &key, value);
            }
            entities.update_item(
                MOBILE_APPS,
                app_id,
                "lastModifiedDateTime",
                json!(rfc3339(OffsetDateTime::now_utc())),
            );
            Ok(empty_response(204))
        }
        [app_id, cast, "contentVersions", rest @ ..] => {
            check_cast(&app(shared, app_id)?, cast)?;
            let mut state = lock(&content.state);
            versions(shared, &mut state, parts, body, app_id, rest)
        }
        // `answer` hands over nothing else.
        _ => Err(not_allowed(&parts.method, "POST, PATCH")),
    }
}

fn versions(
    shared: &GraphState,
    state: &mut ContentState,
    parts: &http::request::Parts,
    body: &Bytes,
    app_id: &str,
    rest: &[&str],
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let method = &parts.method;
    match rest {
        [] => match *method {
            Method::POST => {
                let list = state.versions.entry(app_id.to_owned()).or_default();
                let id = (list.len() + 1).to_string();
                list.push(id.clone());
                Ok(json_response(
                    201,
                    &json!({"@odata.type": "#microsoft.graph.mobileAppContent", "id": id}),
                ))
            }
            Method::GET => {
                let list = state.versions.get(app_id).cloned().unwrap_or_default();
                let value: Vec<Value> = list.iter().map(|id| json!({"id": id})).collect();
                Ok(json_response(200, &json!({ "value": value })))
            }
            _ => Err(not_allowed(method, "GET, POST")),
        },
        [version_id, rest @ ..] => {
            state.check_version(app_id, version_id)?;
            match rest {
                [] if *method == Method::GET => Ok(json_response(200, &json!({"id": version_id}))),
                [] => Err(not_allowed(method, "GET")),
                ["files"] => match *method {
                    Method::POST => create_file(shared, state, parts, body, app_id, version_id),
                    Method::GET => {
                        let files: Vec<Value> = state
                            .files
                            .iter()
                            .filter(|f| f.app_id == app_id && f.version_id == *version_id)
                            .map(ContentFile::to_json)
                            .collect();
                        Ok(json_response(200, &json!({ "value": files })))
                    }
                    _ => Err(not_allowed(method, "GET, POST")),
                },
                ["files", file_id, rest @ ..] => {
                    let index = state
                        .files
                        .iter()
                        .position(|f| {
                            f.id == *file_id && f.app_id == app_id && f.version_id == *version_id
                        })
                        .ok_or_else(|| {
                            Failure::new(
                                404,
                                "ResourceNotFound",
                                format!("No content file '{file_id}'."),
                            )
                        })?;
                    file_action(shared, state, parts, body, index, rest)
                }
                [segment, ..] => Err(Failure::new(
                    404,
                    "ResourceNotFound",
                    format!("Resource not found for the segment '{segment}'."),
                )),
            }
        }
    }
}

fn create_file(
    shared: &GraphState,
    state: &mut ContentState,
    parts: &http::request::Parts,
    body: &Bytes,
    app_id: &str,
    version_id: &str,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let given = object_body(parts, body)?;
    let name = given
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Failure::bad_request("BadRequest", "A content file needs a name."))?;
    let size = given.get("size").and_then(Value::as_u64);
    let size_encrypted = given.get("sizeEncrypted").and_then(Value::as_u64);
    let (Some(size), Some(size_encrypted)) = (size, size_encrypted) else {
        return Err(Failure::bad_request(
            "BadRequest",
            "A content file needs its size and sizeEncrypted, as whole numbers of bytes.",
        ));
    };
    if size_encrypted <= size {
        return Err(Failure::bad_request(
            "BadRequest",
            "sizeEncrypted must be larger than size: the encrypted file has a head and padding.",
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let blob = uuid::Uuid::new_v4().simple().to_string();
    let mut body = Map::new();
    body.insert(
        "@odata.type".into(),
        json!("#microsoft.graph.mobileAppContentFile"),
    );
    body.insert("name".into(), json!(name));
    body.insert("size".into(), json!(size));
    body.insert("sizeEncrypted".into(), json!(size_encrypted));
    body.insert(
        "manifest".into(),
        given.get("manifest").cloned().unwrap_or(Value::Null),
    );
    body.insert(
        "isDependency".into(),
        given.get("isDependency").cloned().unwrap_or(json!(false)),
    );
    body.insert(
        "createdDateTime".into(),
        json!(rfc3339(OffsetDateTime::now_utc())),
    );
    shared.storage.blocks.create(&blob);
    let file = ContentFile {
        app_id: app_id.to_owned(),
        version_id: version_id.to_owned(),
        id,
        blob,
        body,
        state: URI_REQUEST_PENDING,
        polls_left: shared.app_content.config.pending_polls,
        uri: None,
        check: None,
        failure: None,
    };
    let answer = file.to_json();
    state.files.push(file);
    Ok(json_response(201, &answer))
}

fn file_action(
    shared: &GraphState,
    state: &mut ContentState,
    parts: &http::request::Parts,
    body: &Bytes,
    index: usize,
    rest: &[&str],
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let method = &parts.method;
    let config = &shared.app_content.config;
    match rest {
        [] if *method == Method::GET => {
            state.advance(index, shared);
            Ok(json_response(200, &state.files[index].to_json()))
        }
        [] => Err(not_allowed(method, "GET")),
        [_] if *method != Method::POST => Err(not_allowed(method, "POST")),
        ["renewUpload" | "microsoft.graph.renewUpload"] => {
            let file = &mut state.files[index];
            if !matches!(file.state, URI_REQUEST_SUCCESS | RENEWAL_SUCCESS) {
                return Err(Failure::bad_request(
                    "BadRequest",
                    format!(
                        "The storage URI can be renewed only once it was made; the file is in {}.",
                        file.state
                    ),
                ));
            }
            file.state = RENEWAL_PENDING;
            file.polls_left = config.pending_polls;
            Ok(empty_response(204))
        }
        ["commit" | "microsoft.graph.commit"] => {
            let given = object_body(parts, body)?;
            let Some(Value::Object(info)) = given.get("fileEncryptionInfo") else {
                return Err(Failure::bad_request(
                    "BadRequest",
                    "The commit needs its fileEncryptionInfo.",
                ));
            };
            let file = &state.files[index];
            if !matches!(file.state, URI_REQUEST_SUCCESS | RENEWAL_SUCCESS) {
                return Err(Failure::bad_request(
                    "BadRequest",
                    format!("The file cannot be committed in {}.", file.state),
                ));
            }
            let size = file.body["size"].as_u64().unwrap_or_default();
            let size_encrypted = file.body["sizeEncrypted"].as_u64().unwrap_or_default();
            let blocks = shared.storage.blocks.committed_paths(&file.blob);
            // Intune checks the file while the commit is pending; here the
            // check is done before the commit is answered, so that the
            // number of pending polls is the configured one, not a race.
            let outcome = match blocks {
                None => Err("no block list was committed to the storage URI".to_owned()),
                Some(blocks) => {
                    checking(|| super::content_check::verify(&blocks, info, size, size_encrypted))
                }
            };
            let file = &mut state.files[index];
            file.state = COMMIT_PENDING;
            file.polls_left = config.pending_polls;
            file.check = Some(outcome);
            Ok(empty_response(204))
        }
        [segment, ..] => Err(Failure::new(
            404,
            "ResourceNotFound",
            format!("Resource not found for the segment '{segment}'."),
        )),
    }
}

impl ContentState {
    fn check_version(&self, app_id: &str, version_id: &str) -> Result<(), Failure> {
        if self
            .versions
            .get(app_id)
            .is_some_and(|list| list.iter().any(|v| v == version_id))
        {
            Ok(())
        } else {
            Err(Failure::new(
                404,
                "ResourceNotFound",
                format!("No content version '{version_id}' of app '{app_id}'."),
            ))
        }
    }

    /// A content version can be the app's committed one once it has files,
    /// all committed.
    fn check_committable(&self, app_id: &str, version_id: &str) -> Result<(), Failure> {
        self.check_version(app_id, version_id)?;
        let files: Vec<&ContentFile> = self
            .files
            .iter()
            .filter(|f| f.app_id == app_id && f.version_id == version_id)
            .collect();
        if files.is_empty() || files.iter().any(|f| f.state != COMMIT_SUCCESS) {
            return Err(Failure::bad_request(
                "BadRequest",
                format!("Content version '{version_id}' has files that are not committed."),
            ));
        }
        Ok(())
    }

    /// A poll of a file: a pending state counts down its polls, then ends
    /// (in success, or in the outcome a test asked for).
    fn advance(&mut self, index: usize, shared: &GraphState) {
        let file = &self.files[index];
        let pending = file.state;
        if !matches!(
            pending,
            URI_REQUEST_PENDING | RENEWAL_PENDING | COMMIT_PENDING
        ) {
            return;
        }
        if file.polls_left > 0 {
            self.files[index].polls_left -= 1;
            return;
        }
        let check = file.check.clone();
        let step = pending.trim_end_matches("Pending");
        let outcome = self
            .outcomes
            .iter()
            .position(|o| o.starts_with(step))
            .and_then(|at| self.outcomes.remove(at));
        let file = &mut self.files[index];
        file.state = match (pending, outcome) {
            (_, Some(outcome)) => leak_state(&outcome),
            (COMMIT_PENDING, None) => match check {
                Some(Ok(())) => COMMIT_SUCCESS,
                Some(Err(reason)) => {
                    file.failure = Some(reason);
                    COMMIT_FAILED
                }
                None => COMMIT_FAILED,
            },
            (URI_REQUEST_PENDING, None) => URI_REQUEST_SUCCESS,
            _ => RENEWAL_SUCCESS,
        };
        if matches!(file.state, URI_REQUEST_SUCCESS | RENEWAL_SUCCESS) {
            let lifetime = shared.app_content.config.uri_lifetime;
            let expires = OffsetDateTime::now_utc() + lifetime;
            let storage = &shared.storage;
            file.uri = Some(storage.blocks.sign(&storage.base_url, &file.blob, expires));
        }
        if file.state == COMMIT_SUCCESS {
            file.body.insert("isCommitted".into(), json!(true));
        }
    }
}

/// Runs the commit's check of a whole file, which reads it from disk: on a
/// multi-threaded runtime other tasks move to other threads meanwhile.
fn checking<T>(check: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(check),
        _ => check(),
    }
}

/// The states a test may ask for, as the `&'static str` a file holds.
fn leak_state(name: &str) -> &'static str {
    const KNOWN: [&str; 12] = [
        "azureStorageUriRequestSuccess",
        "azureStorageUriRequestFailed",
        "azureStorageUriRequestTimedOut",
        "azureStorageUriRenewalSuccess",
        "azureStorageUriRenewalFailed",
        "azureStorageUriRenewalTimedOut",
        "commitFileSuccess",
        "commitFileFailed",
        "commitFileTimedOut",
        "error",
        "transientError",
        "unknown",
    ];
    KNOWN
        .iter()
        .find(|known| **known == name)
        .copied()
        .unwrap_or("error")
}

impl ContentFile {
    fn to_json(&self) -> Value {
        let mut body = self.body.clone();
        body.insert("id".into(), json!(self.id));
        body.insert("uploadState".into(), json!(self.state));
        body.entry("isCommitted").or_insert(json!(false));
        body.insert("isFrameworkFile".into(), json!(false));
        let (uri, expires) = match &self.uri {
            Some((uri, expires)) => (json!(uri), json!(rfc3339(*expires))),
            None => (Value::Null, Value::Null),
        };
        body.insert("azureStorageUri".into(), uri);
        body.insert("azureStorageUriExpirationDateTime".into(), expires);
        Value::Object(body)
    }
}

/// The type cast segment must name the app's own type.
fn check_cast(app: &Map<String, Value>, cast: &str) -> Result<(), Failure> {
    let kind = app["@odata.type"].as_str().unwrap_or_default();
    if kind.trim_start_matches('#') != cast {
        return Err(Failure::bad_request(
            "BadRequest",
            format!(
                "The app is a {kind}: its content is under microsoft.graph.{}, not {cast}.",
                kind.trim_start_matches("#microsoft.graph.")
            ),
        ));
    }
    Ok(())
}

fn object_body(parts: &http::request::Parts, body: &Bytes) -> Result<Map<String, Value>, Failure> {
    match json_body(parts, body)? {
        Value::Object(map) => Ok(map),
        _ => Err(Failure::bad_request(
            "BadRequest",
            "The body must be a JSON object.",
        )),
    }
}
