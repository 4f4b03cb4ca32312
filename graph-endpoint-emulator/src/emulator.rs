//! A running stand-in, and what tests ask of it while it runs: its address
//! and tokens, sign-in decisions, faults to inject, the requests it
//! received, the resources it holds and the storage host's content.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;

use crate::faults::Injection;
use crate::lock::lock;
use crate::recorded::RecordedRequest;
use crate::state::Shared;
use crate::storage::{StorageFault, StoredFile};
use crate::throttling::LimitCounts;

/// A running stand-in; it stops when dropped.
#[derive(Debug)]
pub struct Emulator {
    pub(crate) addr: SocketAddr,
    pub(crate) base_url: String,
    pub(crate) shared: Arc<Shared>,
    /// The Graph listener's accept loop.
    pub(crate) task: tokio::task::JoinHandle<()>,
    /// The storage host's accept loop.
    pub(crate) storage_task: tokio::task::JoinHandle<()>,
}

impl Emulator {
    /// `http://127.0.0.1:PORT`: the root to give `GraphClientBuilder::base_url`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A bearer token it accepts.
    #[must_use]
    pub fn token(&self) -> String {
        lock(&self.shared.identity.tokens)
            .first()
            .cloned()
            .unwrap_or_default()
    }

    /// Accepts one more bearer token.
    pub fn accept_token(&self, token: impl Into<String>) {
        lock(&self.shared.identity.tokens).push(token.into());
    }

    /// Stops accepting a token (as when it expires).
    pub fn revoke_access_token(&self, token: &str) {
        lock(&self.shared.identity.tokens).retain(|t| t != token);
    }

    /// How many token requests the sign-in endpoint received.
    #[must_use]
    pub fn token_requests(&self) -> u64 {
        self.shared.identity.token_requests.load(Ordering::SeqCst)
    }

    /// Makes every token issued so far expired, as if their lifetime had passed.
    pub fn expire_issued_tokens(&self) {
        let past = tokio::time::Instant::now();
        for expiry in lock(&self.shared.identity.issued).values_mut() {
            *expiry = past;
        }
    }

    /// Approves the pending device code the user was shown as `user_code`,
    /// as if the user signed in: its next poll gets the tokens. False when no
    /// pending device code has that user code.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .start()
    ///     .await?;
    /// // The user code is the one a DeviceCode's on_prompt callback is shown.
    /// assert!(!emulator.approve_device_code("NO-SUCH-CODE"));
    /// # Ok(()) }
    /// ```
    // Called for its effect; the result is for the tests that want it.
    #[allow(clippy::must_use_candidate)]
    pub fn approve_device_code(&self, user_code: &str) -> bool {
        self.shared.identity.delegated.decide(user_code, true)
    }

    /// Declines the pending device code `user_code`, as if the user refused:
    /// its next poll is answered `access_denied`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .start()
    ///     .await?;
    /// assert!(!emulator.deny_device_code("NO-SUCH-CODE"));
    /// # Ok(()) }
    /// ```
    // Called for its effect; the result is for the tests that want it.
    #[allow(clippy::must_use_candidate)]
    pub fn deny_device_code(&self, user_code: &str) -> bool {
        self.shared.identity.delegated.decide(user_code, false)
    }

    /// Makes the next `polls` device code polls answer `slow_down`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .start()
    ///     .await?;
    /// emulator.slow_down_next_polls(1);
    /// # Ok(()) }
    /// ```
    pub fn slow_down_next_polls(&self, polls: u32) {
        lock(&self.shared.identity.delegated.state).slow_downs += polls;
    }

    /// Makes every device code issued so far expired: its next poll is
    /// answered `expired_token`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .start()
    ///     .await?;
    /// emulator.expire_device_codes();
    /// # Ok(()) }
    /// ```
    pub fn expire_device_codes(&self) {
        self.shared.identity.delegated.expire_device_codes();
    }

