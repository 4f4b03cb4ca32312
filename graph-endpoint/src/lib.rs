//! Declare a Microsoft Graph endpoint with one attribute and call it as a typed async method.
//!
//! ```
//! use graph_endpoint::{graph_action, Error, Graph, GraphClient};
//!
//! pub trait EnrollmentTokens: Graph {
//!     /// Revokes the enrollment token of an Android for Work profile.
//!     #[graph_action(
//!         POST, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken",
//!         expect = 204, version = "beta",
//!         permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
//!     )]
//!     async fn revoke_token(&self, id: &str) -> Result<(), Error>;
//! }
//!
//! impl EnrollmentTokens for GraphClient {}
//!
//! # async fn demo() -> Result<(), Error> {
//! let graph = GraphClient::builder().token("eyJ0eXAi...").build()?;
//! graph.revoke_token("6a6b1c0e-9b0e-4f3c-a2e8-0d8c5f1e7a11").await?;
//! # Ok(()) }
//! ```
//!
//! The attribute turns the declaration into a method that fills and encodes
//! the path, adds the bearer token and Graph's headers, sends the request
//! through the [`Graph`] transport, checks the status against `expect`, and
//! decodes the body or returns an [`Error`] carrying the status, the Graph
//! error code and the `request-id`. Mistakes in a declaration are compile
//! errors at the place of the mistake. See [`graph_action`] for the reference.
//!
//! # How a call flows
//!
//! One path, top to bottom, for every declared method:
//!
//! 1. **The declaration.** `#[graph_action]` checks the declaration at
//!    compile time and writes a method body of a few statements: a
//!    `RequestBuilder` (`request.rs`) fills and percent-encodes the path,
//!    adds the query, the headers and the JSON body, and refuses a value that
//!    would move the path; the result is wrapped in a [`Call`] with the
//!    endpoint's decoder (`call.rs`, `decode.rs`). Nothing is sent yet.
//! 2. **The call, a value.** [`Call::query`] adds OData options;
//!    [`Batch::add`] queues it in a JSON batch; `.await` makes it a
//!    [`CallFuture`] (`IntoFuture`), which boxes the transport's future once.
//! 3. **The transport.** [`Graph::send`]: for a [`GraphClient`], `client.rs`
//!    works out the version and the URL (the base URL parsed once at build,
//!    the path set per call, the length checked against `max_url_bytes`);
//!    then `exchange.rs` makes attempts under the [`RetryPolicy`], each with
//!    a place under `max_in_flight` and the rate limit, a token from the
//!    [`TokenSource`], the HTTP request with Graph's headers, sent through
//!    reqwest or the `tower` layers ([`HttpService`]), redirects followed by
//!    the runtime's own rules, and the body read within its cap, all within
//!    the attempt timeout. The call timeout covers the whole.
//! 4. **The answer.** `decode.rs` checks the status against `expect`
//!    ([`Error::Status`] otherwise, carrying the Graph error, the
//!    `request-id` and every attempt) and decodes the body into the declared
//!    type.
//!
//! A list ([`Paged`]) takes steps 3 and 4 for every page. A batch takes
//! step 3 once per `$batch` request, and step 4 for each call in it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate self as graph_endpoint;

mod auth_code;
#[cfg(feature = "azure")]
mod azure;
mod batch;
mod body_stream;
mod builder;
mod call;
mod certificate;
mod client;
mod clip;
mod cloud;
mod collection;
mod decode;
mod delegated;
mod device_code;
mod download;
mod endpoint;
mod error;
mod exchange;
mod foreign;
mod http_stack;
mod identity;
mod limits;
mod long_running;
mod middleware;
mod paging;
mod query;
mod redirect;
mod reports;
mod request;
mod response;
mod retry;
mod secret;
mod sign_in;
mod token;
mod token_cache;
mod transport;
mod transport_error;
mod upload;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use auth_code::{AuthorizationCode, DEFAULT_AUTHORIZATION_WAIT, RedirectHost};
#[cfg(feature = "azure")]
pub use azure::AzureCredential;
pub use batch::{Batch, BatchItem, BatchReport, MAX_BATCH_SIZE};
pub use body_stream::{BodyStream, StreamBody};
pub use builder::GraphClientBuilder;
pub use call::{Call, CallFuture};
pub use certificate::ClientCertificate;
pub use client::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ERROR_BODY_BYTES, DEFAULT_MAX_URL_BYTES, GraphClient,
};
pub use clip::MAX_QUOTED_BYTES;
pub use cloud::{ApiVersion, Cloud, UnknownApiVersion};
pub use collection::Collection;
pub use delegated::DEFAULT_ACCOUNT;
pub use device_code::{DEVICE_CODE_GRANT, DeviceCode, DeviceCodePrompt};
pub use download::{DEFAULT_MAX_RESUMES, Download};
pub use endpoint::{Endpoint, Method};
pub use error::{DecodeError, Error, GraphError, StatusError, TimeoutKind};
pub use foreign::Progress;
pub use http_stack::HttpStack;
pub use identity::{
    DEFAULT_TOKEN_LIFETIME, IdentityError, MAX_TOKEN_LIFETIME, MAX_TOKEN_RESPONSE_BYTES,
};
pub use long_running::{Completed, Polled, Wait};
pub use middleware::{BoxError, HttpService};
pub use paging::{DeltaItem, Items, Paged, Pages, Removed};
pub use query::{Filter, QueryOptions, literal};
pub use reports::{ExportFormat, ExportJob, ExportJobRequest, ExportJobStatus, Reports};
pub use request::Request;
pub use response::{RawResponse, Response};
pub use retry::{Attempt, MAX_RETRIES, RetryPolicy, retry_after};
pub use secret::AccessToken;
pub use sign_in::{ClientCredentials, ClientSecret, DEFAULT_SIGN_IN_ATTEMPT_TIMEOUT};
pub use token::{EnvToken, StaticToken, TokenError, TokenFn, TokenFuture, TokenSource, token_fn};
pub use token_cache::TokenCache;
pub use transport::Graph;
pub use upload::{
    DEFAULT_UPLOAD_CHUNK, DriveUploads, MAX_UPLOAD_CHUNK, UPLOAD_CHUNK_MULTIPLE, Upload,
    UploadSession,
};

/// Re-exported for `Response<Bytes>` return types.
pub use bytes;
/// Re-exported: the `Stream` trait that [`Pages`] and [`Items`] implement.
pub use futures_core;
/// Re-exported for status codes and header maps in responses and errors.
pub use http;
/// Re-exported: the HTTP client of [`HttpStack`] and the source of transport errors.
pub use reqwest;
/// Re-exported: the `Layer` and `Service` traits of middleware ([`HttpService`]).
pub use tower;

#[doc = include_str!("../doc/graph_action.md")]
pub use graph_endpoint_macros::graph_action;
