//! One upload of app content, from start to committed: the content version
//! and file on Graph's side, each state waited for, the blocks to the
//! storage URI (a failed block sent again alone, the URI renewed when it
//! nears its expiry or the storage host says it expired), the block list,
//! the commit with the encryption info, and the app's
//! `committedContentVersion`.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::future::{Future, IntoFuture};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use graph_endpoint::reqwest::Url;
use graph_endpoint::{Error, GraphClient, PollStep, Progress, RetryPolicy, Wait, retry_after};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::blocks::{BlockRequest, Refusal, block_id, send};
use super::encryption::{EncryptingReader, FileEncryptionInfo, HEAD_BYTES, Keys, encrypted_len};
use super::endpoints::{ContentEndpoints, ContentFile};
use super::error::ContentError;
pub use super::events::{CommittedContent, RenewReason, UploadEvent};
use super::package::IntuneWinPackage;
use super::state::{Seen, Stage, UploadState};

/// The default block: 6 MiB, as Microsoft's own upload scripts use.
pub const DEFAULT_BLOCK_SIZE: u64 = 6 * 1024 * 1024;
/// The largest block this uploader sends (Azure takes up to 4000 MiB; a
/// block is held in memory while it is sent).
pub const MAX_BLOCK_SIZE: u64 = 100 * 1024 * 1024;
/// The smallest block this uploader sends.
pub const MIN_BLOCK_SIZE: u64 = 1024;
/// The most blocks Azure Storage takes in one blob; blocks grow past the
/// chosen size when a file would need more.
pub const MAX_BLOCKS: u64 = 50_000;
/// By default the storage URI is renewed when it has less than this left.
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);
/// How many times in a row the storage host may say the URI expired for the
/// same request, each followed by a renewal, before the upload gives up.
const MAX_RENEWALS_IN_A_ROW: u32 = 3;

/// The type of a mobile app that has content, as Graph names it
/// (`win32LobApp`, `windowsMobileMSI`, `androidLobApp`, ...): the cast
/// segment of its content versions' path and the `@odata.type` of the PATCH
/// that commits them.
///
/// ```
/// use graph_endpoint_device_app_management::content::AppType;
///
/// assert_eq!(AppType::for_file("Setup.MSI"), Some(AppType::WINDOWS_MOBILE_MSI));
/// assert_eq!(AppType::for_file("app.apk").unwrap().name(), "androidLobApp");
/// assert_eq!(AppType::new("macOSPkgApp").name(), "macOSPkgApp");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppType(Cow<'static, str>);

impl AppType {
    /// `win32LobApp`: a `.intunewin` package.
    pub const WIN32_LOB: AppType = AppType(Cow::Borrowed("win32LobApp"));
    /// `windowsMobileMSI`: a `.msi`.
    pub const WINDOWS_MOBILE_MSI: AppType = AppType(Cow::Borrowed("windowsMobileMSI"));
    /// `androidLobApp`: an `.apk`.
    pub const ANDROID_LOB: AppType = AppType(Cow::Borrowed("androidLobApp"));
    /// `iosLobApp`: an `.ipa`.
    pub const IOS_LOB: AppType = AppType(Cow::Borrowed("iosLobApp"));
    /// `windowsUniversalAppX`: an `.appx`, `.msix` or their bundles.
    pub const WINDOWS_UNIVERSAL_APPX: AppType = AppType(Cow::Borrowed("windowsUniversalAppX"));
    /// `macOSLobApp`: a `.pkg`.
    pub const MACOS_LOB: AppType = AppType(Cow::Borrowed("macOSLobApp"));
    /// `macOSDmgApp`: a `.dmg`.
    pub const MACOS_DMG: AppType = AppType(Cow::Borrowed("macOSDmgApp"));

    /// Another type, by its Graph name (without `#microsoft.graph.`).
    #[must_use]
    pub fn new(name: impl Into<String>) -> AppType {
        AppType(Cow::Owned(name.into()))
    }

