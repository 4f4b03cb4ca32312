//! The runtime entry points of the code `#[graph_action]` generates. Not a
//! public API: reached through `graph_endpoint::__private` only.

use bytes::Bytes;
use futures_util::FutureExt;
use serde::de::DeserializeOwned;

use crate::request::ClientRequestId;
pub use crate::request::RequestBuilder;
pub use crate::{ApiVersion, Endpoint, Method};
use crate::{
    Attempt, Call, DecodeError, Error, Graph, GraphClient, GraphError, Paged, RawResponse, Request,
    Response, StatusError,
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

/// How a call turns a response whose status was expected into its result.
type Finish<T> = fn(&'static Endpoint, ClientRequestId, RawResponse) -> Result<T, Error>;

/// Sends `request` through `graph` when awaited, checks the status, and
/// makes the result with `finish`. A request that could not be built fails
/// the call without sending anything.
fn checked<'a, G: Graph + ?Sized, T: 'a>(
    graph: &'a G,
    request: Result<Request, Error>,
    finish: Finish<T>,
) -> Call<'a, T> {
    match request {
        Err(error) => Call::new(async move { Err(error) }),
        Ok(request) => {
            let endpoint = request.endpoint();
            let client_request_id = request.client_request_id_value();
            // A `map` over the transport's future rather than an `async`
            // block around it: the request is not carried through an extra
            // state machine layer, so the call's one heap allocation is the
            // transport's future and a few words.
            Call::new(graph.send(request).map(move |response| {
                let (endpoint, id, response) =
                    check_status(endpoint, client_request_id, response?)?;
                finish(endpoint, id, response)
            }))
        }
    }
}

pub(crate) fn check_status(
    endpoint: &'static Endpoint,
    client_request_id: ClientRequestId,
    response: RawResponse,
) -> Result<(&'static Endpoint, ClientRequestId, RawResponse), Error> {
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
        client_request_id: client_request_id.as_str().to_owned(),
        attempts,
    })))
}

/// The HTTP request the first attempt of `request` would send through
/// `graph`, built but not sent: the client's whole work before any I/O, for
/// benchmarks. Needs a client with a fixed token.
pub fn first_attempt(graph: &GraphClient, request: &Request) -> Result<reqwest::Request, Error> {
    graph.first_attempt(request)
}

/// A list whose result is [`Paged`]: the first request, not yet sent.
pub fn paged<'a, G: Graph + ?Sized, T: DeserializeOwned + 'a>(
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
    checked(graph, request, |_, _, _| Ok(()))
}

/// A call whose result is the decoded JSON body.
pub fn call_json<'a, G: Graph + ?Sized, T: DeserializeOwned + 'a>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, T> {
    checked(graph, request, |endpoint, id, response| {
        decode_body(endpoint, id, &response)
    })
}

/// A call whose result is `Option<T>`: an empty body is `None`.
pub fn call_optional_json<'a, G: Graph + ?Sized, T: DeserializeOwned + 'a>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Option<T>> {
    checked(graph, request, |endpoint, id, response| {
        if response.body().is_empty() {
            return Ok(None);
        }
        decode_body(endpoint, id, &response).map(Some)
    })
}

/// A call whose result is `Response<T>` with a decoded JSON body.
pub fn call_response_json<'a, G: Graph + ?Sized, T: DeserializeOwned + 'a>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Response<T>> {
    checked(graph, request, decode)
}

/// A call whose result is `Response<()>`: status and headers only.
pub fn call_response_unit<'a, G: Graph + ?Sized>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Response<()>> {
    checked(graph, request, |_, _, response| Ok(response.map(drop)))
}

/// A call whose result is `Response<Bytes>`: the raw body.
pub fn call_response_bytes<'a, G: Graph + ?Sized>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Response<Bytes>> {
    checked(graph, request, |_, _, response| Ok(response))
}

/// A call whose result is the raw body bytes.
pub fn call_bytes<'a, G: Graph + ?Sized>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Call<'a, Bytes> {
    checked(graph, request, |_, _, response| Ok(response.into_body()))
}

pub(crate) fn decode<T: DeserializeOwned>(
    endpoint: &'static Endpoint,
    client_request_id: ClientRequestId,
    response: RawResponse,
) -> Result<Response<T>, Error> {
    let value = decode_body(endpoint, client_request_id, &response)?;
    Ok(response.map(|_| value))
}

/// The decoded body alone: the value goes straight to the caller, without
/// passing through a `Response` first.
pub(crate) fn decode_body<T: DeserializeOwned>(
    endpoint: &'static Endpoint,
    client_request_id: ClientRequestId,
    response: &RawResponse,
) -> Result<T, Error> {
    serde_json::from_slice::<T>(response.body()).map_err(|source| {
        Error::Decode(Box::new(DecodeError {
            endpoint,
            status: response.status(),
            headers: response.headers().clone(),
            body: response.body().clone(),
            source,
            client_request_id: client_request_id.as_str().to_owned(),
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    static GET_USER: Endpoint = endpoint(
        "get_user",
        Method::Get,
        "/users/<id>",
        &[200],
        Some(ApiVersion::Beta),
        &[],
        &[("ConsistencyLevel", "eventual")],
    );

    /// A client with a fixed token, sending to `base_url`.
    fn client(base_url: &str) -> GraphClient {
        GraphClient::builder()
            .base_url(base_url)
            .token("t0ken")
            .build()
            .unwrap()
    }

    #[test]
    fn the_first_attempt_is_the_request_execute_sends() {
        let graph = client("http://127.0.0.1:9");
        let mut request = RequestBuilder::new(&GET_USER);
        request.literal("/users/");
        request.value("id", &"a b");
        let request = request.finish().unwrap();
        let built = first_attempt(&graph, &request).unwrap();
        assert_eq!(built.method(), http::Method::GET);
        assert_eq!(built.url().as_str(), "http://127.0.0.1:9/beta/users/a%20b");
        let header = |name: &str| built.headers().get(name).unwrap().to_str().unwrap();
        assert_eq!(header("authorization"), "Bearer t0ken");
        assert!(built.headers()["authorization"].is_sensitive());
        assert_eq!(header("accept"), "application/json");
        assert_eq!(header("client-request-id"), request.client_request_id());
        assert!(header("sdkversion").starts_with("graph-rust-beta/"));
        assert!(header("user-agent").starts_with("graph-endpoint/"));
        assert_eq!(header("consistencylevel"), "eventual");
        assert!(built.headers().get("retry-attempt").is_none());
        assert!(built.body().is_none());
    }

    #[test]
    fn the_url_goes_under_the_base_path_with_its_query() {
        let graph = client("http://127.0.0.1:9/graph/");
        let mut request = RequestBuilder::new(&GET_USER);
        request.literal("/users/");
        request.value("id", &"a/b?c#d é");
        request.query("$select", &"id,displayName");
        let request = request.finish().unwrap();
        let built = first_attempt(&graph, &request).unwrap();
        // The same URL parsing the whole text gives: the base's path kept,
        // the value still one segment, the query after it.
        let expected =
            "http://127.0.0.1:9/graph/beta/users/a%2Fb%3Fc%23d%20%C3%A9?$select=id%2CdisplayName";
        assert_eq!(built.url().as_str(), expected);
        assert_eq!(built.url(), &reqwest::Url::parse(expected).unwrap());
    }
}
