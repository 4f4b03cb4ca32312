//! The client ([`GraphClient`]): what it is configured with, shared by
//! every clone, and its [`Graph`] implementation. How a client is configured
//! is in `builder`; where a call's request goes (its version and URL), in
//! `target`; how an attempt is made, in `exchange`.

pub(crate) mod builder;
pub(crate) mod exchange;
pub(crate) mod target;
pub(crate) mod throttle;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use crate::auth::TokenSource;
use crate::endpoint::ApiVersion;
use crate::error::Error;
use crate::http_stack::limits::{InFlight, RateLimit};
use crate::http_stack::middleware::HttpService;
use crate::http_stack::retry::RetryPolicy;
use crate::request::Request;
use crate::response::RawResponse;
use crate::transport::Graph;
use crate::validation::Validation;

/// The default cap on the length of a request's URL: 16 KiB. Graph's front
/// ends refuse longer request lines (`414 URI Too Long`), so a longer URL is
/// refused before it is sent, with an error naming both lengths.
pub const DEFAULT_MAX_URL_BYTES: usize = 16 * 1024;

/// The default cap on a success body: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// The default cap on the part of an error body kept in an [`Error`]: 64 KiB.
pub const DEFAULT_MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A Microsoft Graph client: one connection pool, one token source, one base
/// URL, one retry policy, and limits shared by every clone.
///
/// Cheap to clone: clones share the pool, the configuration and the limits.
/// Implement your endpoint traits for it with one line each
/// (`impl MyEndpoints for GraphClient {}`).
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
    pub(crate) inner: Arc<ClientInner>,
}

/// Where the `Authorization` header comes from.
pub(crate) enum Auth {
    /// A fixed token: the header is built once, not on every request.
    Static(HeaderValue),
    /// A source asked before every attempt.
    Source(Arc<dyn TokenSource>),
}

pub(crate) struct ClientInner {
    /// The HTTP clients: the configured one, and one without proxies for
    /// plain http to this machine.
    pub(crate) clients: crate::http_stack::Clients,
    /// The middleware stack over `http`, when layers were given.
    pub(crate) middleware: Option<HttpService>,
    /// `http` came from the caller, who may have let it follow redirects.
    pub(crate) user_http_client: bool,
    pub(crate) root: String,
    /// `root`, parsed once, with a placeholder path: each call's URL is a
    /// clone of it with the path and query set, so the scheme and host are
    /// not parsed again for every call (see `target`).
    pub(crate) url_template: reqwest::Url,
    /// The path of `root` without its trailing slash (empty for a bare
    /// host), which every call's path goes under.
    pub(crate) base_path: String,
    pub(crate) version: ApiVersion,
    /// What decoding does with a value the metadata does not declare.
    pub(crate) validation: Validation,
    pub(crate) auth: Auth,
    pub(crate) user_agent: HeaderValue,
    pub(crate) sdk_version_v1: HeaderValue,
    pub(crate) sdk_version_beta: HeaderValue,
    pub(crate) max_url_bytes: usize,
    pub(crate) max_body_bytes: usize,
    pub(crate) max_error_body_bytes: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) in_flight: InFlight,
    pub(crate) rate: RateLimit,
    /// The rate each service family allows, learned and shared.
    pub(crate) throttle: throttle::Throttle,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("base_url", &self.inner.root)
            .field("version", &self.inner.version)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// The Graph root URL requests go to, without the version.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.inner.root
    }

    /// The version used by endpoints that do not pin one.
    #[must_use]
    pub fn default_version(&self) -> ApiVersion {
        self.inner.version
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }
}

impl Graph for GraphClient {
    fn send(&self, request: Request) -> impl Future<Output = Result<RawResponse, Error>> + Send {
        self.execute(request)
    }

    fn validation(&self) -> Validation {
        self.inner.validation
    }

    fn send_streamed(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<crate::body::BodyStream, Error>> + Send {
        self.execute_streamed(request)
    }
}
