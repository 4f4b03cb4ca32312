//! Streamed downloads from a URL the service handed out (a report's
//! storage URL): without the bearer token, to a file or a writer, one chunk
//! in memory at a time, resumed with `Range` where the server honours it.

use std::path::Path;
use std::time::Duration;

use http::StatusCode;
use http::header::{ACCEPT_RANGES, CONTENT_RANGE, ETAG, IF_RANGE, LAST_MODIFIED, LOCATION, RANGE};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::body::BodyStream;
use crate::client::GraphClient;
use crate::error::Error;
use crate::http_stack::redirect::{is_redirect, next_hop};
use crate::transfer::{DOWNLOAD, Progress, check_transfer_url};

type ProgressFn<'a> = Box<dyn FnMut(Progress) + Send + 'a>;

/// A download from a URL on another host, such as a completed export job's
/// `url`: what [`GraphClient::download`] returns; nothing is sent until one
/// of [`to_file`](Self::to_file), [`to_writer`](Self::to_writer) or
/// [`stream`](Self::stream) is awaited.
///
/// - The URL must be https (plain http only to this machine), and the
///   request carries no `Authorization` header and none of Graph's headers:
///   a storage URL is signed by itself, and the token is only for Graph.
/// - The body is written as it arrives, one chunk in memory at a time,
///   whatever its size; its length is checked against `Content-Length`
///   (or `Content-Range`).
/// - When the connection breaks mid-body and the server honours `Range`
///   (it answered `Accept-Ranges: bytes` or `206`), the download goes on
///   from the last byte written with `Range: bytes=N-`, up to
///   [`max_resumes`](Self::max_resumes) times; a server that does not
///   honour it fails with [`Error::Incomplete`].
/// - Redirects are followed by the client's rules (at most 5, never https to
///   http), each target checked as the URL is.
///
/// ```
/// # async fn demo(graph: graph_endpoint::GraphClient, url: &str) -> Result<(), graph_endpoint::Error> {
/// let bytes = graph
///     .download(url)
///     .on_progress(|p| eprintln!("{} of {:?} bytes", p.done, p.total))
///     .to_file("DeviceCompliance.zip")
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a download sends nothing until one of its methods is awaited"]
pub struct Download<'a> {
    graph: &'a GraphClient,
    url: String,
    progress: Option<ProgressFn<'a>>,
    max_resumes: u32,
    expect_zip: bool,
}

impl std::fmt::Debug for Download<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL's query is its signature: not shown.
        let origin = reqwest::Url::parse(&self.url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        f.debug_struct("Download")
            .field("origin", &origin)
            .field("max_resumes", &self.max_resumes)
            .finish_non_exhaustive()
    }
}

/// How many times a download resumes after a broken connection, by default.
pub const DEFAULT_MAX_RESUMES: u32 = 5;

impl GraphClient {
    /// A streamed download of `url`, a URL on another host that the service
    /// handed out (an export job's `url`); see [`Download`].
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
    /// let mut out = Vec::new();
    /// graph.download("https://storage.example/report.zip?sig=...").to_writer(&mut out).await?;
    /// # Ok(()) }
    /// ```
    pub fn download(&self, url: &str) -> Download<'_> {
        Download {
            graph: self,
            url: url.to_owned(),
            progress: None,
            max_resumes: DEFAULT_MAX_RESUMES,
            expect_zip: false,
        }
    }
}

