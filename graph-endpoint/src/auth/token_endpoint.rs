//! Asking the identity platform's token endpoint for a token: one form POST,
//! with bounded time, size and retries, that never follows a redirect; its
//! answer read into a token, or into the identity platform's own error
//! ([`IdentityError`](crate::IdentityError)).

use std::time::Duration;

use bytes::BytesMut;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::secret::{AccessToken, SecretString};
use crate::error::identity::IdentityError;
use crate::error::quoted::Clipped;
use crate::http_stack::HttpStack;

/// The largest token endpoint answer read: a token answer is a few KB, and
/// an endpoint that sends more is not one to trust with memory.
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// How long a token whose answer states no `expires_in` is taken to live:
/// the identity platform's default access-token lifetime is 60 to 90 minutes.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The longest lifetime believed: the identity platform issues no access
/// token for longer than a day, and a larger `expires_in` is cut to this.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Refuses a tenant that is not one path segment of a tenant's name: a
/// GUID, a domain, or `common`/`organizations`. A tenant taken from user
/// input cannot add a query, a fragment or segments to the token URL.
pub(crate) fn check_tenant(tenant: &str) -> Result<(), Box<IdentityError>> {
    let plain = !tenant.is_empty()
        && tenant.len() <= 256
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && !matches!(tenant, "." | "..");
    if plain {
        return Ok(());
    }
    Err(Box::new(IdentityError::undescribed(
        "invalid_tenant",
        format!(
            "the tenant `{}` is not a tenant id or domain (letters, digits, `.`, `-`, `_`)",
            Clipped(tenant)
        ),
        0,
    )))
}

/// A token the endpoint issued, how long it is said to live, and the
/// refresh token that came with it (delegated grants with `offline_access`).
pub(crate) struct Issued {
    pub(crate) token: AccessToken,
    pub(crate) lifetime: Duration,
    pub(crate) refresh_token: Option<SecretString>,
}

/// How to ask: where, how long one attempt may take.
pub(crate) struct TokenEndpoint<'a> {
    pub(crate) url: &'a reqwest::Url,
    pub(crate) attempt_timeout: Duration,
}

/// Why one attempt did not give an answer to act on.
enum Failure {
    /// Worth another attempt, under the retry policy: a transport failure, a
    /// timeout, 429 or 5xx. The wait the answer asked for comes with it.
    Transient {
        error: Box<IdentityError>,
        headers: Option<Box<http::HeaderMap>>,
    },
    /// Final: asking again cannot help.
    Final(Box<IdentityError>),
}

impl TokenEndpoint<'_> {
    /// Posts `form` until an answer settles it, under the stack's retry
    /// policy: 429 and 5xx answers (honouring `Retry-After`), timeouts and
    /// transport failures are tried again; a token request has no effect to
    /// repeat, so every failure short of an answer is safe to retry.
    ///
    /// An answer of the identity platform's error format is final and
    /// returned as it is: a caller that polls (the device code grant) reads
    /// `authorization_pending` and `slow_down` from it.
    pub(crate) async fn request(
        &self,
        stack: &HttpStack,
        form: &str,
    ) -> Result<Issued, Box<IdentityError>> {
        let (body, attempts) = self.post(stack, form).await?;
        token(&body).map_err(|mut error| {
            error.attempts = attempts;
            error
        })
    }

    /// Posts `form` as [`request`](Self::request) does, and returns the body
    /// of the 200 answer (at most [`MAX_TOKEN_RESPONSE_BYTES`]) with the
    /// number of attempts it took: for endpoints that answer something other
    /// than a token, such as the device code endpoint.
    pub(crate) async fn post(
        &self,
        stack: &HttpStack,
        form: &str,
    ) -> Result<(BytesMut, u32), Box<IdentityError>> {
        let policy = &stack.retry;
        let mut waited = Duration::ZERO;
        let mut number: u32 = 1;
        loop {
            let failure = match self.attempt(stack, form).await {
                Ok(body) => return Ok((body, number)),
                Err(Failure::Final(mut error)) => {
                    error.attempts = number;
                    return Err(error);
                }
                Err(Failure::Transient { error, headers }) => (error, headers),
            };
            let (mut error, headers) = failure;
            let wait = policy.wait_for(number, headers.as_deref());
            if !policy.allows(number, waited, wait) {
                error.attempts = number;
                return Err(error);
            }
            tracing::debug!(
                attempt = number,
                wait_ms = wait.as_millis() as u64,
                error = %error.error,
                "token request failed; trying again"
            );
            tokio::time::sleep(wait).await;
            waited += wait;
            number += 1;
        }
    }

    async fn attempt(&self, stack: &HttpStack, form: &str) -> Result<BytesMut, Failure> {
        // A plain-http token endpoint (a local stand-in) is never reached
        // through a proxy, which would carry the secret off this machine.
        let client = stack.client_for(self.url).map_err(|e| {
            Failure::Final(Box::new(IdentityError::undescribed(
                "client_error",
                e.to_string(),
                0,
            )))
        })?;
        let exchange = async {
            let response = client
                .post(self.url.clone())
                .header(http::header::ACCEPT, "application/json")
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .header(http::header::CONTENT_LENGTH, form.len())
                .body(one_shot(form))
                .send()
                .await
                .map_err(|e| transport(&e))?;
            let status = response.status().as_u16();
            if response.status().is_redirection() {
                return Err(Failure::Final(Box::new(redirected(&response, status))));
            }
            if response.url() != self.url {
                // A client given by the caller that follows redirects itself.
                return Err(Failure::Final(Box::new(IdentityError::undescribed(
                    "unexpected_redirect",
                    format!(
                        "the HTTP client followed a redirect from the token endpoint to {}; build it with `.redirect(reqwest::redirect::Policy::none())`",
                        host_port(response.url())
                    ),
                    status,
                ))));
            }
            let headers = response.headers().clone();
            let body = read_capped(response).await?;
            answer(status, headers, body)
        };
        match tokio::time::timeout(self.attempt_timeout, exchange).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure::Transient {
                error: Box::new(IdentityError::undescribed(
                    "timeout",
                    format!(
                        "the token endpoint {} did not answer within {} ms",
                        host_port(self.url),
                        self.attempt_timeout.as_millis()
                    ),
                    0,
                )),
                headers: None,
            }),
        }
    }
}

