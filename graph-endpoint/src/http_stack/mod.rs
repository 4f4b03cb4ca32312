//! The HTTP stack a client sends through ([`HttpStack`]: its reqwest
//! clients, one without proxies for plain http to this machine), and the
//! rule that decides which origins may receive a secret over plain http.
//!
//! Its modules are the policies each attempt travels under, shared by the
//! client and its token source: `retry` (when and how long to wait before
//! trying again), `redirect` (which redirects are followed), `limits`
//! (requests in flight, request rate) and `middleware` (`tower` layers
//! around each exchange).

pub(crate) mod limits;
pub(crate) mod middleware;
pub(crate) mod redirect;
pub(crate) mod retry;

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::cloud::Cloud;
use crate::http_stack::retry::RetryPolicy;

/// What a [`GraphClient`](crate::GraphClient) shares with its
/// [`TokenSource`](crate::TokenSource) when it is built, so that signing in
/// travels the same way as the calls it signs: the same connection pool, TLS
/// roots, proxy settings and connect timeout, never following redirects, and
/// the same retry policy.
///
/// A token source that makes requests of its own receives it through
/// [`TokenSource::attach`](crate::TokenSource::attach), and sends each
/// request through [`client_for`](Self::client_for) its URL: a plain-http
/// URL on this machine never goes through a proxy.
///
/// ```
/// use graph_endpoint::{HttpStack, RetryPolicy};
///
/// let stack = HttpStack::standalone(RetryPolicy::default()).unwrap();
/// let url = graph_endpoint::reqwest::Url::parse("https://login.microsoftonline.com/").unwrap();
/// let client = stack.client_for(&url).unwrap();
/// # drop(client);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HttpStack {
    /// The HTTP client: pool, TLS, proxies, connect timeout. It follows no
    /// redirect by itself; whoever uses it decides what a redirect means.
    /// Plain-http requests to this machine go through
    /// [`client_for`](Self::client_for) instead.
    pub client: reqwest::Client,
    /// The client's retry policy, for requests of the token source too.
    pub retry: RetryPolicy,
    /// The client's cloud: a token source given no cloud or authority of its
    /// own signs in there, for that cloud's Graph.
    pub cloud: Cloud,
    clients: Clients,
}

/// Connect timeout of a stack built without a client: the client's default.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl HttpStack {
    /// A stack of its own, configured as a [`GraphClient`](crate::GraphClient)
    /// configures one by default: for a token source used without a client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config) when reqwest cannot build the
    /// HTTP client (such as when its TLS backend fails to initialise).
    pub fn standalone(retry: RetryPolicy) -> Result<HttpStack, crate::error::Error> {
        let user_agent = format!("graph-endpoint/{}", env!("CARGO_PKG_VERSION"));
        let client = http_client(DEFAULT_CONNECT_TIMEOUT, &user_agent, false)?;
        Ok(HttpStack::new(
            Clients::new(client, DEFAULT_CONNECT_TIMEOUT, user_agent),
            retry,
            Cloud::Global,
        ))
    }

    pub(crate) fn new(clients: Clients, retry: RetryPolicy, cloud: Cloud) -> HttpStack {
        HttpStack {
            client: clients.configured.clone(),
            retry,
            cloud,
            clients,
        }
    }

    /// The same stack with another retry policy.
    pub(crate) fn with_retry(&self, retry: RetryPolicy) -> HttpStack {
        HttpStack {
            retry,
            ..self.clone()
        }
    }

    /// The client a request to `url` goes through: [`client`](Self::client),
    /// except for plain http to this machine (`localhost`, `127.0.0.0/8`,
    /// `::1`), which goes through a client that uses no proxy at all (none
    /// configured, none from the environment, none of the system's), built
    /// on first use. Plain http is allowed to this machine only so that a
    /// secret never crosses a network in the clear; a proxy would carry it
    /// off (or read it on the way).
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config) when the client without
    /// proxies cannot be built (its TLS backend fails to initialise).
    pub fn client_for(&self, url: &reqwest::Url) -> Result<reqwest::Client, crate::error::Error> {
        self.clients.for_url(url).cloned()
    }
}

/// The HTTP clients a client's requests go through: the configured one,
/// and for plain-http requests to this machine one without any proxy.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    configured: reqwest::Client,
    proxy_free: Arc<ProxyFree>,
}