    /// The type a file of this extension is uploaded as, when its extension
    /// says it (case ignored): `.msi`, `.apk`, `.ipa`, `.appx`, `.msix`,
    /// `.appxbundle`, `.msixbundle`, `.pkg`, `.dmg`, `.intunewin`.
    #[must_use]
    pub fn for_file(path: impl AsRef<Path>) -> Option<AppType> {
        let extension = path.as_ref().extension()?.to_str()?.to_ascii_lowercase();
        Some(match extension.as_str() {
            "intunewin" => AppType::WIN32_LOB,
            "msi" => AppType::WINDOWS_MOBILE_MSI,
            "apk" => AppType::ANDROID_LOB,
            "ipa" => AppType::IOS_LOB,
            "appx" | "msix" | "appxbundle" | "msixbundle" => AppType::WINDOWS_UNIVERSAL_APPX,
            "pkg" => AppType::MACOS_LOB,
            "dmg" => AppType::MACOS_DMG,
            _ => return None,
        })
    }

    /// Graph's name of the type.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.0
    }

    fn cast_segment(&self) -> String {
        format!("microsoft.graph.{}", self.0)
    }

    fn odata_type(&self) -> String {
        format!("#microsoft.graph.{}", self.0)
    }
}

/// Uploads of app content, implemented for [`GraphClient`].
///
/// ```no_run
/// use graph_endpoint::GraphClient;
/// use graph_endpoint_device_app_management::content::{AppContentUploads, AppType, IntuneWinPackage, UploadEvent};
///
/// # async fn demo(graph: GraphClient) -> Result<(), Box<dyn std::error::Error>> {
/// let package = IntuneWinPackage::open("Firefox.intunewin")?;
/// let done = graph
///     .upload_win32_app_content("0177548a-548a-0177-8a54-77018a547701", &package)
///     .on_progress(|event| eprintln!("{event:?}"))
///     .await?;
/// println!("content version {} committed", done.content_version);
///
/// let msi = graph
///     .upload_lob_app_content("5b0b2e6f-0000-4c2a-9d6b-3e1f2a3b4c5d", AppType::WINDOWS_MOBILE_MSI, "agent.msi")
///     .await?;
/// # Ok(()) }
/// ```
pub trait AppContentUploads {
    /// Uploads a `.intunewin` package's encrypted file, as it is, as the new
    /// content of the Win32 app `app_id`; see [`ContentUpload`].
    fn upload_win32_app_content(
        &self,
        app_id: &str,
        package: &IntuneWinPackage,
    ) -> ContentUpload<'_>;

    /// Creates a Win32 app from `properties` (a `win32LobApp`'s JSON:
    /// `displayName`, `publisher`, `installCommandLine`, `rules`, ...; its
    /// `@odata.type`, `fileName` and `setupFilePath` are filled from the
    /// package unless given), then uploads the package as its content.
    fn create_win32_app(&self, package: &IntuneWinPackage, properties: Value) -> ContentUpload<'_>;

    /// Encrypts the file at `path` (fresh keys, as the package format
    /// describes) while uploading it as the new content of the app
    /// `app_id` of type `app_type`; see [`ContentUpload`].
    fn upload_lob_app_content(
        &self,
        app_id: &str,
        app_type: AppType,
        path: impl AsRef<Path>,
    ) -> ContentUpload<'_>;
}

impl AppContentUploads for GraphClient {
    fn upload_win32_app_content(
        &self,
        app_id: &str,
        package: &IntuneWinPackage,
    ) -> ContentUpload<'_> {
        ContentUpload::new(
            self,
            Target::App(app_id.to_owned()),
            AppType::WIN32_LOB,
            Source::Package(Box::new(package.clone())),
        )
    }

    fn create_win32_app(&self, package: &IntuneWinPackage, properties: Value) -> ContentUpload<'_> {
        ContentUpload::new(
            self,
            Target::NewApp(properties),
            AppType::WIN32_LOB,
            Source::Package(Box::new(package.clone())),
        )
    }

    fn upload_lob_app_content(
        &self,
        app_id: &str,
        app_type: AppType,
        path: impl AsRef<Path>,
    ) -> ContentUpload<'_> {
        ContentUpload::new(
            self,
            Target::App(app_id.to_owned()),
            app_type,
            Source::Plain(path.as_ref().to_owned()),
        )
    }
}

enum Target {
    App(String),
    NewApp(Value),
}