/// The form as a body that can be sent once only: an HTTP client given by
/// the caller that follows redirects by itself cannot re-send it (and the
/// secret in it) to where a 307 or 308 points; it hands the redirect back,
/// which is refused.
fn one_shot(form: &str) -> reqwest::Body {
    let form = bytes::Bytes::from(form.to_owned());
    reqwest::Body::wrap_stream(futures_util::stream::once(async move {
        Ok::<_, std::convert::Infallible>(form)
    }))
}

/// `host:port` of a URL, for messages: never its path or query.
fn host_port(url: &reqwest::Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or("?"),
        url.port_or_known_default().unwrap_or(0)
    )
}

fn transport(error: &reqwest::Error) -> Failure {
    Failure::Transient {
        error: Box::new(IdentityError::undescribed(
            "transport",
            format!(
                "the token endpoint could not be reached: {}",
                crate::error::transport::describe(error)
            ),
            0,
        )),
        headers: None,
    }
}

/// A token endpoint does not redirect: one that does is misconfigured or
/// hostile, and following it would post the secret to wherever it points.
fn redirected(response: &reqwest::Response, status: u16) -> IdentityError {
    let to = response
        .headers()
        .get(http::header::LOCATION)
        .map(|location| {
            match location
                .to_str()
                .ok()
                .and_then(|l| response.url().join(l).ok())
            {
                Some(target) => format!("to {}", host_port(&target)),
                None => "to an unreadable Location".to_owned(),
            }
        })
        .unwrap_or_else(|| "without a Location".to_owned());
    IdentityError::undescribed(
        "unexpected_redirect",
        format!(
            "the token endpoint answered {status}, a redirect {to}; a token request never follows a redirect (check the authority)"
        ),
        status,
    )
}

/// Reads the answer, refusing one over [`MAX_TOKEN_RESPONSE_BYTES`] as soon
/// as it is known to be larger, so that memory stays bounded.
async fn read_capped(mut response: reqwest::Response) -> Result<BytesMut, Failure> {
    let status = response.status().as_u16();
    let too_large = || {
        Failure::Final(Box::new(IdentityError::undescribed(
            "response_too_large",
            format!(
                "the token endpoint's answer is larger than {MAX_TOKEN_RESPONSE_BYTES} bytes; a token answer is a few KB"
            ),
            status,
        )))
    };
    if response
        .content_length()
        .is_some_and(|len| len > MAX_TOKEN_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e))? {
        if body.len() + chunk.len() > MAX_TOKEN_RESPONSE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// Reads a 200 answer of the token endpoint.
fn token(body: &[u8]) -> Result<Issued, Box<IdentityError>> {
    let invalid = |reason: String| {
        Box::new(IdentityError::undescribed(
            "invalid_response",
            format!("the token response {reason}"),
            200,
        ))
    };
    // serde's message names the place of the fault, never the value: a
    // token must not end up in an error.
    let parsed: TokenAnswer = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("does not parse: {}", describe_json_error(&e))))?;
    if parsed.access_token.is_empty() {
        return Err(invalid("holds an empty access_token".to_owned()));
    }
    // A bearer token is visible ASCII (RFC 6750's b64token and more): one
    // that is not could never be sent, and is not kept to fail every call.
    if !parsed.access_token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "holds an access_token with characters a bearer token cannot have".to_owned(),
        ));
    }
    let lifetime = lifetime(parsed.expires_in.as_ref()).map_err(invalid)?;
    Ok(Issued {
        token: AccessToken::new(parsed.access_token),
        lifetime,
        refresh_token: parsed
            .refresh_token
            .filter(|r| !r.is_empty())
            .map(SecretString::new),
    })
}

