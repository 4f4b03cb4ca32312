//! The JSON of a `$batch` request and of its answer.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::InFlight;
use crate::error::Error;
use crate::response::RawResponse;

#[derive(Serialize)]
pub(super) struct BatchBody<'a> {
    pub(super) requests: Vec<BatchRequestItem<'a>>,
}

#[derive(Serialize)]
pub(super) struct BatchRequestItem<'a> {
    id: String,
    method: &'static str,
    url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a RawValue>,
    #[serde(rename = "dependsOn", skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

pub(super) fn batch_item<'a>(
    index: usize,
    call: &'a InFlight,
    chunk: &[usize],
) -> Result<BatchRequestItem<'a>, Error> {
    let request = &call.request;
    let invalid = |reason: String| Error::InvalidRequest {
        endpoint: call.endpoint.name(),
        reason,
    };
    // URLs in a batch are relative to the version root.
    let url = match &call.relative_link {
        Some(relative) => relative.clone(),
        None if request.query().is_empty() => request.path().to_owned(),
        None => format!("{}?{}", request.path(), request.query()),
    };
    let mut headers = BTreeMap::new();
    for (name, value) in request.headers() {
        let value = value
            .to_str()
            .map_err(|_| invalid(format!("header `{name}` is not text")))?;
        headers.insert(name.as_str(), value);
    }
    let body = match request.body() {
        Some(body) => {
            headers.insert("content-type", "application/json");
            Some(
                serde_json::from_slice::<&RawValue>(body)
                    .map_err(|e| invalid(format!("the body is not JSON: {e}")))?,
            )
        }
        None => None,
    };
    Ok(BatchRequestItem {
        id: index.to_string(),
        method: call.endpoint.method().as_str(),
        url,
        headers,
        body,
        depends_on: call
            .depends_on
            .iter()
            .filter(|d| chunk.contains(d))
            .map(usize::to_string)
            .collect(),
    })
}

#[derive(Deserialize)]
pub(super) struct BatchAnswer {
    pub(super) responses: Vec<AnswerItem>,
}

#[derive(Deserialize)]
pub(super) struct AnswerItem {
    pub(super) id: String,
    status: u16,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    body: Option<Box<RawValue>>,
}

impl AnswerItem {
    /// The item's answer as a response of its own; the `$batch` request's
    /// `request-id` stands in when the item has none.
    pub(super) fn into_response(self, outer: &HeaderMap) -> RawResponse {
        let mut headers = HeaderMap::with_capacity(self.headers.len() + 2);
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        for name in ["request-id", "client-request-id"] {
            if !headers.contains_key(name)
                && let Some(value) = outer.get(name)
            {
                headers.insert(name, value.clone());
            }
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_GATEWAY);
        let body = self
            .body
            .map(|raw| item_body(&raw, &headers))
            .unwrap_or_default();
        RawResponse::new(status, headers, body)
    }
}

/// An item's body as the call would have received it alone: JSON as it is,
/// and a non-JSON body (an image, a file's content), which the batch answer
/// carries as a base64 string, decoded to its bytes.
fn item_body(raw: &RawValue, headers: &HeaderMap) -> Bytes {
    use base64::Engine as _;
    let json = || Bytes::from(raw.get().to_owned());
    let is_json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| {
            let media = t.split(';').next().unwrap_or_default().trim();
            media.eq_ignore_ascii_case("application/json") || media.ends_with("+json")
        });
    if is_json {
        return json();
    }
    let Ok(text) = serde_json::from_str::<&str>(raw.get()) else {
        return json();
    };
    // Base64 "URL-encoded", as Graph's batching page says; standard base64
    // is accepted too.
    let url_safe = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let standard = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    url_safe
        .decode(text)
        .or_else(|_| standard.decode(text))
        .map_or_else(|_| json(), Bytes::from)
}
