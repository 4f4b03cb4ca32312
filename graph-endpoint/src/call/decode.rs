//! From a response to a call's result: the status checked against the
//! endpoint's `expect`, then the body decoded. Below every user of it (the
//! call, the batch, the pages), so none of them reaches up into another.

use serde::de::DeserializeOwned;

use crate::endpoint::Endpoint;
use crate::error::{Attempt, DecodeError, Error, GraphError, StatusError};
use crate::request::ClientRequestId;
use crate::response::{RawResponse, Response};

/// How a call turns a response whose status was expected into its result.
pub(crate) type Finish<T> = fn(&'static Endpoint, ClientRequestId, RawResponse) -> Result<T, Error>;

/// The response, if its status is one the endpoint expects; otherwise the
/// [`Error::Status`] that carries everything the response said.
pub(crate) fn check_status(
    endpoint: &'static Endpoint,
    client_request_id: ClientRequestId,
    response: RawResponse,
) -> Result<RawResponse, Error> {
    let status = response.status();
    if endpoint.expects(status.as_u16()) {
        return Ok(response);
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

/// The response with its body decoded.
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
    crate::error::json_fault::from_slice::<T>(response.body()).map_err(|(source, fault)| {
        Error::Decode(Box::new(DecodeError {
            endpoint,
            status: response.status(),
            headers: response.headers().clone(),
            body: response.body().clone(),
            source,
            path: fault.path,
            problem: fault.problem,
            expected: fault.expected,
            client_request_id: client_request_id.as_str().to_owned(),
        }))
    })
}

/// `()`: the body, if any, is ignored.
pub(crate) fn unit(_: &'static Endpoint, _: ClientRequestId, _: RawResponse) -> Result<(), Error> {
    Ok(())
}

/// The decoded JSON body.
pub(crate) fn json<T: DeserializeOwned>(
    endpoint: &'static Endpoint,
    id: ClientRequestId,
    response: RawResponse,
) -> Result<T, Error> {
    decode_body(endpoint, id, &response)
}

/// `Option<T>`: an empty body is `None`.
pub(crate) fn optional_json<T: DeserializeOwned>(
    endpoint: &'static Endpoint,
    id: ClientRequestId,
    response: RawResponse,
) -> Result<Option<T>, Error> {
    if response.body().is_empty() {
        return Ok(None);
    }
    decode_body(endpoint, id, &response).map(Some)
}

/// `Response<()>`: status and headers only.
pub(crate) fn response_unit(
    _: &'static Endpoint,
    _: ClientRequestId,
    response: RawResponse,
) -> Result<Response<()>, Error> {
    Ok(response.map(drop))
}

/// `Response<Bytes>`: the raw body.
pub(crate) fn response_bytes(
    _: &'static Endpoint,
    _: ClientRequestId,
    response: RawResponse,
) -> Result<RawResponse, Error> {
    Ok(response)
}

/// The raw body bytes.
pub(crate) fn bytes(
    _: &'static Endpoint,
    _: ClientRequestId,
    response: RawResponse,
) -> Result<bytes::Bytes, Error> {
    Ok(response.into_body())
}
