//! Signing in as an app registration: OAuth 2.0 client credentials against
//! the Microsoft identity platform, with a cached token refreshed ahead of
//! expiry and a single refresh in flight however many calls wait for it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_lc_rs::signature::RsaKeyPair;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::{AccessToken, Cloud, Error, TokenError, TokenFuture, TokenSource};

/// A client secret. Its `Debug` and `Display` are redacted.
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
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// The identity platform's own error: `error`, `error_description`,
/// `error_codes` (`AADSTS…` numbers), `trace_id`, `correlation_id`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, thiserror::Error)]
#[error("sign-in failed: {error}: {error_description}")]
#[non_exhaustive]
pub struct IdentityError {
    /// The OAuth error, such as `invalid_client`.
    pub error: String,
    /// The explanation, with the `AADSTS` code.
    #[serde(default)]
    pub error_description: String,
    /// The numeric `AADSTS` codes.
    #[serde(default)]
    pub error_codes: Vec<u64>,
    /// The identity platform's trace id, for support.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// The correlation id, for support.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// The HTTP status of the answer.
    #[serde(skip)]
    pub status: u16,
}

impl IdentityError {
    /// A failure the identity platform did not describe itself: on this
    /// side, in transport, or an answer that is not its error format.
    fn undescribed(error: &str, description: String, status: u16) -> IdentityError {
        IdentityError {
            error: error.to_owned(),
            error_description: description,
            error_codes: Vec::new(),
            trace_id: None,
            correlation_id: None,
            status,
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

struct Cached {
    token: AccessToken,
    expires_at: Instant,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// The failure of the last refresh, handed to the calls that waited for it.
    last_failure: Option<Arc<IdentityError>>,
}

/// A certificate's private key and the SHA-1 thumbprint of the certificate,
/// for signed client assertions. Its `Debug` is redacted.
///
/// ```no_run
/// use graph_endpoint::{ClientCertificate, ClientCredentials};
///
/// let key = std::fs::read_to_string("app.key.pem").unwrap();   // PKCS#8 or PKCS#1 RSA key
/// let cert = std::fs::read_to_string("app.cert.pem").unwrap(); // the certificate uploaded to the app
/// let certificate = ClientCertificate::from_pem(&key, &cert).unwrap();
/// let sign_in = ClientCredentials::with_certificate("contoso.onmicrosoft.com", "app-id", certificate);
/// # drop(sign_in);
/// ```
pub struct ClientCertificate {
    key: RsaKeyPair,
    thumbprint: [u8; 20],
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ClientCertificate(x5t {}, key <redacted>)",
            URL_SAFE_NO_PAD.encode(self.thumbprint)
        )
    }
}

impl ClientCertificate {
    /// From an RSA private key (PKCS#8 or PKCS#1 DER) and the SHA-1 thumbprint
    /// of its certificate, as the Azure portal shows it.
    pub fn from_key_and_thumbprint(
        key_der: &[u8],
        sha1_thumbprint: [u8; 20],
    ) -> Result<Self, Error> {
        let key = RsaKeyPair::from_pkcs8(key_der)
            .or_else(|_| RsaKeyPair::from_der(key_der))
            .map_err(|e| {
                Error::Config(format!(
                    "the certificate's private key is not an RSA key: {e}"
                ))
            })?;
        Ok(ClientCertificate {
            key,
            thumbprint: sha1_thumbprint,
        })
    }

    /// From an RSA private key (PKCS#8 or PKCS#1 DER) and the certificate (DER).
    pub fn from_der(key_der: &[u8], certificate_der: &[u8]) -> Result<Self, Error> {
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            certificate_der,
        );
        let mut thumbprint = [0u8; 20];
        thumbprint.copy_from_slice(digest.as_ref());
        ClientCertificate::from_key_and_thumbprint(key_der, thumbprint)
    }

    /// From PEM text: a `PRIVATE KEY` or `RSA PRIVATE KEY` block and a `CERTIFICATE` block.
    pub fn from_pem(key_pem: &str, certificate_pem: &str) -> Result<Self, Error> {
        let key = pem_block(key_pem, &["PRIVATE KEY", "RSA PRIVATE KEY"])?;
        let certificate = pem_block(certificate_pem, &["CERTIFICATE"])?;
        ClientCertificate::from_der(&key, &certificate)
    }

