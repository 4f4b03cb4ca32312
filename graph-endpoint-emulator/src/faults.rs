//! Faults the stand-in can be told to inject, per request or by rate, and
//! the answer each one gives.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::json;

use crate::reply::{Dropped, Failure, Ids, ReplyBody};

/// The `Retry-After` value a throttling or unavailable answer carries.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryAfter {
    /// Whole seconds: `Retry-After: 2`.
    Seconds(u64),
    /// Fractional seconds, as Graph sometimes sends: `Retry-After: 2.128`.
    FractionalSeconds(f64),
    /// An HTTP date: `Retry-After: Sun, 06 Nov 1994 08:49:37 GMT`.
    HttpDate(SystemTime),
    /// A value no client can read, to test fallbacks: sent verbatim.
    Raw(String),
}

/// One fault.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests` with a Graph error body, and `Retry-After` if given.
    Throttle(Option<RetryAfter>),
    /// `503 Service Unavailable`, with `Retry-After` if given.
    Unavailable(Option<RetryAfter>),
    /// `504 Gateway Timeout`, with `Retry-After` if given.
    GatewayTimeout(Option<RetryAfter>),
    /// Waits, then answers normally.
    Delay(Duration),
    /// Closes the connection without answering, after reading the request.
    DropConnection,
    /// Answers with `status` and `Content-Length` of the full body, sends only
    /// part of it, then closes the connection.
    TruncatedBody {
        /// The status line's status.
        status: u16,
    },
    /// Answers with `status` and a JSON body, sends half of the body, waits
    /// `pause`, then sends the rest: a service that stalls mid-body.
    StalledBody {
        /// The status line's status.
        status: u16,
        /// How long the body stalls halfway.
        pause: Duration,
    },
    /// Answers with `status` and a JSON body that does not parse.
    MalformedJson {
        /// The status line's status.
        status: u16,
    },
    /// Answers with `status` and an HTML error page, as gateways do.
    HtmlError {
        /// The status line's status.
        status: u16,
    },
    /// Answers exactly this.
    Respond {
        /// The status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body, sent verbatim.
        body: Bytes,
    },
}

impl Fault {
    /// A scripted answer with a JSON body.
    #[must_use]
    pub fn json(status: u16, body: serde_json::Value) -> Fault {
        Fault::Respond {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: Bytes::from(body.to_string()),
        }
    }

    /// A scripted Graph error: `{"error": {"code", "message", "innerError": ...}}`.
    #[must_use]
    pub fn graph_error(status: u16, code: &str, message: &str) -> Fault {
        Fault::json(
            status,
            serde_json::json!({"error": {"code": code, "message": message}}),
        )
    }
}

/// A fault and when to inject it.
///
/// ```
/// use graph_endpoint_emulator::{Fault, Injection, RetryAfter};
/// // The next two POSTs to a createToken path are throttled.
/// let injection = Injection::times(2, Fault::Throttle(Some(RetryAfter::Seconds(1))))
///     .on_method("POST")
///     .on_path("createToken");
/// # drop(injection);
/// ```
#[derive(Debug, Clone)]
pub struct Injection {
    pub(crate) fault: Fault,
    pub(crate) remaining: Option<usize>,
    pub(crate) rate: Option<f64>,
    pub(crate) path_contains: Option<String>,
    pub(crate) method: Option<String>,
    /// Makes each rate-based injection draw its own sequence.
    pub(crate) salt: u64,
}

impl Injection {
    /// For the next matching request only.
    pub fn once(fault: Fault) -> Injection {
        Injection::times(1, fault)
    }

    /// For the next `n` matching requests.
    pub fn times(n: usize, fault: Fault) -> Injection {
        Injection {
            fault,
            remaining: Some(n),
            rate: None,
            path_contains: None,
            method: None,
            salt: 0,
        }
    }

    /// For every matching request until cleared.
    pub fn always(fault: Fault) -> Injection {
        Injection {
            fault,
            remaining: None,
            rate: None,
            path_contains: None,
            method: None,
            salt: 0,
        }
    }