enum Source {
    /// A `.intunewin` package: its encrypted file goes as it is.
    Package(Box<IntuneWinPackage>),
    /// A plain file, encrypted on the way.
    Plain(PathBuf),
}

type OnEvent<'a> = Box<dyn FnMut(&UploadEvent) + Send + 'a>;

/// An upload of app content: what [`AppContentUploads`]' methods return;
/// `.await` runs it, and gives the committed content or a [`ContentError`].
///
/// The sequence is Graph's documented one:
///
/// 1. `POST …/mobileApps/{id}/microsoft.graph.{type}/contentVersions` (`{}`);
/// 2. `POST …/contentVersions/{v}/files` with `name`, `size` (plain),
///    `sizeEncrypted`, `manifest` and `isDependency: false`;
/// 3. `GET …/files/{f}` until `azureStorageUriRequestSuccess`, which brings
///    the storage URI (a SAS URL) and its expiry;
/// 4. the encrypted file in blocks to the storage URI (`Put Block`, one
///    block in memory at a time, read from disk as it goes), then
///    `Put Block List`;
/// 5. `POST …/files/{f}/commit` with the `fileEncryptionInfo`, then
///    `GET …/files/{f}` until `commitFileSuccess`;
/// 6. `PATCH …/mobileApps/{id}` with `committedContentVersion`, and a
///    `GET` of the app to return it.
///
/// Waits poll as the runtime's [`Wait`] does (each `Retry-After`, else
/// backoff, a floor between polls, a deadline per wait). A `…Failed` or
/// `…TimedOut` state is [`ContentError::FailedState`] naming it; a wait
/// past its deadline is [`ContentError::StateDeadline`].
///
/// Requests to the storage host never carry the Graph token. A block or
/// block list that fails for a reason worth retrying (a broken connection,
/// a timeout, `408`, `429`, `5xx`) is sent again alone, after a pause, as
/// [`block_retries`](Self::block_retries) says; blocks already taken are
/// never sent again. The URI is renewed (`renewUpload`, then a wait for
/// `azureStorageUriRenewalSuccess`) before a block when it has less than
/// [`renew_before`](Self::renew_before) left, and whenever the storage host
/// answers `403 AuthenticationFailed`; the upload goes on with the new URI.
///
/// A plain file ([`AppContentUploads::upload_lob_app_content`]) is
/// encrypted while it is read, in one pass: its ciphertext goes as blocks
/// 1, 2, …; once it is all read the MAC is known, and the 48-byte head
/// (MAC and IV) goes as block 0, listed first. A file that changes size
/// while it is read is refused before the commit.
///
/// Dropping the future stops the upload; the content version stays
/// uncommitted on Graph's side, and the app keeps its earlier content.
#[must_use = "an upload sends nothing until it is awaited"]
pub struct ContentUpload<'a> {
    graph: &'a GraphClient,
    target: Target,
    app_type: AppType,
    source: Source,
    wait: Wait,
    block_size: u64,
    renew_before: Duration,
    block_retries: RetryPolicy,
    manifest: Option<Vec<u8>>,
    on_event: Option<OnEvent<'a>>,
}

impl fmt::Debug for ContentUpload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Package(package) => package.path(),
            Source::Plain(path) => path.as_path(),
        };
        f.debug_struct("ContentUpload")
            .field("app_type", &self.app_type)
            .field("source", &source)
            .field("wait", &self.wait)
            .field("block_size", &self.block_size)
            .field("renew_before", &self.renew_before)
            .field("block_retries", &self.block_retries)
            .finish_non_exhaustive()
    }
}

impl<'a> ContentUpload<'a> {
    fn new(graph: &'a GraphClient, target: Target, app_type: AppType, source: Source) -> Self {
        ContentUpload {
            graph,
            target,
            app_type,
            source,
            wait: Wait::default(),
            block_size: DEFAULT_BLOCK_SIZE,
            renew_before: DEFAULT_RENEW_BEFORE,
            block_retries: RetryPolicy::default(),
            manifest: None,
            on_event: None,
        }
    }

    /// How each state is waited for (default [`Wait::default`]: polls from
    /// 1 s apart doubling to 30 s, at most 10 minutes a wait).
    pub fn wait(mut self, wait: Wait) -> Self {
        self.wait = wait;
        self
    }

