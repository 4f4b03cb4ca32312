//! The response body type, able to stop short on purpose.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// A full body, or (for the truncated-body fault) a body that sends its bytes
/// and then fails, so the connection closes before `Content-Length` is reached.
pub struct ReplyBody {
    data: Option<Bytes>,
    fail_at_end: bool,
}

impl ReplyBody {
    pub fn full(data: impl Into<Bytes>) -> ReplyBody {
        ReplyBody {
            data: Some(data.into()),
            fail_at_end: false,
        }
    }

    pub fn empty() -> ReplyBody {
        ReplyBody {
            data: None,
            fail_at_end: false,
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
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, CutShort>>> {
        match self.data.take() {
            Some(data) if !data.is_empty() => Poll::Ready(Some(Ok(Frame::data(data)))),
            _ if self.fail_at_end => {
                self.fail_at_end = false;
                Poll::Ready(Some(Err(CutShort)))
            }
            _ => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        !self.fail_at_end && self.data.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        if self.fail_at_end {
            return SizeHint::default();
        }
        SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}
