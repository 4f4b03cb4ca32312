#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod app_content;
mod batch;
mod blob_blocks;
mod body;
mod content_check;
mod entities;
mod envelope;
mod faults;
mod identity;
mod query;
mod reports;
mod routes;
mod server;
mod storage;
mod store;
mod uploads;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde_json::Value;

pub use app_content::AppContentFile;
pub use blob_blocks::BlockFault;
pub use faults::{Fault, Injection, RetryAfter};
use server::{Shared, lock};
pub use storage::{StorageFault, StoredFile, fill_blob};

/// The bearer token the emulator accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "emulator-token";

/// A request as it arrived on the wire.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method, such as `POST`.
    pub method: String,
    /// The raw path and query, percent-encoding untouched.
    pub path: String,
    /// The headers, names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body (empty when it was refused: larger than 4 MiB, or cut off).
    pub body: Bytes,
}

impl RecordedRequest {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Configures an [`Emulator`] before it starts.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let emulator = graph_endpoint_emulator::Emulator::builder()
///     .profiles(250)
///     .page_size(100)
///     .token("my-test-token")
///     .start()
///     .await?;
/// assert_eq!(emulator.profiles().len(), 250);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    port: u16,
    profiles: usize,
    tokens: Vec<String>,
    page_size: usize,
    seed: u64,
    latency: std::time::Duration,
    record: bool,
    apps: Vec<identity::App>,
    token_lifetime: std::time::Duration,
    public_clients: Vec<identity::PublicClient>,
    device_code_interval: std::time::Duration,
    device_code_lifetime: std::time::Duration,
    approve_device_codes_after: Option<u32>,
    export: reports::ExportConfig,
    storage_ranges: bool,
    storage_limits: storage::Limits,
    upload_session_lifetime: std::time::Duration,
    entity_sets: Vec<(String, String)>,
    app_content: app_content::Config,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            port: 0,
            profiles: 0,
            tokens: vec![DEFAULT_TOKEN.to_owned()],
            page_size: 100,
            seed: 0x5EED,
            latency: std::time::Duration::ZERO,
            record: true,
            apps: Vec::new(),
            token_lifetime: std::time::Duration::from_secs(3600),
            public_clients: Vec::new(),
            device_code_interval: std::time::Duration::from_secs(5),
            device_code_lifetime: std::time::Duration::from_secs(900),
            approve_device_codes_after: None,
            export: reports::ExportConfig::default(),
            storage_ranges: true,
            storage_limits: storage::Limits::default(),
            upload_session_lifetime: std::time::Duration::from_secs(3600),
            entity_sets: Vec::new(),
            app_content: app_content::Config::default(),
        }
    }
}

