//! Requests of your own to a host beside Graph (a signed storage URL Graph
//! handed out): the building block that downloads and upload sessions are
//! made of, for protocols this crate does not speak itself (Azure Blob
//! blocks, say). The request goes through the client's HTTP stack and never
//! carries the bearer token, and the answer is bounded as every answer of
//! such a host is.

use http::header::AUTHORIZATION;

use crate::client::GraphClient;
use crate::endpoint::{Endpoint, Method};
use crate::error::Error;
use crate::response::RawResponse;
use crate::transfer::check_transfer_url;

/// How an answer of another status is read: its body cut at the error-body cap.
static BESIDE_GRAPH: Endpoint = crate::endpoint::endpoint(
    "send_beside_graph",
    Method::Put,
    "<url>",
    &[200],
    None,
    &[],
    &[],
);

impl GraphClient {
    /// Sends `request` to a host beside Graph, such as an Azure Storage URL
    /// signed by its query (`?sv=...&sig=...`), and returns its answer,
    /// whatever the status: the caller decides what a status means in its
    /// protocol. `endpoint` names the request in errors (`put_block`).
    ///
    /// - The URL must be https, or plain http to this machine only, and
    ///   carry no credentials in its authority; the request must carry no
    ///   `Authorization` header: such a URL is its own credential, and the
    ///   client's token is only for Graph. Nothing of Graph's is added
    ///   (no token, no `SdkVersion`, no `client-request-id`): the HTTP
    ///   stack's user agent only.
    /// - It goes through the client's HTTP stack: its pool, TLS, proxy
    ///   (never for plain http to this machine, see
    ///   [`HttpStack::client_for`](crate::HttpStack::client_for)), connect
    ///   timeout and middleware. Redirects are not followed: a `3xx` is
    ///   returned as it came.
    /// - The whole answer, head and body, arrives within the client's
    ///   attempt timeout. A `2xx` body larger than `max_body_bytes` is
    ///   refused ([`Error::BodyTooLarge`]); the body of any other status is
    ///   kept up to the client's error-body cap, cut there, so an error
    ///   answer can always be read.
    /// - Sent once: retrying is the caller's choice, as only the caller
    ///   knows whether its request may be repeated.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when the URL is not https (plain http only to
    /// this machine) or carries credentials, or the request carries an
    /// `Authorization` header; [`Error::Transport`], [`Error::Timeout`] or
    /// [`Error::Middleware`] when the exchange fails; [`Error::BodyTooLarge`]
    /// for a `2xx` body over `max_body_bytes`.
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient, sas_url: &str) -> Result<(), graph_endpoint::Error> {
    /// use graph_endpoint::reqwest::{Method, Request, Url};
    ///
    /// let url = Url::parse(&format!("{sas_url}&comp=block&blockid=MDAwMDAw"))
    ///     .map_err(|e| graph_endpoint::Error::Config(e.to_string()))?;
    /// let mut put_block = Request::new(Method::PUT, url);
    /// *put_block.body_mut() = Some(vec![0u8; 1024].into());
    /// let answer = graph.send_beside_graph("put_block", put_block, 64 * 1024).await?;
    /// println!("{}", answer.status());
    /// # Ok(()) }
    /// ```
    pub async fn send_beside_graph(
        &self,
        endpoint: &'static str,
        request: reqwest::Request,
        max_body_bytes: usize,
    ) -> Result<RawResponse, Error> {
        check_transfer_url(endpoint, "the URL", request.url().as_str())?;
        if request.headers().contains_key(AUTHORIZATION) {
            return Err(Error::InvalidRequest {
                endpoint,
                reason: "a request to a host beside Graph carries no Authorization header: its URL is its own credential".to_owned(),
            });
        }
        let answer = self.send_foreign(endpoint, request).await?;
        if answer.status().is_success() {
            let (status, headers, body) = answer.read(max_body_bytes).await?;
            return Ok(RawResponse::new(status, headers, body));
        }
        // Read as an error's body is (cut at the error-body cap, within the
        // deadline), then handed back as the answer it is.
        match answer.into_status_error(self, &BESIDE_GRAPH).await {
            Error::Status(status) => {
                let status = *status;
                Ok(RawResponse::new(status.status, status.headers, status.body))
            }
            other => Err(other),
        }
    }
}
