//! The Graph listener: accepts connections on 127.0.0.1 (pausing while
//! accepting fails), records each request, refuses a body over the limit,
//! applies injected faults and the limits of the service families it
//! throttles (`throttling`), and hands the rest to the identity platform
//! (`identity`), `$batch` (`batch`) or the router (`router`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use hyper::body::Incoming;

use crate::batch::{batch, batch_version};
use crate::faults::{Fault, answer_fault};
use crate::lock::lock;
use crate::recorded::RecordedRequest;
use crate::reply::request::{Unread, read_request};
use crate::reply::{Dropped, Failure, Ids, ReplyBody};
use crate::router::route;
use crate::state::{Shared, pick_fault};

/// The largest request body accepted (4 MiB); a larger one is answered 413.
const MAX_REQUEST_BODY: usize = 4 * 1024 * 1024;
/// How much of a refused body is still read (and dropped) so the client
/// hears the 413 on a connection that stays open; past this it is closed.
const MAX_DRAINED_BODY: u64 = 64 * 1024 * 1024;

/// Counts a request in flight while it is handled.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> InFlight<'a> {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Answers one request of the Graph listener, or drops its connection.
pub async fn handle(
    shared: Arc<Shared>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<ReplyBody>, Dropped> {
    let _in_flight = InFlight::enter(&shared);
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let expects_continue = parts
        .headers
        .get(http::header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    // A body over the limit must not reach the routes: read as empty, it
    // would create a profile without its fields or make a PATCH a no-op.
    let (body, unread) = match read_request(
        body,
        declared,
        expects_continue,
        MAX_REQUEST_BODY,
        MAX_DRAINED_BODY,
    )
    .await
    {
        Ok(body) => (body, None),
        Err(why) => (Bytes::new(), Some(why)),
    };
    let raw_path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    // Recording is skipped entirely when off, so benchmarks measure the service alone.
    let recorded = shared.record.then(|| RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: raw_path.clone(),
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
        body: body.clone(),
    });
    let n = {
        // Counted and recorded under one lock, so a clear sees both or neither.
        let mut requests = lock(&shared.requests);
        requests.extend(recorded);
        shared.counter.fetch_add(1, Ordering::SeqCst)
    };

    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = parts
        .headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let ids = Ids {
        request_id: &request_id,
        client_request_id: &client_request_id,
    };

    // Refused at the door, as Graph's front end does: before faults,
    // sign-in or token checks, in Graph's error shape for every path.
    match unread {
        None => {}
        Some(Unread::TooLarge) => {
            return Ok(ids.failure(&Failure::new(
                413,
                "RequestEntityTooLarge",
                format!("The request body is larger than the limit of {MAX_REQUEST_BODY} bytes."),
            )));
        }
        Some(Unread::Broken) => {
            return Ok(ids.failure(&Failure::bad_request(
                "BadRequest",
                "The request body could not be read to its end.",
            )));
        }
    }

    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let fault = pick_fault(&shared, n, parts.method.as_str(), &raw_path);
    if let Some(fault) = fault {
        shared.injected.fetch_add(1, Ordering::SeqCst);
        match fault {
            Fault::Delay(delay) => tokio::time::sleep(delay).await,
            other => return answer_fault(other, &ids),
        }
    }

    if let Some(path) = crate::throttling::graph_path(&raw_path)
        && let Err(retry_after) = shared.limits.admit(parts.method.as_str(), path)
    {
        return answer_fault(Fault::Throttle(retry_after), &ids);
    }

    if let Some(reply) = crate::identity::answer(&shared.identity, &parts, &body) {
        return Ok(ids.decorate(reply));
    }
    if let Some(version) = batch_version(parts.uri.path()) {
        let outcome = batch(&shared, &parts, &body, version, n, &ids);
        return Ok(match outcome {
            Ok(reply) => ids.decorate(reply),
            Err(failure) => ids.failure(&failure),
        });
    }
    let outcome = route(&shared, &parts, &body);
    Ok(match outcome {
        Ok(reply) => ids.decorate(reply),
        Err(failure) => ids.failure(&failure),
    })
}

/// Serves one accepted connection until it closes.
pub async fn serve_connection(shared: Arc<Shared>, stream: tokio::net::TcpStream) {
    let service = hyper::service::service_fn(move |request| handle(shared.clone(), request));
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}

/// The first pause after a failed accept.
const ACCEPT_BACKOFF_MIN: std::time::Duration = std::time::Duration::from_millis(10);
/// The longest pause between accept attempts while they keep failing.
const ACCEPT_BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(1);

/// Accepts connections until the emulator is dropped.
///
/// A failed accept (most often EMFILE/ENFILE: the process is out of file
/// descriptors) fails again at once while the cause lasts, since the pending
/// connection stays queued; retrying straight away would spin a core. So it
/// pauses, 10 ms doubling up to 1 s and back to 10 ms after a success, while
/// the connections already accepted go on being served by their own tasks.
pub(crate) async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let mut connections = tokio::task::JoinSet::new();
    let mut backoff = ACCEPT_BACKOFF_MIN;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff = ACCEPT_BACKOFF_MIN;
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(shared.clone(), stream));
                }
                Err(_) => {
                    let pause = tokio::time::sleep(backoff);
                    tokio::pin!(pause);
                    // Reaping goes on during the pause, as below.
                    loop {
                        tokio::select! {
                            () = &mut pause => break,
                            Some(_) = connections.join_next(), if !connections.is_empty() => {}
                        }
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                }
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