/// The client without proxies, built when first needed (most clients never
/// speak plain http), with the configured client's connect timeout and user agent.
#[derive(Debug)]
struct ProxyFree {
    client: OnceLock<reqwest::Client>,
    connect_timeout: Duration,
    user_agent: String,
}

impl Clients {
    pub(crate) fn new(
        configured: reqwest::Client,
        connect_timeout: Duration,
        user_agent: String,
    ) -> Clients {
        Clients {
            configured,
            proxy_free: Arc::new(ProxyFree {
                client: OnceLock::new(),
                connect_timeout,
                user_agent,
            }),
        }
    }

    /// Clients whose configured client already uses no proxy: it serves
    /// plain http to this machine too.
    pub(crate) fn without_proxies(
        client: reqwest::Client,
        connect_timeout: Duration,
        user_agent: String,
    ) -> Clients {
        let clients = Clients::new(client.clone(), connect_timeout, user_agent);
        let _ = clients.proxy_free.client.set(client);
        clients
    }

    /// See [`HttpStack::client_for`].
    pub(crate) fn for_url(
        &self,
        url: &reqwest::Url,
    ) -> Result<&reqwest::Client, crate::error::Error> {
        if !is_plain_loopback(url) {
            return Ok(&self.configured);
        }
        let proxy_free = &*self.proxy_free;
        if let Some(client) = proxy_free.client.get() {
            return Ok(client);
        }
        let built = http_client(proxy_free.connect_timeout, &proxy_free.user_agent, true)?;
        Ok(proxy_free.client.get_or_init(|| built))
    }
}

/// The reqwest client every request of this crate goes through: redirects
/// are never followed by it (the Graph client follows them itself, keeping
/// the token on its origin; a token endpoint that redirects is an error),
/// and the user agent names the crate and the application.
///
/// `without_proxies` turns every proxy off, the environment's and the
/// system's included: for plain http to this machine.
pub(crate) fn http_client(
    connect_timeout: Duration,
    user_agent: &str,
    without_proxies: bool,
) -> Result<reqwest::Client, crate::error::Error> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent);
    if without_proxies {
        builder = builder.no_proxy();
    }
    // With the feature, the platform's TLS rather than rustls.
    #[cfg(feature = "native-tls")]
    let builder = builder.tls_backend_native();
    builder.build().map_err(|e| {
        crate::error::Error::Config(format!("the HTTP client could not be built: {e}"))
    })
}

/// Whether requests to `url` need no proxy at all: plain http to this machine.
pub(crate) fn is_plain_loopback(url: &reqwest::Url) -> bool {
    url.scheme() == "http" && is_loopback(url)
}

/// Whether the URL's host is this machine: `localhost` or a loopback address
/// (`127.0.0.0/8`, `::1`, and `::ffff:127.x.y.z`).
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.trim_start_matches('[').trim_end_matches(']').parse() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// Parses `url` and applies the rule for anything that carries a secret
/// (a bearer token, a client secret): https, or plain http to this machine
/// only, unless the caller explicitly allowed otherwise. `what` names the
/// setting in the message.
pub(crate) fn secure_url(
    what: &str,
    url: &str,
    allow_insecure_http: bool,
) -> Result<reqwest::Url, String> {
    // A URL handed out by a service is signed by its query: never quoted.
    let shown = crate::error::shown_url::shown_text(url);
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("{what} `{shown}` does not parse: {e}"))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) || allow_insecure_http => Ok(parsed),
        "http" => Err(format!(
            "{what} `{shown}` uses plain http on a non-loopback host: secrets would travel unencrypted; use https (or allow_insecure_http)"
        )),
        other => Err(format!("{what} `{shown}` has scheme `{other}`: use https")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_reaches_this_machine() {
        for ok in [
            "https://login.microsoftonline.com",
            "http://127.0.0.1:8080",
            "http://127.0.0.2",
            "http://localhost:1",
            "http://[::1]:9",
            "http://[::ffff:127.0.0.1]:9",
        ] {
            assert!(secure_url("authority", ok, false).is_ok(), "{ok}");
        }
        for refused in [
            "http://192.0.2.2/tenant",
            "http://0.0.0.0:9",
            "http://login.microsoftonline.com",
            "http://localhost.example.com",
            "ftp://127.0.0.1",
        ] {
            let err = secure_url("authority", refused, false).unwrap_err();
            assert!(err.contains(refused), "{err}");
        }
        assert!(secure_url("authority", "http://192.0.2.2", true).is_ok());
    }
}