    /// The block size, between [`MIN_BLOCK_SIZE`] and [`MAX_BLOCK_SIZE`]
    /// (default [`DEFAULT_BLOCK_SIZE`]); larger when the file would need
    /// more than [`MAX_BLOCKS`] blocks. One block is in memory at a time.
    pub fn block_size(mut self, bytes: u64) -> Self {
        self.block_size = bytes.clamp(MIN_BLOCK_SIZE, MAX_BLOCK_SIZE);
        self
    }

    /// Renews the storage URI before a block when it has less than this
    /// left (default [`DEFAULT_RENEW_BEFORE`]), as its
    /// `azureStorageUriExpirationDateTime` says.
    pub fn renew_before(mut self, left: Duration) -> Self {
        self.renew_before = left;
        self
    }

    /// How failed requests to the storage host are retried: how many times
    /// in a row, and the pauses between (a `Retry-After` wins). Default
    /// [`RetryPolicy::default`].
    pub fn block_retries(mut self, policy: RetryPolicy) -> Self {
        self.block_retries = policy;
        self
    }

    /// The content file's `manifest` (Graph wants one for some LOB types,
    /// such as an MSI's `MobileMsiData` XML); sent base64-encoded.
    pub fn manifest(mut self, manifest: impl Into<Vec<u8>>) -> Self {
        self.manifest = Some(manifest.into());
        self
    }

    /// Calls `on_event` with each [`UploadEvent`]: the states Graph
    /// reports, the bytes the storage host took, retries and renewals.
    pub fn on_progress(mut self, on_event: impl FnMut(&UploadEvent) + Send + 'a) -> Self {
        self.on_event = Some(Box::new(on_event));
        self
    }

    async fn run(self) -> Result<CommittedContent, ContentError> {
        let ContentUpload {
            graph,
            target,
            app_type,
            source,
            wait,
            block_size,
            renew_before,
            block_retries,
            manifest,
            on_event,
        } = self;
        let events = Events {
            on_event: Mutex::new(on_event),
            last_state: Mutex::new(None),
        };
        let plan = Plan::of(&source)?;
        let cast = app_type.cast_segment();
        let app_id = match target {
            Target::App(id) => id,
            Target::NewApp(properties) => {
                let Source::Package(package) = &source else {
                    unreachable!("a new app is made from a package");
                };
                let created = graph
                    .create_mobile_app(&new_win32_app(properties, package))
                    .await?;
                let id = created
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        ContentError::package(package.path(), "Graph created the app without an id")
                    })?
                    .to_owned();
                events.tell(&UploadEvent::AppCreated { id: id.clone() });
                id
            }
        };
        let version = graph
            .create_content_version(&app_id, &cast, &json!({}))
            .await?;
        events.tell(&UploadEvent::ContentVersionCreated {
            id: version.id.clone(),
        });
        let file = graph
            .create_content_file(
                &app_id,
                &cast,
                &version.id,
                &json!({
                    "@odata.type": "#microsoft.graph.mobileAppContentFile",
                    "name": plan.name,
                    "size": plan.size,
                    "sizeEncrypted": plan.size_encrypted,
                    "manifest": manifest.map(|m| BASE64.encode(m)),
                    "isDependency": false,
                }),
            )
            .await?;
        events.tell(&UploadEvent::FileCreated {
            id: file.id.clone(),
        });
        if let Some(state) = &file.upload_state {
            events.state(&UploadState::from_graph(state));
        }
        let session = Session {
            graph,
            app_id: &app_id,
            cast: &cast,
            version_id: &version.id,
            file_id: &file.id,
            wait: &wait,
            events: &events,
        };
        let ready = session.wait_for(Stage::UriRequest).await?;
        let mut blob = Blob::of(&session, &ready)?;
        let mut uploader = Uploader {
            session: &session,
            blob: &mut blob,
            renew_before,
            retries: &block_retries,
            total: plan.size_encrypted,
            done: 0,
        };
        let encryption_info = uploader.upload(&source, &plan, block_size).await?;
        graph
            .commit_file(
                &app_id,
                &cast,
                &version.id,
                &file.id,
                &json!({ "fileEncryptionInfo": encryption_info.to_graph_json() }),
            )
            .await?;
        session.wait_for(Stage::Commit).await?;
        graph
            .update_mobile_app(
                &app_id,
                &json!({
                    "@odata.type": app_type.odata_type(),
                    "committedContentVersion": version.id,
                }),
            )
            .await?;
        events.tell(&UploadEvent::Committed {
            content_version: version.id.clone(),
        });
        let app = graph.get_mobile_app(&app_id).await?;
        Ok(CommittedContent {
            app_id,
            content_version: version.id,
            file_id: file.id,
            size_encrypted: plan.size_encrypted,
            app,
        })
    }
}

