//! What every handler answers with and reads with: the answer body
//! ([`body`]), Graph's error envelope, the `request-id` headers and the
//! errors every route shares ([`envelope`]), the reading of request bodies
//! ([`request`]), JSON and empty answers, and the dates answers carry.

pub(crate) mod body;
pub(crate) mod envelope;
pub(crate) mod request;

use http::{HeaderValue, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(crate) use body::ReplyBody;
pub(crate) use envelope::{Failure, Ids, not_allowed, not_found_segment};
pub(crate) use request::json_body;

/// The least date Graph writes (`Edm.DateTimeOffset`'s minimum): what it
/// shows for a date that is not set, as Intune's report export page shows a
/// new job's `expirationDateTime`. A profile's token revoked (or never
/// created) showing it too is an assumption (the token actions are
/// undocumented; see the README).
pub const MIN_DATE: &str = "0001-01-01T00:00:00Z";

/// A time as answers carry it (RFC 3339).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// The current time, as answers carry it (RFC 3339).
pub fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| MIN_DATE.to_owned())
}

/// Why a connection is closed without an answer.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

/// `body` as JSON, with the content type Graph gives it.
pub(crate) fn json_response(status: u16, body: &Value) -> hyper::Response<ReplyBody> {
    let mut response = hyper::Response::new(ReplyBody::full(body.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static(
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        ),
    );
    response
}

/// An answer without a body.
pub(crate) fn empty_response(status: u16) -> hyper::Response<ReplyBody> {
    let mut response = hyper::Response::new(ReplyBody::empty());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
}
