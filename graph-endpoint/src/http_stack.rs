//! The HTTP stack a client sends through, and the rule that decides which
//! origins may receive a secret over plain http.

use std::net::IpAddr;
use std::time::Duration;

use crate::{Cloud, RetryPolicy};

/// What a [`GraphClient`](crate::GraphClient) shares with its
/// [`TokenSource`](crate::TokenSource) when it is built, so that signing in
/// travels the same way as the calls it signs: the same connection pool, TLS
/// roots, proxy settings and connect timeout, never following redirects, and
/// the same retry policy.
///
/// A token source that makes requests of its own receives it through
/// [`TokenSource::attach`](crate::TokenSource::attach).
///
/// ```
/// use graph_endpoint::{HttpStack, RetryPolicy};
///
/// let stack = HttpStack::standalone(RetryPolicy::default()).unwrap();
/// # drop(stack);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HttpStack {
    /// The HTTP client: pool, TLS, proxies, connect timeout. It follows no
    /// redirect by itself; whoever uses it decides what a redirect means.
    pub client: reqwest::Client,
    /// The client's retry policy, for requests of the token source too.
    pub retry: RetryPolicy,
    /// The client's cloud: a token source given no cloud or authority of its
    /// own signs in there, for that cloud's Graph.
    pub cloud: Cloud,
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
    pub fn standalone(retry: RetryPolicy) -> Result<HttpStack, crate::Error> {
        Ok(HttpStack {
            client: http_client(
                DEFAULT_CONNECT_TIMEOUT,
                &format!("graph-endpoint/{}", env!("CARGO_PKG_VERSION")),
                false,
            )?,
            retry,
            cloud: Cloud::Global,
        })
    }
}

/// The reqwest client every request of this crate goes through: redirects
/// are never followed by it (the Graph client follows them itself, keeping
/// the token on its origin; a token endpoint that redirects is an error),
/// and the user agent names the crate and the application.
///
/// `direct` turns proxies off: for plain-http targets when a proxy would
/// carry them off this machine (see [`plain_http_may_leave`]).
pub(crate) fn http_client(
    connect_timeout: Duration,
    user_agent: &str,
    direct: bool,
) -> Result<reqwest::Client, crate::Error> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent);
    if direct {
        builder = builder.no_proxy();
    }
    // With the feature, the platform's TLS rather than rustls.
    #[cfg(feature = "native-tls")]
    let builder = builder.tls_backend_native();
    builder
        .build()
        .map_err(|e| crate::Error::Config(format!("the HTTP client could not be built: {e}")))
}

/// Whether a plain-http request to `url` could travel off this machine in
/// the clear: `url` is `http://` and the environment names a proxy for it
/// (`HTTP_PROXY`, `ALL_PROXY`, either case) that is not itself on this
/// machine. Plain http is allowed to loopback hosts only, so that a secret
/// never crosses a network unencrypted; a remote proxy would undo that, so
/// such requests go direct.
pub(crate) fn plain_http_may_leave(url: &reqwest::Url) -> bool {
    if url.scheme() != "http" {
        return false;
    }
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .any(|value| {
            let with_scheme = if value.contains("://") {
                value
            } else {
                format!("http://{value}")
            };
            reqwest::Url::parse(&with_scheme).map_or(true, |proxy| !is_loopback(&proxy))
        })
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
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("{what} `{url}` does not parse: {e}"))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) || allow_insecure_http => Ok(parsed),
        "http" => Err(format!(
            "{what} `{url}` uses plain http on a non-loopback host: secrets would travel unencrypted; use https (or allow_insecure_http)"
        )),
        other => Err(format!("{what} `{url}` has scheme `{other}`: use https")),
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