/// A JSON error by kind and place only: serde's own message may quote the
/// value it could not read, and in a token answer that value is a secret.
pub(crate) fn describe_json_error(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "JSON of another shape",
        serde_json::error::Category::Eof => "cut off",
    };
    format!("{kind} (line {}, column {})", error.line(), error.column())
}

/// What an answer means: the body of a 200, the platform's error, or
/// something to retry.
fn answer(status: u16, headers: http::HeaderMap, body: BytesMut) -> Result<BytesMut, Failure> {
    if status == 200 {
        return Ok(body);
    }
    let mut error: Box<IdentityError> = serde_json::from_slice(&body).unwrap_or_else(|_| {
        Box::new(IdentityError::undescribed(
            "unexpected_response",
            format!("the token endpoint answered {status} without an error body"),
            status,
        ))
    });
    error.status = status;
    // The statuses the client retries for Graph too (429, 503, 504): one
    // definition of what asking again may fix.
    if crate::http_stack::retry::RetryPolicy::retries_status(
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY),
    ) {
        Err(Failure::Transient {
            error,
            headers: Some(Box::new(headers)),
        })
    } else {
        Err(Failure::Final(error))
    }
}

/// The lifetime an `expires_in` states, in whole seconds:
/// - a positive integer, or a string holding one (older endpoints send
///   `"3599"`), or a positive number with a fraction (cut to whole seconds);
/// - cut to [`MAX_TOKEN_LIFETIME`] when larger;
/// - absent: [`DEFAULT_TOKEN_LIFETIME`];
/// - zero: a token that expires now, used for the call that asked for it
///   and replaced on the next;
/// - negative, or anything that is not a number: refused, since its
///   lifetime is unknown.
pub(crate) fn lifetime(expires_in: Option<&Value>) -> Result<Duration, String> {
    let seconds: f64 = match expires_in {
        None | Some(Value::Null) => return Ok(DEFAULT_TOKEN_LIFETIME),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(whole), _) => whole as f64,
            (None, Some(f)) => f,
            (None, None) => return Err(format!("has an unreadable expires_in {n}")),
        },
        Some(Value::String(text)) => text.trim().parse::<f64>().map_err(|_| {
            format!(
                "has an expires_in that is not a number: {:?}",
                Clipped(text).to_string()
            )
        })?,
        Some(other) => {
            return Err(format!(
                "has an expires_in that is not a number: {}",
                Clipped(&other.to_string())
            ));
        }
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!(
            "has expires_in {seconds}: a lifetime is a finite number of seconds, not negative"
        ));
    }
    let max = MAX_TOKEN_LIFETIME.as_secs() as f64;
    Ok(Duration::from_secs(seconds.min(max).trunc() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_form_of_expires_in_has_an_outcome() {
        let secs = |v: Value| lifetime(Some(&v)).map(|d| d.as_secs());
        assert_eq!(secs(json!(3599)), Ok(3599));
        assert_eq!(secs(json!("3599")), Ok(3599));
        assert_eq!(secs(json!(3599.9)), Ok(3599));
        assert_eq!(secs(json!(18446744073709551615u64)), Ok(86400));
        assert_eq!(secs(json!(1e300)), Ok(86400));
        assert_eq!(secs(json!(0)), Ok(0));
        assert_eq!(secs(json!(0.5)), Ok(0));
        assert_eq!(lifetime(None), Ok(DEFAULT_TOKEN_LIFETIME));
        assert_eq!(lifetime(Some(&Value::Null)), Ok(DEFAULT_TOKEN_LIFETIME));
        for refused in [
            json!(-5),
            json!(-0.5),
            json!(-1e300),
            json!("soon"),
            json!("-1"),
            json!("inf"),
            json!("NaN"),
            json!(true),
            json!([3600]),
            json!({"s": 1}),
        ] {
            assert!(lifetime(Some(&refused)).is_err(), "{refused}");
        }
    }
}