impl EmulatorBuilder {
    /// Listens on this port of 127.0.0.1 (default: an ephemeral port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Also serves these entity collections generically: `(path, item type)`
    /// pairs such as `("/deviceManagement/deviceConfigurations", "microsoft.graph.deviceConfiguration")`,
    /// `{}` standing for a key in the path (the typed device-management
    /// crate's `ENTITY_SETS` lists every collection of its surface). Each
    /// answers create (201, server-assigned `id`), list (paged, with the query
    /// options the seed's collection understands), get, PATCH (merged; a
    /// `null` clears a property; 200 with the entity) and delete (204), under
    /// `beta` and `v1.0`; items keep their `@odata.type`.
    #[must_use]
    pub fn entity_sets(mut self, sets: &[(&str, &str)]) -> Self {
        self.entity_sets
            .extend(sets.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())));
        self
    }

    /// Starts with `count` profiles.
    #[must_use]
    pub fn profiles(mut self, count: usize) -> Self {
        self.profiles = count;
        self
    }

    /// Accepts this bearer token instead of [`DEFAULT_TOKEN`].
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.tokens = vec![token.into()];
        self
    }

    /// The page size of lists when no `$top` is given (default 100).
    #[must_use]
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Delays every answer by this much, as a remote service would take time
    /// (default none).
    #[must_use]
    pub fn latency(mut self, latency: std::time::Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Registers an app that may sign in with client credentials at
    /// `POST /{tenant}/oauth2/v2.0/token`; the tokens it gets are accepted by
    /// the Graph endpoints until they expire.
    #[must_use]
    pub fn app(
        mut self,
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.apps.push(identity::App {
            tenant: tenant.into(),
            client_id: client_id.into(),
            proof: identity::AppProof::Secret(secret.into()),
        });
        self
    }

    /// Registers an app that signs in with a certificate: client assertions
    /// must be RS256 JWTs signed by the key whose public half (DER, as
    /// `RsaKeyPair::public_key()` gives it) is `public_key`, naming the
    /// certificate's SHA-1 thumbprint in `x5t`.
    #[must_use]
    pub fn app_with_certificate(
        mut self,
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        public_key: impl Into<Vec<u8>>,
        sha1_thumbprint: [u8; 20],
    ) -> Self {
        self.apps.push(identity::App {
            tenant: tenant.into(),
            client_id: client_id.into(),
            proof: identity::AppProof::Certificate {
                public_key: public_key.into(),
                thumbprint: sha1_thumbprint,
            },
        });
        self
    }

    /// Registers a public client (no secret) that signs users in with the
    /// device code grant (`POST /{tenant}/oauth2/v2.0/devicecode`, then
    /// polls of the token endpoint), the authorization code grant with PKCE
    /// (`GET /{tenant}/oauth2/v2.0/authorize` answers with a redirect to the
    /// loopback `redirect_uri` carrying `code` and `state`), and refresh
    /// tokens. A refresh token is issued when the scope holds
    /// `offline_access`, and works once: redeeming it issues the next one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .device_code_interval(std::time::Duration::from_secs(1))
    ///     .approve_device_codes_after(0)
    ///     .start()
    ///     .await?;
    /// # drop(emulator);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn public_client(
        mut self,
        tenant: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        self.public_clients.push(identity::PublicClient {
            tenant: tenant.into(),
            client_id: client_id.into(),
        });
        self
    }

    /// The `interval` a device code answer asks polls to keep, in whole
    /// seconds (default 5 s).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .device_code_interval(std::time::Duration::from_secs(1))
    ///     .start()
    ///     .await?;
    /// # drop(emulator);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn device_code_interval(mut self, interval: std::time::Duration) -> Self {
        self.device_code_interval = interval;
        self
    }

    /// How long a device code can be used (default 15 minutes).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .device_code_lifetime(std::time::Duration::from_secs(60))
    ///     .start()
    ///     .await?;
    /// # drop(emulator);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn device_code_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.device_code_lifetime = lifetime;
        self
    }

    /// Approves every device code by itself once it has been polled `polls`
    /// times (0: the first poll gets the tokens), as if the user signed in
    /// at once. By default a device code waits for
    /// [`Emulator::approve_device_code`] or [`Emulator::deny_device_code`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .public_client("contoso", "cli-app")
    ///     .approve_device_codes_after(2)
    ///     .start()
    ///     .await?;
    /// # drop(emulator);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn approve_device_codes_after(mut self, polls: u32) -> Self {
        self.approve_device_codes_after = Some(polls);
        self
    }

    /// How long issued tokens live (default one hour).
    #[must_use]
    pub fn token_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Whether to keep every request for [`Emulator::requests`] (default yes);
    /// benchmarks turn it off so memory does not grow. Counts are kept either way.
    #[must_use]
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record = record;
        self
    }

    /// The seed of the sequence that decides rate-based faults.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// An export job completes on its `polls`th status poll (default 2: the
    /// first poll finds it `inProgress`, the second `completed`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .export_job_polls(3)
    ///     .start()
    ///     .await?;
    /// # drop(emulator);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn export_job_polls(mut self, polls: u32) -> Self {
        self.export.polls = polls.max(1);
        self
    }

    /// An export job completes once this much time has passed since it was
    /// created, at its next poll (besides [`export_job_polls`](Self::export_job_polls),
    /// whichever comes first; give a large poll count to use the time alone).
    #[must_use]
    pub fn export_job_duration(mut self, duration: std::time::Duration) -> Self {
        self.export.duration = Some(duration);
        self
    }

    /// The `Retry-After` a running export job's answers carry (and a
    /// `202 Accepted` export), in fractional seconds; none by default.
    #[must_use]
    pub fn export_job_retry_after(mut self, wait: std::time::Duration) -> Self {
        self.export.retry_after = Some(wait);
        self
    }

    /// Export jobs end `failed` instead of `completed`.
    #[must_use]
    pub fn export_jobs_fail(mut self, fail: bool) -> Self {
        self.export.fail = fail;
        self
    }

    /// How many CSV rows a report holds (default 100).
    #[must_use]
    pub fn export_rows(mut self, rows: usize) -> Self {
        self.export.rows = rows;
        self
    }

    /// The base completed jobs' `url` names instead of the storage host's
    /// own, to test a client's checks of that URL (`http://storage.example.com`).
    #[must_use]
    pub fn export_url_base(mut self, base: impl Into<String>) -> Self {
        self.export.url_base = Some(base.into().trim_end_matches('/').to_owned());
        self
    }

    /// Whether the storage host honours `Range` (default yes); without it,
    /// it answers every download whole, without `Accept-Ranges`.
    #[must_use]
    pub fn storage_ranges(mut self, ranges: bool) -> Self {
        self.storage_ranges = ranges;
        self
    }

    /// How long an upload session lives (default one hour).
    #[must_use]
    pub fn upload_session_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.upload_session_lifetime = lifetime;
        self
    }

    /// Binds 127.0.0.1 (and a second port of it for the storage host) and
    /// starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// The [`std::io::Error`] of binding either listener or reading its local
    /// address: most often the [`port`](Self::port) asked for is in use
    /// ([`AddrInUse`](std::io::ErrorKind::AddrInUse)) or not permitted.
    pub async fn start(self) -> std::io::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let storage_listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let storage_addr = storage_listener.local_addr()?;
        let storage_url = format!("http://{storage_addr}");
        let mut store = store::Store::new();
        store.seed(self.profiles);
        let sets: Vec<(&str, &str)> = self
            .entity_sets
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            entities: Mutex::new(entities::Entities::new(&sets)),
            injections: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            tokens: Mutex::new(self.tokens),
            counter: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            injected_rules: AtomicU64::new(0),
            counted_before_clear: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            base_url: base_url.clone(),
            page_size: self.page_size,
            seed: self.seed,
            latency: self.latency,
            record: self.record,
            apps: self.apps,
            delegated: identity::Delegated::new(
                self.public_clients,
                self.device_code_interval,
                self.device_code_lifetime,
                self.approve_device_codes_after,
            ),
            token_lifetime: self.token_lifetime,
            issued: Mutex::new(std::collections::HashMap::new()),
            token_requests: AtomicU64::new(0),
            storage: storage::Storage::new(
                storage_url,
                self.storage_ranges,
                self.upload_session_lifetime,
                self.storage_limits,
            ),
            app_content: app_content::AppContent::new(self.app_content),
            jobs: reports::Jobs {
                config: self.export,
                jobs: Mutex::new(std::collections::HashMap::new()),
                seed: self.seed,
            },
        });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        let storage_task = tokio::spawn(storage::accept_loop(storage_listener, shared.clone()));
        Ok(Emulator {
            addr,
            base_url,
            shared,
            task,
            storage_task,
        })
    }
}

