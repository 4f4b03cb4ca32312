//! Apps and their content, Graph's side (`/deviceAppManagement/mobileApps`):
//! apps created, read and patched; content versions; content files whose
//! `uploadState` moves through its pending states (each lasting a
//! configurable number of polls) to a storage URI on the storage host,
//! renewals of it, and a commit that checks the uploaded file against its
//! encryption info as Intune does (`content_check`), ending in
//! `commitFileSuccess` or `commitFileFailed`. The blocks themselves go to
//! the storage host (`blob_blocks`).

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::blob_blocks::{Blob, BlockFault};
use crate::body::ReplyBody;
use crate::envelope::Failure;
use crate::routes::{json_body, not_allowed};
use crate::server::{Shared, empty_response, json_response, lock};

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

/// Apps, content versions and files, the storage host's blobs, and the
/// signatures handed out for them.
pub(crate) struct AppContent {
    pub config: Config,
    pub state: Mutex<ContentState>,
    /// Where the storage host spools blocks; `None` when no temporary
    /// directory could be made (block uploads are then refused).
    pub spool: Option<tempfile::TempDir>,
    pub block_files: AtomicU64,
    pub faults: Mutex<Vec<BlockFault>>,
}

#[derive(Default)]
pub(crate) struct ContentState {
    apps: Vec<Map<String, Value>>,
    /// Content versions of each app, by app id: version ids in order.
    versions: HashMap<String, Vec<String>>,
    files: Vec<ContentFile>,
    pub blobs: HashMap<String, Blob>,
    /// Every signature handed out: its blob, and its expiry as written in the URL.
    pub signatures: HashMap<String, Signature>,
    /// Outcomes to use instead of success when the next pending state ends.
    outcomes: VecDeque<String>,
}

/// A storage URI's signature: which blob, until when.
pub(crate) struct Signature {
    pub blob: String,
    pub expires: OffsetDateTime,
    /// `se` as the URL carries it.
    pub se: String,
}

struct ContentFile {
    app_id: String,
    version_id: String,
    id: String,
    blob: String,
    body: Map<String, Value>,
    state: &'static str,
    polls_left: u32,
    uri: Option<(String, OffsetDateTime)>,
    check: Option<Result<(), String>>,
    failure: Option<String>,
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
            spool: tempfile::Builder::new()
                .prefix("graph-endpoint-emulator-blobs")
                .tempdir()
                .ok(),
            block_files: AtomicU64::new(0),
            faults: Mutex::new(Vec::new()),
        }
    }

    /// A fresh path for a block's bytes.
    pub(crate) fn block_path(&self) -> Option<PathBuf> {
        let n = self.block_files.fetch_add(1, Ordering::SeqCst);
        self.spool
            .as_ref()
            .map(|dir| dir.path().join(format!("block-{n}")))
    }
}

impl crate::EmulatorBuilder {
    /// How many polls of a content file find each of its pending states
    /// (`azureStorageUriRequestPending`, `azureStorageUriRenewalPending`,
    /// `commitFilePending`) still pending before it moves on (default 1).
    #[must_use]
    pub fn app_content_pending_polls(mut self, polls: u32) -> Self {
        self.app_content.pending_polls = polls;
        self
    }

    /// How long the storage URIs of app content are good for (default 15
    /// minutes, as Graph's): their `azureStorageUriExpirationDateTime`, and
    /// the storage host answers `403 AuthenticationFailed` after it.
    #[must_use]
    pub fn app_content_uri_lifetime(mut self, lifetime: Duration) -> Self {
        self.app_content.uri_lifetime = lifetime;
        self
    }
}

impl crate::Emulator {
    /// The mobile apps created, as stored.
    #[must_use]
    pub fn mobile_apps(&self) -> Vec<Value> {
        lock(&self.shared.app_content.state)
            .apps
            .iter()
            .cloned()
            .map(Value::Object)
            .collect()
    }

    /// The app content files, in creation order.
    #[must_use]
    pub fn app_content_files(&self) -> Vec<AppContentFile> {
        lock(&self.shared.app_content.state)
            .files
            .iter()
            .map(|f| AppContentFile {
                app_id: f.app_id.clone(),
                content_version: f.version_id.clone(),
                id: f.id.clone(),
                name: f.body["name"].as_str().unwrap_or_default().to_owned(),
                upload_state: f.state.to_owned(),
                commit_failure: f.failure.clone(),
            })
            .collect()
    }

    /// The blob a content file's blocks were committed to, read whole into
    /// memory (for tests of small files); `None` before its block list.
    #[must_use]
    pub fn app_content_blob(&self, file_id: &str) -> Option<Vec<u8>> {
        let paths = {
            let state = lock(&self.shared.app_content.state);
            let file = state.files.iter().find(|f| f.id == file_id)?;
            state.blobs.get(&file.blob)?.committed_paths()?
        };
        let mut bytes = Vec::new();
        for path in paths {
            bytes.extend(std::fs::read(path).ok()?);
        }
        Some(bytes)
    }

    /// Makes every storage URI handed out so far expired: the storage host
    /// answers their next request `403 AuthenticationFailed`.
    pub fn expire_app_content_uris(&self) {
        let past = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        for signature in lock(&self.shared.app_content.state).signatures.values_mut() {
            signature.expires = past;
        }
    }

