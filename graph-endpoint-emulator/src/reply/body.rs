//! The body of the stand-in's answers, able to stop short on purpose (the
//! truncated and stalled body faults).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

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
