//! The runtime entry points of the code `#[graph_action]` generates. Not a
//! public API: reached through `graph_endpoint::__private` only.

use bytes::Bytes;
use serde::de::DeserializeOwned;

pub use crate::request::RequestBuilder;
pub use crate::{ApiVersion, Endpoint, Method};
use crate::{
    Attempt, Call, DecodeError, Error, Graph, GraphError, Paged, RawResponse, Request, Response,
    StatusError,
};

/// Builds an [`Endpoint`] in a constant.
#[allow(clippy::too_many_arguments)]
pub const fn endpoint(
    name: &'static str,
    method: Method,
    path: &'static str,
    expect: &'static [u16],
    version: Option<ApiVersion>,
    permissions: &'static [&'static str],
    headers: &'static [(&'static str, &'static str)],
) -> Endpoint {
    Endpoint {
        name,
        method,
        path,
        expect,
        version,
        permissions,
        headers,
    }
}

/// Sends, checks the status, and hands back the raw response. Not generic over
/// the result type, so one copy serves every endpoint of a transport.
async fn send_checked<G: Graph + ?Sized>(
    graph: &G,
    request: Result<Request, Error>,
) -> Result<(&'static Endpoint, String, RawResponse), Error> {
    let request = request?;
    let endpoint = request.endpoint();
    let client_request_id = request.client_request_id().to_owned();
    let response = graph.send(request).await?;
    check_status(endpoint, client_request_id, response)
}

pub(crate) fn check_status(
    endpoint: &'static Endpoint,
    client_request_id: String,
    response: RawResponse,
) -> Result<(&'static Endpoint, String, RawResponse), Error> {
    let status = response.status();
    if endpoint.expects(status.as_u16()) {
        return Ok((endpoint, client_request_id, response));
    }
    let graph = GraphError::from_body(response.body());
    let headers = response.headers().clone();
    let mut attempts = response.failed_attempts().to_vec();
    attempts.push(Attempt {
        number: attempts.len() as u32 + 1,
        outcome: status.to_string(),
        waited: None,
    });
    let body = response.into_body();
    Err(Error::Status(Box::new(StatusError {
        endpoint,
        status,
        headers,
        body,
        graph,
        client_request_id,
        attempts,
    })))
}

/// A list whose result is [`Paged`]: the first request, not yet sent.
pub fn paged<'a, G: Graph + ?Sized, T: DeserializeOwned>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Paged<'a, T> {
    Paged::new(graph, request)
}

/// A call whose result is `()`: the body, if any, is ignored.
pub fn call_unit<'a, G: Graph + ?Sized>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, ()> {
    Call::new(async move { send_checked(graph, request).await.map(drop) })
}

/// A call whose result is the decoded JSON body.
pub fn call_json<'a, G: Graph + ?Sized, T: DeserializeOwned>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, T> {
    Call::new(async move {
        let (endpoint, id, response) = send_checked(graph, request).await?;
        decode(endpoint, id, response).map(Response::into_body)
    })
}

/// A call whose result is `Option<T>`: an empty body is `None`.
pub fn call_optional_json<'a, G: Graph + ?Sized, T: DeserializeOwned>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Option<T>> {
    Call::new(async move {
        let (endpoint, id, response) = send_checked(graph, request).await?;
        if response.body().is_empty() {
            return Ok(None);
        }
        decode(endpoint, id, response).map(|r| Some(r.into_body()))
    })
}

/// A call whose result is `Response<T>` with a decoded JSON body.
pub fn call_response_json<'a, G: Graph + ?Sized, T: DeserializeOwned>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Response<T>> {
    Call::new(async move {
        let (endpoint, id, response) = send_checked(graph, request).await?;
        decode(endpoint, id, response)
    })
}

/// A call whose result is `Response<()>`: status and headers only.
pub fn call_response_unit<'a, G: Graph + ?Sized>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Response<()>> {
    Call::new(async move {
        let (_, _, response) = send_checked(graph, request).await?;
        Ok(response.map(drop))
    })
}

/// A call whose result is `Response<Bytes>`: the raw body.
pub fn call_response_bytes<'a, G: Graph + ?Sized>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Response<Bytes>> {
    Call::new(async move {
        send_checked(graph, request)
            .await
            .map(|(_, _, response)| response)
    })
}

/// A call whose result is the raw body bytes.
pub fn call_bytes<'a, G: Graph + ?Sized>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Bytes> {
    Call::new(async move {
        send_checked(graph, request)
            .await
            .map(|(_, _, response)| response.into_body())
    })
}

pub(crate) fn decode<T: DeserializeOwned>(
    endpoint: &'static Endpoint,
    client_request_id: String,
    response: RawResponse,
) -> Result<Response<T>, Error> {
    match serde_json::from_slice::<T>(response.body()) {
        Ok(value) => Ok(response.map(|_| value)),
        Err(source) => {
            let status = response.status();
            let headers = response.headers().clone();
            Err(Error::Decode(Box::new(DecodeError {
                endpoint,
                status,
                headers,
                body: response.into_body(),
                source,
                client_request_id,
            })))
        }
    }
}
