//! Graph's upload sessions for large content: `createUploadSession` gives an
//! `uploadUrl` (on another host, signed by itself); the content goes there in
//! chunks of multiples of 320 KiB with `Content-Range`, never with the bearer
//! token; after a failure the upload resumes from the session's
//! `nextExpectedRanges`; `DELETE uploadUrl` cancels it.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use http::header::{CONTENT_LENGTH, CONTENT_RANGE};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::client::GraphClient;
use crate::error::Error;
use crate::response::RawResponse;
use crate::transfer::{Progress, UPLOAD_CANCEL, UPLOAD_CHUNK, UPLOAD_STATUS, check_transfer_url};

/// Chunks of an upload session are multiples of 320 KiB (327,680 bytes),
/// as Graph requires; only the last chunk may be shorter.
pub const UPLOAD_CHUNK_MULTIPLE: u64 = 320 * 1024;
/// The default chunk: 32 × 320 KiB = 10 MiB, the size Graph recommends.
pub const DEFAULT_UPLOAD_CHUNK: u64 = 32 * UPLOAD_CHUNK_MULTIPLE;
/// The largest chunk Graph accepts is under 60 MiB: 192 × 320 KiB.
pub const MAX_UPLOAD_CHUNK: u64 = 192 * UPLOAD_CHUNK_MULTIPLE;

/// An upload session, as `createUploadSession` answers it (and as a
/// session's status answers it later).
///
/// A resource's `createUploadSession` is declared as any endpoint, returning
/// `UploadSession`; [`GraphClient::upload`] then sends the content. A file
/// in a drive:
///
/// ```
/// use graph_endpoint::{graph_action, Error, Graph, GraphClient, UploadSession};
///
/// pub trait DriveUploads: Graph {
///     /// Creates an upload session for `file_name` in the folder `parent_id`.
///     #[graph_action(
///         POST,
///         "/drives/<drive_id>/items/<parent_id>:/<file_name>:/createUploadSession",
///         expect = 200,
///         permissions = ["Files.ReadWrite.All"]
///     )]
///     async fn create_upload_session(
///         &self,
///         drive_id: &str,
///         parent_id: &str,
///         file_name: &str,
///     ) -> Result<UploadSession, Error>;
/// }
/// impl DriveUploads for GraphClient {}
///
/// # async fn demo(graph: GraphClient) -> Result<(), Box<dyn std::error::Error>> {
/// let file = tokio::fs::File::open("big.iso").await?;
/// let length = file.metadata().await?.len();
/// let session = graph.create_upload_session("b!drive", "root", "big.iso").await?;
/// let created = graph.upload(&session, file, length).await?;
/// # Ok(()) }
/// ```
///
/// Its `uploadUrl` is signed: `Debug` shows its origin only.
///
/// ```
/// let session: graph_endpoint::UploadSession = serde_json::from_value(serde_json::json!({
///     "uploadUrl": "https://sn3302.up.1drv.com/up/fe6987415ace7X4e1eF866337?sig=secret",
///     "expirationDateTime": "2030-01-29T09:21:55.523Z",
///     "nextExpectedRanges": ["0-"]
/// })).unwrap();
/// assert_eq!(session.next_expected_start(), Some(0));
/// assert!(!format!("{session:?}").contains("secret"));
/// ```
#[derive(Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UploadSession {
    /// Where the chunks go: another host, no token.
    #[serde(default)]
    pub upload_url: String,
    /// When the session expires (ISO 8601).
    #[serde(default)]
    pub expiration_date_time: Option<String>,
    /// The ranges still missing (`"12345-"`, `"0-1023"`).
    #[serde(default)]
    pub next_expected_ranges: Vec<String>,
}

impl UploadSession {
    /// The first byte the service expects next, from `nextExpectedRanges`.
    #[must_use]
    pub fn next_expected_start(&self) -> Option<u64> {
        self.next_expected_ranges
            .iter()
            .filter_map(|range| range.split('-').next()?.trim().parse::<u64>().ok())
            .min()
    }

    /// Whether `expirationDateTime` has passed (false when absent or unreadable).
    #[must_use]
    pub fn is_expired(&self) -> bool {
        self.expiration_date_time
            .as_deref()
            .and_then(|at| {
                time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
            })
            .is_some_and(|at| at <= time::OffsetDateTime::from(SystemTime::now()))
    }

    fn expired(&self) -> Error {
        Error::UploadSessionExpired {
            expired_at: self.expiration_date_time.clone(),
        }
    }
}

impl fmt::Debug for UploadSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = reqwest::Url::parse(&self.upload_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        f.debug_struct("UploadSession")
            .field("upload_url_origin", &origin)
            .field("expiration_date_time", &self.expiration_date_time)
            .field("next_expected_ranges", &self.next_expected_ranges)
            .finish()
    }
}

