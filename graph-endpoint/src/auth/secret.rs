//! Secrets that never show in Debug output, logs or errors.

use std::fmt;

/// A bearer token. Its `Debug` and `Display` print `AccessToken(<redacted>)`;
/// the value is only reachable through [`AccessToken::secret`].
///
/// ```
/// use graph_endpoint::AccessToken;
/// let token = AccessToken::new("eyJ0eXAi.secret.value");
/// assert_eq!(format!("{token:?}"), "AccessToken(<redacted>)");
/// assert_eq!(token.secret(), "eyJ0eXAi.secret.value");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a bearer token.
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    /// The token itself, for the `Authorization` header. Do not log it.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for AccessToken {
    fn from(value: String) -> Self {
        AccessToken(value)
    }
}

impl From<&str> for AccessToken {
    fn from(value: &str) -> Self {
        AccessToken(value.to_owned())
    }
}

/// A secret of the sign-in flows that is not a bearer token: a refresh
/// token, a device code, an authorization code, a PKCE verifier. Its `Debug`
/// prints `<redacted>`, it has no `Display`, and the value is reachable only
/// inside the crate, to put it in a request's form or a cache file.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretString(String);

impl SecretString {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }

    /// The value, for a form or the cache file only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
