//! The identity platform's side: `/{tenant}/oauth2/v2.0/token` (client
//! credentials with a secret or a certificate, the device code grant, the
//! authorization code grant with PKCE, refresh tokens),
//! `/{tenant}/oauth2/v2.0/devicecode` and `/{tenant}/oauth2/v2.0/authorize`;
//! the tokens it issued and those given to the stand-in, and the check of a
//! Graph request's bearer token against them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderValue, Method};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::lock::lock;
use crate::reply::{Failure, ReplyBody, empty_response, json_response};

/// The grant type of device code polls.
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long an authorization code can be redeemed.
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// The identity platform's state: who may sign in, and the tokens Graph accepts.
pub(crate) struct Identity {
    /// Where the stand-in listens (the device code's verification page is there).
    pub base_url: String,
    pub apps: Vec<App>,
    /// Public clients, device codes, authorization codes, refresh tokens.
    pub delegated: Delegated,
    /// The bearer tokens accepted as they are (the builder's, `accept_token`'s).
    pub tokens: Mutex<Vec<String>>,
    pub token_lifetime: Duration,
    /// Tokens issued by the sign-in endpoint, with their expiry.
    pub issued: Mutex<HashMap<String, Instant>>,
    pub token_requests: AtomicU64,
}

/// An app registration that may sign in with client credentials.
#[derive(Debug, Clone)]
pub struct App {
    pub tenant: String,
    pub client_id: String,
    pub proof: AppProof,
}

/// How a registered app proves who it is.
#[derive(Debug, Clone)]
pub enum AppProof {
    Secret(String),
    /// The certificate's public key (DER) and its SHA-1 thumbprint.
    Certificate {
        public_key: Vec<u8>,
        thumbprint: [u8; 20],
    },
}
/// A public client: an app registration that signs users in without a
/// secret (device code, authorization code with PKCE, refresh tokens).
#[derive(Debug, Clone)]
pub struct PublicClient {
    pub tenant: String,
    pub client_id: String,
}

/// How delegated sign-ins behave, and what they have issued.
#[derive(Debug)]
pub struct Delegated {
    pub public_clients: Vec<PublicClient>,
    pub device_code_interval: Duration,
    pub device_code_lifetime: Duration,
    /// A device code is approved once it has been polled this many times.
    pub approve_after: Option<u32>,
    pub state: Mutex<DelegatedState>,
}

#[derive(Debug, Default)]
pub struct DelegatedState {
    device_codes: HashMap<String, DeviceGrant>,
    codes: HashMap<String, CodeGrant>,
    refresh_tokens: HashMap<String, Grant>,
    /// How many of the next device code polls answer `slow_down`.
    pub slow_downs: u32,
    /// Whether the authorize endpoint answers that the user declined.
    pub deny_consent: bool,
}

/// Who a grant is for, and what for.
#[derive(Debug, Clone)]
struct Grant {
    tenant: String,
    client_id: String,
    scope: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Pending,
    Approved,
    Denied,
}

#[derive(Debug)]
struct DeviceGrant {
    grant: Grant,
    user_code: String,
    expires: Instant,
    polls: u32,
    decision: Decision,
}

#[derive(Debug)]
struct CodeGrant {
    grant: Grant,
    redirect_uri: String,
    challenge: String,
    expires: Instant,
}

impl Delegated {
    pub fn new(
        public_clients: Vec<PublicClient>,
        device_code_interval: Duration,
        device_code_lifetime: Duration,
        approve_after: Option<u32>,
    ) -> Delegated {
        Delegated {
            public_clients,
            device_code_interval,
            device_code_lifetime,
            approve_after,
            state: Mutex::new(DelegatedState::default()),
        }
    }

    /// Approves or denies the pending device code with this user code.
    pub fn decide(&self, user_code: &str, approve: bool) -> bool {
        let mut state = lock(&self.state);
        let Some(grant) = state
            .device_codes
            .values_mut()
            .find(|g| g.user_code == user_code && g.decision == Decision::Pending)
        else {
            return false;
        };
        grant.decision = if approve {
            Decision::Approved
        } else {
            Decision::Denied
        };
        true
    }

