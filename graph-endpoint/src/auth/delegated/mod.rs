//! Signing in as a user (delegated tokens): what the device code and the
//! authorization code flows share. The access token and the refresh token
//! are kept together; the refresh token is redeemed, and replaced by the one
//! that comes back, before the user is asked to sign in again; the token
//! cache is read once and written after each sign-in or refresh.

pub(crate) mod auth_code;
pub(crate) mod device_code;
pub(crate) mod token_cache;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::auth::RefusedToken;
use crate::auth::client_credentials::DEFAULT_SIGN_IN_ATTEMPT_TIMEOUT;
use crate::auth::delegated::token_cache::{CachedSignIn, Owner, TokenCache, unix_now};
use crate::auth::secret::{AccessToken, SecretString};
use crate::auth::token_endpoint::{Issued, TokenEndpoint};
use crate::cloud::Cloud;
use crate::error::identity::{IdentityError, TokenError};
use crate::http_stack::HttpStack;
use crate::http_stack::retry::RetryPolicy;

/// The account name of a cache file when the caller names none.
///
/// ```
/// use graph_endpoint::{DEFAULT_ACCOUNT, TokenCache};
/// let cache = TokenCache::new("/c");
/// assert!(cache.path_for("contoso", DEFAULT_ACCOUNT).ends_with("contoso_default.json"));
/// ```
pub const DEFAULT_ACCOUNT: &str = "default";

/// The OpenID Connect scopes, sent as they are (not as Graph permissions).
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Percent-encodes a form value.
pub(crate) fn encode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

/// What a delegated sign-in is configured with.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) tenant: String,
    pub(crate) client_id: String,
    /// Set by `cloud`; otherwise the attached client's (`attached_cloud`).
    pub(crate) cloud: Option<Cloud>,
    /// Set by `authority`; otherwise the cloud's.
    pub(crate) authority: Option<String>,
    /// The cloud of the client this source was first attached to.
    pub(crate) attached_cloud: OnceLock<Cloud>,
    pub(crate) scopes: Vec<String>,
    pub(crate) allow_insecure_http: bool,
    pub(crate) attempt_timeout: Duration,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) refresh_ahead: Duration,
    pub(crate) cache: Option<TokenCache>,
    pub(crate) account: String,
    pub(crate) interactive: bool,
}

impl Settings {
    pub(crate) fn new(tenant: String, client_id: String) -> Settings {
        Settings {
            tenant,
            client_id,
            cloud: None,
            authority: None,
            attached_cloud: OnceLock::new(),
            scopes: Vec::new(),
            allow_insecure_http: false,
            attempt_timeout: DEFAULT_SIGN_IN_ATTEMPT_TIMEOUT,
            retry: None,
            refresh_ahead: Duration::from_secs(300),
            cache: None,
            account: DEFAULT_ACCOUNT.to_owned(),
            interactive: true,
        }
    }

    /// The `scope` parameter: each Graph permission under the cloud's Graph
    /// root (`https://graph.microsoft.com/DeviceManagementConfiguration.ReadWrite.All`),
    /// `{root}/.default` when none is named, and always `offline_access`, so
    /// that a refresh token comes with the access token.
    /// The cloud signed in to: this source's own, or else the cloud of the
    /// client it is attached to, or else the global cloud.
    pub(crate) fn cloud_in_use(&self) -> Cloud {
        self.cloud
            .or_else(|| self.attached_cloud.get().copied())
            .unwrap_or_default()
    }

    /// The identity platform's authority: set, or the cloud's.
    pub(crate) fn authority(&self) -> String {
        match &self.authority {
            Some(authority) => authority.clone(),
            None => self.cloud_in_use().authority().to_owned(),
        }
    }

