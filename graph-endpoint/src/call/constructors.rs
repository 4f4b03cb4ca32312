//! How the method bodies `#[graph_action]` writes make their [`Call`]: one
//! constructor per kind of result (nothing, JSON, JSON or nothing, bytes, a
//! stream, and each with the response's head). Reached through
//! `graph_endpoint::__private`.

use serde::de::DeserializeOwned;

use super::{Call, Kind};
use crate::body::BodyStream;
use crate::call::decode;
use crate::error::Error;
use crate::request::Request;
use crate::response::{RawResponse, Response};
use crate::transport::Graph;

/// A call whose result is `()`: the body, if any, is ignored.
pub fn call_unit<G: Graph>(graph: &G, request: Result<Request, Error>) -> Call<'_, ()> {
    Call::of(graph, request, decode::unit)
}

/// A call whose result is the decoded JSON body.
pub fn call_json<G: Graph, T: DeserializeOwned>(
    graph: &G,
    request: Result<Request, Error>,
) -> Call<'_, T> {
    Call::of(graph, request, decode::json::<T>)
}

/// A call whose result is `Option<T>`: an empty body is `None`.
pub fn call_optional_json<G: Graph, T: DeserializeOwned>(
    graph: &G,
    request: Result<Request, Error>,
) -> Call<'_, Option<T>> {
    Call::of(graph, request, decode::optional_json::<T>)
}

/// A call whose result is `Response<T>` with a decoded JSON body.
pub fn call_response_json<G: Graph, T: DeserializeOwned>(
    graph: &G,
    request: Result<Request, Error>,
) -> Call<'_, Response<T>> {
    Call::of(graph, request, decode::decode::<T>)
}

/// A call whose result is `Response<()>`: status and headers only.
pub fn call_response_unit<G: Graph>(
    graph: &G,
    request: Result<Request, Error>,
) -> Call<'_, Response<()>> {
    Call::of(graph, request, decode::response_unit)
}

/// A call whose result is `Response<Bytes>`: the raw body.
pub fn call_response_bytes<G: Graph>(
    graph: &G,
    request: Result<Request, Error>,
) -> Call<'_, RawResponse> {
    Call::of(graph, request, decode::response_bytes)
}

/// A call whose result is the body as a stream of chunks.
pub fn call_body_stream<G: Graph>(
    graph: &G,
    request: Result<Request, Error>,
) -> Call<'_, BodyStream> {
    Call {
        kind: Kind::Streamed {
            graph,
            request,
            finish: |stream| stream,
        },
    }
}

/// A call whose result is the raw body bytes.
pub fn call_bytes<G: Graph>(graph: &G, request: Result<Request, Error>) -> Call<'_, bytes::Bytes> {
    Call::of(graph, request, decode::bytes)
}