type ProgressFn<'a> = Box<dyn FnMut(Progress) + Send + 'a>;

/// An upload of content to an upload session: what [`GraphClient::upload`]
/// returns; `.await` sends it and gives the final answer (the created item).
///
/// - Each chunk is a `PUT` to the `uploadUrl` with `Content-Length` and
///   `Content-Range: bytes a-b/total`, and no `Authorization` header (the
///   URL is signed by itself); chunks are multiples of 320 KiB.
/// - One chunk is in memory at a time, whatever the content's size.
/// - When a chunk fails (a broken connection, a `5xx` or `429`, a `416`),
///   the session's status (`GET uploadUrl`) tells where to go on from
///   (`nextExpectedRanges`), up to [`max_retries`](Self::max_retries) times
///   in a row. The source is read once, forward only: the chunk in hand is
///   sent again when the service asks for it.
/// - A session that expired is [`Error::UploadSessionExpired`].
/// - Dropping the future stops the upload; the session stays until it
///   expires or [`GraphClient::cancel_upload`] deletes it.
///   [`resume`](Self::resume) goes on with a session of an earlier run.
#[must_use = "an upload sends nothing until it is awaited"]
pub struct Upload<'a, R> {
    graph: &'a GraphClient,
    session: UploadSession,
    source: R,
    length: u64,
    chunk: u64,
    progress: Option<ProgressFn<'a>>,
    max_retries: u32,
    resume: bool,
}

impl<R> fmt::Debug for Upload<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("session", &self.session)
            .field("length", &self.length)
            .field("chunk", &self.chunk)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// Uploads `length` bytes read from `source` to `session`; see [`Upload`].
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient, session: graph_endpoint::UploadSession) -> Result<(), graph_endpoint::Error> {
    /// let content = vec![7u8; 1_000_000];
    /// let created = graph
    ///     .upload(&session, &content[..], content.len() as u64)
    ///     .chunk_size(2 * graph_endpoint::UPLOAD_CHUNK_MULTIPLE)
    ///     .on_progress(|p| eprintln!("{} / {:?}", p.done, p.total))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn upload<R: AsyncRead + Unpin + Send>(
        &self,
        session: &UploadSession,
        source: R,
        length: u64,
    ) -> Upload<'_, R> {
        Upload {
            graph: self,
            session: session.clone(),
            source,
            length,
            chunk: DEFAULT_UPLOAD_CHUNK,
            progress: None,
            max_retries: 5,
            resume: false,
        }
    }

    /// Cancels an upload session: `DELETE uploadUrl` (no token). The
    /// service forgets what was uploaded.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when the `uploadUrl` does not parse, is not https
    /// (plain http only to this machine) or carries credentials;
    /// [`Error::UploadSessionExpired`] when the service answers 404;
    /// [`Error::Status`] for a status other than 200 or 204; [`Error::Transport`],
    /// [`Error::Timeout`] or [`Error::Middleware`] when the request fails.
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient, session: graph_endpoint::UploadSession) -> Result<(), graph_endpoint::Error> {
    /// graph.cancel_upload(&session).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel_upload(&self, session: &UploadSession) -> Result<(), Error> {
        let url = check_transfer_url("cancel_upload", "the uploadUrl", &session.upload_url)?;
        let request = reqwest::Request::new(http::Method::DELETE, url);
        let response = self.send_foreign("cancel_upload", request).await?;
        match response.status().as_u16() {
            204 | 200 => Ok(()),
            404 => Err(session.expired()),
            _ => Err(response.into_status_error(self, &UPLOAD_CANCEL).await),
        }
    }

    /// Asks the session where it stands: `GET uploadUrl` (no token) gives
    /// its `nextExpectedRanges` and `expirationDateTime`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when the `uploadUrl` does not parse, is not https
    /// (plain http only to this machine) or carries credentials, or the answer
    /// does not decode as a session; [`Error::UploadSessionExpired`] when the
    /// service answers 404 or 410; [`Error::Status`] for another status than 200;
    /// [`Error::BodyTooLarge`] for an answer over 1 MiB; [`Error::Transport`],
    /// [`Error::Timeout`] or [`Error::Middleware`] when the request fails.
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient, session: graph_endpoint::UploadSession) -> Result<(), graph_endpoint::Error> {
    /// let now = graph.upload_status(&session).await?;
    /// println!("next: {:?}", now.next_expected_start());
    /// # Ok(()) }
    /// ```
    pub async fn upload_status(&self, session: &UploadSession) -> Result<UploadSession, Error> {
        let url = check_transfer_url("upload_status", "the uploadUrl", &session.upload_url)?;
        let request = reqwest::Request::new(http::Method::GET, url);
        let response = self.send_foreign("upload_status", request).await?;
        match response.status().as_u16() {
            200 => {}
            404 | 410 => return Err(session.expired()),
            _ => return Err(response.into_status_error(self, &UPLOAD_STATUS).await),
        }
        let (_, _, body) = response.read(SMALL_ANSWER_BYTES).await?;
        let mut status: UploadSession =
            crate::error::json_fault::from_slice(&body).map_err(|(_, fault)| {
                Error::InvalidRequest {
                    endpoint: "upload_status",
                    reason: format!("the session's status does not decode: {fault}"),
                }
            })?;
        if status.upload_url.is_empty() {
            status.upload_url = session.upload_url.clone();
        }
        Ok(status)
    }
}