impl<'a> IntoFuture for ContentUpload<'a> {
    type Output = Result<CommittedContent, ContentError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The body that creates a Win32 app: the caller's properties, with what
/// the package says where they leave it out.
fn new_win32_app(properties: Value, package: &IntuneWinPackage) -> Value {
    let mut app = match properties {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    app.entry("@odata.type")
        .or_insert_with(|| json!(AppType::WIN32_LOB.odata_type()));
    app.entry("fileName")
        .or_insert_with(|| json!(package.file_name()));
    app.entry("setupFilePath")
        .or_insert_with(|| json!(package.setup_file()));
    app.entry("displayName")
        .or_insert_with(|| json!(package.name()));
    Value::Object(app)
}

/// What the content file is declared as before anything is uploaded.
struct Plan {
    name: String,
    size: u64,
    size_encrypted: u64,
}

impl Plan {
    fn of(source: &Source) -> Result<Plan, ContentError> {
        match source {
            Source::Package(package) => Ok(Plan {
                name: package.file_name().to_owned(),
                size: package.unencrypted_size(),
                size_encrypted: package.encrypted_size(),
            }),
            Source::Plain(path) => {
                let metadata = std::fs::metadata(path)
                    .map_err(|e| ContentError::io(path, "reading the file's size", e))?;
                if !metadata.is_file() {
                    return Err(ContentError::package(path, "not a regular file"));
                }
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .ok_or_else(|| ContentError::package(path, "the file has no name"))?;
                Ok(Plan {
                    name,
                    size: metadata.len(),
                    size_encrypted: encrypted_len(metadata.len()),
                })
            }
        }
    }
}

/// The progress callback and the last state told to it, shared by the
/// waits (whose polls run inside the runtime's `Wait`).
struct Events<'a> {
    on_event: Mutex<Option<OnEvent<'a>>>,
    last_state: Mutex<Option<UploadState>>,
}

impl Events<'_> {
    fn tell(&self, event: &UploadEvent) {
        let mut on_event = self.on_event.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(on_event) = on_event.as_mut() {
            on_event(event);
        }
    }

    /// Tells `state` when it differs from the last one told.
    fn state(&self, state: &UploadState) {
        let changed = {
            let mut last = self.last_state.lock().unwrap_or_else(|p| p.into_inner());
            let changed = last.as_ref() != Some(state);
            *last = Some(state.clone());
            changed
        };
        if changed {
            self.tell(&UploadEvent::State(state.clone()));
        }
    }
}

/// The content file on Graph's side: its waits and the URI's renewal.
struct Session<'s, 'e> {
    graph: &'s GraphClient,
    app_id: &'s str,
    cast: &'s str,
    version_id: &'s str,
    file_id: &'s str,
    wait: &'s Wait,
    events: &'s Events<'e>,
}

impl Session<'_, '_> {
    /// Polls the content file until `stage` succeeds; its failure (or any
    /// failure state) is an error naming the state.
    async fn wait_for(&self, stage: Stage) -> Result<ContentFile, ContentError> {
        let outcome = self
            .wait
            .until("app_content_upload_state", || async move {
                let response = self
                    .graph
                    .get_content_file(self.app_id, self.cast, self.version_id, self.file_id)
                    .await?;
                let asked = retry_after(response.headers(), SystemTime::now());
                let file = response.into_body();
                let state =
                    UploadState::from_graph(file.upload_state.as_deref().unwrap_or("unknown"));
                self.events.state(&state);
                Ok::<_, Error>(match stage.judge(&state) {
                    Seen::Reached => PollStep::Done(Ok(file)),
                    Seen::Failed => PollStep::Done(Err(state)),
                    Seen::Waiting => PollStep::Running {
                        status: state.as_str().to_owned(),
                        retry_after: asked,
                    },
                })
            })
            .await;
        match outcome {
            Ok(Ok(file)) => Ok(file),
            Ok(Err(state)) => Err(ContentError::FailedState {
                state,
                file_id: self.file_id.to_owned(),
            }),
            Err(Error::JobDeadline {
                deadline,
                polls,
                last_status,
                ..
            }) => Err(ContentError::StateDeadline {
                awaited: stage.success(),
                last_state: last_status,
                polls,
                deadline,
            }),
            Err(other) => Err(other.into()),
        }
    }