    /// Makes every device code issued so far expired.
    pub fn expire_device_codes(&self) {
        let now = Instant::now();
        for grant in lock(&self.state).device_codes.values_mut() {
            grant.expires = now;
        }
    }

    /// Forgets every refresh token issued so far: redeeming one gives `invalid_grant`.
    pub fn revoke_refresh_tokens(&self) -> usize {
        let mut state = lock(&self.state);
        let revoked = state.refresh_tokens.len();
        state.refresh_tokens.clear();
        revoked
    }

    fn is_public(&self, tenant: &str, client_id: &str) -> bool {
        self.public_clients
            .iter()
            .any(|c| c.tenant == tenant && c.client_id == client_id)
    }
}

/// Which identity endpoint a path names, and for which tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Token,
    DeviceCode,
    Authorize,
}

/// `/{tenant}/oauth2/v2.0/{token|devicecode|authorize}`.
fn endpoint(path: &str) -> Option<(&str, Endpoint)> {
    let rest = path.strip_prefix('/')?;
    let (tenant, tail) = rest.split_once('/')?;
    let endpoint = match tail {
        "oauth2/v2.0/token" => Endpoint::Token,
        "oauth2/v2.0/devicecode" => Endpoint::DeviceCode,
        "oauth2/v2.0/authorize" => Endpoint::Authorize,
        _ => return None,
    };
    (!tenant.is_empty()).then_some((tenant, endpoint))
}

