//! Signing in: where bearer tokens come from. The [`TokenSource`] trait and
//! the simple sources (a fixed token, an environment variable, a function)
//! are here; the others are in modules of their own: `client_credentials`
//! (an app, with a secret or a `certificate`), `delegated` (a user: the
//! device code and authorization code flows, and their token cache), and
//! `azure` (an Azure SDK credential). `token_endpoint` is how they ask the
//! identity platform, and `secret` keeps what they handle out of `Debug`.

#[cfg(feature = "azure")]
pub(crate) mod azure;
pub(crate) mod certificate;
pub(crate) mod client_credentials;
pub(crate) mod delegated;
pub(crate) mod secret;
pub(crate) mod token_endpoint;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::auth::secret::AccessToken;
use crate::error::identity::TokenError;
use crate::http_stack::HttpStack;

/// The future a [`TokenSource`] returns.
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send + 'a>>;

/// Supplies the bearer token for each request.
///
/// The client asks for a token before every request, so a source that caches
/// and refreshes tokens keeps long-running jobs signed in. Implement it for
/// your own sign-in flow, or use [`StaticToken`] or [`token_fn`].
///
/// ```
/// use graph_endpoint::{AccessToken, TokenFuture, TokenSource};
///
/// struct FromVault;
///
/// impl TokenSource for FromVault {
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async { Ok(AccessToken::new("token from the vault")) })
///     }
/// }
/// ```
pub trait TokenSource: Send + Sync + 'static {
    /// Returns a token that is valid for the Graph cloud the client talks to.
    fn token(&self) -> TokenFuture<'_>;

    /// Graph refused `token` as expired: a caching source forgets it so the
    /// next [`token`](TokenSource::token) fetches a fresh one. The default does nothing.
    fn invalidate(&self, token: &AccessToken) {
        let _ = token;
    }

    /// Called by [`GraphClientBuilder::build`](crate::GraphClientBuilder::build)
    /// with the client's HTTP stack: a source that makes requests of its own
    /// (signing in) sends them through it, so they get the client's proxy,
    /// TLS and timeouts. The sources of this crate keep the first stack they
    /// are given: one shared by several clients signs in through the first.
    /// The default ignores it.
    fn attach(&self, stack: &HttpStack) {
        let _ = stack;
    }
}

/// A fixed bearer token, for scripts and tests.
///
/// ```
/// use graph_endpoint::{StaticToken, TokenSource};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let source = StaticToken::new("abc");
/// assert_eq!(source.token().await.unwrap().secret(), "abc");
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// Wraps a bearer token.
    pub fn new(token: impl Into<AccessToken>) -> Self {
        StaticToken(token.into())
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// A bearer token read from an environment variable on every request, so a
/// token rotated by another process is picked up.
///
/// ```
/// use graph_endpoint::{EnvToken, TokenSource};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let source = EnvToken::new("GRAPH_ENDPOINT_DOC_TOKEN_UNSET");
/// let err = source.token().await.unwrap_err();
/// assert!(err.to_string().contains("GRAPH_ENDPOINT_DOC_TOKEN_UNSET"));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct EnvToken {
    variable: String,
}

impl EnvToken {
    /// Reads the token from `variable` (such as `GRAPH_TOKEN`).
    pub fn new(variable: impl Into<String>) -> Self {
        EnvToken {
            variable: variable.into(),
        }
    }
}

impl TokenSource for EnvToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = std::env::var(&self.variable);
        let variable = self.variable.clone();
        Box::pin(async move {
            match token {
                Ok(token) if !token.trim().is_empty() => Ok(AccessToken::new(token.trim())),
                Ok(_) => Err(format!("the environment variable {variable} is empty").into()),
                Err(_) => Err(format!(
                    "the environment variable {variable} is not set (or not UTF-8)"
                )
                .into()),
            }
        })
    }
}

/// A token source backed by an async closure, called before every request.
///
/// Build one with [`token_fn`].
pub struct TokenFn<F>(F);

impl<F> fmt::Debug for TokenFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenFn")
    }
}

/// Makes a [`TokenSource`] from an async closure.
///
/// ```
/// use graph_endpoint::{token_fn, AccessToken, GraphClient};
///
/// let client = GraphClient::builder()
///     .token_source(token_fn(|| async {
///         let token = std::env::var("GRAPH_TOKEN")?;
///         Ok(AccessToken::new(token))
///     }))
///     .build()
///     .unwrap();
/// # drop(client);
/// ```
pub fn token_fn<F, Fut>(f: F) -> TokenFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AccessToken, TokenError>> + Send + 'static,
{
    TokenFn(f)
}

impl<F, Fut> TokenSource for TokenFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AccessToken, TokenError>> + Send + 'static,
{
    fn token(&self) -> TokenFuture<'_> {
        Box::pin((self.0)())
    }
}

impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn token(&self) -> TokenFuture<'_> {
        (**self).token()
    }

    fn invalidate(&self, token: &AccessToken) {
        (**self).invalidate(token)
    }

    fn attach(&self, stack: &HttpStack) {
        (**self).attach(stack)
    }
}

/// The token the service last refused as expired, noted without waiting for
/// the lock a refresh holds: a caching source checks it under that lock, so
/// a note made while a refresh or a cache hit is under way is never lost.
#[derive(Default)]
pub(crate) struct RefusedToken(std::sync::Mutex<Option<AccessToken>>);

impl RefusedToken {
    /// Notes that the service refused `token`.
    pub(crate) fn note(&self, token: &AccessToken) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
    }

    /// Whether `token` was refused; the note is used up once seen.
    pub(crate) fn take_if(&self, token: &AccessToken) -> bool {
        let mut refused = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if refused.as_ref() == Some(token) {
            *refused = None;
            return true;
        }
        false
    }
}
