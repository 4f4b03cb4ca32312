//! Signing in as an app registration: OAuth 2.0 client credentials against
//! the Microsoft identity platform, with a cached token refreshed ahead of
//! expiry and a single refresh in flight however many calls wait for it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::auth::certificate::ClientCertificate;
use crate::auth::secret::AccessToken;
use crate::auth::token_endpoint::TokenEndpoint;
use crate::auth::{RefusedToken, TokenFuture, TokenSource};
use crate::cloud::Cloud;
use crate::error::identity::{IdentityError, TokenError};
use crate::http_stack::HttpStack;
use crate::http_stack::retry::RetryPolicy;

/// How long one token request may take by default, from sending it to the
/// end of the answer.
pub const DEFAULT_SIGN_IN_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client secret. Its `Debug` is redacted, and it has no `Display`.
///
/// ```
/// use graph_endpoint::ClientSecret;
/// assert_eq!(format!("{:?}", ClientSecret::new("s3cr3t")), "ClientSecret(<redacted>)");
/// ```
#[derive(Clone)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a client secret.
    pub fn new(secret: impl Into<String>) -> Self {
        ClientSecret(secret.into())
    }

    /// The secret itself, for the token request's form only.
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

struct Cached {
    token: AccessToken,
    /// When a call stops using it and asks for a fresh one.
    refresh_at: Instant,
    /// When it stops working: a call that waited for a refresh uses the
    /// token that refresh brought until then, even inside the margin.
    expires_at: Instant,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// The failure of the last refresh, handed to the calls that waited for it.
    last_failure: Option<Arc<IdentityError>>,
}

/// How the app proves who it is.
enum Credential {
    Secret(ClientSecret),
    Certificate(ClientCertificate),
}

/// OAuth 2.0 client credentials, with a client secret or a certificate, against
/// `{authority}/{tenant}/oauth2/v2.0/token` with scope `{graph root}/.default`.
///
/// ```
/// use graph_endpoint::{ClientCredentials, Cloud, GraphClient};
///
/// let sign_in = ClientCredentials::new("contoso.onmicrosoft.com", "app-id", "secret").cloud(Cloud::UsGovL4);
/// assert_eq!(sign_in.token_url(), "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token");
/// let graph = GraphClient::builder().cloud(Cloud::UsGovL4).token_source(sign_in).build().unwrap();
/// # drop(graph);
/// ```
///
/// What the secret is protected by:
/// - it is sent only in the form of a token request, over https (plain http
///   only to a loopback authority, unless
///   [`allow_insecure_http`](Self::allow_insecure_http));
/// - a token request never follows a redirect: an authority that answers
///   3xx fails the sign-in with the status and the `Location` host;
/// - it never appears in `Debug`, `Display`, logs or errors.
///
/// What bounds a sign-in: each request has a connect timeout (the client's)
/// and an attempt timeout ([`attempt_timeout`](Self::attempt_timeout),
/// default 30 s); 429 and 5xx answers, timeouts and transport failures are
/// retried under the client's [`RetryPolicy`] with `Retry-After` honoured;
/// an answer over 64 KiB is refused; and a call's
/// [`call_timeout`](crate::GraphClientBuilder::call_timeout) includes the
/// time spent signing in. With the defaults a sign-in that keeps failing
/// gives up after 4 attempts of at most 30 s and at most 300 s of waiting
/// between them; calls wait for it meanwhile, so set a `call_timeout` (or a
/// tighter [`retry`](Self::retry)) where a caller cannot wait that long.
///
/// Attached to a [`GraphClient`](crate::GraphClient), token requests go
/// through the client's HTTP stack (its connection pool, TLS, proxy and
/// connect timeout, and its user agent); used alone, through a stack of its
/// own configured the same way.
pub struct ClientCredentials {
    tenant: String,
    client_id: String,
    credential: Credential,
    /// Set by [`cloud`](Self::cloud); otherwise the attached client's.
    cloud: Option<Cloud>,
    /// Set by [`authority`](Self::authority); otherwise the cloud's.
    authority: Option<String>,
    allow_insecure_http: bool,
    /// Set by [`scope`](Self::scope); otherwise the cloud's Graph `.default`.
    scope: Option<String>,
    refresh_ahead: Duration,
    attempt_timeout: Duration,
    /// A retry policy set on this source, which a client's does not replace.
    retry: Option<RetryPolicy>,
    /// The stack token requests go through: the client's, once attached.
    stack: OnceLock<HttpStack>,
    state: Mutex<State>,
    /// A token Graph refused as expired.
    refused: RefusedToken,
    /// Completed refresh attempts, readable without waiting for the lock, so
    /// a call can tell that a refresh finished while it waited.
    refreshes: AtomicU64,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field(
                "credential",
                &match &self.credential {
                    Credential::Secret(secret) => format!("{secret:?}"),
                    Credential::Certificate(certificate) => format!("{certificate:?}"),
                },
            )
            .field("authority", &self.authority_in_use())
            .field("scope", &self.scope_in_use())
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// Signs in to `tenant` as `client_id` with a client secret, on the global cloud.
    pub fn new(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        ClientCredentials::with(
            tenant.into(),
            client_id.into(),
            Credential::Secret(ClientSecret::new(secret)),
        )
    }