/// The answer of an identity endpoint, or `None` when the path names none.
pub fn answer(
    shared: &Identity,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Option<hyper::Response<ReplyBody>> {
    let (tenant, endpoint) = endpoint(parts.uri.path())?;
    if endpoint == Endpoint::Token {
        shared.token_requests.fetch_add(1, Ordering::SeqCst);
    }
    let wanted = if endpoint == Endpoint::Authorize {
        Method::GET
    } else {
        Method::POST
    };
    if parts.method != wanted {
        return Some(identity_error(
            405,
            "invalid_request",
            900561,
            &format!("The endpoint only accepts {wanted} requests."),
        ));
    }
    Some(match endpoint {
        Endpoint::Token => token(shared, tenant, &parse_form(&String::from_utf8_lossy(body))),
        Endpoint::DeviceCode => {
            device_authorization(shared, tenant, &parse_form(&String::from_utf8_lossy(body)))
        }
        Endpoint::Authorize => authorize(
            shared,
            tenant,
            &parse_form(parts.uri.query().unwrap_or_default()),
        ),
    })
}

/// Whether the request's bearer token is one Graph accepts: given to the
/// builder or [`Emulator::accept_token`](crate::Emulator::accept_token), or
/// issued here and not expired; 401 `InvalidAuthenticationToken` otherwise.
pub(crate) fn check_token(shared: &Identity, parts: &http::request::Parts) -> Result<(), Failure> {
    let presented = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = presented else {
        return Err(Failure::new(
            401,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        ));
    };
    if let Some(expiry) = lock(&shared.issued).get(token) {
        return if *expiry > tokio::time::Instant::now() {
            Ok(())
        } else {
            Err(Failure::new(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            ))
        };
    }
    if lock(&shared.tokens).iter().any(|t| t == token) {
        Ok(())
    } else {
        Err(Failure::new(
            401,
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
        ))
    }
}

type Form = HashMap<String, String>;

/// An `application/x-www-form-urlencoded` body or query.
fn parse_form(text: &str) -> Form {
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

fn token(shared: &Identity, tenant: &str, form: &Form) -> hyper::Response<ReplyBody> {
    let grant_type = form
        .get("grant_type")
        .map(String::as_str)
        .unwrap_or_default();
    match grant_type {
        "client_credentials" => client_credentials(shared, tenant, form),
        DEVICE_CODE_GRANT | "authorization_code" | "refresh_token" => {
            let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
            let client_id = field("client_id");
            if !shared.delegated.is_public(tenant, client_id) {
                return unknown_client(tenant, client_id);
            }
            if form.contains_key("client_secret") || form.contains_key("client_assertion") {
                return identity_error(
                    401,
                    "invalid_client",
                    700025,
                    "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
                );
            }
            match grant_type {
                DEVICE_CODE_GRANT => device_code_grant(shared, tenant, form),
                "authorization_code" => authorization_code_grant(shared, tenant, form),
                _ => refresh_token_grant(shared, tenant, form),
            }
        }
        _ => identity_error(
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        ),
    }
}

fn unknown_client(tenant: &str, client_id: &str) -> hyper::Response<ReplyBody> {
    identity_error(
        400,
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
        ),
    )
}

fn invalid_grant(code: u64, description: &str) -> hyper::Response<ReplyBody> {
    identity_error(400, "invalid_grant", code, description)
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`: a device code for a public client.
fn device_authorization(
    shared: &Identity,
    tenant: &str,
    form: &Form,
) -> hyper::Response<ReplyBody> {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let client_id = field("client_id");
    if !shared.delegated.is_public(tenant, client_id) {
        return unknown_client(tenant, client_id);
    }
    if field("scope").trim().is_empty() {
        return identity_error(
            400,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid.",
        );
    }
    let device_code = format!("emulator-device-{}", uuid::Uuid::new_v4().simple());
    let user_code: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(9)
        .collect::<String>()
        .to_ascii_uppercase();
    let delegated = &shared.delegated;
    lock(&delegated.state).device_codes.insert(
        device_code.clone(),
        DeviceGrant {
            grant: Grant {
                tenant: tenant.to_owned(),
                client_id: client_id.to_owned(),
                scope: field("scope").to_owned(),
            },
            user_code: user_code.clone(),
            expires: Instant::now() + delegated.device_code_lifetime,
            polls: 0,
            decision: Decision::Pending,
        },
    );
    let uri = format!("{}/devicelogin", shared.base_url);
    json_response(
        200,
        &json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": uri,
            "expires_in": delegated.device_code_lifetime.as_secs(),
            "interval": delegated.device_code_interval.as_secs(),
            "message": format!("To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."),
        }),
    )
}

/// A poll for a device code: pending, slow down, expired, declined, or tokens.
fn device_code_grant(shared: &Identity, tenant: &str, form: &Form) -> hyper::Response<ReplyBody> {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let delegated = &shared.delegated;
    let mut state = lock(&delegated.state);
    if state.slow_downs > 0 {
        state.slow_downs -= 1;
        return identity_error(
            400,
            "slow_down",
            70016,
            "The client is polling too quickly and should back off.",
        );
    }
    let device_code = field("device_code");
    let Some(pending) = state.device_codes.get_mut(device_code) else {
        return invalid_grant(70000, "The provided device code is invalid.");
    };
    if pending.grant.tenant != tenant || pending.grant.client_id != field("client_id") {
        return invalid_grant(70000, "The device code was issued to another application.");
    }
    if Instant::now() >= pending.expires {
        state.device_codes.remove(device_code);
        return identity_error(
            400,
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
        );
    }
    if pending.decision == Decision::Pending
        && delegated
            .approve_after
            .is_some_and(|after| pending.polls >= after)
    {
        pending.decision = Decision::Approved;
    }
    pending.polls += 1;
    match pending.decision {
        Decision::Pending => identity_error(
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        ),
        Decision::Denied => {
            state.device_codes.remove(device_code);
            identity_error(
                400,
                "access_denied",
                65004,
                "User declined to consent to access the app.",
            )
        }
        Decision::Approved => {
            let grant = pending.grant.clone();
            state.device_codes.remove(device_code);
            issue_delegated(shared, &mut state, grant)
        }
    }
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: as if the user signed in and
/// consented (or declined, after [`DelegatedState::deny_consent`]), a redirect
/// to the loopback `redirect_uri` with `code` (or `error`) and `state`.
fn authorize(shared: &Identity, tenant: &str, query: &Form) -> hyper::Response<ReplyBody> {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let client_id = field("client_id");
    if !shared.delegated.is_public(tenant, client_id) {
        return unknown_client(tenant, client_id);
    }
    let redirect_uri = field("redirect_uri");
    if !is_loopback_redirect(redirect_uri) {
        return identity_error(
            400,
            "invalid_request",
            50011,
            &format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'."
            ),
        );
    }
    let encode = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let state_param = format!("state={}", encode(field("state")));
    let redirect_error = |error: &str, code: u64, description: &str| {
        redirect(&format!(
            "{redirect_uri}?error={error}&error_description={}&{state_param}",
            encode(&format!("AADSTS{code}: {description}"))
        ))
    };
    if field("response_type") != "code" {
        return redirect_error(
            "unsupported_response_type",
            70005,
            "The response_type is not supported.",
        );
    }
    if field("code_challenge_method") != "S256" || field("code_challenge").len() < 43 {
        return redirect_error(
            "invalid_request",
            9002325,
            "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
        );
    }
    if field("scope").trim().is_empty() {
        return redirect_error(
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid.",
        );
    }
    let mut state = lock(&shared.delegated.state);
    if state.deny_consent {
        return redirect_error(
            "access_denied",
            65004,
            "User declined to consent to access the app.",
        );
    }
    let code = format!("emulator-code-{}", uuid::Uuid::new_v4().simple());
    state.codes.insert(
        code.clone(),
        CodeGrant {
            grant: Grant {
                tenant: tenant.to_owned(),
                client_id: client_id.to_owned(),
                scope: field("scope").to_owned(),
            },
            redirect_uri: redirect_uri.to_owned(),
            challenge: field("code_challenge").to_owned(),
            expires: Instant::now() + CODE_LIFETIME,
        },
    );
    redirect(&format!(
        "{redirect_uri}?code={}&{state_param}",
        encode(&code)
    ))
}

/// `http://localhost:PORT` or `http://127.0.0.1:PORT` (a trailing `/` allowed).
fn is_loopback_redirect(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = rest.split_once(':').unwrap_or((rest, "80"));
    matches!(host, "localhost" | "127.0.0.1") && port.parse::<u16>().is_ok()
}

fn redirect(location: &str) -> hyper::Response<ReplyBody> {
    let mut response = empty_response(302);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(http::header::LOCATION, value);
    }
    response
}

/// The code redeemed once, with the redirect URI it was issued for and the
/// verifier of its challenge.
fn authorization_code_grant(
    shared: &Identity,
    tenant: &str,
    form: &Form,
) -> hyper::Response<ReplyBody> {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut state = lock(&shared.delegated.state);
    let Some(issued) = state.codes.remove(field("code")) else {
        return invalid_grant(
            70008,
            "The provided authorization code or refresh token has expired due to inactivity, or was already redeemed.",
        );
    };
    if Instant::now() >= issued.expires {
        return invalid_grant(70008, "The provided authorization code has expired.");
    }
    if issued.grant.tenant != tenant || issued.grant.client_id != field("client_id") {
        return invalid_grant(70000, "The code was issued to another application.");
    }
    if issued.redirect_uri != field("redirect_uri") {
        return invalid_grant(
            50011,
            "The redirect URI does not match the one the authorization code was issued for.",
        );
    }
    let verifier = field("code_verifier");
    let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    if verifier.is_empty() || challenge != issued.challenge {
        return invalid_grant(
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        );
    }
    issue_delegated(shared, &mut state, issued.grant)
}

/// A refresh token redeemed once: it is replaced by the one issued with the
/// new access token.
fn refresh_token_grant(shared: &Identity, tenant: &str, form: &Form) -> hyper::Response<ReplyBody> {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut state = lock(&shared.delegated.state);
    let Some(mut grant) = state.refresh_tokens.remove(field("refresh_token")) else {
        return invalid_grant(
            70008,
            "The refresh token has expired, was revoked, or was already redeemed.",
        );
    };
    if grant.tenant != tenant || grant.client_id != field("client_id") {
        return invalid_grant(
            70000,
            "The refresh token was issued to another application.",
        );
    }
    if !field("scope").trim().is_empty() {
        grant.scope = field("scope").to_owned();
    }
    issue_delegated(shared, &mut state, grant)
}

/// An access token accepted by the Graph endpoints until it expires.
fn issue_access_token(shared: &Identity) -> String {
    let token = format!("emulator-issued-{}", uuid::Uuid::new_v4().simple());
    lock(&shared.issued).insert(token.clone(), Instant::now() + shared.token_lifetime);
    token
}

/// An access token, and a refresh token when `offline_access` was asked for.
fn issue_delegated(
    shared: &Identity,
    state: &mut DelegatedState,
    grant: Grant,
) -> hyper::Response<ReplyBody> {
    let token = issue_access_token(shared);
    let lifetime = shared.token_lifetime.as_secs();
    let mut answer = json!({
        "token_type": "Bearer",
        "scope": grant.scope,
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    });
    if grant.scope.split(' ').any(|s| s == "offline_access") {
        let refresh = format!("emulator-refresh-{}", uuid::Uuid::new_v4().simple());
        answer["refresh_token"] = Value::String(refresh.clone());
        state.refresh_tokens.insert(refresh, grant);
    }
    json_response(200, &answer)
}

/// The identity platform's error format.
fn identity_error(
    status: u16,
    error: &str,
    code: u64,
    description: &str,
) -> hyper::Response<ReplyBody> {
    json_response(
        status,
        &json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description}"),
            "error_codes": [code],
            "timestamp": crate::reply::now(),
            "trace_id": uuid::Uuid::new_v4().to_string(),
            "correlation_id": uuid::Uuid::new_v4().to_string(),
        }),
    )
}