    pub(crate) fn scope(&self) -> String {
        let graph_root = self.cloud_in_use().graph_root();
        let mut scopes: Vec<String> = self
            .scopes
            .iter()
            .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("offline_access"))
            .map(|s| {
                if s.contains("://") || OIDC_SCOPES.contains(&s.as_str()) {
                    s.clone()
                } else {
                    format!("{graph_root}/{s}")
                }
            })
            .collect();
        if scopes.is_empty() {
            scopes.push(format!("{graph_root}/.default"));
        }
        scopes.push("offline_access".to_owned());
        scopes.join(" ")
    }

    /// `{authority}/{tenant}/oauth2/v2.0/{endpoint}`, checked by the rule for
    /// anything that carries a secret before anything is sent.
    pub(crate) fn url(&self, endpoint: &str) -> Result<reqwest::Url, Box<IdentityError>> {
        crate::auth::token_endpoint::check_tenant(&self.tenant)?;
        crate::http_stack::secure_url(
            "the authority's URL",
            &format!(
                "{}/{}/oauth2/v2.0/{endpoint}",
                self.authority(),
                self.tenant
            ),
            self.allow_insecure_http,
        )
        .map_err(|reason| Box::new(IdentityError::undescribed("insecure_authority", reason, 0)))
    }

    /// The authority as a cache entry records it: its origin (scheme, host
    /// in lower case, port) and path, so that one authority is written one way.
    fn authority_key(&self) -> String {
        let authority = self.authority();
        match reqwest::Url::parse(&authority) {
            Ok(url) => format!(
                "{}{}",
                url.origin().ascii_serialization(),
                url.path().trim_end_matches('/')
            ),
            Err(_) => authority,
        }
    }

    fn owner<'a>(&'a self, scope: &'a str, authority: &'a str) -> Owner<'a> {
        Owner {
            authority,
            tenant: &self.tenant,
            account: &self.account,
            client_id: &self.client_id,
            scope,
        }
    }
}

/// What an interactive step gets: the settings and the HTTP stack.
pub(crate) struct Context<'a> {
    pub(crate) settings: &'a Settings,
    pub(crate) stack: &'a HttpStack,
}

impl Context<'_> {
    /// One form POST to a token endpoint, answered by a token.
    pub(crate) async fn token(
        &self,
        url: &reqwest::Url,
        form: &str,
    ) -> Result<Issued, Box<IdentityError>> {
        TokenEndpoint {
            url,
            attempt_timeout: self.settings.attempt_timeout,
        }
        .request(self.stack, form)
        .await
    }

    /// One form POST to an identity endpoint, answered by JSON of another kind.
    pub(crate) async fn post(
        &self,
        url: &reqwest::Url,
        form: &str,
    ) -> Result<bytes::BytesMut, Box<IdentityError>> {
        TokenEndpoint {
            url,
            attempt_timeout: self.settings.attempt_timeout,
        }
        .post(self.stack, form)
        .await
        .map(|(body, _)| body)
    }
}

/// The future of an interactive sign-in.
pub(crate) type SignInFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Issued, Box<IdentityError>>> + Send + 'a>>;

/// The step that involves the user: the device code flow or the
/// authorization code flow.
pub(crate) trait Interactive: Send + Sync {
    fn sign_in<'a>(&'a self, context: &'a Context<'a>) -> SignInFuture<'a>;
}

struct Current {
    token: AccessToken,
    refresh_at: Instant,
    refresh_token: Option<SecretString>,
}

#[derive(Default)]
struct State {
    current: Option<Current>,
    /// Whether the cache was read (once, on first use).
    loaded: bool,
    last_failure: Option<Arc<IdentityError>>,
}

/// The delegated tokens of one sign-in: one renewal in flight however many
/// calls wait for it, as [`ClientCredentials`](crate::ClientCredentials).
pub(crate) struct Session {
    pub(crate) settings: Settings,
    stack: OnceLock<HttpStack>,
    state: Mutex<State>,
    /// A token Graph refused as expired.
    refused: RefusedToken,
    renewals: AtomicU64,
}

impl Session {
    pub(crate) fn new(settings: Settings) -> Session {
        Session {
            settings,
            stack: OnceLock::new(),
            state: Mutex::new(State::default()),
            refused: RefusedToken::default(),
            renewals: AtomicU64::new(0),
        }
    }

