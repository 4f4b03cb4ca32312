//! Graph's response envelope: `request-id` headers, error bodies, and the
//! errors every route shares (404 for an unknown segment, 405).

use http::{HeaderValue, Method};
use serde_json::{Value, json};

use super::body::ReplyBody;
use super::json_response;

/// A Graph error to answer with.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub headers: Vec<(&'static str, String)>,
    /// Members `innerError` has besides its date and ids.
    pub inner: Vec<(&'static str, &'static str)>,
}

impl Failure {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
            inner: Vec::new(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Failure {
        Failure::new(400, code, message)
    }

    pub fn body(&self, request_id: &str, client_request_id: &str) -> Value {
        let mut inner = json!({
            "date": graph_date(),
            "request-id": request_id,
            "client-request-id": client_request_id,
        });
        for (name, value) in &self.inner {
            inner[*name] = json!(value);
        }
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": inner,
            }
        })
    }
}

/// Graph's error date: no time zone, whole seconds.
fn graph_date() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// The ids an answer carries: the `request-id` the stand-in gives it, and
/// the `client-request-id` the client sent (or a fresh one).
pub(crate) struct Ids<'a> {
    pub request_id: &'a str,
    pub client_request_id: &'a str,
}

impl Ids<'_> {
    /// Adds the headers Graph puts on every answer.
    pub(crate) fn decorate(
        &self,
        mut response: hyper::Response<ReplyBody>,
    ) -> hyper::Response<ReplyBody> {
        let headers = response.headers_mut();
        for (name, value) in [
            ("request-id", self.request_id),
            ("client-request-id", self.client_request_id),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        }
        headers.insert(
            "x-ms-ags-diagnostic",
            HeaderValue::from_static(
                r#"{"ServerInfo":{"DataCenter":"Local","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"graph-endpoint-emulator"}}"#,
            ),
        );
        headers.insert("cache-control", HeaderValue::from_static("no-cache"));
        response
    }

    /// `failure` in Graph's error envelope, with the headers of every answer.
    pub(crate) fn failure(&self, failure: &Failure) -> hyper::Response<ReplyBody> {
        let body = failure.body(self.request_id, self.client_request_id);
        let mut response = json_response(failure.status, &body);
        for (name, value) in &failure.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.headers_mut().insert(*name, value);
            }
        }
        self.decorate(response)
    }
}

/// 404 for a path segment nothing answers.
pub(crate) fn not_found_segment(segment: &str) -> Failure {
    Failure::new(
        404,
        "ResourceNotFound",
        format!("Resource not found for the segment '{segment}'."),
    )
}

/// 405 for a method the resource does not take, with `Allow`.
pub(crate) fn not_allowed(method: &Method, allow: &'static str) -> Failure {
    let mut failure = Failure::new(
        405,
        "MethodNotAllowed",
        format!("The method '{method}' is not allowed on this resource; allowed: {allow}."),
    );
    failure.headers.push(("allow", allow.to_owned()));
    failure
}