/// Client credentials sign-in: checks the app and its secret, issues a token with an expiry.
fn client_credentials(shared: &Identity, tenant: &str, form: &Form) -> hyper::Response<ReplyBody> {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let Some(app) = shared
        .apps
        .iter()
        .find(|a| a.tenant == tenant && a.client_id == field("client_id"))
    else {
        return identity_error(
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory '{tenant}'.",
                field("client_id")
            ),
        );
    };
    let audience = format!("{}/{tenant}/oauth2/v2.0/token", shared.base_url);
    match &app.proof {
        AppProof::Secret(secret) => {
            if secret != field("client_secret") {
                return identity_error(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided.",
                );
            }
        }
        AppProof::Certificate {
            public_key,
            thumbprint,
        } => {
            if field("client_assertion_type")
                != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            {
                return identity_error(
                    401,
                    "invalid_client",
                    7000218,
                    "The request body must contain the parameter 'client_assertion' or 'client_secret'.",
                );
            }
            if let Err((code, why)) = check_assertion(
                field("client_assertion"),
                &app.client_id,
                &audience,
                public_key,
                thumbprint,
            ) {
                return identity_error(401, "invalid_client", code, why);
            }
        }
    }
    if !field("scope").ends_with("/.default") {
        return identity_error(
            400,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid.",
        );
    }
    let token = issue_access_token(shared);
    let lifetime = shared.token_lifetime.as_secs();
    json_response(
        200,
        &json!({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}),
    )
}

