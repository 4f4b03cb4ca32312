//! Responses with their status and headers.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::error::Attempt;

/// A successful response: status, headers and body.
///
/// Declare a method returning `Result<Response<T>, Error>` when the status or
/// headers matter (a `202 Accepted` with its `Location`), `Response<()>` to
/// discard the body, or `Response<Bytes>` for raw content (`$value` downloads).
///
/// ```
/// use graph_endpoint::{graph_action, Error, Graph, Response};
/// use graph_endpoint::bytes::Bytes;
///
/// pub trait Reports: Graph {
///     /// A report download: the raw CSV bytes.
///     #[graph_action(GET, "/reports/getEmailActivityUserDetail(period='<period>')", expect = 200)]
///     async fn email_activity(&self, period: &str) -> Result<Response<Bytes>, Error>;
///
///     /// A long-running action: the status and `Location` matter.
///     #[graph_action(POST, "/deviceManagement/reports/exportJobs/<id>/start", expect = 202)]
///     async fn start_export(&self, id: &str) -> Result<Response<()>, Error>;
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Response<T> {
    status: StatusCode,
    headers: HeaderMap,
    body: T,
    failed_attempts: Vec<Attempt>,
}

impl<T> Response<T> {
    /// Puts a response together (for test doubles and transports).
    pub fn new(status: StatusCode, headers: HeaderMap, body: T) -> Self {
        Response {
            status,
            headers,
            body,
            failed_attempts: Vec::new(),
        }
    }

    pub(crate) fn with_failed_attempts(mut self, attempts: Vec<Attempt>) -> Self {
        self.failed_attempts = attempts;
        self
    }

    /// The attempts that failed and were retried before this response.
    pub fn failed_attempts(&self) -> &[Attempt] {
        &self.failed_attempts
    }

    /// The status that arrived.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `Location` header, as sent with `202 Accepted` and `201 Created`.
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The service's `request-id`.
    pub fn request_id(&self) -> Option<&str> {
        self.header("request-id")
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// Takes the body out.
    pub fn into_body(self) -> T {
        self.body
    }

    /// Replaces the body, keeping status and headers.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            status: self.status,
            headers: self.headers,
            body: f(self.body),
            failed_attempts: self.failed_attempts,
        }
    }
}

/// A response whose body has not been decoded: what a [`Graph`](crate::Graph) transport returns.
pub type RawResponse = Response<Bytes>;
