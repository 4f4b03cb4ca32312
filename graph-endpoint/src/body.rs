//! Bodies that are never held whole in memory: a result read as a stream of
//! chunks ([`BodyStream`]), a request body streamed from a reader or a
//! stream of known length ([`StreamBody`]), and the slot a request keeps
//! such a body in until an attempt sends it. Sending them is the client's
//! (`client/exchange.rs`).

use std::fmt;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderMap, HeaderValue, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::error::{Attempt, Error, TimeoutKind};
use crate::response::RawResponse;

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// A success body read as a stream of chunks, one chunk held at a time: the
/// result of an endpoint declared `-> Result<BodyStream, Error>` (an
/// `Edm.Stream` answer such as a report function's CSV or an item's
/// `$value`), and of [`GraphClient::download`](crate::GraphClient::download).
///
/// It implements [`Stream`] of `Result<Bytes, Error>`; [`chunk`](Self::chunk)
/// reads the next chunk, [`write_to`](Self::write_to) copies the whole body to
/// an `AsyncWrite`. The body is checked against its `Content-Length`: one that
/// ends early is [`Error::Incomplete`] (or [`Error::Transport`] when the
/// connection broke). No chunk may take longer to arrive than the client's
/// attempt timeout.
///
/// ```
/// use graph_endpoint::{graph_action, BodyStream, Error, Graph, GraphClient};
///
/// pub trait Reports: Graph {
///     /// A report function answering `Edm.Stream` (CSV).
///     #[graph_action(GET, "/reports/getEmailActivityUserDetail(period='<period>')", expect = 200)]
///     async fn email_activity(&self, period: &str) -> Result<BodyStream, Error>;
/// }
/// impl Reports for GraphClient {}
///
/// # async fn demo(graph: GraphClient) -> Result<(), Error> {
/// let mut body = graph.email_activity("D7").await?;
/// let mut lines = 0;
/// while let Some(chunk) = body.chunk().await? {
///     lines += chunk.iter().filter(|b| **b == b'\n').count();
/// }
/// println!("{lines} lines");
/// # Ok(()) }
/// ```
pub struct BodyStream {
    endpoint: &'static str,
    status: StatusCode,
    headers: HeaderMap,
    source: Source,
    received: u64,
    expected: Option<u64>,
    idle: Option<Idle>,
    failed_attempts: Vec<Attempt>,
}

enum Source {
    /// A body already in memory (a transport that buffers, a test double).
    Buffered(Option<Bytes>),
    /// The body still on the connection.
    Live(ChunkStream),
}

/// The longest wait for one chunk, and its timer.
struct Idle {
    limit: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl BodyStream {
    /// A streamed result whose body is already in memory: for a transport
    /// that buffers, or a test double.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), graph_endpoint::Error> {
    /// use graph_endpoint::{BodyStream, RawResponse};
    /// use graph_endpoint::http::StatusCode;
    ///
    /// let response = RawResponse::new(StatusCode::OK, Default::default(), "a,b\n1,2\n".into());
    /// let mut body = BodyStream::from_response(response);
    /// assert_eq!(body.chunk().await?.as_deref(), Some(&b"a,b\n1,2\n"[..]));
    /// assert_eq!(body.chunk().await?, None);
    /// # Ok(()) }
    /// ```
    pub fn from_response(response: RawResponse) -> BodyStream {
        let status = response.status();
        let headers = response.headers().clone();
        let failed_attempts = response.failed_attempts().to_vec();
        let body = response.into_body();
        BodyStream {
            endpoint: "stream",
            status,
            headers,
            expected: Some(body.len() as u64),
            source: Source::Buffered(Some(body)),
            received: 0,
            idle: None,
            failed_attempts,
        }
    }

    /// A body still on the connection.
    pub(crate) fn live(
        endpoint: &'static str,
        status: StatusCode,
        headers: HeaderMap,
        response: reqwest::Response,
        idle: Option<Duration>,
    ) -> BodyStream {
        let expected = response.content_length();
        BodyStream {
            endpoint,
            status,
            headers,
            source: Source::Live(Box::pin(response.bytes_stream())),
            received: 0,
            expected,
            idle: idle.map(|limit| Idle {
                limit,
                timer: Box::pin(tokio::time::sleep(limit)),
            }),
            failed_attempts: Vec::new(),
        }
    }

    pub(crate) fn named(mut self, endpoint: &'static str) -> Self {
        self.endpoint = endpoint;
        self
    }

    pub(crate) fn with_failed_attempts(mut self, attempts: Vec<Attempt>) -> Self {
        self.failed_attempts = attempts;
        self
    }

    /// The buffered body, when it is in memory (an unexpected status's error body).
    pub(crate) fn into_raw(self) -> Option<RawResponse> {
        match self.source {
            Source::Buffered(body) => Some(
                RawResponse::new(self.status, self.headers, body.unwrap_or_default())
                    .with_failed_attempts(self.failed_attempts),
            ),
            Source::Live(_) => None,
        }
    }

    /// The status that arrived.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The service's `request-id`.
    pub fn request_id(&self) -> Option<&str> {
        self.header("request-id")
    }

    /// The length of the body, when the service announced it.
    pub fn content_length(&self) -> Option<u64> {
        self.expected
    }

    /// How many bytes were read so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The attempts that failed and were retried before this response.
    pub fn failed_attempts(&self) -> &[Attempt] {
        &self.failed_attempts
    }

    /// The next chunk, or `None` at the end of the body.
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] when the connection breaks mid-body;
    /// [`Error::Incomplete`] when the body ends before its `Content-Length` or
    /// runs past it; [`Error::Timeout`] ([`TimeoutKind::Attempt`]) when no
    /// chunk arrives within the client's attempt timeout.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    /// Copies the rest of the body to `writer`, one chunk at a time, and
    /// flushes it; returns the bytes written.
    ///
    /// # Errors
    ///
    /// The errors of [`chunk`](Self::chunk) ([`Error::Transport`],
    /// [`Error::Incomplete`], [`Error::Timeout`]), and [`Error::Io`] when
    /// writing to or flushing `writer` fails.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), graph_endpoint::Error> {
    /// # use graph_endpoint::{BodyStream, RawResponse};
    /// # let body = BodyStream::from_response(RawResponse::new(
    /// #     graph_endpoint::http::StatusCode::OK, Default::default(), "report".into()));
    /// let mut file = Vec::new(); // or a tokio::fs::File
    /// let written = body.write_to(&mut file).await?;
    /// assert_eq!(written, 6);
    /// # Ok(()) }
    /// ```
    pub async fn write_to<W: AsyncWrite + Unpin + ?Sized>(
        mut self,
        writer: &mut W,
    ) -> Result<u64, Error> {
        let mut written = 0;
        while let Some(chunk) = self.chunk().await? {
            writer
                .write_all(&chunk)
                .await
                .map_err(|source| self.io("writing the body", source))?;
            written += chunk.len() as u64;
        }
        writer
            .flush()
            .await
            .map_err(|source| self.io("flushing the body", source))?;
        Ok(written)
    }