/// Checks a client assertion: an RS256 JWT signed by the registered key, for
/// this app, this token endpoint, within its validity.
fn check_assertion(
    assertion: &str,
    client_id: &str,
    audience: &str,
    public_key: &[u8],
    thumbprint: &[u8; 20],
) -> Result<(), (u64, &'static str)> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let malformed = (700025, "Client assertion is not a valid JWT.");
    let mut parts = assertion.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed);
    let header: Value = serde_json::from_slice(&decode(header)?).map_err(|_| malformed)?;
    let claims_json: Value = serde_json::from_slice(&decode(claims)?).map_err(|_| malformed)?;
    if header["alg"] != "RS256" {
        return Err((700025, "Client assertion must be signed with RS256."));
    }
    if header["x5t"].as_str() != Some(URL_SAFE_NO_PAD.encode(thumbprint).as_str()) {
        return Err((
            700027,
            "The certificate with the thumbprint in 'x5t' is not registered for the app.",
        ));
    }
    let signed = &assertion[..assertion.len() - signature.len() - 1];
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        public_key,
    )
    .verify(signed.as_bytes(), &decode(signature)?)
    .map_err(|_| (700027, "Client assertion contains an invalid signature."))?;
    if claims_json["iss"] != client_id || claims_json["sub"] != client_id {
        return Err((
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    if claims_json["aud"] != audience {
        return Err((
            700212,
            "The audience of the client assertion is not this token endpoint.",
        ));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let within = claims_json["nbf"]
        .as_u64()
        .is_some_and(|nbf| nbf <= now + 300)
        && claims_json["exp"].as_u64().is_some_and(|exp| exp > now);
    if !within {
        return Err((
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    Ok(())
}
