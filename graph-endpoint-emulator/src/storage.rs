//! The storage host: a second listener on 127.0.0.1 standing for the other
//! origins Graph hands out (a report's download URL, an upload session's
//! `uploadUrl`). As a real storage host, it checks the signature (`sig`) of
//! every URL it handed out (missing or altered: `403`), refuses any
//! `Authorization` header, gives up on a request head that does not arrive
//! in time, and serves a bounded number of connections at once. It records
//! requests with their headers (the most recent ones, up to a bound), serves
//! content with `Range` and `If-Range` (or without, when told), generates
//! large content on the fly, and hashes uploads as they arrive, so neither
//! direction is ever held in memory.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_lc_rs::digest;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::RecordedRequest;
use crate::body::CutShort;
use crate::server::{Dropped, Shared, lock};

/// A fault of the storage host, used once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageFault {
    /// The next download sends the content up to this offset (from the
    /// start of the content), then breaks the connection.
    CutDownloadAt(u64),
    /// The next download of a report's zip serves its first half as if it
    /// were the whole (a `Content-Length` of that half): a zip cut short.
    TruncatedZip,
    /// The upload chunk starting at this offset is answered `500`.
    RejectChunkAt(u64),
    /// The upload chunk starting at this offset is read halfway, then the
    /// connection is closed without an answer.
    DropChunkAt(u64),
}

/// A file an upload session stored: its name, length and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The name it was created with.
    pub name: String,
    /// Its length in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

pub(crate) struct Session {
    pub name: String,
    pub expires: time::OffsetDateTime,
    pub received: u64,
    pub total: Option<u64>,
    pub hash: digest::Context,
}

/// The state behind the second listener, and what Graph's routes share with it.
pub(crate) struct Storage {
    pub base_url: String,
    pub ranges: bool,
    pub limits: Limits,
    /// The `sig` of each path handed out.
    signatures: Mutex<HashMap<String, String>>,
    pub faults: Mutex<Vec<StorageFault>>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub counter: AtomicU64,
    pub zips: Mutex<HashMap<String, Bytes>>,
    pub blobs: Mutex<HashMap<String, (u64, u64)>>,
    pub sessions: Mutex<HashMap<String, Session>>,
    pub stored: Mutex<Vec<StoredFile>>,
    pub session_lifetime: Duration,
}

/// What bounds the storage host, as a real one is bounded.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long a connection may take to send a request's head.
    pub header_read_timeout: Duration,
    /// Requests recorded; past this, the oldest are forgotten.
    pub max_recorded: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            max_recorded: 10_000,
        }
    }
}

impl crate::EmulatorBuilder {
    /// How many connections the storage host serves at once (default 256);
    /// more wait to be accepted until one closes.
    #[must_use]
    pub fn storage_max_connections(mut self, connections: usize) -> Self {
        self.storage_limits.max_connections = connections.max(1);
        self
    }

    /// How long the storage host waits for a request's head (default 10 s);
    /// a connection that has not sent it by then is closed.
    #[must_use]
    pub fn storage_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.storage_limits.header_read_timeout = timeout;
        self
    }

    /// How many of its requests the storage host keeps for
    /// [`Emulator::storage_requests`](crate::Emulator::storage_requests)
    /// (default 10,000): the most recent ones.
    #[must_use]
    pub fn storage_max_recorded_requests(mut self, requests: usize) -> Self {
        self.storage_limits.max_recorded = requests;
        self
    }
}

impl Storage {
    pub fn new(
        base_url: String,
        ranges: bool,
        session_lifetime: Duration,
        limits: Limits,
    ) -> Storage {
        Storage {
            base_url,
            ranges,
            limits,
            signatures: Mutex::new(HashMap::new()),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
            zips: Mutex::new(HashMap::new()),
            blobs: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            stored: Mutex::new(Vec::new()),
            session_lifetime,
        }
    }

