//! The storage host's listener: serves a bounded number of connections,
//! closing one whose request head is late; records each request (the most
//! recent, up to a bound), checks the signature of each URL it handed out,
//! refuses any `Authorization` header, serves report zips and blobs (with
//! `ETag`, and `Range` and `If-Range` when on) and takes upload sessions'
//! chunks, hashing them as they arrive.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_lc_rs::digest;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{Value, json};

use super::blobs::{Source, StorageBody};
use super::{Session, Storage, StorageFault, StoredFile};
use crate::lock::lock;
use crate::recorded::RecordedRequest;
use crate::reply::{Dropped, rfc3339};

fn respond(status: u16, body: StorageBody) -> hyper::Response<StorageBody> {
    let mut response = hyper::Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
}

/// An app content blob's answer (see `blocks`).
fn blob_reply(reply: super::blocks::BlobReply) -> hyper::Response<StorageBody> {
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
pub(crate) async fn serve_connection(storage: Arc<Storage>, stream: tokio::net::TcpStream) {
    let timeout = storage.limits.header_read_timeout;
    let service = hyper::service::service_fn(move |request| handle(storage.clone(), request));
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
pub(crate) async fn accept_loop(listener: tokio::net::TcpListener, storage: Arc<Storage>) {
    let places = Arc::new(tokio::sync::Semaphore::new(storage.limits.max_connections));
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
                let storage = storage.clone();
                connections.spawn(async move {
                    serve_connection(storage, stream).await;
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
    storage: Arc<Storage>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<StorageBody>, Dropped> {
    let storage = &*storage;
    let (parts, body) = request.into_parts();
    storage.counter.fetch_add(1, Ordering::SeqCst);
    if storage.recording {
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
            let reply = super::blocks::handle(&storage.blocks, &parts, blob, body).await?;
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