    /// For a share `ratio` (0.0 to 1.0) of matching requests, chosen by a
    /// deterministic sequence so runs repeat exactly.
    pub fn rate(ratio: f64, fault: Fault) -> Injection {
        Injection {
            rate: Some(ratio.clamp(0.0, 1.0)),
            ..Injection::always(fault)
        }
    }

    /// Only requests whose raw path contains `fragment`.
    #[must_use]
    pub fn on_path(mut self, fragment: impl Into<String>) -> Injection {
        self.path_contains = Some(fragment.into());
        self
    }

    /// Only requests with this method.
    #[must_use]
    pub fn on_method(mut self, method: impl Into<String>) -> Injection {
        self.method = Some(method.into().to_ascii_uppercase());
        self
    }

    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }
}

/// A deterministic draw in [0, 1) for the `n`th request (splitmix64).
pub(crate) fn draw(seed: u64, n: u64) -> f64 {
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The `Retry-After` header's value.
fn retry_after_value(retry_after: &RetryAfter) -> String {
    match retry_after {
        RetryAfter::Seconds(s) => s.to_string(),
        RetryAfter::FractionalSeconds(s) => format!("{s:.3}"),
        RetryAfter::HttpDate(at) => httpdate::fmt_http_date(*at),
        RetryAfter::Raw(raw) => raw.clone(),
    }
}

/// The answer an injected fault gives (any fault but a delay), or the
/// connection dropped.
pub(crate) fn answer_fault(
    fault: Fault,
    ids: &Ids<'_>,
) -> Result<hyper::Response<ReplyBody>, Dropped> {
    let with_retry_after =
        |status: u16, code: &'static str, message: &str, retry_after: Option<RetryAfter>| {
            let mut failure = Failure::new(status, code, message);
            if status == 429 {
                // As Graph's throttling page shows its 429.
                failure.inner = vec![
                    ("code", "429"),
                    ("status", "429"),
                    ("message", "Please retry after"),
                ];
            }
            if let Some(retry_after) = retry_after {
                failure
                    .headers
                    .push(("retry-after", retry_after_value(&retry_after)));
            }
            ids.failure(&failure)
        };
    Ok(match fault {
        Fault::Throttle(retry_after) => with_retry_after(
            429,
            "TooManyRequests",
            "Please retry again later.",
            retry_after,
        ),
        Fault::Unavailable(retry_after) => with_retry_after(
            503,
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
            retry_after,
        ),
        Fault::GatewayTimeout(retry_after) => with_retry_after(
            504,
            "gatewayTimeout",
            "The gateway did not receive a timely response.",
            retry_after,
        ),
        Fault::DropConnection => return Err(Dropped),
        Fault::Delay(_) => unreachable!("delays are applied before routing"),
        Fault::TruncatedBody { status } => {
            let full =
                json!({"value": [{"id": "truncated", "displayName": "this body is cut short"}]})
                    .to_string();
            let half = full.len() / 2;
            let mut response =
                hyper::Response::new(ReplyBody::truncated(Bytes::from(full[..half].to_owned())));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            response
                .headers_mut()
                .insert("content-length", HeaderValue::from(full.len() as u64));
            ids.decorate(response)
        }
        Fault::StalledBody { status, pause } => {
            let full = Bytes::from(
                json!({"id": "stalled", "displayName": "this body stalls halfway"}).to_string(),
            );
            let half = full.len() / 2;
            let mut response = hyper::Response::new(ReplyBody::stalled(
                full.slice(..half),
                pause,
                full.slice(half..),
            ));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            ids.decorate(response)
        }
        Fault::MalformedJson { status } => {
            let mut response = hyper::Response::new(ReplyBody::full(r#"{"value": [{"id": "#));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            ids.decorate(response)
        }
        Fault::HtmlError { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let page = format!(
                "<html><head><title>{status}</title></head><body><h1>{status}</h1><p>The gateway could not reach the service.</p></body></html>"
            );
            let mut response = hyper::Response::new(ReplyBody::full(page));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html"));
            ids.decorate(response)
        }
        Fault::Respond {
            status,
            headers,
            body,
        } => {
            let mut response = hyper::Response::new(ReplyBody::full(body));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            // Scripted headers win over the envelope's.
            let mut response = ids.decorate(response);
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
    })
}