    fn take_fault(&self, matches: impl Fn(&StorageFault) -> bool) -> Option<StorageFault> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(matches)?;
        Some(faults.remove(index))
    }

    /// A new upload session for `name`; its `uploadUrl` and expiry.
    pub fn create_session(&self, name: &str) -> (String, time::OffsetDateTime) {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let expires = time::OffsetDateTime::now_utc() + self.session_lifetime;
        lock(&self.sessions).insert(
            id.clone(),
            Session {
                name: name.to_owned(),
                expires,
                received: 0,
                total: None,
                hash: digest::Context::new(&digest::SHA256),
            },
        );
        (self.signed_url(&format!("/upload/{id}")), expires)
    }

    /// The URL of `path` (from `/`) with a signature of its own, as a
    /// storage host hands out: `?sv=2024&sig=...`. A path signed before
    /// keeps its signature.
    pub fn signed_url(&self, path: &str) -> String {
        let signature = lock(&self.signatures)
            .entry(path.to_owned())
            .or_insert_with(|| uuid::Uuid::new_v4().simple().to_string())
            .clone();
        format!("{}{path}?sv=2024&sig={signature}", self.base_url)
    }

    /// Whether a request names the `sig` its path was handed out with; a
    /// path never handed out is left to its route (a `404`).
    fn signature_holds(&self, uri: &http::Uri) -> bool {
        let Some(expected) = lock(&self.signatures).get(uri.path()).cloned() else {
            return true;
        };
        let given = uri.query().and_then(|query| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| *name == "sig")
                .map(|(_, value)| value.to_owned())
        });
        given.as_deref() == Some(expected.as_str())
    }

    fn record(&self, request: RecordedRequest) {
        let mut requests = lock(&self.requests);
        if self.limits.max_recorded == 0 {
            return;
        }
        if requests.len() >= self.limits.max_recorded {
            let excess = requests.len() + 1 - self.limits.max_recorded;
            requests.drain(..excess);
        }
        requests.push(request);
    }
}