    /// `renewUpload`, then the wait for the renewed URI.
    async fn renew(&self, reason: RenewReason) -> Result<ContentFile, ContentError> {
        self.events.tell(&UploadEvent::Renewing(reason));
        self.graph
            .renew_upload(self.app_id, self.cast, self.version_id, self.file_id)
            .await?;
        self.wait_for(Stage::UriRenewal).await
    }
}

/// The storage URI in use and when it expires.
struct Blob {
    uri: Url,
    expires: Option<OffsetDateTime>,
}

impl Blob {
    fn of(session: &Session<'_, '_>, file: &ContentFile) -> Result<Blob, ContentError> {
        let invalid = |reason: String| {
            ContentError::Graph(Error::InvalidRequest {
                endpoint: "get_content_file",
                reason,
            })
        };
        let uri = file
            .azure_storage_uri
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                invalid(format!(
                    "content file {} is ready but has no azureStorageUri",
                    session.file_id
                ))
            })?;
        let uri = Url::parse(uri)
            .map_err(|e| invalid(format!("the azureStorageUri does not parse: {e}")))?;
        let expires = file
            .azure_storage_uri_expiration_date_time
            .as_deref()
            .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok());
        Ok(Blob { uri, expires })
    }

    fn nears_expiry(&self, margin: Duration) -> bool {
        self.expires
            .is_some_and(|at| at - OffsetDateTime::now_utc() < margin)
    }
}

/// The blocks' side of an upload.
struct Uploader<'u, 's, 'e> {
    session: &'u Session<'s, 'e>,
    blob: &'u mut Blob,
    renew_before: Duration,
    retries: &'u RetryPolicy,
    total: u64,
    done: u64,
}

/// Where the blocks come from, read on a blocking thread a block at a time.
enum Blocks {
    Package(Box<dyn Read + Send>),
    Plain(Box<EncryptingReader<BufReader<File>>>),
}

impl Read for Blocks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Blocks::Package(reader) => reader.read(buf),
            Blocks::Plain(reader) => reader.read(buf),
        }
    }
}