    /// Signs in to `tenant` as `client_id` with a certificate (a signed client
    /// assertion), on the global cloud.
    pub fn with_certificate(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        certificate: ClientCertificate,
    ) -> Self {
        ClientCredentials::with(
            tenant.into(),
            client_id.into(),
            Credential::Certificate(certificate),
        )
    }

    fn with(tenant: String, client_id: String, credential: Credential) -> Self {
        ClientCredentials {
            tenant,
            client_id,
            credential,
            cloud: None,
            authority: None,
            allow_insecure_http: false,
            scope: None,
            refresh_ahead: Duration::from_secs(300),
            attempt_timeout: DEFAULT_SIGN_IN_ATTEMPT_TIMEOUT,
            retry: None,
            stack: OnceLock::new(),
            state: Mutex::new(State::default()),
            refused: RefusedToken::default(),
            refreshes: AtomicU64::new(0),
        }
    }

    /// Signs in with the authority and Graph scope of this cloud. Without
    /// it, the source signs in to the cloud of the client it is attached to
    /// (the global cloud when used alone).
    #[must_use]
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = Some(cloud);
        self.authority = None;
        self.scope = None;
        self
    }

    /// An explicit authority (such as a local stand-in's base URL). It must
    /// be https, or plain http to a loopback host (`127.0.0.0/8`, `::1`,
    /// `localhost`): otherwise signing in fails before anything is sent.
    #[must_use]
    pub fn authority(mut self, authority: impl Into<String>) -> Self {
        self.authority = Some(authority.into().trim_end_matches('/').to_owned());
        self
    }

    /// Accepts a plain `http://` authority on a non-loopback host: the
    /// secret then travels unencrypted. Off by default.
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// An explicit scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// How long before expiry a token is replaced (default 5 minutes). A
    /// token that lives less than this serves one call.
    #[must_use]
    pub fn refresh_ahead(mut self, ahead: Duration) -> Self {
        self.refresh_ahead = ahead;
        self
    }

    /// How long one token request may take, from sending it to the end of
    /// the answer (default [`DEFAULT_SIGN_IN_ATTEMPT_TIMEOUT`], 30 s).
    #[must_use]
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The retry policy of token requests (default: the client's, or
    /// [`RetryPolicy::default`] when used alone).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.authority_in_use(),
            self.tenant
        )
    }

    /// The cloud signed in to: this source's own, or else the cloud of the
    /// client it is attached to, or else the global cloud.
    fn cloud_in_use(&self) -> Cloud {
        self.cloud
            .or_else(|| self.stack.get().map(|stack| stack.cloud))
            .unwrap_or_default()
    }

    fn authority_in_use(&self) -> String {
        match &self.authority {
            Some(authority) => authority.clone(),
            None => self.cloud_in_use().authority().to_owned(),
        }
    }

    fn scope_in_use(&self) -> String {
        match &self.scope {
            Some(scope) => scope.clone(),
            None => format!("{}/.default", self.cloud_in_use().graph_root()),
        }
    }

    /// The stack token requests go through: the attached client's, or one
    /// of its own made on first use.
    fn stack(&self) -> Result<&HttpStack, Box<IdentityError>> {
        if let Some(stack) = self.stack.get() {
            return Ok(stack);
        }
        let own = HttpStack::standalone(RetryPolicy::default())
            .map_err(|e| Box::new(IdentityError::undescribed("client_error", e.to_string(), 0)))?;
        Ok(self.stack.get_or_init(|| own))
    }

    async fn fetch(&self) -> Result<Cached, Box<IdentityError>> {
        crate::auth::token_endpoint::check_tenant(&self.tenant)?;
        let token_url = self.token_url();
        // Checked before the form (and so the secret) is even put together.
        let url = crate::http_stack::secure_url(
            "the authority's token URL",
            &token_url,
            self.allow_insecure_http,
        )
        .map_err(|reason| Box::new(IdentityError::undescribed("insecure_authority", reason, 0)))?;
        let encode = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        let proof = match &self.credential {
            Credential::Secret(secret) => format!("client_secret={}", encode(secret.expose())),
            Credential::Certificate(certificate) => format!(
                "client_assertion_type={}&client_assertion={}",
                encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                certificate.assertion(&self.client_id, &token_url)?
            ),
        };
        let form = format!(
            "grant_type=client_credentials&client_id={}&{proof}&scope={}",
            encode(&self.client_id),
            encode(&self.scope_in_use())
        );
        let stack = self.stack()?;
        let retry_override;
        let stack = match &self.retry {
            Some(policy) => {
                retry_override = stack.with_retry(policy.clone());
                &retry_override
            }
            None => stack,
        };
        let issued = TokenEndpoint {
            url: &url,
            attempt_timeout: self.attempt_timeout,
        }
        .request(stack, &form)
        .await?;
        // A token living less than the margin serves the call that asked
        // for it, and is replaced on the next.
        let now = Instant::now();
        Ok(Cached {
            token: issued.token,
            refresh_at: now + issued.lifetime.saturating_sub(self.refresh_ahead),
            expires_at: now + issued.lifetime,
        })
    }
}