/// The first pause after a failed accept.
const ACCEPT_BACKOFF_MIN: std::time::Duration = std::time::Duration::from_millis(10);
/// The longest pause between accept attempts while they keep failing.
const ACCEPT_BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(1);

/// Accepts connections until the emulator is dropped.
///
/// A failed accept (most often EMFILE/ENFILE: the process is out of file
/// descriptors) fails again at once while the cause lasts, since the pending
/// connection stays queued; retrying straight away would spin a core. So it
/// pauses, 10 ms doubling up to 1 s and back to 10 ms after a success, while
/// the connections already accepted go on being served by their own tasks.
async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let mut connections = tokio::task::JoinSet::new();
    let mut backoff = ACCEPT_BACKOFF_MIN;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff = ACCEPT_BACKOFF_MIN;
                    let _ = stream.set_nodelay(true);
                    connections.spawn(server::serve_connection(shared.clone(), stream));
                }
                Err(_) => {
                    let pause = tokio::time::sleep(backoff);
                    tokio::pin!(pause);
                    // Reaping goes on during the pause, as below.
                    loop {
                        tokio::select! {
                            () = &mut pause => break,
                            Some(_) = connections.join_next(), if !connections.is_empty() => {}
                        }
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                }
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// A running stand-in; it stops when dropped.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
    storage_task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator with the defaults on an ephemeral port of 127.0.0.1.
    ///
    /// # Errors
    ///
    /// The [`std::io::Error`] of binding its two listeners on 127.0.0.1 (no
    /// loopback interface, or no ephemeral port left); see [`EmulatorBuilder::start`].
    pub async fn start() -> std::io::Result<Emulator> {
        EmulatorBuilder::default().start().await
    }

    /// Configures one.
    #[must_use]
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

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
        lock(&self.shared.tokens)
            .first()
            .cloned()
            .unwrap_or_default()
    }

    /// Accepts one more bearer token.
    pub fn accept_token(&self, token: impl Into<String>) {
        lock(&self.shared.tokens).push(token.into());
    }

    /// Stops accepting a token (as when it expires).
    pub fn revoke_access_token(&self, token: &str) {
        lock(&self.shared.tokens).retain(|t| t != token);
    }

    /// How many token requests the sign-in endpoint received.
    #[must_use]
    pub fn token_requests(&self) -> u64 {
        self.shared.token_requests.load(Ordering::SeqCst)
    }

    /// Makes every token issued so far expired, as if their lifetime had passed.
    pub fn expire_issued_tokens(&self) {
        let past = tokio::time::Instant::now();
        for expiry in lock(&self.shared.issued).values_mut() {
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
        self.shared.delegated.decide(user_code, true)
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
        self.shared.delegated.decide(user_code, false)
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
        lock(&self.shared.delegated.state).slow_downs += polls;
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
        self.shared.delegated.expire_device_codes();
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
        lock(&self.shared.delegated.state).deny_consent = deny;
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
        self.shared.delegated.revoke_refresh_tokens()
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
        lock(&self.shared.store).all()
    }

    /// One profile as stored.
    #[must_use]
    pub fn profile(&self, id: &str) -> Option<Value> {
        lock(&self.shared.store).get(id).ok()
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
    /// [`fill_blob`]) on the storage host, never held in memory; returns its URL.
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
        lock(&self.shared.store).seed(count);
    }

    /// Adds an item to a collection served by [`EmulatorBuilder::entity_sets`],
    /// given by its path after the version (`deviceManagement/managedDevices`),
    /// with a fresh `id` unless it has one; the item as stored, or `None` when
    /// no collection has that path or the item is not an object.
    // Called for its effect; the result is for the tests that want it.
    #[allow(clippy::must_use_candidate)]
    pub fn insert_entity(&self, collection: &str, item: Value) -> Option<Value> {
        server::lock(&self.shared.entities).insert(collection, item)
    }

    /// Empties every collection served by [`EmulatorBuilder::entity_sets`].
    pub fn clear_entities(&self) {
        server::lock(&self.shared.entities).clear();
    }

    /// The items of a collection served by [`EmulatorBuilder::entity_sets`]
    /// (its path after the version), in creation order.
    #[must_use]
    pub fn entities(&self, collection: &str) -> Vec<Value> {
        server::lock(&self.shared.entities).list(collection)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
        self.storage_task.abort();
    }
}