    /// Whether the authorize endpoint answers as if the user declined
    /// consent: a redirect with `error=access_denied` (default no).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .start()
    ///     .await?;
    /// emulator.deny_consent(true);
    /// # Ok(()) }
    /// ```
    pub fn deny_consent(&self, deny: bool) {
        lock(&self.shared.identity.delegated.state).deny_consent = deny;
    }

    /// Revokes every refresh token issued so far: redeeming one is answered
    /// `invalid_grant`. Returns how many there were.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .start()
    ///     .await?;
    /// assert_eq!(emulator.revoke_refresh_tokens(), 0);
    /// # Ok(()) }
    /// ```
    // Called for its effect; the result is for the tests that want it.
    #[allow(clippy::must_use_candidate)]
    pub fn revoke_refresh_tokens(&self) -> usize {
        self.shared.identity.delegated.revoke_refresh_tokens()
    }

    /// Adds a fault injection; injections are tried in the order added.
    pub fn inject(&self, mut injection: Injection) {
        let salt = self.shared.injected_rules.fetch_add(1, Ordering::SeqCst) + 1;
        injection.salt = salt.wrapping_mul(0xA24B_AED4_963E_E407);
        lock(&self.shared.injections).push(injection);
    }

    /// Removes every pending injection.
    pub fn clear_injections(&self) {
        lock(&self.shared.injections).clear();
    }

    /// How many faults were injected so far.
    #[must_use]
    pub fn faults_injected(&self) -> u64 {
        self.shared.injected.load(Ordering::SeqCst)
    }

    /// Every request received so far, in arrival order.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The last request received.
    #[must_use]
    pub fn last_request(&self) -> Option<RecordedRequest> {
        lock(&self.shared.requests).last().cloned()
    }

    /// How many requests arrived since the start or the last [`Emulator::clear_requests`].
    #[must_use]
    pub fn request_count(&self) -> usize {
        let total = self.shared.counter.load(Ordering::SeqCst);
        (total - self.shared.counted_before_clear.load(Ordering::SeqCst)) as usize
    }

    /// Forgets the recorded requests; [`Emulator::request_count`] starts again from 0.
    pub fn clear_requests(&self) {
        let mut requests = lock(&self.shared.requests);
        requests.clear();
        self.shared
            .counted_before_clear
            .store(self.shared.counter.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// The most requests it was handling at one time.
    #[must_use]
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// The profiles as stored, in creation order.
    #[must_use]
    pub fn profiles(&self) -> Vec<Value> {
        lock(&self.shared.graph.profiles).all()
    }

    /// One profile as stored.
    #[must_use]
    pub fn profile(&self, id: &str) -> Option<Value> {
        lock(&self.shared.graph.profiles).get(id).ok()
    }

    /// `http://127.0.0.1:PORT` of the storage host: the second listener that
    /// stands for the other origins Graph hands out (report download URLs,
    /// upload sessions' `uploadUrl`). It refuses any request carrying an
    /// `Authorization` header with `401`.
    #[must_use]
    pub fn storage_url(&self) -> &str {
        &self.shared.storage.base_url
    }

    /// Every request the storage host received, with its headers (bodies
    /// are not kept), in arrival order.
    #[must_use]
    pub fn storage_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.storage.requests).clone()
    }

    /// Forgets the storage host's recorded requests.
    pub fn clear_storage_requests(&self) {
        lock(&self.shared.storage.requests).clear();
    }

    /// Adds a fault of the storage host; each is used once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use graph_endpoint_emulator::{Emulator, StorageFault};
    /// let emulator = Emulator::start().await?;
    /// emulator.inject_storage(StorageFault::CutDownloadAt(1 << 20));
    /// # Ok(()) }
    /// ```
    pub fn inject_storage(&self, fault: StorageFault) {
        lock(&self.shared.storage.faults).push(fault);
    }