impl TokenSource for ClientCredentials {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let seen = self.refreshes.load(Ordering::SeqCst);
            let mut state = self.state.lock().await;
            if let Some(cached) = &state.cached
                && !self.refused.take_if(&cached.token)
            {
                let now = Instant::now();
                let refreshed_meanwhile = self.refreshes.load(Ordering::SeqCst) != seen;
                // Fresh enough; or a refresh finished while this call waited,
                // and its token still works: short-lived tokens are not
                // fetched once per waiting call.
                if cached.refresh_at > now || (refreshed_meanwhile && cached.expires_at > now) {
                    return Ok(cached.token.clone());
                }
            }
            // A refresh failed while this call waited: share its error rather
            // than asking again at once.
            if self.refreshes.load(Ordering::SeqCst) != seen
                && let Some(failure) = &state.last_failure
            {
                return Err(Box::new((**failure).clone()) as TokenError);
            }
            let fetched = self.fetch().await;
            self.refreshes.fetch_add(1, Ordering::SeqCst);
            match fetched {
                Ok(fresh) => {
                    let token = fresh.token.clone();
                    state.cached = Some(fresh);
                    state.last_failure = None;
                    Ok(token)
                }
                Err(error) => {
                    let error = Arc::new(*error);
                    state.last_failure = Some(error.clone());
                    Err(Box::new((*error).clone()) as TokenError)
                }
            }
        })
    }

    fn invalidate(&self, token: &AccessToken) {
        self.refused.note(token);
    }

    fn attach(&self, stack: &HttpStack) {
        // The first client to attach wins: a source shared by several
        // clients keeps the stack of the first it was given to.
        if self.stack.set(stack.clone()).is_err() {
            tracing::debug!(
                "the token source is already attached to a client's HTTP stack; it keeps that one"
            );
        }
    }
}