impl<'a> Download<'a> {
    /// Calls `progress` after each chunk written.
    ///
    /// ```
    /// # fn demo(graph: &graph_endpoint::GraphClient) {
    /// let download = graph.download("https://storage.example/r.zip").on_progress(|p| {
    ///     if let Some(fraction) = p.fraction() { eprintln!("{:.0}%", fraction * 100.0) }
    /// });
    /// # drop(download); }
    /// ```
    pub fn on_progress(mut self, progress: impl FnMut(Progress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// How many times the download resumes after a broken connection
    /// (default [`DEFAULT_MAX_RESUMES`]; 0 never resumes).
    ///
    /// ```
    /// # fn demo(graph: &graph_endpoint::GraphClient) {
    /// let download = graph.download("https://storage.example/r.zip").max_resumes(0);
    /// # drop(download); }
    /// ```
    pub fn max_resumes(mut self, resumes: u32) -> Self {
        self.max_resumes = resumes;
        self
    }

    /// Checks at the end that the content is a whole zip (its end record is
    /// there): a zip cut short, even without a `Content-Length` to tell, is
    /// [`Error::Incomplete`]. The last 64 KiB are kept to check it.
    ///
    /// ```
    /// # fn demo(graph: &graph_endpoint::GraphClient) {
    /// let download = graph.download("https://storage.example/r.zip").expect_zip();
    /// # drop(download); }
    /// ```
    pub fn expect_zip(mut self) -> Self {
        self.expect_zip = true;
        self
    }

    /// Writes the content to a new file at `path` (replacing one that is
    /// there); returns its length.
    ///
    /// # Errors
    ///
    /// The errors of [`to_writer`](Self::to_writer), and [`Error::Io`] when the
    /// file cannot be created, written or synced to disk.
    pub async fn to_file(self, path: impl AsRef<Path>) -> Result<u64, Error> {
        let mut file = tokio::fs::File::create(path.as_ref())
            .await
            .map_err(|source| io("creating the file", source))?;
        let written = self.to_writer(&mut file).await?;
        file.sync_all()
            .await
            .map_err(|source| io("syncing the file", source))?;
        Ok(written)
    }

    /// Writes the content to `writer`, flushed at the end; returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when the URL or a redirect's target does not
    /// parse, is not https (plain http only to this machine) or carries
    /// credentials; [`Error::Redirect`] for a refused redirect; [`Error::Status`]
    /// for a status other than 200 or 206; [`Error::Transport`], [`Error::Timeout`]
    /// or [`Error::Middleware`] when a request fails; [`Error::Incomplete`] when
    /// the content ends short, is not a whole zip ([`expect_zip`](Self::expect_zip)),
    /// or broke off and could not be resumed (no `Range` support, or
    /// [`max_resumes`](Self::max_resumes) spent); [`Error::Io`] when writing to or
    /// flushing `writer` fails.
    pub async fn to_writer<W: AsyncWrite + Unpin + ?Sized>(
        self,
        writer: &mut W,
    ) -> Result<u64, Error> {
        let graph = self.graph;
        graph
            .within_call_timeout("download", self.write_all(writer))
            .await
    }

    async fn write_all<W: AsyncWrite + Unpin + ?Sized>(
        mut self,
        writer: &mut W,
    ) -> Result<u64, Error> {
        let graph = self.graph;
        let mut offset: u64 = 0;
        let mut total: Option<u64> = None;
        let mut resumes = 0u32;
        let mut ranges;
        // What the first answer said the object is (its strong ETag, else its
        // Last-Modified): a resumed part must be of the same object.
        let mut validator: Option<Validator> = None;
        let mut tail = self.expect_zip.then(ZipTail::default);
        loop {
            let mut body = match self.open(offset, validator.as_ref()).await {
                Ok(opened) => opened,
                Err(error) if offset > 0 && error.is_retryable() && resumes < self.max_resumes => {
                    resumes += 1;
                    tokio::time::sleep(pause(graph, resumes)).await;
                    continue;
                }
                Err(error) => return Err(error),
            };
            if offset == 0 {
                validator = Validator::of(&body);
            }
            match body.status() {
                StatusCode::PARTIAL_CONTENT => {
                    let (start, whole) = content_range(&body)?;
                    if start != offset {
                        return Err(incomplete(
                            offset,
                            format!("asked for bytes from {offset}, the server sent from {start}"),
                        ));
                    }
                    if offset > 0 {
                        same_object(offset, total, whole, validator.as_ref(), &body)?;
                    }
                    total = total.or(whole);
                    ranges = true;
                }
                _ if offset > 0 => {
                    return Err(incomplete(
                        offset,
                        "the connection broke, and the server answered the resumed request with the whole content: the object changed since the download began (If-Range did not match) or the server does not honour Range; download it again".to_owned(),
                    ));
                }
                _ => {
                    total = body.content_length();
                    ranges = body
                        .header(ACCEPT_RANGES.as_str())
                        .is_some_and(|v| v.eq_ignore_ascii_case("bytes"));
                }
            }
            let broken = loop {
                match body.chunk().await {
                    Ok(Some(chunk)) => {
                        writer
                            .write_all(&chunk)
                            .await
                            .map_err(|source| io("writing the content", source))?;
                        offset += chunk.len() as u64;
                        if let Some(tail) = &mut tail {
                            tail.push(&chunk);
                        }
                        if let Some(progress) = &mut self.progress {
                            progress(Progress {
                                done: offset,
                                total,
                            });
                        }
                    }
                    Ok(None) => break None,
                    Err(error) => break Some(error),
                }
            };
            match broken {
                None if tail.as_ref().is_some_and(|tail| !tail.is_whole()) => {
                    return Err(incomplete(
                        offset,
                        "the zip is cut short: its end of central directory record is missing"
                            .to_owned(),
                    ));
                }
                None if total.is_none_or(|t| t == offset) => {
                    writer
                        .flush()
                        .await
                        .map_err(|source| io("flushing the content", source))?;
                    return Ok(offset);
                }
                None => {
                    return Err(incomplete(
                        offset,
                        format!("the content ended before the {total:?} bytes announced"),
                    ));
                }
                Some(error) if !ranges => {
                    return Err(incomplete(
                        offset,
                        format!(
                            "the connection broke ({error}) and the server does not honour Range, so the download cannot resume"
                        ),
                    ));
                }
                Some(error) if validator.is_none() => {
                    return Err(incomplete(
                        offset,
                        format!(
                            "the connection broke ({error}) and the server gave no ETag or Last-Modified, so a resumed part could be of another version of the object: the download does not resume"
                        ),
                    ));
                }
                Some(error) if resumes >= self.max_resumes => {
                    return Err(incomplete(
                        offset,
                        format!("the connection broke ({error}) after {resumes} resumes"),
                    ));
                }
                Some(_) => {
                    resumes += 1;
                    tracing::debug!(offset, resumes, "download broke off: resuming with Range");
                    tokio::time::sleep(pause(graph, resumes)).await;
                }
            }
        }
    }

    /// The content as a stream, from one request (no resuming): for a
    /// caller that handles the chunks itself.
    ///
    /// # Errors
    ///
    /// Up to the response's head, the request errors of [`to_writer`](Self::to_writer):
    /// [`Error::InvalidRequest`], [`Error::Redirect`], [`Error::Status`],
    /// [`Error::Transport`], [`Error::Timeout`], [`Error::Middleware`]. Reading
    /// the body fails as [`BodyStream::chunk`] does, and is never resumed.
    pub async fn stream(self) -> Result<BodyStream, Error> {
        self.graph
            .within_call_timeout("download", self.open(0, None))
            .await
    }

    /// Sends the GET (from `offset` when above 0, with `Range` and, to be
    /// sure the part is of the same object, `If-Range`), following
    /// redirects; the body is left to read.
    async fn open(&self, offset: u64, validator: Option<&Validator>) -> Result<BodyStream, Error> {
        let graph = self.graph;
        let mut url = check_transfer_url("download", "the download URL", &self.url)?;
        let mut redirects = 0;
        loop {
            let mut request = reqwest::Request::new(http::Method::GET, url.clone());
            if offset > 0 {
                let range = http::HeaderValue::from_str(&format!("bytes={offset}-"))
                    .map_err(|_| incomplete(offset, "no Range header".to_owned()))?;
                request.headers_mut().insert(RANGE, range);
                if let Some(validator) = validator {
                    request
                        .headers_mut()
                        .insert(IF_RANGE, validator.value().clone());
                }
            }
            let response = graph.send_foreign("download", request).await?;
            let status = response.status();
            if is_redirect(status) {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let hop = next_hop(&url, &location, status, redirects).map_err(|reason| {
                    Error::Redirect {
                        endpoint: "download",
                        reason,
                    }
                })?;
                url = check_transfer_url("download", "the redirect target", hop.url.as_str())?;
                redirects += 1;
                continue;
            }
            if !DOWNLOAD.expects(status.as_u16()) {
                return Err(response.into_status_error(graph, &DOWNLOAD).await);
            }
            let mut headers = response.headers().clone();
            headers.remove(http::header::SET_COOKIE);
            return Ok(BodyStream::live(
                "download",
                status,
                headers,
                response.response,
                graph.idle_timeout(),
            ));
        }
    }
}

/// What identifies the version of an object: a strong `ETag`, else its
/// `Last-Modified`, sent back as `If-Range` when resuming.
enum Validator {
    ETag(http::HeaderValue),
    LastModified(http::HeaderValue),
}

impl Validator {
    fn of(body: &BodyStream) -> Option<Validator> {
        let headers = body.headers();
        // A weak ETag cannot be used with If-Range (RFC 9110, 13.1.5).
        let etag = headers
            .get(ETAG)
            .filter(|etag| !etag.as_bytes().starts_with(b"W/"));
        match (etag, headers.get(LAST_MODIFIED)) {
            (Some(etag), _) => Some(Validator::ETag(etag.clone())),
            (None, Some(modified)) => Some(Validator::LastModified(modified.clone())),
            (None, None) => None,
        }
    }

    fn value(&self) -> &http::HeaderValue {
        match self {
            Validator::ETag(value) | Validator::LastModified(value) => value,
        }
    }
}

/// Whether a resumed `206` is a part of the object the download began with:
/// the same whole length, and the same ETag when both name one.
fn same_object(
    offset: u64,
    total: Option<u64>,
    whole: Option<u64>,
    validator: Option<&Validator>,
    body: &BodyStream,
) -> Result<(), Error> {
    if let Some(total) = total
        && whole != Some(total)
    {
        return Err(incomplete(
            offset,
            format!(
                "the resumed part is of an object of {} bytes, not the {total} bytes the download began with: the object changed; download it again",
                whole.map_or_else(|| "unknown".to_owned(), |w| w.to_string())
            ),
        ));
    }
    if let (Some(Validator::ETag(first)), Some(now)) = (validator, body.headers().get(ETAG))
        && first != now
    {
        return Err(incomplete(
            offset,
            "the resumed part carries another ETag than the download began with: the object changed; download it again".to_owned(),
        ));
    }
    Ok(())
}

/// The last bytes of a zip, enough to find its end record (22 bytes and a
/// comment of up to 65,535).
#[derive(Default)]
struct ZipTail {
    bytes: Vec<u8>,
}

const ZIP_TAIL: usize = 22 + 65_535;

impl ZipTail {
    fn push(&mut self, chunk: &[u8]) {
        if chunk.len() >= ZIP_TAIL {
            self.bytes.clear();
            self.bytes
                .extend_from_slice(&chunk[chunk.len() - ZIP_TAIL..]);
            return;
        }
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > 2 * ZIP_TAIL {
            let excess = self.bytes.len() - ZIP_TAIL;
            self.bytes.drain(..excess);
        }
    }

    /// Whether an end of central directory record ends the bytes: its
    /// signature, followed by exactly its comment.
    fn is_whole(&self) -> bool {
        let bytes = &self.bytes;
        (0..=bytes.len().saturating_sub(22)).rev().any(|at| {
            bytes.len() >= at + 22
                && bytes[at..at + 4] == [0x50, 0x4b, 0x05, 0x06]
                && at + 22 + usize::from(u16::from_le_bytes([bytes[at + 20], bytes[at + 21]]))
                    == bytes.len()
        })
    }
}

/// The start and whole length of a `206`'s `Content-Range: bytes a-b/total`.
fn content_range(body: &BodyStream) -> Result<(u64, Option<u64>), Error> {
    let value = body.header(CONTENT_RANGE.as_str()).unwrap_or_default();
    let parsed = value.strip_prefix("bytes ").and_then(|rest| {
        let (range, whole) = rest.split_once('/')?;
        let (start, _end) = range.split_once('-')?;
        Some((start.trim().parse().ok()?, whole.trim().parse().ok()))
    });
    parsed.ok_or_else(|| {
        incomplete(
            body.received(),
            format!("a 206 answer without a readable Content-Range (`{value}`)"),
        )
    })
}

fn pause(graph: &GraphClient, resumes: u32) -> Duration {
    graph
        .retry_policy()
        .backoff(resumes)
        .min(Duration::from_secs(30))
}

fn incomplete(received: u64, reason: String) -> Error {
    Error::Incomplete {
        endpoint: "download",
        received,
        reason,
    }
}

fn io(what: &'static str, source: std::io::Error) -> Error {
    Error::Io {
        endpoint: "download",
        what,
        source,
    }
}
