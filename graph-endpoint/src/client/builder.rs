//! Configuring a [`GraphClient`]: the cloud or base URL, the token, the
//! HTTP stack, retries, limits and timeouts, checked when it is built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use crate::auth::TokenSource;
use crate::auth::secret::AccessToken;
use crate::client::exchange::bearer;
use crate::client::target::URL_ROOM;
use crate::client::throttle::{Throttle, Throttling};
use crate::client::{Auth, ClientInner};
use crate::client::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ERROR_BODY_BYTES, DEFAULT_MAX_URL_BYTES, GraphClient,
};
use crate::cloud::Cloud;
use crate::endpoint::ApiVersion;
use crate::error::Error;
use crate::http_stack::limits::{InFlight, RateLimit};
use crate::http_stack::middleware::{BoxedLayer, HttpService};
use crate::http_stack::retry::RetryPolicy;
use crate::http_stack::{Clients, HttpStack};

const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

impl GraphClient {
    /// Starts configuring a client.
    #[must_use]
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder::default()
    }
}

/// The token configured on the builder.
enum TokenChoice {
    Static(AccessToken),
    Source(Arc<dyn TokenSource>),
}

/// Configures a [`GraphClient`].
///
/// ```
/// use std::time::Duration;
/// use graph_endpoint::{GraphClient, RetryPolicy};
///
/// // A client for tests against a local stand-in: plain http is accepted on loopback only.
/// let graph = GraphClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .token("test-token")
///     .retry(RetryPolicy::default().base_delay(Duration::from_millis(10)))
///     .max_in_flight(64)
///     .rate_limit(100, Duration::from_secs(20))
///     .attempt_timeout(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// assert_eq!(graph.base_url(), "http://127.0.0.1:8080");
///
/// // Anywhere else, https is required.
/// let refused = GraphClient::builder().base_url("http://graph.example.com").token("t").build();
/// assert!(refused.is_err());
/// ```
pub struct GraphClientBuilder {
    cloud: Cloud,
    base_url: Option<String>,
    allow_insecure_http: bool,
    version: ApiVersion,
    validation: crate::validation::Validation,
    token: Option<TokenChoice>,
    user_agent: Option<String>,
    connect_timeout: Duration,
    attempt_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    max_url_bytes: usize,
    max_body_bytes: usize,
    max_error_body_bytes: usize,
    retry: RetryPolicy,
    max_in_flight: Option<usize>,
    rate_limit: Option<(u32, Duration)>,
    throttling: Throttling,
    http_client: Option<reqwest::Client>,
    layers: Vec<BoxedLayer>,
}

impl Default for GraphClientBuilder {
    fn default() -> Self {
        GraphClientBuilder {
            cloud: Cloud::Global,
            base_url: None,
            allow_insecure_http: false,
            version: ApiVersion::V1,
            validation: crate::validation::Validation::Strict,
            token: None,
            user_agent: None,
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Some(Duration::from_secs(100)),
            call_timeout: None,
            max_url_bytes: DEFAULT_MAX_URL_BYTES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_error_body_bytes: DEFAULT_MAX_ERROR_BODY_BYTES,
            retry: RetryPolicy::default(),
            max_in_flight: None,
            rate_limit: None,
            throttling: Throttling::default(),
            http_client: None,
            layers: Vec::new(),
        }
    }
}

