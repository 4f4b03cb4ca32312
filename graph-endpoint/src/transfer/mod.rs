//! Long and large work, over the client: streamed downloads (`download`),
//! upload sessions (`upload`), waiting for jobs the service runs in the
//! background (`long_running`) or for a state of the caller's own
//! (`wait_until`), and requests of the caller's own to a host beside Graph
//! (`beside_graph`).
//!
//! What they share is here: requests to hosts other than Graph (a job's
//! storage URL, an upload session's `uploadUrl`), through the client's HTTP
//! stack (its pool, TLS, proxy, connect timeout, middleware), never with the
//! bearer token or any other Graph header, and only to https (or plain http
//! on this machine) ([`check_transfer_url`]); and the [`Progress`] a
//! transfer reports.

pub(crate) mod beside_graph;
pub(crate) mod download;
pub(crate) mod long_running;
pub(crate) mod upload;
pub(crate) mod wait_until;

use std::future::Future;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::client::GraphClient;
use crate::endpoint::{Endpoint, Method};
use crate::error::{Error, GraphError, StatusError, TimeoutKind};

pub(crate) static DOWNLOAD: Endpoint = crate::endpoint::endpoint(
    "download",
    Method::Get,
    "<url>",
    &[200, 206],
    None,
    &[],
    &[],
);
pub(crate) static UPLOAD_CHUNK: Endpoint = crate::endpoint::endpoint(
    "upload_chunk",
    Method::Put,
    "<uploadUrl>",
    &[200, 201, 202],
    None,
    &[],
    &[],
);
pub(crate) static UPLOAD_STATUS: Endpoint = crate::endpoint::endpoint(
    "upload_status",
    Method::Get,
    "<uploadUrl>",
    &[200],
    None,
    &[],
    &[],
);
pub(crate) static UPLOAD_CANCEL: Endpoint = crate::endpoint::endpoint(
    "cancel_upload",
    Method::Delete,
    "<uploadUrl>",
    &[204],
    None,
    &[],
    &[],
);

/// A URL a service handed out for another host (an export job's `url`, an
/// upload session's `uploadUrl`, a `202 Accepted`'s `Location`), checked as
/// every download, upload and poll of this crate checks one before sending
/// anything to it: https, or plain http to this machine only, and no
/// credentials in its authority. Nothing is sent. `endpoint` and `what` name
/// the URL in the error.
///
/// ```
/// use graph_endpoint::check_transfer_url;
///
/// let url = check_transfer_url("download", "the report's url", "https://storage.example/r.zip?sig=x");
/// assert_eq!(url.unwrap().host_str(), Some("storage.example"));
/// let refused = check_transfer_url("download", "the report's url", "http://storage.example/r.zip");
/// assert!(refused.unwrap_err().to_string().contains("plain http"));
/// ```
///
/// # Errors
///
/// [`Error::InvalidRequest`] (naming `endpoint`) when the URL does not parse,
/// is neither https nor plain http to this machine, or carries credentials.
pub fn check_transfer_url(
    endpoint: &'static str,
    what: &str,
    url: &str,
) -> Result<reqwest::Url, Error> {
    let parsed = crate::http_stack::secure_url(what, url, false)
        .map_err(|reason| Error::InvalidRequest { endpoint, reason })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::InvalidRequest {
            endpoint,
            reason: format!("{what} carries credentials in its authority: refused"),
        });
    }
    Ok(parsed)
}

/// The answer of another host, its head read: the body is still to read,
/// within what is left of the attempt timeout. A host that sends a head and
/// then stalls, or promises a `Content-Length` and sends less, is bounded
/// like one that never answers.
pub(crate) struct Answer {
    pub(crate) response: reqwest::Response,
    endpoint: &'static str,
    deadline: Option<Instant>,
}

impl Answer {
    pub(crate) fn status(&self) -> StatusCode {
        self.response.status()
    }

    pub(crate) fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// The whole body, refused past `limit` bytes, within the deadline: a
    /// small JSON answer (a session's status, a poll, a created item).
    pub(crate) async fn read(
        mut self,
        limit: usize,
    ) -> Result<(StatusCode, HeaderMap, Bytes), Error> {
        let endpoint = self.endpoint;
        let status = self.response.status();
        let headers = std::mem::take(self.response.headers_mut());
        if self
            .response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(Error::BodyTooLarge { endpoint, limit });
        }
        let mut response = self.response;
        let reading = async {
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| transport(endpoint, e))? {
                if body.len() + chunk.len() > limit {
                    return Err(Error::BodyTooLarge { endpoint, limit });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Bytes::from(body))
        };
        let body = within(self.deadline, endpoint, reading).await?;
        Ok((status, headers, body))
    }

    /// The error of an unexpected status, with its body (cut at the
    /// client's error-body cap); a body that stalls is cut where it
    /// stalled, at the deadline.
    pub(crate) async fn into_status_error(
        mut self,
        graph: &GraphClient,
        endpoint: &'static Endpoint,
    ) -> Error {
        let status = self.response.status();
        let headers = std::mem::take(self.response.headers_mut());
        let limit = graph.inner.max_error_body_bytes;
        let mut body = Vec::new();
        let mut response = self.response;
        let reading = async {
            while let Ok(Some(chunk)) = response.chunk().await {
                let room = limit.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= limit {
                    break;
                }
            }
        };
        match self.deadline {
            Some(deadline) => {
                let _ = tokio::time::timeout_at(deadline, reading).await;
            }
            None => reading.await,
        }
        status_error(endpoint, status, headers, Bytes::from(body))
    }
}

