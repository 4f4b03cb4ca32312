//! The reading of request bodies: within a size limit, and as JSON.

use bytes::{Bytes, BytesMut};
use http_body::Body;
use http_body_util::BodyExt;
use serde_json::Value;

use super::envelope::Failure;

/// Why a request body was not read.
#[derive(Debug)]
pub enum Unread {
    /// It is over the size limit; nothing of it was kept.
    TooLarge,
    /// The connection failed before its end (the client is most likely gone).
    Broken,
}

/// Reads a request body of at most `limit` bytes.
///
/// A larger body is refused without being held in memory: a `Content-Length`
/// over the limit is refused before anything is read, and a chunked body is
/// refused as soon as it passes the limit. The rest of a refused body is read
/// and dropped (up to `drain_limit` bytes in all), so that a client still
/// writing it gets the refusal instead of a reset connection; past
/// `drain_limit`, or when the client waits for `100 Continue` and so has not
/// sent the body, reading stops and the connection closes after the answer.
pub async fn read_request<B>(
    mut body: B,
    declared: Option<u64>,
    expects_continue: bool,
    limit: usize,
    drain_limit: u64,
) -> Result<Bytes, Unread>
where
    B: Body<Data = Bytes> + Unpin,
{
    let over = declared.is_some_and(|length| length > limit as u64);
    let mut kept = BytesMut::new();
    let mut seen: u64 = 0;
    if !over {
        while let Some(frame) = body.frame().await {
            // Half a body must not reach the routes as if it were whole.
            let Ok(frame) = frame else {
                return Err(Unread::Broken);
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            seen += data.len() as u64;
            if seen > limit as u64 {
                break;
            }
            kept.extend_from_slice(&data);
        }
        if seen <= limit as u64 {
            return Ok(kept.freeze());
        }
    }
    drop(kept);
    let worth_draining = !expects_continue && declared.is_none_or(|length| length <= drain_limit);
    if worth_draining {
        while seen <= drain_limit {
            match body.frame().await {
                Some(Ok(frame)) => {
                    seen += frame.data_ref().map_or(0, |d| d.len() as u64);
                }
                _ => break,
            }
        }
    }
    Err(Unread::TooLarge)
}

/// The body as JSON: `Null` when it is empty; 415 without a JSON
/// `Content-Type`, 400 when it does not parse.
pub(crate) fn json_body(parts: &http::request::Parts, body: &Bytes) -> Result<Value, Failure> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    let json_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json_type {
        return Err(Failure::new(
            415,
            "UnsupportedMediaType",
            "A request body needs 'Content-Type: application/json'.",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        Failure::bad_request(
            "BadRequest",
            format!("The request body is not valid JSON: {e}"),
        )
    })
}