    /// Ends the next pending state whose step `state` belongs to in `state`
    /// instead of success: `azureStorageUriRequestFailed`,
    /// `azureStorageUriRenewalTimedOut`, `commitFileFailed`, ... Each is
    /// used once.
    pub fn app_content_outcome(&self, state: &str) {
        lock(&self.shared.app_content.state)
            .outcomes
            .push_back(state.to_owned());
    }

    /// Adds a fault of the storage host's blocks; each is used once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use graph_endpoint_emulator::{BlockFault, Emulator};
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_block_fault(BlockFault::Reject { block_id: "MDAwMDAx".into() });
    /// # Ok(()) }
    /// ```
    pub fn inject_block_fault(&self, fault: BlockFault) {
        lock(&self.shared.app_content.faults).push(fault);
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// Answers `/deviceAppManagement/mobileApps...`; `None` for any other path.
pub(crate) fn answer(
    shared: &Shared,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Option<Result<hyper::Response<ReplyBody>, Failure>> {
    let segments: Vec<String> = parts
        .uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let [
        "beta" | "v1.0",
        "deviceAppManagement",
        "mobileApps",
        rest @ ..,
    ] = segments.as_slice()
    else {
        return None;
    };
    Some(route(shared, parts, body, rest))
}

fn route(
    shared: &Shared,
    parts: &http::request::Parts,
    body: &Bytes,
    rest: &[&str],
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let content = &shared.app_content;
    let method = &parts.method;
    match rest {
        [] => match *method {
            Method::POST => {
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
                lock(&content.state).apps.push(app.clone());
                Ok(json_response(201, &Value::Object(app)))
            }
            Method::GET => {
                let apps = lock(&content.state).apps.clone();
                Ok(json_response(200, &json!({ "value": apps })))
            }
            _ => Err(not_allowed(method, "GET, POST")),
        },
        [app_id] => match *method {
            Method::GET => Ok(json_response(
                200,
                &Value::Object(lock(&content.state).app(app_id)?.clone()),
            )),
            Method::PATCH => {
                let changes = object_body(parts, body)?;
                let mut state = lock(&content.state);
                let kind = state.app(app_id)?["@odata.type"].clone();
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
                    state.check_committable(app_id, version)?;
                }
                let app = state.app_mut(app_id)?;
                for (key, value) in changes {
                    app.insert(key, value);
                }
                app.insert(
                    "lastModifiedDateTime".into(),
                    json!(rfc3339(OffsetDateTime::now_utc())),
                );
                Ok(empty_response(204))
            }
            Method::DELETE => {
                let mut state = lock(&content.state);
                state.app(app_id)?;
                state.apps.retain(|a| a["id"] != *app_id);
                Ok(empty_response(204))
            }
            _ => Err(not_allowed(method, "GET, PATCH, DELETE")),
        },
        [app_id, cast, "contentVersions", rest @ ..] => {
            let mut state = lock(&content.state);
            state.check_cast(app_id, cast)?;
            versions(shared, &mut state, parts, body, app_id, rest)
        }
        [_, segment, ..] => Err(Failure::new(
            404,
            "ResourceNotFound",
            format!("Resource not found for the segment '{segment}'."),
        )),
    }
}

fn versions(
    shared: &Shared,
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
    shared: &Shared,
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
    state.blobs.insert(blob.clone(), Blob::default());
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
    shared: &Shared,
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
            let blocks = state.blobs.get(&file.blob).and_then(Blob::committed_paths);
            // Intune checks the file while the commit is pending; here the
            // check is done before the commit is answered, so that the
            // number of pending polls is the configured one, not a race.
            let outcome = match blocks {
                None => Err("no block list was committed to the storage URI".to_owned()),
                Some(blocks) => {
                    checking(|| crate::content_check::verify(&blocks, info, size, size_encrypted))
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
    fn app(&self, id: &str) -> Result<&Map<String, Value>, Failure> {
        self.apps
            .iter()
            .find(|a| a["id"] == *id)
            .ok_or_else(|| Failure::new(404, "ResourceNotFound", format!("No mobile app '{id}'.")))
    }

    fn app_mut(&mut self, id: &str) -> Result<&mut Map<String, Value>, Failure> {
        self.apps
            .iter_mut()
            .find(|a| a["id"] == *id)
            .ok_or_else(|| Failure::new(404, "ResourceNotFound", format!("No mobile app '{id}'.")))
    }

    /// The type cast segment must name the app's own type.
    fn check_cast(&self, app_id: &str, cast: &str) -> Result<(), Failure> {
        let kind = self.app(app_id)?["@odata.type"]
            .as_str()
            .unwrap_or_default();
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
    fn advance(&mut self, index: usize, shared: &Shared) {
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
            // Whole seconds, as a SAS's `se` is written.
            let expires = expires.replace_nanosecond(0).unwrap_or(expires);
            let se = rfc3339(expires);
            let sig = uuid::Uuid::new_v4().simple().to_string();
            let blob = file.blob.clone();
            let url = format!(
                "{}/content/{blob}?sv=2024-08-04&sr=b&sp=rcw&se={}&sig={sig}",
                shared.storage.base_url,
                se.replace(':', "%3A")
            );
            file.uri = Some((url, expires));
            self.signatures.insert(sig, Signature { blob, expires, se });
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

fn object_body(parts: &http::request::Parts, body: &Bytes) -> Result<Map<String, Value>, Failure> {
    match json_body(parts, body)? {
        Value::Object(map) => Ok(map),
        _ => Err(Failure::bad_request(
            "BadRequest",
            "The body must be a JSON object.",
        )),
    }
}