/// `work`, failed with an attempt timeout when `deadline` passes first.
async fn within<T>(
    deadline: Option<Instant>,
    endpoint: &'static str,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match deadline {
        Some(deadline) => {
            tokio::time::timeout_at(deadline, work)
                .await
                .unwrap_or(Err(Error::Timeout {
                    endpoint,
                    kind: TimeoutKind::Attempt,
                    attempts: Vec::new(),
                }))
        }
        None => work.await,
    }
}

impl GraphClient {
    /// Sends a request to another host and returns the response's head (the
    /// body still to read, see [`Answer`]), within the attempt timeout, which
    /// goes on running for the body. Nothing of Graph's is added: the HTTP
    /// stack's user agent only.
    pub(crate) async fn send_foreign(
        &self,
        endpoint: &'static str,
        request: reqwest::Request,
    ) -> Result<Answer, Error> {
        let inner = &*self.inner;
        let deadline = inner.attempt_timeout.map(|limit| Instant::now() + limit);
        let exchange = async {
            match &inner.middleware {
                None => inner
                    .clients
                    .for_url(request.url())?
                    .execute(request)
                    .await
                    .map_err(|source| transport(endpoint, source)),
                Some(service) => service.clone().oneshot(request).await.map_err(|error| {
                    match error.downcast::<reqwest::Error>() {
                        Ok(source) => transport(endpoint, *source),
                        Err(source) => Error::Middleware {
                            endpoint,
                            source,
                            attempts: Vec::new(),
                        },
                    }
                }),
            }
        };
        let response = within(deadline, endpoint, exchange).await?;
        Ok(Answer {
            response,
            endpoint,
            deadline,
        })
    }

    /// The client's attempt timeout, the longest wait for one chunk of a transfer.
    pub(crate) fn idle_timeout(&self) -> Option<std::time::Duration> {
        self.inner.attempt_timeout
    }

    /// `work` within the client's call timeout: a whole upload or download,
    /// every chunk, pause and resume included.
    pub(crate) async fn within_call_timeout<T>(
        &self,
        endpoint: &'static str,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        match self.inner.call_timeout {
            Some(limit) => tokio::time::timeout(limit, work)
                .await
                .unwrap_or(Err(Error::Timeout {
                    endpoint,
                    kind: TimeoutKind::Call,
                    attempts: Vec::new(),
                })),
            None => work.await,
        }
    }
}

pub(crate) fn status_error(
    endpoint: &'static Endpoint,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
) -> Error {
    Error::Status(Box::new(StatusError {
        endpoint,
        status,
        graph: GraphError::from_body(&body),
        headers,
        body,
        client_request_id: String::new(),
        attempts: Vec::new(),
    }))
}

pub(crate) fn transport(endpoint: &'static str, source: reqwest::Error) -> Error {
    if source.is_timeout() {
        return Error::Timeout {
            endpoint,
            kind: if source.is_connect() {
                TimeoutKind::Connect
            } else {
                TimeoutKind::Attempt
            },
            attempts: Vec::new(),
        };
    }
    Error::Transport {
        endpoint,
        source: crate::error::shown_url::quiet(source),
        attempts: Vec::new(),
    }
}

/// How far a transfer went: what [`Download::on_progress`](crate::Download::on_progress)
/// and [`Upload::on_progress`](crate::Upload::on_progress) are told after each chunk.
///
/// ```
/// let progress = graph_endpoint::Progress { done: 512, total: Some(1024) };
/// assert_eq!(progress.fraction(), Some(0.5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes transferred so far (from the start of the content, resumed parts included).
    pub done: u64,
    /// The content's whole length, when known.
    pub total: Option<u64>,
}

impl Progress {
    /// `done / total`, when the total is known and not zero.
    #[must_use]
    pub fn fraction(&self) -> Option<f64> {
        self.total
            .filter(|t| *t > 0)
            .map(|t| self.done as f64 / t as f64)
    }
}