    pub(crate) fn attach(&self, stack: &HttpStack) {
        // The first client to attach wins, for the stack and the cloud alike.
        if self.stack.set(stack.clone()).is_ok() {
            let _ = self.settings.attached_cloud.set(stack.cloud);
        }
    }

    /// The stack with this source's retry policy, if it has one.
    fn stack(&self) -> Result<HttpStack, Box<IdentityError>> {
        let stack = match self.stack.get() {
            Some(stack) => stack,
            None => {
                let own = HttpStack::standalone(RetryPolicy::default()).map_err(|e| {
                    Box::new(IdentityError::undescribed("client_error", e.to_string(), 0))
                })?;
                self.stack.get_or_init(|| own)
            }
        };
        Ok(stack.with_retry(self.settings.retry.clone().unwrap_or(stack.retry.clone())))
    }

    /// Graph refused `token` as expired: the next call renews it (the
    /// refresh token stays, and is redeemed then).
    pub(crate) fn invalidate(&self, token: &AccessToken) {
        self.refused.note(token);
    }

    pub(crate) async fn token(&self, flow: &dyn Interactive) -> Result<AccessToken, TokenError> {
        let seen = self.renewals.load(Ordering::SeqCst);
        let mut state = self.state.lock().await;
        let scope = self.settings.scope();
        let authority = self.settings.authority_key();
        if !state.loaded {
            state.loaded = true;
            if let Some(cache) = &self.settings.cache
                && let Some(cached) = cache.load(&self.settings.owner(&scope, &authority))
            {
                state.current = Some(self.current_from_cache(cached));
            }
        }
        if let Some(current) = &state.current
            && current.refresh_at > Instant::now()
            && !self.refused.take_if(&current.token)
        {
            return Ok(current.token.clone());
        }
        if self.renewals.load(Ordering::SeqCst) != seen
            && let Some(failure) = &state.last_failure
        {
            return Err(Box::new((**failure).clone()) as TokenError);
        }
        let refresh_token = state.current.as_ref().and_then(|c| c.refresh_token.clone());
        let renewed = self.renew(refresh_token.as_ref(), &scope, flow).await;
        self.renewals.fetch_add(1, Ordering::SeqCst);
        match renewed {
            Ok(issued) => {
                let current = Current {
                    token: issued.token,
                    refresh_at: Instant::now()
                        + issued.lifetime.saturating_sub(self.settings.refresh_ahead),
                    // Rotated: the refresh token that came back replaces the
                    // one redeemed; an answer without one keeps the old.
                    refresh_token: issued.refresh_token.or(refresh_token),
                };
                if let Some(cache) = &self.settings.cache {
                    let cached = CachedSignIn {
                        access_token: current.token.clone(),
                        expires_at: unix_now().saturating_add(issued.lifetime.as_secs()),
                        refresh_token: current.refresh_token.clone(),
                    };
                    if let Err(e) = cache.save(&self.settings.owner(&scope, &authority), &cached) {
                        tracing::warn!(
                            dir = %cache.dir().display(),
                            "the sign-in could not be saved in the token cache: {e}"
                        );
                    }
                }
                let token = current.token.clone();
                state.current = Some(current);
                state.last_failure = None;
                Ok(token)
            }
            Err(error) => {
                let error = Arc::new(*error);
                state.last_failure = Some(error.clone());
                Err(Box::new((*error).clone()) as TokenError)
            }
        }
    }

    fn current_from_cache(&self, cached: CachedSignIn) -> Current {
        let left = Duration::from_secs(cached.expires_at.saturating_sub(unix_now()));
        Current {
            token: cached.access_token,
            refresh_at: Instant::now() + left.saturating_sub(self.settings.refresh_ahead),
            refresh_token: cached.refresh_token,
        }
    }