    fn io(&self, what: &'static str, source: std::io::Error) -> Error {
        Error::Io {
            endpoint: self.endpoint,
            what,
            source,
        }
    }

    fn end(&self) -> Option<Result<Bytes, Error>> {
        match self.expected {
            Some(expected) if self.received < expected => Some(Err(Error::Incomplete {
                endpoint: self.endpoint,
                received: self.received,
                reason: format!("the body ended before the {expected} bytes it announced"),
            })),
            _ => None,
        }
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let polled = match &mut this.source {
            Source::Buffered(body) => Poll::Ready(body.take().map(Ok)),
            Source::Live(stream) => stream.as_mut().poll_next(cx),
        };
        match polled {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                if let Some(idle) = &mut this.idle {
                    let at = tokio::time::Instant::now() + idle.limit;
                    idle.timer.as_mut().reset(at);
                }
                if this.expected.is_some_and(|e| this.received > e) {
                    return Poll::Ready(Some(Err(Error::Incomplete {
                        endpoint: this.endpoint,
                        received: this.received,
                        reason: "the body is longer than the length it announced".to_owned(),
                    })));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(source))) => {
                this.source = Source::Buffered(None);
                Poll::Ready(Some(Err(Error::Transport {
                    endpoint: this.endpoint,
                    source: crate::error::shown_url::quiet(source),
                    attempts: Vec::new(),
                })))
            }
            Poll::Ready(None) => {
                let end = this.end();
                // Reported once: the stream is over either way.
                this.expected = None;
                this.source = Source::Buffered(None);
                Poll::Ready(end)
            }
            Poll::Pending => {
                let stalled = this
                    .idle
                    .as_mut()
                    .is_some_and(|idle| idle.timer.as_mut().poll(cx).is_ready());
                if !stalled {
                    return Poll::Pending;
                }
                this.source = Source::Buffered(None);
                this.expected = None;
                Poll::Ready(Some(Err(Error::Timeout {
                    endpoint: this.endpoint,
                    kind: TimeoutKind::Attempt,
                    attempts: Vec::new(),
                })))
            }
        }
    }
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyStream")
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("content_length", &self.expected)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A request body streamed from a reader or a stream, of a length known
/// before it is sent (it becomes the `Content-Length`): the `#[body]` of a
/// declared endpoint that uploads content, such as a file's `content`.
///
/// It is sent once: a redirect or a retry that would need it again fails
/// instead. Reading fewer or more bytes than the declared length fails the
/// request rather than sending a body of another length. An attempt's
/// timeout includes sending the body. For large content, prefer an upload
/// session ([`GraphClient::upload`](crate::GraphClient::upload)).
///
/// ```
/// use graph_endpoint::{graph_action, Error, Graph, GraphClient, StreamBody};
///
/// pub trait Drive: Graph {
///     /// Replaces a small file's content (up to 250 MB).
///     #[graph_action(PUT, "/me/drive/items/<id>/content", expect = [200, 201])]
///     async fn put_content(&self, id: &str, #[body] content: StreamBody) -> Result<serde_json::Value, Error>;
/// }
/// impl Drive for GraphClient {}
///
/// # async fn demo(graph: GraphClient) -> Result<(), Box<dyn std::error::Error>> {
/// let file = tokio::fs::File::open("report.csv").await?;
/// let length = file.metadata().await?.len();
/// let body = StreamBody::from_reader(file, length).content_type("text/csv");
/// let item = graph.put_content("01ABC", body).await?;
/// # Ok(()) }
/// ```
pub struct StreamBody {
    length: u64,
    content_type: HeaderValue,
    stream: ByteStream,
}

