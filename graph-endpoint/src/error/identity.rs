//! The errors of signing in: what a token source reports when it cannot
//! give a token ([`TokenError`]), and the identity platform's own error
//! ([`IdentityError`]), which the first often carries.

use std::fmt;

use serde::Deserialize;

use crate::error::quoted::Clipped;

/// The error a [`TokenSource`](crate::TokenSource) reports when it cannot produce a token.
pub type TokenError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The identity platform's own error: `error`, `error_description`,
/// `error_codes` (`AADSTS…` numbers), `trace_id`, `correlation_id`; or a
/// failure on the way there, described the same way (`error` is then one of
/// `transport`, `timeout`, `unexpected_redirect`, `response_too_large`,
/// `invalid_response`, `unexpected_response`, `insecure_authority`,
/// `client_error`; and for delegated sign-ins `expired_token` (a device code
/// whose `expires_in` passed while polling), `interaction_required` (no
/// sign-in to use, and interactive sign-in is off)).
///
/// Its `Display` quotes at most [`MAX_QUOTED_BYTES`](crate::MAX_QUOTED_BYTES)
/// bytes of the description, and never a secret: the form sent carries
/// the secret, and no part of it is ever kept here.
#[derive(Clone, PartialEq, Eq, Deserialize, thiserror::Error)]
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
    /// The HTTP status of the answer (0 when none arrived).
    #[serde(skip)]
    pub status: u16,
    /// How many requests were made to the token endpoint.
    #[serde(skip)]
    pub attempts: u32,
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sign-in failed: {}: {}",
            Clipped(&self.error),
            Clipped(&self.error_description)
        )?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityError")
            .field("error", &Clipped(&self.error))
            .field("error_description", &Clipped(&self.error_description))
            .field("error_codes", &self.error_codes)
            .field("trace_id", &self.trace_id.as_deref().map(Clipped))
            .field(
                "correlation_id",
                &self.correlation_id.as_deref().map(Clipped),
            )
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl IdentityError {
    /// Whether asking again later may succeed: the token endpoint could not
    /// be reached or did not answer in time, or answered 429, 503 or 504.
    pub fn is_transient(&self) -> bool {
        matches!(self.error.as_str(), "transport" | "timeout")
            || http::StatusCode::from_u16(self.status).is_ok_and(crate::error::is_transient_status)
    }

    /// A failure the identity platform did not describe itself: on this
    /// side, in transport, or an answer that is not its error format.
    pub(crate) fn undescribed(error: &str, description: String, status: u16) -> IdentityError {
        IdentityError {
            error: error.to_owned(),
            error_description: description,
            error_codes: Vec::new(),
            trace_id: None,
            correlation_id: None,
            status,
            attempts: 0,
        }
    }
}