    /// A fresh access token: by the refresh token when there is one; by
    /// the interactive step when there is none, or the identity platform
    /// refused it and interaction is allowed.
    async fn renew(
        &self,
        refresh_token: Option<&SecretString>,
        scope: &str,
        flow: &dyn Interactive,
    ) -> Result<Issued, Box<IdentityError>> {
        let stack = self.stack()?;
        let context = Context {
            settings: &self.settings,
            stack: &stack,
        };
        if let Some(refresh_token) = refresh_token {
            let url = self.settings.url("token")?;
            let form = format!(
                "grant_type=refresh_token&client_id={}&refresh_token={}&scope={}",
                encode(&self.settings.client_id),
                encode(refresh_token.expose()),
                encode(scope)
            );
            match context.token(&url, &form).await {
                Ok(issued) => return Ok(issued),
                // The grant itself is refused (revoked, expired, used, or
                // needing consent again): only the user can make a new one.
                Err(error)
                    if matches!(
                        error.error.as_str(),
                        "invalid_grant" | "interaction_required" | "consent_required"
                    ) =>
                {
                    if !self.settings.interactive {
                        return Err(error);
                    }
                    tracing::warn!(
                        error = %error.error,
                        "the refresh token was refused; signing in interactively"
                    );
                }
                // A failure on the way (transport, throttling, a timeout) is
                // no reason to ask the user again.
                Err(error) => return Err(error),
            }
        } else if !self.settings.interactive {
            return Err(Box::new(IdentityError::undescribed(
                "interaction_required",
                format!(
                    "no cached sign-in for account `{}` of tenant `{}`, and interactive sign-in is off",
                    self.settings.account, self.settings.tenant
                ),
                0,
            )));
        }
        flow.sign_in(&context).await
    }
}