impl<'a, R: AsyncRead + Unpin + Send + 'a> Upload<'a, R> {
    /// The chunk size, rounded down to a multiple of 320 KiB, between 320 KiB
    /// and [`MAX_UPLOAD_CHUNK`] (default [`DEFAULT_UPLOAD_CHUNK`]).
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        let multiples = (bytes / UPLOAD_CHUNK_MULTIPLE).max(1);
        self.chunk = (multiples * UPLOAD_CHUNK_MULTIPLE).min(MAX_UPLOAD_CHUNK);
        self
    }

    /// The chunk size in use.
    pub fn chunk_len(&self) -> u64 {
        self.chunk
    }

    /// Calls `progress` after each chunk the service acknowledged.
    pub fn on_progress(mut self, progress: impl FnMut(Progress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// How many failed chunks in a row are retried (default 5).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Asks the session where it stands before sending anything, and skips
    /// the source's bytes it already has: to go on with a session of an
    /// earlier run, given the source from its start.
    pub fn resume(mut self) -> Self {
        self.resume = true;
        self
    }

    async fn run(mut self) -> Result<RawResponse, Error> {
        let graph = self.graph;
        let total = self.length;
        if total == 0 {
            return Err(Error::InvalidRequest {
                endpoint: "upload",
                reason: "an upload session cannot take empty content".to_owned(),
            });
        }
        let url = check_transfer_url("upload", "the uploadUrl", &self.session.upload_url)?;
        if self.session.is_expired() {
            return Err(self.session.expired());
        }
        let mut next = if self.resume {
            status(graph, &self.session, self.max_retries)
                .await?
                .next_expected_start()
                .unwrap_or(0)
        } else {
            self.session.next_expected_start().unwrap_or(0)
        };
        // The chunk in hand and where it starts; the source is read up to its end.
        let mut hand = Bytes::new();
        let mut hand_start: u64 = 0;
        let mut failures = 0u32;
        loop {
            if next >= total {
                return Err(Error::Incomplete {
                    endpoint: "upload",
                    received: next,
                    reason: format!(
                        "the session expects bytes from {next}, past the content's {total} bytes"
                    ),
                });
            }
            let piece = self.piece(next, &mut hand, &mut hand_start).await?;
            let end = next + piece.len() as u64 - 1;
            let mut request = reqwest::Request::new(http::Method::PUT, url.clone());
            let headers = request.headers_mut();
            headers.insert(CONTENT_LENGTH, http::HeaderValue::from(piece.len() as u64));
            if let Ok(range) = http::HeaderValue::from_str(&format!("bytes {next}-{end}/{total}")) {
                headers.insert(CONTENT_RANGE, range);
            }
            *request.body_mut() = Some(piece.into());
            let failure = match graph.send_foreign("upload", request).await {
                Ok(response) => match response.status() {
                    StatusCode::OK | StatusCode::CREATED => {
                        let (status, headers, body) = response.read(SMALL_ANSWER_BYTES).await?;
                        self.report(total);
                        return Ok(RawResponse::new(status, headers, body));
                    }
                    StatusCode::ACCEPTED => match response.read(SMALL_ANSWER_BYTES).await {
                        Ok((_, _, body)) => {
                            let acknowledged: Option<UploadSession> =
                                serde_json::from_slice(&body).ok();
                            let acknowledged_next = acknowledged
                                .as_ref()
                                .and_then(UploadSession::next_expected_start)
                                .unwrap_or(end + 1);
                            if let Some(session) = acknowledged
                                && session.expiration_date_time.is_some()
                            {
                                self.session.expiration_date_time = session.expiration_date_time;
                            }
                            if acknowledged_next > next {
                                next = acknowledged_next;
                                failures = 0;
                                self.report(next);
                                continue;
                            }
                            // Acknowledged, yet the host still expects what it was
                            // just sent: a failed attempt, or the upload would
                            // send the same chunk for ever.
                            let not_accepted = Error::UploadNotAccepted {
                                received: acknowledged_next,
                                attempts: failures + 1,
                            };
                            (not_accepted, None)
                        }
                        Err(error) if error.is_retryable() => (error, None),
                        Err(error) => return Err(error),
                    },
                    StatusCode::NOT_FOUND | StatusCode::GONE => {
                        return Err(self.session.expired());
                    }
                    status
                        if status == StatusCode::RANGE_NOT_SATISFIABLE
                            || status.is_server_error()
                            || status == StatusCode::TOO_MANY_REQUESTS =>
                    {
                        let wait = crate::http_stack::retry::retry_after(
                            response.headers(),
                            SystemTime::now(),
                        );
                        let error = response.into_status_error(graph, &UPLOAD_CHUNK).await;
                        (error, wait)
                    }
                    _ => return Err(response.into_status_error(graph, &UPLOAD_CHUNK).await),
                },
                Err(error) if error.is_retryable() => (error, None),
                Err(error) => return Err(error),
            };
            failures += 1;
            let (error, asked) = failure;
            if failures > self.max_retries {
                return Err(error);
            }
            let pause = asked
                .unwrap_or_else(|| graph.retry_policy().backoff(failures))
                .min(Duration::from_secs(60));
            tracing::debug!(failures, %error, "an upload chunk failed: asking the session where to go on");
            tokio::time::sleep(pause).await;
            next = status(graph, &self.session, self.max_retries)
                .await?
                .next_expected_start()
                .unwrap_or(next);
        }
    }

    /// The chunk from `next`: taken from the one in hand when the service
    /// asks for it again, else read from the source (skipping what the
    /// service already has).
    async fn piece(
        &mut self,
        next: u64,
        hand: &mut Bytes,
        hand_start: &mut u64,
    ) -> Result<Bytes, Error> {
        let total = self.length;
        let read_to = *hand_start + hand.len() as u64;
        if next < *hand_start {
            return Err(Error::Incomplete {
                endpoint: "upload",
                received: next,
                reason: format!(
                    "the session asks again for bytes from {next}, before the chunk in hand (from {hand_start}); the source cannot be read back"
                ),
            });
        }
        let want = (total - next).min(self.chunk) as usize;
        let mut kept = if next <= read_to {
            hand.slice((next - *hand_start) as usize..)
        } else {
            // The service has bytes this run did not send (a resumed session).
            let mut skip = (&mut self.source).take(next - read_to);
            let skipped = tokio::io::copy(&mut skip, &mut tokio::io::sink())
                .await
                .map_err(source_error)?;
            if skipped != next - read_to {
                return Err(short_source(read_to + skipped, total));
            }
            Bytes::new()
        };
        if kept.len() > want {
            kept = kept.slice(..want);
        }
        let piece = if kept.len() == want {
            kept
        } else {
            let mut buffer = BytesMut::with_capacity(want);
            buffer.extend_from_slice(&kept);
            let mut rest = (&mut self.source).take((want - kept.len()) as u64);
            while buffer.len() < want {
                let read = rest.read_buf(&mut buffer).await.map_err(source_error)?;
                if read == 0 {
                    return Err(short_source(next + buffer.len() as u64, total));
                }
            }
            buffer.freeze()
        };
        *hand = piece.clone();
        *hand_start = next;
        Ok(piece)
    }

    fn report(&mut self, done: u64) {
        if let Some(progress) = &mut self.progress {
            progress(Progress {
                done,
                total: Some(self.length),
            });
        }
    }
}

impl<'a, R: AsyncRead + Unpin + Send + 'a> IntoFuture for Upload<'a, R> {
    type Output = Result<RawResponse, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<RawResponse, Error>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let graph = self.graph;
        Box::pin(graph.within_call_timeout("upload", self.run()))
    }
}

/// The session's status, retried as a chunk is.
async fn status(
    graph: &GraphClient,
    session: &UploadSession,
    max_retries: u32,
) -> Result<UploadSession, Error> {
    let mut tries = 0;
    loop {
        match graph.upload_status(session).await {
            Err(error) if error.is_retryable() && tries < max_retries => {
                tries += 1;
                tokio::time::sleep(graph.retry_policy().backoff(tries)).await;
            }
            other => return other,
        }
    }
}

fn source_error(source: std::io::Error) -> Error {
    Error::Io {
        endpoint: "upload",
        what: "reading the source",
        source,
    }
}

fn short_source(at: u64, total: u64) -> Error {
    Error::Incomplete {
        endpoint: "upload",
        received: at,
        reason: format!("the source ended at {at} of the {total} bytes declared"),
    }
}

/// The most read of a small answer (a session's status, a created item).
const SMALL_ANSWER_BYTES: usize = 1024 * 1024;
