//! The device code flow (RFC 8628): the usual sign-in of a command-line
//! tool. The user opens a page on any device and enters a short code while
//! the tool polls the token endpoint.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::auth::delegated::{Context, Interactive, Session, Settings, SignInFuture, encode};
use crate::auth::secret::{AccessToken, SecretString};
use crate::auth::token_endpoint::{Issued, describe_json_error};
use crate::auth::{TokenFuture, TokenSource};
use crate::error::identity::IdentityError;
use crate::http_stack::HttpStack;

/// The grant type of the token requests that poll for a device code.
///
/// ```
/// assert_eq!(graph_endpoint::DEVICE_CODE_GRANT, "urn:ietf:params:oauth:grant-type:device_code");
/// ```
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long between polls when the endpoint does not say (RFC 8628: 5 s).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// The bounds of an interval the endpoint asks for.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// How much each `slow_down` adds to the interval (RFC 8628, section 3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The longest a device code is waited for, whatever `expires_in` says.
const MAX_DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// What the user is to be told: where to go and which code to enter.
///
/// ```
/// use graph_endpoint::DeviceCode;
///
/// let sign_in = DeviceCode::new("contoso.onmicrosoft.com", "app-id").on_prompt(|prompt| {
///     eprintln!("Open {} and enter {}", prompt.verification_uri, prompt.user_code);
/// });
/// # drop(sign_in);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCodePrompt {
    /// The code the user enters, such as `FGH7KQ2PL`.
    pub user_code: String,
    /// The page where the user enters it, such as `https://microsoft.com/devicelogin`.
    pub verification_uri: String,
    /// The identity platform's own sentence for the user, in its language.
    pub message: String,
    /// How long the code can be used.
    pub expires_in: Duration,
}

type Prompt = Arc<dyn Fn(&DeviceCodePrompt) + Send + Sync>;

/// Signs a user (an Intune administrator) in with the device code flow, as a
/// public client (no secret), and keeps them signed in with the refresh
/// token.
///
/// ```
/// use graph_endpoint::{DeviceCode, GraphClient, TokenCache};
///
/// let sign_in = DeviceCode::new("contoso.onmicrosoft.com", "04b07795-8ddb-461a-bbee-02f9e1bf7b46")
///     .scopes(["DeviceManagementConfiguration.ReadWrite.All"])
///     .cache(TokenCache::new(std::env::temp_dir().join("graph-endpoint-doc")));
/// assert_eq!(
///     sign_in.scope_parameter(),
///     "https://graph.microsoft.com/DeviceManagementConfiguration.ReadWrite.All offline_access"
/// );
/// let graph = GraphClient::builder().token_source(sign_in).build().unwrap();
/// # drop(graph);
/// ```
///
/// On the first call that needs a token (when no cached one serves):
/// 1. `POST {authority}/{tenant}/oauth2/v2.0/devicecode` with `client_id`
///    and `scope`;
/// 2. the user code and the page are handed to the
///    [`on_prompt`](Self::on_prompt) callback (by default printed on
///    standard error);
/// 3. `POST .../token` with `grant_type=`[`DEVICE_CODE_GRANT`],
///    `client_id` and `device_code`, every `interval` seconds (5 when the
///    endpoint does not say; kept within 1 to 60): `authorization_pending`
///    polls again, `slow_down` adds 5 seconds to the interval for good, and
///    anything else ends the sign-in with the identity platform's error
///    (`access_denied` when the user declined, `expired_token` when the
///    code expired). Polling stops when the code's `expires_in` has passed
///    (at most 30 minutes), with `expired_token`.
///
/// Later, the refresh token is redeemed before the access token expires, and
/// the one that comes back replaces it. A refresh token the identity platform
/// refuses (`invalid_grant`: revoked, expired) leads to a new interactive
/// sign-in only when [`interactive`](Self::interactive) allows it.
///
/// Every request goes through [`IdentityError`]'s rules: https or loopback
/// http only, never a redirect followed, 64 KiB answers, attempt timeouts and
/// the retry policy. The device code and the refresh token are redacted in
/// `Debug` and never logged.
pub struct DeviceCode {
    session: Session,
    prompt: Prompt,
}

impl fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCode")
            .field("settings", &self.session.settings)
            .finish_non_exhaustive()
    }
}

impl DeviceCode {
    /// Signs in to `tenant` with the public client app `client_id`, on the
    /// global cloud.
    ///
    /// ```
    /// use graph_endpoint::DeviceCode;
    /// let sign_in = DeviceCode::new("contoso", "app-id");
    /// assert_eq!(sign_in.token_url(), "https://login.microsoftonline.com/contoso/oauth2/v2.0/token");
    /// ```
    pub fn new(tenant: impl Into<String>, client_id: impl Into<String>) -> Self {
        DeviceCode {
            session: Session::new(Settings::new(tenant.into(), client_id.into())),
            prompt: Arc::new(|prompt: &DeviceCodePrompt| {
                if prompt.message.is_empty() {
                    eprintln!(
                        "To sign in, open {} and enter the code {}",
                        prompt.verification_uri, prompt.user_code
                    );
                } else {
                    eprintln!("{}", prompt.message);
                }
            }),
        }
    }

