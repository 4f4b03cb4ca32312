//! The HTTP client that sends the requests of declared endpoints.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::HeaderValue;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use tracing::Instrument;

use serde::de::DeserializeOwned;

use crate::{
    AccessToken, ApiVersion, Cloud, Collection, Endpoint, Error, Graph, Method, RawResponse,
    Request, StaticToken, TokenSource,
};

static NEXT_PAGE_V1: Endpoint = crate::__private::endpoint(
    "next_page",
    Method::Get,
    "<@odata.nextLink>",
    &[200],
    Some(ApiVersion::V1),
    &[],
    &[],
);
static NEXT_PAGE_BETA: Endpoint = crate::__private::endpoint(
    "next_page",
    Method::Get,
    "<@odata.nextLink>",
    &[200],
    Some(ApiVersion::Beta),
    &[],
    &[],
);

/// The default cap on a success body: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// The default cap on the part of an error body kept in an [`Error`]: 64 KiB.
pub const DEFAULT_MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A Microsoft Graph client: one connection pool, one token source, one base URL.
///
/// Cheap to clone: clones share the pool and the configuration. Implement your
/// endpoint traits for it with one line each (`impl MyEndpoints for GraphClient {}`).
///
/// ```
/// use graph_endpoint::{ApiVersion, Cloud, GraphClient};
///
/// let graph = GraphClient::builder()
///     .cloud(Cloud::UsGovL4)
///     .version(ApiVersion::Beta)
///     .token("eyJ0eXAi...")
///     .build()
///     .unwrap();
/// assert_eq!(graph.base_url(), "https://graph.microsoft.us");
/// ```
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    http: reqwest::Client,
    root: String,
    version: ApiVersion,
    token: Arc<dyn TokenSource>,
    user_agent: HeaderValue,
    sdk_version_v1: HeaderValue,
    sdk_version_beta: HeaderValue,
    max_body_bytes: usize,
    max_error_body_bytes: usize,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("base_url", &self.inner.root)
            .field("version", &self.inner.version)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// Starts configuring a client.
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder::default()
    }

    /// The Graph root URL requests go to, without the version.
    pub fn base_url(&self) -> &str {
        &self.inner.root
    }

    /// The version used by endpoints that do not pin one.
    pub fn default_version(&self) -> ApiVersion {
        self.inner.version
    }

    /// Reads the page an `@odata.nextLink` points to, following the link
    /// verbatim. The link must start with this client's base URL: the token is
    /// never sent anywhere else.
    pub async fn next_page<T: DeserializeOwned>(
        &self,
        next_link: &str,
    ) -> Result<Collection<T>, Error> {
        let refuse = |reason: String| Error::InvalidRequest {
            endpoint: NEXT_PAGE_V1.name(),
            reason,
        };
        let rest = next_link
            .strip_prefix(self.inner.root.as_str())
            .filter(|rest| rest.starts_with('/'))
            .ok_or_else(|| {
                refuse(format!(
                    "the next link does not start with the client's base URL {}: the token is not sent elsewhere",
                    self.inner.root
                ))
            })?;
        let (endpoint, rest) = if let Some(rest) = rest.strip_prefix("/beta/") {
            (&NEXT_PAGE_BETA, rest)
        } else if let Some(rest) = rest.strip_prefix("/v1.0/") {
            (&NEXT_PAGE_V1, rest)
        } else {
            return Err(refuse("the next link names no API version".to_owned()));
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let request = Request::verbatim(endpoint, format!("/{path}"), query.to_owned());
        crate::__private::call_json(self, Ok(request)).await
    }

    /// Sends one request: the work behind every declared method, in one
    /// non-generic function so that thousands of endpoints share it.
    pub async fn execute(&self, request: Request) -> Result<RawResponse, Error> {
        let endpoint = request.endpoint();
        let version = endpoint.version().unwrap_or(self.inner.version);
        let span = tracing::debug_span!(
            "graph.call",
            endpoint = endpoint.name(),
            method = endpoint.method().as_str(),
            path = endpoint.path(),
            version = version.as_str(),
            client_request_id = request.client_request_id(),
            request_id = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        self.execute_in_span(request, version)
            .instrument(span)
            .await
    }

    async fn execute_in_span(
        &self,
        request: Request,
        version: ApiVersion,
    ) -> Result<RawResponse, Error> {
        let inner = &*self.inner;
        let endpoint = request.endpoint();
        let name = endpoint.name();
        let started = std::time::Instant::now();

        let mut url = String::with_capacity(
            inner.root.len() + 6 + request.path().len() + request.query().len() + 1,
        );
        url.push_str(&inner.root);
        url.push('/');
        url.push_str(version.as_str());
        url.push_str(request.path());
        if !request.query().is_empty() {
            url.push('?');
            url.push_str(request.query());
        }
        let url = reqwest::Url::parse(&url).map_err(|e| Error::InvalidRequest {
            endpoint: name,
            reason: format!("the URL does not parse: {e}"),
        })?;

        let token = inner.token.token().await.map_err(Error::Token)?;
        let authorization = bearer(&token).ok_or_else(|| {
            Error::Token(
                "the token source returned a token that is not a valid header value".into(),
            )
        })?;
        let client_request_id =
            HeaderValue::from_str(request.client_request_id()).map_err(|_| {
                Error::InvalidRequest {
                    endpoint: name,
                    reason: "the client-request-id is not a valid header value".to_owned(),
                }
            })?;

        let mut builder = inner
            .http
            .request(endpoint.method().to_http(), url)
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header("client-request-id", client_request_id)
            .header(USER_AGENT, inner.user_agent.clone())
            .header(
                "SdkVersion",
                match version {
                    ApiVersion::V1 => inner.sdk_version_v1.clone(),
                    ApiVersion::Beta => inner.sdk_version_beta.clone(),
                },
            );
        for (name, value) in request.headers() {
            builder = builder.header(name, value);
        }
        builder = match request.body() {
            Some(body) => builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone()),
            None if !matches!(
                endpoint.method(),
                crate::Method::Get | crate::Method::Delete
            ) =>
            {
                builder
                    .header(CONTENT_LENGTH, HeaderValue::from_static("0"))
                    .body(Bytes::new())
            }
            None => builder,
        };

        let response = builder.send().await.map_err(|source| Error::Transport {
            endpoint: name,
            source,
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let span = tracing::Span::current();
        span.record("status", status.as_u16());
        if let Some(id) = headers.get("request-id").and_then(|v| v.to_str().ok()) {
            span.record("request_id", id);
        }
        let expected = endpoint.expects(status.as_u16());
        let body = read_body(
            response,
            name,
            if expected {
                inner.max_body_bytes
            } else {
                inner.max_error_body_bytes
            },
            expected,
        )
        .await?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "graph call answered"
        );
        Ok(RawResponse::new(status, headers, body))
    }
}

/// Reads a body up to `limit` bytes. A success body over the limit is an error;
/// an error body is cut at the limit (it is kept for diagnosis only).
async fn read_body(
    mut response: reqwest::Response,
    endpoint: &'static str,
    limit: usize,
    fail_over_limit: bool,
) -> Result<Bytes, Error> {
    if fail_over_limit
        && response
            .content_length()
            .is_some_and(|len| len > limit as u64)
    {
        return Err(Error::BodyTooLarge { endpoint, limit });
    }
    let mut body = BytesMut::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(source) => return Err(Error::Transport { endpoint, source }),
        };
        if body.len() + chunk.len() > limit {
            if fail_over_limit {
                return Err(Error::BodyTooLarge { endpoint, limit });
            }
            body.extend_from_slice(&chunk[..limit - body.len()]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn bearer(token: &AccessToken) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.secret())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

impl Graph for GraphClient {
    fn send(&self, request: Request) -> impl Future<Output = Result<RawResponse, Error>> + Send {
        self.execute(request)
    }
}

/// Configures a [`GraphClient`].
///
/// ```
/// use std::time::Duration;
/// use graph_endpoint::GraphClient;
///
/// // A client for tests against a local stand-in: plain http is accepted on loopback only.
/// let graph = GraphClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .token("test-token")
///     .timeout(Duration::from_secs(5))
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
    version: ApiVersion,
    token: Option<Arc<dyn TokenSource>>,
    user_agent: Option<String>,
    connect_timeout: Duration,
    timeout: Option<Duration>,
    max_body_bytes: usize,
    max_error_body_bytes: usize,
}

impl Default for GraphClientBuilder {
    fn default() -> Self {
        GraphClientBuilder {
            cloud: Cloud::Global,
            base_url: None,
            version: ApiVersion::V1,
            token: None,
            user_agent: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Some(Duration::from_secs(100)),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_error_body_bytes: DEFAULT_MAX_ERROR_BODY_BYTES,
        }
    }
}

impl fmt::Debug for GraphClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClientBuilder")
            .field("cloud", &self.cloud)
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("token", &self.token.as_ref().map(|_| "<token source>"))
            .finish_non_exhaustive()
    }
}