impl StreamBody {
    /// A body of `length` bytes from a stream of chunks.
    ///
    /// ```
    /// use graph_endpoint::StreamBody;
    /// use graph_endpoint::bytes::Bytes;
    ///
    /// let chunks = futures_util::stream::iter([Ok(Bytes::from("a,b\n")), Ok(Bytes::from("1,2\n"))]);
    /// let body = StreamBody::new(chunks, 8);
    /// assert_eq!(body.len(), 8);
    /// ```
    pub fn new(
        stream: impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
        length: u64,
    ) -> StreamBody {
        StreamBody {
            length,
            content_type: HeaderValue::from_static("application/octet-stream"),
            stream: Box::pin(stream),
        }
    }

    /// A body of `length` bytes read from `reader` (a file, a pipe), 64 KiB
    /// at a time.
    ///
    /// ```
    /// use graph_endpoint::StreamBody;
    /// let body = StreamBody::from_reader(&b"hello"[..], 5);
    /// assert!(!body.is_empty());
    /// ```
    pub fn from_reader(reader: impl AsyncRead + Send + 'static, length: u64) -> StreamBody {
        StreamBody::new(
            tokio_util::io::ReaderStream::with_capacity(reader, 64 * 1024),
            length,
        )
    }

    /// Sets the `Content-Type` (default `application/octet-stream`); a value
    /// that is not a valid header value is ignored.
    ///
    /// ```
    /// let body = graph_endpoint::StreamBody::from_reader(&b"a,b"[..], 3).content_type("text/csv");
    /// # drop(body);
    /// ```
    #[must_use]
    pub fn content_type(mut self, value: &str) -> StreamBody {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.content_type = value;
        }
        self
    }

    /// The declared length in bytes.
    pub fn len(&self) -> u64 {
        self.length
    }

    /// Whether the declared length is zero.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The `Content-Type`, the `Content-Length` and the body for reqwest;
    /// the stream fails when it gives another length than declared.
    pub(crate) fn into_parts(self) -> (HeaderValue, u64, reqwest::Body) {
        let length = self.length;
        let checked = Exact {
            inner: self.stream,
            declared: length,
            seen: 0,
            done: false,
        };
        (
            self.content_type,
            length,
            reqwest::Body::wrap_stream(checked),
        )
    }
}

impl fmt::Debug for StreamBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamBody")
            .field("length", &self.length)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// A stream that must give exactly `declared` bytes.
struct Exact {
    inner: ByteStream,
    declared: u64,
    seen: u64,
    done: bool,
}

impl Stream for Exact {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let polled = std::task::ready!(self.inner.as_mut().poll_next(cx));
        let declared = self.declared;
        let mismatch = |seen: u64| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the streamed body gave {seen} bytes; its declared length is {declared}"),
            )
        };
        Poll::Ready(match polled {
            Some(Ok(chunk)) => {
                self.seen += chunk.len() as u64;
                if self.seen > declared {
                    self.done = true;
                    Some(Err(mismatch(self.seen)))
                } else {
                    Some(Ok(chunk))
                }
            }
            Some(Err(error)) => {
                self.done = true;
                Some(Err(error))
            }
            None => {
                self.done = true;
                (self.seen != declared).then(|| Err(mismatch(self.seen)))
            }
        })
    }
}

/// Where a request keeps its streamed body until an attempt takes it: a
/// request is cloned (for a batch, a retry), the body is not.
#[derive(Clone)]
pub(crate) struct StreamSlot {
    body: Arc<Mutex<Option<StreamBody>>>,
    length: u64,
}

impl StreamSlot {
    pub(crate) fn new(body: StreamBody) -> StreamSlot {
        StreamSlot {
            length: body.length,
            body: Arc::new(Mutex::new(Some(body))),
        }
    }

    /// The body's content type, length and reqwest body; a body already
    /// taken by an earlier attempt gives a body that fails with a clear
    /// message (it cannot be replayed).
    pub(crate) fn take(&self) -> (HeaderValue, u64, reqwest::Body) {
        let taken = self
            .body
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        match taken {
            Some(body) => body.into_parts(),
            None => {
                let spent = futures_util::stream::once(async {
                    Err::<Bytes, _>(std::io::Error::other(
                        "the streamed body was sent by an earlier attempt and cannot be sent again",
                    ))
                });
                // The declared length, so that the failing body is read
                // (an empty one would be sent as if it were the content).
                (
                    HeaderValue::from_static("application/octet-stream"),
                    self.length,
                    reqwest::Body::wrap_stream(spent),
                )
            }
        }
    }
}

impl fmt::Debug for StreamSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamSlot")
    }
}
