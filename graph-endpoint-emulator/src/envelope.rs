//! Graph's response envelope: `request-id` headers and error bodies.

use serde_json::{Value, json};

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