    /// The signed JWT the identity platform accepts as proof of the app.
    fn assertion(&self, client_id: &str, audience: &str) -> Result<String, Box<IdentityError>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": URL_SAFE_NO_PAD.encode(self.thumbprint)});
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| {
                Box::new(IdentityError::undescribed(
                    "client_error",
                    "the client assertion could not be signed".to_owned(),
                    0,
                ))
            })?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// The first PEM block with one of these labels, decoded.
fn pem_block(pem: &str, labels: &[&str]) -> Result<Vec<u8>, Error> {
    for label in labels {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        if let Some(start) = pem.find(&begin) {
            let body = &pem[start + begin.len()..];
            let stop = body
                .find(&end)
                .ok_or_else(|| Error::Config(format!("the PEM block `{label}` is not closed")))?;
            let text: String = body[..stop]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            return base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| Error::Config(format!("the PEM block `{label}` is not base64: {e}")));
        }
    }
    Err(Error::Config(format!(
        "no PEM block labelled {}",
        labels.join(" or ")
    )))
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
pub struct ClientCredentials {
    tenant: String,
    client_id: String,
    credential: Credential,
    authority: String,
    scope: String,
    refresh_ahead: Duration,
    http: reqwest::Client,
    state: Mutex<State>,
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
            .field("authority", &self.authority)
            .field("scope", &self.scope)
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
            authority: Cloud::Global.authority().to_owned(),
            scope: format!("{}/.default", Cloud::Global.graph_root()),
            refresh_ahead: Duration::from_secs(300),
            http: reqwest::Client::new(),
            state: Mutex::new(State::default()),
            refreshes: AtomicU64::new(0),
        }
    }

    /// Signs in with the authority and Graph scope of this cloud.
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.authority = cloud.authority().to_owned();
        self.scope = format!("{}/.default", cloud.graph_root());
        self
    }

    /// An explicit authority (such as a local stand-in's base URL).
    pub fn authority(mut self, authority: impl Into<String>) -> Self {
        self.authority = authority.into().trim_end_matches('/').to_owned();
        self
    }

    /// An explicit scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// How long before expiry a token is replaced (default 5 minutes).
    pub fn refresh_ahead(mut self, ahead: Duration) -> Self {
        self.refresh_ahead = ahead;
        self
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority, self.tenant)
    }

    async fn fetch(&self) -> Result<Cached, Box<IdentityError>> {
        let encode = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        let proof = match &self.credential {
            Credential::Secret(secret) => format!("client_secret={}", encode(&secret.0)),
            Credential::Certificate(certificate) => format!(
                "client_assertion_type={}&client_assertion={}",
                encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                certificate.assertion(&self.client_id, &self.token_url())?
            ),
        };
        let form = format!(
            "grant_type=client_credentials&client_id={}&{proof}&scope={}",
            encode(&self.client_id),
            encode(&self.scope)
        );
        let transport = |e: reqwest::Error| {
            Box::new(IdentityError::undescribed(
                "transport",
                format!("the token endpoint could not be reached: {e}"),
                0,
            ))
        };
        let response = self
            .http
            .post(self.token_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(transport)?;
        if status == 200 {
            let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
                IdentityError::undescribed(
                    "invalid_response",
                    format!("the token response does not parse: {e}"),
                    status,
                )
            })?;
            return Ok(Cached {
                token: AccessToken::new(parsed.access_token),
                expires_at: Instant::now() + Duration::from_secs(parsed.expires_in),
            });
        }
        let mut error: IdentityError = serde_json::from_slice(&body).unwrap_or_else(|_| {
            IdentityError::undescribed(
                "unexpected_response",
                format!("the token endpoint answered {status} without an error body"),
                status,
            )
        });
        error.status = status;
        Err(Box::new(error))
    }
}

impl TokenSource for ClientCredentials {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let seen = self.refreshes.load(Ordering::SeqCst);
            let mut state = self.state.lock().await;
            if let Some(cached) = &state.cached
                && cached.expires_at > Instant::now() + self.refresh_ahead
            {
                return Ok(cached.token.clone());
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
        if let Ok(mut state) = self.state.try_lock()
            && state.cached.as_ref().is_some_and(|c| &c.token == token)
        {
            state.cached = None;
        }
    }
}
