//! A request as the stand-in recorded it, for tests to assert on.

use bytes::Bytes;
use serde_json::Value;

/// A request as it arrived on the wire.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method, such as `POST`.
    pub method: String,
    /// The raw path and query, percent-encoding untouched.
    pub path: String,
    /// The headers, names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body (empty when it was refused: larger than 4 MiB, or cut off).
    pub body: Bytes,
}

impl RecordedRequest {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}