/// The builder methods both delegated flows have, documented once.
macro_rules! delegated_settings {
    ($ty:ident) => {
        impl $ty {
            /// Signs in with the authority and Graph root of this cloud. Without
            /// it, the source signs in to the cloud of the client it is
            /// attached to (the global cloud when used alone).
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\").cloud(Cloud::UsGovL4);", "\n", "assert!(sign_in.token_url().starts_with(\"https://login.microsoftonline.us/contoso/\"));", "\n", "assert!(sign_in.scope_parameter().starts_with(\"https://graph.microsoft.us/\"));", "\n", "```")]
            #[must_use]
            pub fn cloud(mut self, cloud: $crate::cloud::Cloud) -> Self {
                self.session.settings.cloud = Some(cloud);
                self.session.settings.authority = None;
                self
            }

            /// An explicit authority (such as a local stand-in's base URL). It
            /// must be https, or plain http to a loopback host: otherwise
            /// signing in fails before anything is sent.
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\").authority(\"http://127.0.0.1:8080/\");", "\n", "assert_eq!(sign_in.token_url(), \"http://127.0.0.1:8080/contoso/oauth2/v2.0/token\");", "\n", "```")]
            #[must_use]
            pub fn authority(mut self, authority: impl Into<String>) -> Self {
                self.session.settings.authority = Some(authority.into().trim_end_matches('/').to_owned());
                self
            }

            /// Accepts a plain `http://` authority on a non-loopback host. Off
            /// by default.
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\").authority(\"http://identity.lab\").allow_insecure_http(true);", "\n", "# drop(sign_in);", "\n", "```")]
            #[must_use]
            pub fn allow_insecure_http(mut self, allow: bool) -> Self {
                self.session.settings.allow_insecure_http = allow;
                self
            }

            /// The Graph permissions asked for, as named in a declaration's
            /// `permissions = [...]` (`DeviceManagementConfiguration.ReadWrite.All`):
            /// each is sent under the cloud's Graph root, a full URI as it is.
            /// `offline_access` is always added. With none, `{root}/.default`
            /// (the permissions the app registration was granted).
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\").scopes([\"DeviceManagementConfiguration.Read.All\", \"openid\"]);", "\n", "assert_eq!(", "\n", "    sign_in.scope_parameter(),", "\n", "    \"https://graph.microsoft.com/DeviceManagementConfiguration.Read.All openid offline_access\"", "\n", ");", "\n", "```")]
            #[must_use]
            pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
                self.session.settings.scopes = scopes.into_iter().map(Into::into).collect();
                self
            }

            /// Keeps the tokens in `cache` between runs (none by default).
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\").cache(TokenCache::new(\"/var/cache/intune-tool\"));", "\n", "# drop(sign_in);", "\n", "```")]
            #[must_use]
            pub fn cache(mut self, cache: $crate::auth::delegated::token_cache::TokenCache) -> Self {
                self.session.settings.cache = Some(cache);
                self
            }

            /// The account the cache file is named after (default
            /// [`DEFAULT_ACCOUNT`](crate::DEFAULT_ACCOUNT)): one file per
            /// tenant and account.
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\")", "\n", "    .account(\"admin@contoso.com\")", "\n", "    .cache(TokenCache::new(\"/var/cache/intune-tool\"));", "\n", "# drop(sign_in);", "\n", "```")]
            #[must_use]
            pub fn account(mut self, account: impl Into<String>) -> Self {
                self.session.settings.account = account.into();
                self
            }

            /// Whether the user may be asked to sign in (default yes). Off, only
            /// a cached or refreshed token is used: a missing sign-in fails with
            /// `interaction_required`, a refused refresh token with the identity
            /// platform's `invalid_grant`. For unattended runs.
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let unattended = ", stringify!($ty), "::new(\"contoso\", \"app-id\")", "\n", "    .cache(TokenCache::new(\"/var/cache/intune-tool\"))", "\n", "    .interactive(false);", "\n", "# drop(unattended);", "\n", "```")]
            #[must_use]
            pub fn interactive(mut self, allowed: bool) -> Self {
                self.session.settings.interactive = allowed;
                self
            }

            /// How long before expiry an access token is replaced (default 5
            /// minutes).
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\").refresh_ahead(std::time::Duration::from_secs(600));", "\n", "# drop(sign_in);", "\n", "```")]
            #[must_use]
            pub fn refresh_ahead(mut self, ahead: std::time::Duration) -> Self {
                self.session.settings.refresh_ahead = ahead;
                self
            }

            /// How long one request to the identity platform may take
            /// (default [`DEFAULT_SIGN_IN_ATTEMPT_TIMEOUT`](crate::DEFAULT_SIGN_IN_ATTEMPT_TIMEOUT)).
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\").attempt_timeout(std::time::Duration::from_secs(10));", "\n", "# drop(sign_in);", "\n", "```")]
            #[must_use]
            pub fn attempt_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.session.settings.attempt_timeout = timeout;
                self
            }

            /// The retry policy of requests to the identity platform (default:
            /// the client's).
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\").retry(RetryPolicy::default());", "\n", "# drop(sign_in);", "\n", "```")]
            #[must_use]
            pub fn retry(mut self, policy: $crate::http_stack::retry::RetryPolicy) -> Self {
                self.session.settings.retry = Some(policy);
                self
            }

            /// The `scope` parameter sent: the permissions under the Graph
            /// root, and `offline_access`.
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\");", "\n", "assert_eq!(sign_in.scope_parameter(), \"https://graph.microsoft.com/.default offline_access\");", "\n", "```")]
            pub fn scope_parameter(&self) -> String {
                self.session.settings.scope()
            }

            /// The token endpoint.
            ///
            #[doc = concat!("```\n", "use graph_endpoint::*;\n", "let sign_in = ", stringify!($ty), "::new(\"contoso\", \"app-id\");", "\n", "assert_eq!(sign_in.token_url(), \"https://login.microsoftonline.com/contoso/oauth2/v2.0/token\");", "\n", "```")]
            pub fn token_url(&self) -> String {
                format!(
                    "{}/{}/oauth2/v2.0/token",
                    self.session.settings.authority(), self.session.settings.tenant
                )
            }
        }
    };
}

pub(crate) use delegated_settings;
