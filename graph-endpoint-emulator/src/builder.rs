//! How a stand-in is configured ([`EmulatorBuilder`]) and started: its two
//! listeners bound on 127.0.0.1, its state built, its accept loops spawned.

use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};

use crate::emulator::Emulator;
use crate::graph::GraphState;
use crate::graph::app_content::{AppContent, Config as AppContentConfig};
use crate::graph::devices;
use crate::graph::entities::Entities;
use crate::graph::profiles::Profiles;
use crate::graph::reports::{ExportConfig, Jobs};
use crate::identity::{App, AppProof, Delegated, Identity, PublicClient};
use crate::server::accept_loop;
use crate::state::Shared;
use crate::storage::{self, Limits as StorageLimits, Storage};
use crate::throttling::{FamilyLimit, Limits};

/// The bearer token the emulator accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "emulator-token";

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
    apps: Vec<App>,
    token_lifetime: std::time::Duration,
    public_clients: Vec<PublicClient>,
    device_code_interval: std::time::Duration,
    device_code_lifetime: std::time::Duration,
    approve_device_codes_after: Option<u32>,
    export: ExportConfig,
    storage_ranges: bool,
    storage_limits: StorageLimits,
    upload_session_lifetime: std::time::Duration,
    app_content: AppContentConfig,
    entity_sets: Vec<(String, String)>,
    limits: Vec<FamilyLimit>,
    managed_devices: usize,
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
            export: ExportConfig::default(),
            storage_ranges: true,
            storage_limits: StorageLimits::default(),
            upload_session_lifetime: std::time::Duration::from_secs(3600),
            app_content: AppContentConfig::default(),
            entity_sets: Vec::new(),
            limits: Vec::new(),
            managed_devices: 0,
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
    /// `{}` standing for a key in the path. The collections of the typed
    /// surfaces (`/deviceManagement`, `/deviceAppManagement`, `/groups`) are
    /// served whatever is given here (the typed crates' `ENTITY_SETS` list
    /// them, and may be given as well).
    /// Each answers create (201, server-assigned `id`), list (paged, with the
    /// query options of the surface on the properties of its item type, or
    /// on any property as text when the surface does not know the type),
    /// get, PATCH (merged; a `null` clears a property; 200 with the entity)
    /// and delete (204), under `beta` and `v1.0`; items keep their
    /// `@odata.type`.
    #[must_use]
    pub fn entity_sets(mut self, sets: &[(&str, &str)]) -> Self {
        self.entity_sets
            .extend(sets.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())));
        self
    }

    /// Throttles a service family as Intune does (see [`FamilyLimit`]):
    /// token buckets for its writes and for all its requests, 429 once one is
    /// empty, each item of a `$batch` counted on its own. A request belongs to
    /// the first family given whose paths it is under.
    #[must_use]
    pub fn limit(mut self, limit: FamilyLimit) -> Self {
        self.limits.push(limit);
        self
    }

    /// Throttles every Intune family at its documented limits (per app and
    /// tenant: 200 writes and 2,000 requests per 20 seconds for devices, 100
    /// and 1,000 for the others; [`FamilyLimit::intune_families`]).
    #[must_use]
    pub fn intune_limits(mut self) -> Self {
        self.limits.extend(FamilyLimit::intune_families());
        self
    }

    /// Starts with `count` generated managed devices in
    /// `/deviceManagement/managedDevices` (served like any collection of
    /// [`entity_sets`](Self::entity_sets)), each answering the remote action
    /// `POST .../managedDevices/{id}/syncDevice` with 204.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let emulator = graph_endpoint_emulator::Emulator::builder()
    ///     .managed_devices(50)
    ///     .start()
    ///     .await?;
    /// assert_eq!(emulator.entities("deviceManagement/managedDevices").len(), 50);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn managed_devices(mut self, count: usize) -> Self {
        self.managed_devices = count;
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
        self.apps.push(App {
            tenant: tenant.into(),
            client_id: client_id.into(),
            proof: AppProof::Secret(secret.into()),
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
        self.apps.push(App {
            tenant: tenant.into(),
            client_id: client_id.into(),
            proof: AppProof::Certificate {
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
        self.public_clients.push(PublicClient {
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

    /// How many connections the storage host serves at once (default 256);
    /// more wait to be accepted until one closes.
    #[must_use]
    pub fn storage_max_connections(mut self, connections: usize) -> Self {
        self.storage_limits.max_connections = connections.max(1);
        self
    }

    /// How long the storage host waits for a request's head (default 10 s);
    /// a connection that has not sent it by then is closed.
    #[must_use]
    pub fn storage_header_read_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.storage_limits.header_read_timeout = timeout;
        self
    }

    /// How many of its requests the storage host keeps for
    /// [`Emulator::storage_requests`]
    /// (default 10,000): the most recent ones.
    #[must_use]
    pub fn storage_max_recorded_requests(mut self, requests: usize) -> Self {
        self.storage_limits.max_recorded = requests;
        self
    }

    /// How long an upload session lives (default one hour).
    #[must_use]
    pub fn upload_session_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.upload_session_lifetime = lifetime;
        self
    }

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
    pub fn app_content_uri_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.app_content.uri_lifetime = lifetime;
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
        let mut profiles = Profiles::new();
        profiles.seed(self.profiles);
        let mut sets: Vec<(&str, &str)> = self
            .entity_sets
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let fleet = format!("/{}", devices::COLLECTION);
        if self.managed_devices > 0 && !sets.iter().any(|(p, _)| *p == fleet) {
            sets.push((&fleet, devices::ITEM_TYPE));
        }
        let mut entities = Entities::new(&sets);
        for n in 0..self.managed_devices {
            entities.insert(devices::COLLECTION, devices::generated(n));
        }
        let storage = Arc::new(Storage::new(
            storage_url,
            self.record,
            self.storage_ranges,
            self.upload_session_lifetime,
            self.storage_limits,
        ));
        let shared = Arc::new(Shared {
            graph: GraphState {
                base_url: base_url.clone(),
                page_size: self.page_size,
                profiles: Mutex::new(profiles),
                entities: Mutex::new(entities),
                jobs: Jobs {
                    config: self.export,
                    jobs: Mutex::new(std::collections::HashMap::new()),
                    seed: self.seed,
                },
                storage: storage.clone(),
                device_syncs: devices::Syncs::default(),
                app_content: AppContent::new(self.app_content),
            },
            identity: Identity {
                base_url: base_url.clone(),
                apps: self.apps,
                delegated: Delegated::new(
                    self.public_clients,
                    self.device_code_interval,
                    self.device_code_lifetime,
                    self.approve_device_codes_after,
                ),
                tokens: Mutex::new(self.tokens),
                token_lifetime: self.token_lifetime,
                issued: Mutex::new(std::collections::HashMap::new()),
                token_requests: AtomicU64::new(0),
            },
            storage,
            injections: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            injected_rules: AtomicU64::new(0),
            counted_before_clear: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            seed: self.seed,
            latency: self.latency,
            record: self.record,
            limits: Limits::new(self.limits),
        });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        let storage_task = tokio::spawn(storage::accept_loop(
            storage_listener,
            shared.storage.clone(),
        ));
        Ok(Emulator {
            addr,
            base_url,
            shared,
            task,
            storage_task,
        })
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
}
