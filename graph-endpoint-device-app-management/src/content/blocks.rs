//! Azure Blob Storage's block upload, as the storage URI Graph hands out
//! takes it: `Put Block` (`PUT {uri}&comp=block&blockid={id}`, ids base64 and
//! all of one length), then `Put Block List` (`PUT {uri}&comp=blocklist` with
//! `<BlockList><Latest>{id}</Latest>…</BlockList>`). The URI is signed by its
//! query (a SAS): requests go through the runtime's requests beside Graph,
//! which never carry the Graph token.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use graph_endpoint::GraphClient;
use graph_endpoint::reqwest::{self, Method, Url};
use http::StatusCode;

use super::error::{ContentError, clipped};

/// The most of a storage answer read: success bodies are empty, error
/// bodies a few hundred bytes of XML.
const STORAGE_ANSWER_BYTES: usize = 64 * 1024;

/// The id of block `index`: the base64 of its zero-padded number, so that
/// every id of a blob has the same length, as Azure requires.
///
/// ```text
/// 0 -> "MDAwMDAw" ("000000")
/// ```
pub(crate) fn block_id(index: u32) -> String {
    BASE64.encode(format!("{index:06}"))
}

/// What a request to the storage host needs.
pub(crate) enum BlockRequest {
    Block { id: String, data: Bytes },
    List { ids: Vec<String> },
}

impl BlockRequest {
    pub(crate) fn operation(&self) -> &'static str {
        match self {
            BlockRequest::Block { .. } => "put_block",
            BlockRequest::List { .. } => "put_block_list",
        }
    }
}

/// Why a request to the storage host did not succeed, by what to do next.
pub(crate) enum Refusal {
    /// The URI's signature no longer holds (`403 AuthenticationFailed`):
    /// renew it, then send again.
    Expired(ContentError),
    /// Worth sending again after a pause (the one asked for, if any).
    Transient(ContentError, Option<Duration>),
    /// Sending again would not help.
    Final(ContentError),
}

/// Sends `request` to the blob at `uri` (the SAS URL Graph gave).
pub(crate) async fn send(
    graph: &GraphClient,
    uri: &Url,
    request: &BlockRequest,
) -> Result<(), Refusal> {
    let operation = request.operation();
    let mut url = uri.clone();
    let mut http_request = match request {
        BlockRequest::Block { id, data } => {
            url.query_pairs_mut()
                .append_pair("comp", "block")
                .append_pair("blockid", id);
            let mut put = reqwest::Request::new(Method::PUT, url);
            *put.body_mut() = Some(data.clone().into());
            put
        }
        BlockRequest::List { ids } => {
            url.query_pairs_mut().append_pair("comp", "blocklist");
            let mut xml = String::with_capacity(64 + ids.len() * 30);
            xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
            for id in ids {
                xml.push_str("<Latest>");
                xml.push_str(id);
                xml.push_str("</Latest>");
            }
            xml.push_str("</BlockList>");
            let mut put = reqwest::Request::new(Method::PUT, url);
            put.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/xml"),
            );
            *put.body_mut() = Some(xml.into());
            put
        }
    };
    http_request.headers_mut().insert(
        "x-ms-blob-type",
        http::HeaderValue::from_static("BlockBlob"),
    );
    let answer = match graph
        .send_beside_graph(operation, http_request, STORAGE_ANSWER_BYTES)
        .await
    {
        Ok(answer) => answer,
        Err(error) if error.is_retryable() => return Err(Refusal::Transient(error.into(), None)),
        Err(error) => return Err(Refusal::Final(error.into())),
    };
    let status = answer.status();
    if status.is_success() {
        return Ok(());
    }
    let (code, message) = storage_error(answer.headers(), answer.body());
    let wait = graph_endpoint::retry_after(answer.headers(), SystemTime::now());
    let error = ContentError::Storage {
        operation,
        status,
        code: code.clone(),
        message,
        request_id: answer.header("x-ms-request-id").map(clipped),
    };
    Err(match status {
        StatusCode::FORBIDDEN if code.as_deref() == Some("AuthenticationFailed") => {
            Refusal::Expired(error)
        }
        StatusCode::REQUEST_TIMEOUT
        | StatusCode::TOO_MANY_REQUESTS
        | StatusCode::INTERNAL_SERVER_ERROR
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => Refusal::Transient(error, wait),
        _ => Refusal::Final(error),
    })
}

/// Azure Storage's error code and message: the `x-ms-error-code` header,
/// else the XML body's `<Code>`; the body's `<Message>`, cut.
fn storage_error(headers: &http::HeaderMap, body: &[u8]) -> (Option<String>, Option<String>) {
    let header = headers
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .map(clipped);
    let text = String::from_utf8_lossy(body);
    let document = roxmltree::Document::parse(text.trim_start_matches('\u{feff}')).ok();
    let element = |name: &str| {
        document.as_ref().and_then(|d| {
            d.descendants()
                .find(|n| n.has_tag_name(name))
                .and_then(|n| n.text())
                .map(|t| clipped(t.lines().next().unwrap_or_default().trim()))
        })
    };
    (header.or_else(|| element("Code")), element("Message"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ids_are_base64_of_one_length() {
        assert_eq!(block_id(0), "MDAwMDAw");
        assert_eq!(block_id(49_999).len(), block_id(1).len());
        assert_eq!(BASE64.decode(block_id(123)).unwrap(), b"000123");
    }

    #[test]
    fn azure_errors_are_read_from_header_or_xml() {
        let body = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>InvalidBlockList</Code><Message>The specified block list is invalid.\nRequestId:1\nTime:2024</Message></Error>";
        let (code, message) = storage_error(&http::HeaderMap::new(), body.as_bytes());
        assert_eq!(code.as_deref(), Some("InvalidBlockList"));
        assert_eq!(
            message.as_deref(),
            Some("The specified block list is invalid.")
        );
        let mut headers = http::HeaderMap::new();
        headers.insert("x-ms-error-code", "AuthenticationFailed".parse().unwrap());
        let (code, message) = storage_error(&headers, b"not xml");
        assert_eq!(code.as_deref(), Some("AuthenticationFailed"));
        assert_eq!(message, None);
    }
}
