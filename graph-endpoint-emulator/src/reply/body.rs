//! The response body type, able to stop short on purpose, and the reading of
//! request bodies within a size limit.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;

/// A full body, or (for the truncated-body fault) a body that sends its bytes
/// and then fails, so the connection closes before `Content-Length` is reached,
/// or (for the stalled-body fault) a body that pauses halfway.
pub struct ReplyBody {
    data: Option<Bytes>,
    fail_at_end: bool,
    /// For the stalled-body fault: the rest of the body, sent when the timer fires.
    rest: Option<(Pin<Box<tokio::time::Sleep>>, Bytes)>,
}

impl ReplyBody {
    pub fn full(data: impl Into<Bytes>) -> ReplyBody {
        ReplyBody {
            data: Some(data.into()),
            fail_at_end: false,
            rest: None,
        }
    }

    /// Sends `first`, waits `pause`, then sends `rest`.
    pub fn stalled(first: Bytes, pause: Duration, rest: Bytes) -> ReplyBody {
        ReplyBody {
            data: Some(first),
            fail_at_end: false,
            rest: Some((Box::pin(tokio::time::sleep(pause)), rest)),
        }
    }

    pub fn empty() -> ReplyBody {
        ReplyBody {
            data: None,
            fail_at_end: false,
            rest: None,
        }
    }

    /// The bytes of a full body (a `$batch` embeds them in its answer).
    pub fn into_bytes(self) -> Bytes {
        self.data.unwrap_or_default()
    }

    pub fn truncated(data: impl Into<Bytes>) -> ReplyBody {
        ReplyBody {
            data: Some(data.into()),
            fail_at_end: true,
            rest: None,
        }
    }
}

/// The error that cuts a truncated body short.
#[derive(Debug)]
pub struct CutShort;

impl std::fmt::Display for CutShort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("body cut short on purpose")
    }
}

impl std::error::Error for CutShort {}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = CutShort;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, CutShort>>> {
        if let Some(data) = self.data.take().filter(|data| !data.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        if let Some((mut pause, rest)) = self.rest.take() {
            if pause.as_mut().poll(cx).is_pending() {
                self.rest = Some((pause, rest));
                return Poll::Pending;
            }
            return Poll::Ready(Some(Ok(Frame::data(rest))));
        }
        match self.data.take() {
            _ if self.fail_at_end => {
                self.fail_at_end = false;
                Poll::Ready(Some(Err(CutShort)))
            }
            _ => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        !self.fail_at_end && self.rest.is_none() && self.data.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        if self.fail_at_end {
            return SizeHint::default();
        }
        let rest = self.rest.as_ref().map_or(0, |(_, rest)| rest.len() as u64);
        SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64) + rest)
    }
}

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