    /// Tells the user where to go and what to enter (default: printed on
    /// standard error). Called once per interactive sign-in, before polling.
    ///
    /// ```
    /// use graph_endpoint::DeviceCode;
    /// let sign_in = DeviceCode::new("contoso", "app-id")
    ///     .on_prompt(|p| println!("Go to {} and type {}", p.verification_uri, p.user_code));
    /// # drop(sign_in);
    /// ```
    #[must_use]
    pub fn on_prompt(mut self, prompt: impl Fn(&DeviceCodePrompt) + Send + Sync + 'static) -> Self {
        self.prompt = Arc::new(prompt);
        self
    }

    /// The device authorization endpoint.
    ///
    /// ```
    /// use graph_endpoint::{Cloud, DeviceCode};
    /// let sign_in = DeviceCode::new("contoso", "app-id").cloud(Cloud::UsGovL4);
    /// assert_eq!(sign_in.device_code_url(), "https://login.microsoftonline.us/contoso/oauth2/v2.0/devicecode");
    /// ```
    pub fn device_code_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/devicecode",
            self.session.settings.authority(),
            self.session.settings.tenant
        )
    }
}

crate::auth::delegated::delegated_settings!(DeviceCode);

#[derive(Deserialize)]
struct DeviceAuthorization {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    interval: Option<Value>,
    #[serde(default)]
    message: Option<String>,
}

struct Flow<'a> {
    prompt: &'a Prompt,
}

impl Interactive for Flow<'_> {
    fn sign_in<'a>(&'a self, context: &'a Context<'a>) -> SignInFuture<'a> {
        Box::pin(async move {
            let settings = context.settings;
            let authorize = settings.url("devicecode")?;
            let token_url = settings.url("token")?;
            let body = context
                .post(
                    &authorize,
                    &format!(
                        "client_id={}&scope={}",
                        encode(&settings.client_id),
                        encode(&settings.scope())
                    ),
                )
                .await?;
            let invalid = |reason: String| {
                Box::new(IdentityError::undescribed(
                    "invalid_response",
                    format!("the device code response {reason}"),
                    200,
                ))
            };
            let answer: DeviceAuthorization = serde_json::from_slice(&body)
                .map_err(|e| invalid(format!("does not parse: {}", describe_json_error(&e))))?;
            if answer.device_code.is_empty() || answer.user_code.is_empty() {
                return Err(invalid(
                    "holds an empty device_code or user_code".to_owned(),
                ));
            }
            let device_code = SecretString::new(answer.device_code);
            let expires_in = crate::auth::token_endpoint::lifetime(answer.expires_in.as_ref())
                .map_err(invalid)?
                .min(MAX_DEVICE_CODE_LIFETIME);
            let mut interval = match answer.interval.as_ref() {
                None | Some(Value::Null) => DEFAULT_INTERVAL,
                Some(given) => crate::auth::token_endpoint::lifetime(Some(given))
                    .map_err(|why| invalid(why.replace("expires_in", "interval")))?,
            }
            .clamp(MIN_INTERVAL, MAX_INTERVAL);
            (self.prompt)(&DeviceCodePrompt {
                user_code: answer.user_code,
                verification_uri: answer.verification_uri.clone(),
                message: answer.message.unwrap_or_default(),
                expires_in,
            });
            let deadline = tokio::time::Instant::now() + expires_in;
            let form = format!(
                "grant_type={}&client_id={}&device_code={}",
                encode(DEVICE_CODE_GRANT),
                encode(&settings.client_id),
                encode(device_code.expose())
            );
            loop {
                tokio::time::sleep_until((tokio::time::Instant::now() + interval).min(deadline))
                    .await;
                if tokio::time::Instant::now() >= deadline {
                    return Err(Box::new(IdentityError::undescribed(
                        "expired_token",
                        format!(
                            "the device code expired after {} s before the sign-in at {} was completed; sign in again",
                            expires_in.as_secs(),
                            crate::error::quoted::Clipped(&answer.verification_uri)
                        ),
                        0,
                    )));
                }
                match context.token(&token_url, &form).await {
                    Ok(issued) => return Ok::<Issued, _>(issued),
                    Err(error) if error.error == "authorization_pending" => {}
                    Err(error) if error.error == "slow_down" => {
                        interval = (interval + SLOW_DOWN_STEP).min(MAX_INTERVAL);
                        tracing::debug!(
                            interval_s = interval.as_secs(),
                            "the token endpoint asked to poll more slowly"
                        );
                    }
                    Err(error) => return Err(error),
                }
            }
        })
    }
}

impl TokenSource for DeviceCode {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let flow = Flow {
                prompt: &self.prompt,
            };
            self.session.token(&flow).await
        })
    }

    fn invalidate(&self, token: &AccessToken) {
        self.session.invalidate(token);
    }

    fn attach(&self, stack: &HttpStack) {
        self.session.attach(stack);
    }
}