/// Byte `offset` of the blob generated from `seed`, and the ones after it:
/// fills `out` with the content from `offset`. Deterministic, so a test can
/// check what it received without the content being stored anywhere.
///
/// ```
/// let mut a = [0u8; 16];
/// let mut b = [0u8; 8];
/// graph_endpoint_emulator::fill_blob(7, 0, &mut a);
/// graph_endpoint_emulator::fill_blob(7, 8, &mut b);
/// assert_eq!(&a[8..], &b[..]);
/// ```
pub fn fill_blob(seed: u64, offset: u64, out: &mut [u8]) {
    let mut position = offset;
    let mut written = 0;
    while written < out.len() {
        let word =
            splitmix(seed ^ (position / 8).wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes();
        let within = (position % 8) as usize;
        let take = (8 - within).min(out.len() - written);
        out[written..written + take].copy_from_slice(&word[within..within + take]);
        written += take;
        position += take as u64;
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a storage answer's body is made of.
enum Source {
    Data(Bytes),
    Blob(u64),
}

/// A body served from `pos` to `end`, 64 KiB a frame, generated or sliced,
/// failing at `cut` when the fault says so.
pub(crate) struct StorageBody {
    source: Source,
    pos: u64,
    end: u64,
    cut: Option<u64>,
}

const FRAME: u64 = 64 * 1024;

impl StorageBody {
    fn json(value: &Value) -> StorageBody {
        let data = Bytes::from(value.to_string());
        StorageBody {
            end: data.len() as u64,
            source: Source::Data(data),
            pos: 0,
            cut: None,
        }
    }

    fn empty() -> StorageBody {
        StorageBody {
            source: Source::Data(Bytes::new()),
            pos: 0,
            end: 0,
            cut: None,
        }
    }
}

impl Body for StorageBody {
    type Data = Bytes;
    type Error = CutShort;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, CutShort>>> {
        let this = &mut *self;
        if this.cut.is_some_and(|cut| this.pos >= cut) {
            this.cut = None;
            this.end = this.pos;
            return Poll::Ready(Some(Err(CutShort)));
        }
        if this.pos >= this.end {
            return Poll::Ready(None);
        }
        let stop = this.cut.map_or(this.end, |cut| cut.min(this.end));
        let len = (stop - this.pos).min(FRAME);
        let chunk = match &this.source {
            Source::Data(data) => data.slice(this.pos as usize..(this.pos + len) as usize),
            Source::Blob(seed) => {
                let mut out = vec![0u8; len as usize];
                fill_blob(*seed, this.pos, &mut out);
                Bytes::from(out)
            }
        };
        this.pos += len;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.cut.is_none() && self.pos >= self.end
    }

    fn size_hint(&self) -> SizeHint {
        if self.cut.is_some() {
            return SizeHint::default();
        }
        SizeHint::with_exact(self.end - self.pos)
    }
}

fn respond(status: u16, body: StorageBody) -> hyper::Response<StorageBody> {
    let mut response = hyper::Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
}

/// An app content blob's answer (see `blob_blocks`).
fn blob_reply(reply: crate::blob_blocks::BlobReply) -> hyper::Response<StorageBody> {
    let body = StorageBody {
        end: reply.body.len() as u64,
        source: Source::Data(reply.body),
        pos: 0,
        cut: None,
    };
    let mut response = respond(reply.status, body);
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn json_reply(status: u16, value: Value) -> hyper::Response<StorageBody> {
    let mut response = respond(status, StorageBody::json(&value));
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

fn error(status: u16, code: &str, message: &str) -> hyper::Response<StorageBody> {
    json_reply(status, json!({"error": {"code": code, "message": message}}))
}

/// Serves one connection of the storage host; a request head that does not
/// arrive within the header-read timeout closes it.
pub(crate) async fn serve_connection(shared: Arc<Shared>, stream: tokio::net::TcpStream) {
    let timeout = shared.storage.limits.header_read_timeout;
    let service = hyper::service::service_fn(move |request| handle(shared.clone(), request));
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(timeout)
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}

/// Accepts connections of the storage host until the emulator is dropped,
/// at most `max_connections` at a time: past that, a connection waits in the
/// listen queue until one closes.
pub(crate) async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let places = Arc::new(tokio::sync::Semaphore::new(
        shared.storage.limits.max_connections,
    ));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok(place) = places.clone().acquire_owned().await else {
            return;
        };
        let accepted = loop {
            tokio::select! {
                accepted = listener.accept() => break accepted,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        };
        match accepted {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                connections.spawn(async move {
                    serve_connection(shared, stream).await;
                    drop(place);
                });
            }
            Err(_) => {
                drop(place);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<StorageBody>, Dropped> {
    let storage = &shared.storage;
    let (parts, body) = request.into_parts();
    storage.counter.fetch_add(1, Ordering::SeqCst);
    if shared.record {
        storage.record(RecordedRequest {
            method: parts.method.as_str().to_owned(),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: Bytes::new(),
        });
    }
    // A URL handed out is good only with its signature, whole.
    if !storage.signature_holds(&parts.uri) {
        return Ok(error(
            403,
            "AuthenticationFailed",
            "Server failed to authenticate the request: the signature (sig) is missing or does not match.",
        ));
    }
    // A signed URL is its own credential: a bearer token here is a leak.
    if parts.headers.contains_key(http::header::AUTHORIZATION) {
        return Ok(error(
            401,
            "AuthorizationNotAllowed",
            "The storage host refuses requests that carry an Authorization header.",
        ));
    }
    let segments: Vec<&str> = parts
        .uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .collect();
    match (&parts.method, segments.as_slice()) {
        (&Method::GET, ["reports", file]) => {
            let id = file.strip_suffix(".zip").unwrap_or(file);
            let Some(mut zip) = lock(&storage.zips).get(id).cloned() else {
                return Ok(error(
                    404,
                    "BlobNotFound",
                    "The specified blob does not exist.",
                ));
            };
            if storage
                .take_fault(|f| *f == StorageFault::TruncatedZip)
                .is_some()
            {
                zip = zip.slice(..zip.len() / 2);
            }
            let digest = digest::digest(&digest::SHA256, &zip);
            let etag: String = digest.as_ref()[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            Ok(serve(
                storage,
                &parts,
                Source::Data(zip.clone()),
                zip.len() as u64,
                "application/zip",
                &format!("\"{etag}\""),
            ))
        }
        (&Method::GET, ["blobs", name]) => {
            let Some((seed, size)) = lock(&storage.blobs).get(*name).copied() else {
                return Ok(error(
                    404,
                    "BlobNotFound",
                    "The specified blob does not exist.",
                ));
            };
            Ok(serve(
                storage,
                &parts,
                Source::Blob(seed),
                size,
                "application/octet-stream",
                &format!("\"{seed:x}-{size:x}\""),
            ))
        }
        (method, ["upload", id]) => Ok(upload(storage, method, &parts, id, body).await?),
        (_, ["content", blob]) => {
            let reply = crate::blob_blocks::handle(&shared, &parts, blob, body).await?;
            Ok(blob_reply(reply))
        }
        _ => Ok(error(
            404,
            "ResourceNotFound",
            "No such resource on the storage host.",
        )),
    }
}

/// Content of `size` bytes, whole or from a `Range: bytes=N-` (when ranges
/// are on, and an `If-Range` names this `etag`), with its `ETag`.
fn serve(
    storage: &Storage,
    parts: &http::request::Parts,
    source: Source,
    size: u64,
    content_type: &'static str,
    etag: &str,
) -> hyper::Response<StorageBody> {
    // RFC 9110: a range of another version is not served; the whole one is.
    let same_version = parts
        .headers
        .get(http::header::IF_RANGE)
        .is_none_or(|value| value.as_bytes() == etag.as_bytes());
    let asked = parts
        .headers
        .get(http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|_| storage.ranges && same_version);
    let start = asked.unwrap_or(0);
    if start >= size && asked.is_some() {
        let mut response = error(416, "InvalidRange", "The range specified is invalid.");
        if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
            response.headers_mut().insert("content-range", value);
        }
        return response;
    }
    let cut = storage
        .take_fault(|f| matches!(f, StorageFault::CutDownloadAt(at) if *at > start && *at < size))
        .and_then(|f| match f {
            StorageFault::CutDownloadAt(at) => Some(at),
            _ => None,
        });
    let body = StorageBody {
        source,
        pos: start,
        end: size,
        cut,
    };
    let mut response = respond(if asked.is_some() { 206 } else { 200 }, body);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    headers.insert("content-length", HeaderValue::from(size - start));
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert("etag", value);
    }
    if storage.ranges {
        headers.insert("accept-ranges", HeaderValue::from_static("bytes"));
    }
    if asked.is_some()
        && let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", size - 1))
    {
        headers.insert("content-range", value);
    }
    response
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn session_status(session: &Session) -> Value {
    json!({
        "expirationDateTime": rfc3339(session.expires),
        "nextExpectedRanges": [format!("{}-", session.received)],
    })
}

const MULTIPLE: u64 = 320 * 1024;

async fn upload(
    storage: &Storage,
    method: &Method,
    parts: &http::request::Parts,
    id: &str,
    mut body: Incoming,
) -> Result<hyper::Response<StorageBody>, Dropped> {
    let gone = || {
        error(
            404,
            "itemNotFound",
            "The upload session does not exist or has expired.",
        )
    };
    let now = time::OffsetDateTime::now_utc();
    {
        let mut sessions = lock(&storage.sessions);
        match sessions.get(id) {
            None => return Ok(gone()),
            Some(session) if session.expires <= now => {
                sessions.remove(id);
                return Ok(gone());
            }
            Some(_) => {}
        }
        match *method {
            Method::GET => {
                return Ok(json_reply(200, session_status(&sessions[id])));
            }
            Method::DELETE => {
                sessions.remove(id);
                return Ok(respond(204, StorageBody::empty()));
            }
            Method::PUT => {}
            _ => return Ok(error(405, "MethodNotAllowed", "GET, PUT or DELETE.")),
        }
    }
    let range = parts
        .headers
        .get(http::header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes "))
        .and_then(|v| {
            let (range, total) = v.split_once('/')?;
            let (start, end) = range.split_once('-')?;
            Some((
                start.parse::<u64>().ok()?,
                end.parse::<u64>().ok()?,
                total.parse::<u64>().ok()?,
            ))
        });
    let Some((start, end, total)) = range.filter(|(s, e, t)| s <= e && e < t) else {
        return Ok(error(
            400,
            "invalidRange",
            "A chunk needs Content-Range: bytes start-end/total.",
        ));
    };
    let length = end - start + 1;
    let mut hash = {
        let sessions = lock(&storage.sessions);
        let Some(session) = sessions.get(id) else {
            return Ok(gone());
        };
        if start != session.received || session.total.is_some_and(|t| t != total) {
            return Ok(json_reply(416, {
                let mut status = session_status(session);
                status["error"] = json!({"code": "invalidRange", "message": "The uploaded fragment overlaps or skips bytes."});
                status
            }));
        }
        if !length.is_multiple_of(MULTIPLE) && end + 1 != total {
            return Ok(error(
                400,
                "invalidChunkSize",
                "A chunk other than the last must be a multiple of 320 KiB.",
            ));
        }
        session.hash.clone()
    };
    if storage
        .take_fault(|f| *f == StorageFault::RejectChunkAt(start))
        .is_some()
    {
        while let Some(Ok(_)) = body.frame().await {}
        return Ok(error(
            500,
            "generalException",
            "The chunk could not be stored.",
        ));
    }
    let drop_at = storage
        .take_fault(|f| *f == StorageFault::DropChunkAt(start))
        .map(|_| length / 2);
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            // The client went away mid-chunk: nothing of it is kept.
            return Err(Dropped);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len() as u64;
        if seen > length {
            return Ok(error(
                400,
                "invalidRange",
                "The chunk is longer than its Content-Range.",
            ));
        }
        hash.update(&data);
        if drop_at.is_some_and(|at| seen >= at) {
            return Err(Dropped);
        }
    }
    if seen != length {
        return Ok(error(
            400,
            "invalidRange",
            "The chunk is shorter than its Content-Range.",
        ));
    }
    let mut sessions = lock(&storage.sessions);
    let Some(session) = sessions.get_mut(id) else {
        return Ok(gone());
    };
    if session.received != start {
        return Ok(json_reply(416, session_status(session)));
    }
    session.received = end + 1;
    session.total = Some(total);
    session.hash = hash;
    if session.received < total {
        return Ok(json_reply(202, session_status(session)));
    }
    let Some(done) = sessions.remove(id) else {
        return Ok(gone());
    };
    let digest = done.hash.finish();
    let sha256: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    lock(&storage.stored).push(StoredFile {
        name: done.name.clone(),
        size: total,
        sha256: sha256.clone(),
    });
    Ok(json_reply(
        201,
        json!({
            "id": uuid::Uuid::new_v4().simple().to_string(),
            "name": done.name,
            "size": total,
            "file": {"hashes": {"sha256Hash": sha256.to_uppercase()}},
        }),
    ))
}