    /// Publishes a blob of `size` bytes generated from `seed` (see
    /// [`fill_blob`](crate::fill_blob)) on the storage host, never held in memory; returns its URL.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::start().await?;
    /// let url = emulator.storage_blob("big.bin", 1 << 30, 42);
    /// assert!(url.starts_with(emulator.storage_url()));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn storage_blob(&self, name: &str, size: u64, seed: u64) -> String {
        let name: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .collect();
        lock(&self.shared.storage.blobs).insert(name.clone(), (seed, size));
        self.shared.storage.signed_url(&format!("/blobs/{name}"))
    }

    /// The files upload sessions completed, in completion order.
    #[must_use]
    pub fn stored_files(&self) -> Vec<StoredFile> {
        lock(&self.shared.storage.stored).clone()
    }

    /// Makes every open upload session expired: its next request is answered `404`.
    pub fn expire_upload_sessions(&self) {
        let past = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
        for session in lock(&self.shared.storage.sessions).values_mut() {
            session.expires = past;
        }
    }

    /// How many upload sessions are open.
    #[must_use]
    pub fn open_upload_sessions(&self) -> usize {
        lock(&self.shared.storage.sessions).len()
    }

    /// Adds `count` profiles.
    pub fn seed_profiles(&self, count: usize) {
        lock(&self.shared.graph.profiles).seed(count);
    }

    /// Adds an item to a collection of the typed surface or of
    /// [`EmulatorBuilder::entity_sets`](crate::EmulatorBuilder::entity_sets),
    /// given by its path after the version (`deviceManagement/managedDevices`),
    /// as it is: an object without `id` gets a fresh one and one without
    /// `@odata.type` the collection's item type, and nothing else is changed
    /// or checked, so a test may plant malformed values (or an item that is
    /// not an object) on purpose. The item as stored, or `None` when no
    /// collection has that path.
    // Called for its effect; the result is for the tests that want it.
    #[allow(clippy::must_use_candidate)]
    pub fn insert_entity(&self, collection: &str, item: Value) -> Option<Value> {
        lock(&self.shared.graph.entities).insert(collection, item)
    }

    /// For each family throttled ([`EmulatorBuilder::limit`](crate::EmulatorBuilder::limit)),
    /// the requests (and `$batch` items) it admitted and those it answered 429.
    #[must_use]
    pub fn limit_counts(&self) -> Vec<LimitCounts> {
        self.shared.limits.counts()
    }

    /// How many times each managed device was synced (`syncDevice` answered
    /// 204), by id.
    #[must_use]
    pub fn device_syncs(&self) -> std::collections::BTreeMap<String, u32> {
        self.shared.graph.device_syncs.all()
    }

    /// Empties every collection served generically, and forgets what
    /// singletons were changed to.
    pub fn clear_entities(&self) {
        lock(&self.shared.graph.entities).clear();
    }

    /// The items of a collection served generically (its path after the
    /// version), in creation order.
    #[must_use]
    pub fn entities(&self, collection: &str) -> Vec<Value> {
        lock(&self.shared.graph.entities).list(collection)
    }

    /// The mobile apps created, as stored.
    #[must_use]
    pub fn mobile_apps(&self) -> Vec<Value> {
        self.entities("deviceAppManagement/mobileApps")
    }

    /// The app content files, in creation order.
    #[must_use]
    pub fn app_content_files(&self) -> Vec<crate::AppContentFile> {
        lock(&self.shared.graph.app_content.state)
            .files
            .iter()
            .map(|f| crate::AppContentFile {
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
            let state = lock(&self.shared.graph.app_content.state);
            let file = state.files.iter().find(|f| f.id == file_id)?;
            self.shared.storage.blocks.committed_paths(&file.blob)?
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
        self.shared.storage.blocks.expire_all();
    }

    /// Ends the next pending state whose step `state` belongs to in `state`
    /// instead of success: `azureStorageUriRequestFailed`,
    /// `azureStorageUriRenewalTimedOut`, `commitFileFailed`, ... Each is
    /// used once.
    pub fn app_content_outcome(&self, state: &str) {
        lock(&self.shared.graph.app_content.state)
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
    pub fn inject_block_fault(&self, fault: crate::BlockFault) {
        lock(&self.shared.storage.blocks.faults).push(fault);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
        self.storage_task.abort();
    }
}