impl fmt::Debug for GraphClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClientBuilder")
            .field("cloud", &self.cloud)
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("validation", &self.validation)
            .field("token", &self.token.as_ref().map(|_| "<token source>"))
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl GraphClientBuilder {
    /// The national cloud (default [`Cloud::Global`]): the Graph root the
    /// calls go to, and the cloud a token source that signs in
    /// (`ClientCredentials`, `DeviceCode`, `AuthorizationCode`) signs in to,
    /// unless it was given a cloud or an authority of its own.
    #[must_use]
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// A custom root URL instead of the cloud's, such as a local stand-in.
    /// `http://` is accepted only for loopback hosts, unless
    /// [`allow_insecure_http`](Self::allow_insecure_http) says otherwise.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Accepts a plain `http://` base URL on a non-loopback host: the token
    /// then travels unencrypted. Off by default.
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The version for endpoints that do not pin one (default `v1.0`).
    #[must_use]
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// What decoding does with a value whose type is not the one Graph's
    /// metadata declares (types that validate, such as the typed
    /// device-management models): [`Validation::Strict`](crate::Validation::Strict)
    /// (the default) fails the call with [`Error::Decode`]; `Lenient` logs a
    /// `tracing` warning and keeps the value. A call or a list can choose for
    /// itself ([`Call::validation`](crate::Call::validation)).
    #[must_use]
    pub fn validation(mut self, validation: crate::validation::Validation) -> Self {
        self.validation = validation;
        self
    }

    /// A fixed bearer token.
    #[must_use]
    pub fn token(mut self, token: impl Into<AccessToken>) -> Self {
        self.token = Some(TokenChoice::Static(token.into()));
        self
    }

    /// A source asked for a token before every attempt.
    #[must_use]
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.token = Some(TokenChoice::Source(Arc::new(source)));
        self
    }

    /// Text appended to the `User-Agent` header, to name your application.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Turns retries off.
    #[must_use]
    pub fn no_retry(self) -> Self {
        self.retry(RetryPolicy::none())
    }

    /// At most `limit` requests in flight at once, across every clone of the client.
    #[must_use]
    pub fn max_in_flight(mut self, limit: usize) -> Self {
        self.max_in_flight = Some(limit);
        self
    }

    /// At most `requests` request starts per `per` on average, across every
    /// clone, with bursts up to `requests` (Intune: 100 writes per 20 s per app).
    #[must_use]
    pub fn rate_limit(mut self, requests: u32, per: Duration) -> Self {
        self.rate_limit = Some((requests, per));
        self
    }

    /// How the client finds and holds each service family's rate (default:
    /// adaptive, with Intune's documented limits as ceilings); see
    /// [`Throttling`] and [`GraphClient::bulk`].
    #[must_use]
    pub fn throttling(mut self, throttling: Throttling) -> Self {
        self.throttling = throttling;
        self
    }

    /// How long establishing a connection may take (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, from sending the request to the end of
    /// the response body, redirects included (default 100 s). Waiting for a
    /// place under [`max_in_flight`](Self::max_in_flight) or the rate limit,
    /// and fetching a token, do not count.
    #[must_use]
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// No per-attempt timeout: an attempt may take as long as the call
    /// timeout (if any) allows. Saves a timer per attempt.
    #[must_use]
    pub fn no_attempt_timeout(mut self) -> Self {
        self.attempt_timeout = None;
        self
    }

    /// How long a whole call may take, retries and waits included (default: no limit
    /// beyond the retry policy's).
    #[must_use]
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// Sends through this reqwest client: for proxies, custom root
    /// certificates, client certificates (mutual TLS), DNS resolvers, or a
    /// connection pool shared with other code. Signing in goes through it too.
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: this
    /// client follows redirects itself, keeping the token on its origin; a
    /// call whose request the given client redirected on its own fails with
    /// [`Error::Redirect`]. Its timeouts, if any, apply besides this client's
    /// ([`connect_timeout`](Self::connect_timeout) is then the given client's
    /// business).
    ///
    /// ```
    /// use graph_endpoint::{reqwest, GraphClient};
    ///
    /// let http = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .proxy(reqwest::Proxy::https("http://proxy.contoso.com:3128").unwrap())
    ///     .build()
    ///     .unwrap();
    /// let graph = GraphClient::builder().http_client(http).token("eyJ0eXAi...").build().unwrap();
    /// # drop(graph);
    /// ```
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Adds a `tower` layer around each attempt's HTTP exchange (see
    /// [`HttpService`](crate::HttpService)): to sign requests, count them,
    /// log them. The first layer added is the outermost. Each attempt goes
    /// through the layers, retries and followed redirects included; the
    /// request has every header set, the bearer token included. Without
    /// layers, attempts call reqwest directly.
    #[must_use]
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<HttpService> + Send + Sync + 'static,
        L::Service: tower::Service<
                reqwest::Request,
                Response = reqwest::Response,
                Error = crate::error::BoxError,
            > + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<reqwest::Request>>::Future: Send + 'static,
    {
        self.layers
            .push(crate::http_stack::middleware::boxed_layer(layer));
        self
    }

    /// The longest URL sent (default [`DEFAULT_MAX_URL_BYTES`], 16 KiB); a
    /// call whose URL would be longer fails with [`Error::InvalidRequest`]
    /// naming both lengths, and nothing is sent. The HTTP stack itself holds
    /// no URL over 65,534 bytes, whatever this says.
    #[must_use]
    pub fn max_url_bytes(mut self, limit: usize) -> Self {
        self.max_url_bytes = limit;
        self
    }

    /// The largest success body accepted (default 64 MiB).
    #[must_use]
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// How much of an error body is kept in an [`Error`] (default 64 KiB).
    #[must_use]
    pub fn max_error_body_bytes(mut self, limit: usize) -> Self {
        self.max_error_body_bytes = limit;
        self
    }

    /// Builds the client, checking the configuration.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no token was set ([`token`](Self::token) or
    /// [`token_source`](Self::token_source)); when the base URL does not parse,
    /// has a query or fragment, or is plain http to a host other than this
    /// machine without [`allow_insecure_http`](Self::allow_insecure_http); when
    /// the token or the user agent is not a valid header value; or when the
    /// HTTP client cannot be built (only without [`http_client`](Self::http_client)).
    pub fn build(self) -> Result<GraphClient, Error> {
        let root = match &self.base_url {
            Some(url) => checked_base_url(url, self.allow_insecure_http)?,
            None => self.cloud.graph_root().to_owned(),
        };
        let mut url_template = reqwest::Url::parse(&root)
            .map_err(|e| Error::Config(format!("base URL `{root}` does not parse: {e}")))?;
        let base_path = url_template.path().trim_end_matches('/').to_owned();
        url_template.set_path(&format!("{base_path}/{}", "_".repeat(URL_ROOM)));
        let auth = match self.token {
            Some(TokenChoice::Static(token)) => Auth::Static(bearer(&token).ok_or_else(|| {
                Error::Config("the token is not a valid header value".to_owned())
            })?),
            Some(TokenChoice::Source(source)) => Auth::Source(source),
            None => {
                return Err(Error::Config(
                    "no token source: call `.token(...)` or `.token_source(...)`".to_owned(),
                ));
            }
        };
        let mut user_agent = format!("graph-endpoint/{CRATE_VERSION}");
        if let Some(extra) = &self.user_agent {
            user_agent.push(' ');
            user_agent.push_str(extra);
        }
        let user_agent_text = user_agent;
        let user_agent = HeaderValue::from_str(&user_agent_text)
            .map_err(|_| Error::Config("the user agent is not a valid header value".to_owned()))?;

        // Redirects are the runtime's own business (see `attempt`).
        let user_http_client = self.http_client.is_some();
        // Plain http goes to this machine only, and never through a proxy
        // (a configured one, the environment's or the system's): a loopback
        // base URL gets a client without proxies; any other request to this
        // machine in plain http, one built when first needed.
        let clients = match self.http_client {
            Some(client) => Clients::new(client, self.connect_timeout, user_agent_text),
            None if crate::http_stack::is_plain_loopback(&url_template) => {
                Clients::without_proxies(
                    crate::http_stack::http_client(self.connect_timeout, &user_agent_text, true)?,
                    self.connect_timeout,
                    user_agent_text,
                )
            }
            None => Clients::new(
                crate::http_stack::http_client(self.connect_timeout, &user_agent_text, false)?,
                self.connect_timeout,
                user_agent_text,
            ),
        };
        let middleware = crate::http_stack::middleware::stack(&clients, &self.layers);
        if let Auth::Source(source) = &auth {
            source.attach(&HttpStack::new(
                clients.clone(),
                self.retry.clone(),
                self.cloud,
            ));
        }
        Ok(GraphClient {
            inner: Arc::new(ClientInner {
                clients,
                middleware,
                user_http_client,
                root,
                url_template,
                base_path,
                version: self.version,
                validation: self.validation,
                auth,
                user_agent,
                sdk_version_v1: HeaderValue::from_static(concat!(
                    "graph-rust/",
                    env!("CARGO_PKG_VERSION")
                )),
                sdk_version_beta: HeaderValue::from_static(concat!(
                    "graph-rust-beta/",
                    env!("CARGO_PKG_VERSION")
                )),
                max_url_bytes: self.max_url_bytes,
                max_body_bytes: self.max_body_bytes,
                max_error_body_bytes: self.max_error_body_bytes,
                retry: self.retry,
                attempt_timeout: self.attempt_timeout,
                call_timeout: self.call_timeout,
                in_flight: InFlight::new(self.max_in_flight),
                rate: RateLimit::new(self.rate_limit),
                throttle: Throttle::new(self.throttling),
            }),
        })
    }
}

fn checked_base_url(url: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let parsed = crate::http_stack::secure_url("base URL", url, allow_insecure_http)
        .map_err(Error::Config)?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL `{}` must not have a query or fragment",
            crate::error::shown_url::shown_text(url)
        )));
    }
    Ok(url.trim_end_matches('/').to_owned())
}