impl Uploader<'_, '_, '_> {
    /// Every block and the block list; the encryption info to commit with.
    async fn upload(
        &mut self,
        source: &Source,
        plan: &Plan,
        block_size: u64,
    ) -> Result<FileEncryptionInfo, ContentError> {
        let block_size = block_size.max(plan.size_encrypted.div_ceil(MAX_BLOCKS - 1));
        let (path, mut blocks, first) = match source {
            Source::Package(package) => (
                package.path().to_owned(),
                Blocks::Package(package.encrypted_reader()?),
                0,
            ),
            Source::Plain(path) => {
                let file =
                    File::open(path).map_err(|e| ContentError::io(path, "opening the file", e))?;
                let keys = Keys::generate()
                    .map_err(|e| ContentError::io(path, "making encryption keys", e))?;
                let reader = EncryptingReader::new(BufReader::with_capacity(64 * 1024, file), keys);
                // Block 0 is the head, sent once the MAC is known.
                (path.clone(), Blocks::Plain(Box::new(reader)), 1)
            }
        };
        let mut ids = Vec::new();
        let mut index = first;
        loop {
            let (back, block) = read_block(blocks, block_size as usize)
                .await
                .map_err(|e| ContentError::io(&path, "reading the content", e))?;
            blocks = back;
            if block.is_empty() {
                break;
            }
            let id = block_id(index);
            let length = block.len() as u64;
            self.send(
                &BlockRequest::Block {
                    id: id.clone(),
                    data: block,
                },
                Some(index),
            )
            .await?;
            ids.push(id);
            index += 1;
            self.took(length);
        }
        let info = match (source, &mut blocks) {
            (Source::Package(package), _) => package.encryption_info().clone(),
            (Source::Plain(_), Blocks::Plain(reader)) => {
                let (info, plain_len) = reader.finish().ok_or_else(|| {
                    ContentError::package(&path, "the file's encryption did not finish")
                })?;
                if plain_len != plan.size {
                    return Err(ContentError::package(
                        &path,
                        format!(
                            "the file changed while it was uploaded: {plain_len} bytes read, {} declared",
                            plan.size
                        ),
                    ));
                }
                let mut head = Vec::with_capacity(HEAD_BYTES as usize);
                head.extend_from_slice(&info.mac);
                head.extend_from_slice(&info.initialization_vector);
                let id = block_id(0);
                self.send(
                    &BlockRequest::Block {
                        id: id.clone(),
                        data: Bytes::from(head),
                    },
                    Some(0),
                )
                .await?;
                ids.insert(0, id);
                self.took(HEAD_BYTES);
                info
            }
            (Source::Plain(_), Blocks::Package(_)) => {
                unreachable!("a plain file is read encrypted")
            }
        };
        if self.done != plan.size_encrypted {
            return Err(ContentError::package(
                &path,
                format!(
                    "{} bytes were uploaded where {} were declared",
                    self.done, plan.size_encrypted
                ),
            ));
        }
        self.send(&BlockRequest::List { ids }, None).await?;
        Ok(info)
    }

    fn took(&mut self, bytes: u64) {
        self.done += bytes;
        self.session.events.tell(&UploadEvent::Uploaded(Progress {
            done: self.done,
            total: Some(self.total),
        }));
    }

    /// Sends `request`, renewing the URI first when it nears its expiry and
    /// whenever the host says it expired, and again after a failure worth
    /// retrying, as the retry policy allows.
    async fn send(
        &mut self,
        request: &BlockRequest,
        block: Option<u32>,
    ) -> Result<(), ContentError> {
        if self.blob.nears_expiry(self.renew_before) {
            self.renew(RenewReason::NearExpiry).await?;
        }
        let mut failures = 0u32;
        let mut renewals = 0u32;
        loop {
            match send(self.session.graph, &self.blob.uri, request).await {
                Ok(()) => return Ok(()),
                Err(Refusal::Expired(error)) => {
                    renewals += 1;
                    if renewals > MAX_RENEWALS_IN_A_ROW {
                        return Err(error);
                    }
                    self.renew(RenewReason::Expired).await?;
                }
                Err(Refusal::Transient(error, asked)) => {
                    failures += 1;
                    if failures > self.retries.retries() {
                        return Err(error);
                    }
                    tracing::debug!(operation = request.operation(), ?block, failures, %error, "a storage request failed: sending it again");
                    self.session.events.tell(&UploadEvent::Retrying {
                        operation: request.operation(),
                        block,
                        failures,
                    });
                    let pause = asked
                        .unwrap_or_else(|| self.retries.backoff(failures))
                        .min(Duration::from_secs(60));
                    tokio::time::sleep(pause).await;
                }
                Err(Refusal::Final(error)) => return Err(error),
            }
        }
    }

    async fn renew(&mut self, reason: RenewReason) -> Result<(), ContentError> {
        let renewed = self.session.renew(reason).await?;
        *self.blob = Blob::of(self.session, &renewed)?;
        Ok(())
    }
}

/// Up to `size` bytes of `blocks`, read on a blocking thread (the reading
/// may decrypt, inflate or wait on a disk); fewer only at its end.
async fn read_block(mut blocks: Blocks, size: usize) -> std::io::Result<(Blocks, Bytes)> {
    let read = tokio::task::spawn_blocking(move || {
        let mut buffer = vec![0u8; size];
        let mut filled = 0;
        while filled < size {
            match blocks.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buffer.truncate(filled);
        Ok((blocks, Bytes::from(buffer)))
    })
    .await;
    read.unwrap_or_else(|join| {
        Err(std::io::Error::other(format!(
            "the thread reading the content ended: {join}"
        )))
    })
}