impl GraphClientBuilder {
    /// The national cloud (default [`Cloud::Global`]).
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// A custom root URL instead of the cloud's, such as a local stand-in.
    /// `http://` is accepted only for loopback hosts.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The version for endpoints that do not pin one (default `v1.0`).
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// A fixed bearer token.
    pub fn token(mut self, token: impl Into<AccessToken>) -> Self {
        self.token = Some(Arc::new(StaticToken::new(token)));
        self
    }

    /// A source asked for a token before every request.
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.token = Some(Arc::new(source));
        self
    }

    /// Text appended to the `User-Agent` header, to name your application.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// How long establishing a connection may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one request may take, response body included (default 100 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The largest success body accepted (default 64 MiB).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// How much of an error body is kept in an [`Error`] (default 64 KiB).
    pub fn max_error_body_bytes(mut self, limit: usize) -> Self {
        self.max_error_body_bytes = limit;
        self
    }

    /// Builds the client, checking the configuration.
    pub fn build(self) -> Result<GraphClient, Error> {
        let root = match &self.base_url {
            Some(url) => checked_base_url(url)?,
            None => self.cloud.graph_root().to_owned(),
        };
        let token = self.token.ok_or_else(|| {
            Error::Config("no token source: call `.token(...)` or `.token_source(...)`".to_owned())
        })?;
        let mut user_agent = format!("graph-endpoint/{CRATE_VERSION}");
        if let Some(extra) = &self.user_agent {
            user_agent.push(' ');
            user_agent.push_str(extra);
        }
        let user_agent = HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::Config("the user agent is not a valid header value".to_owned()))?;

        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .redirect(redirect_policy());
        if let Some(timeout) = self.timeout {
            http = http.timeout(timeout);
        }
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("the HTTP client could not be built: {e}")))?;
        Ok(GraphClient {
            inner: Arc::new(ClientInner {
                http,
                root,
                version: self.version,
                token,
                user_agent,
                sdk_version_v1: HeaderValue::from_static(concat!(
                    "graph-rust/",
                    env!("CARGO_PKG_VERSION")
                )),
                sdk_version_beta: HeaderValue::from_static(concat!(
                    "graph-rust-beta/",
                    env!("CARGO_PKG_VERSION")
                )),
                max_body_bytes: self.max_body_bytes,
                max_error_body_bytes: self.max_error_body_bytes,
            }),
        })
    }
}

/// Follows at most 5 redirects, never from https to http. reqwest itself drops
/// `Authorization` when the host or port changes.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt.url().scheme() == "http"
            && attempt.previous().iter().any(|url| url.scheme() == "https");
        if downgrade {
            attempt.error("refused a redirect from https to http")
        } else if attempt.previous().len() > 5 {
            attempt.error("more than 5 redirects")
        } else {
            attempt.follow()
        }
    })
}

fn checked_base_url(url: &str) -> Result<String, Error> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::Config(format!("base URL `{url}` does not parse: {e}")))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL `{url}` must not have a query or fragment"
        )));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => {
            return Err(Error::Config(format!(
                "base URL `{url}` uses plain http on a non-loopback host: tokens would travel unencrypted; use https"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "base URL `{url}` has scheme `{other}`: use https"
            )));
        }
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}
