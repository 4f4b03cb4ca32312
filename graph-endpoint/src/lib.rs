#![doc = include_str!("../README.md")]
// On docs.rs (`--cfg docsrs`), items say which Cargo feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate self as graph_endpoint;

mod auth;
mod batch;
mod body;
mod bulk;
mod call;
mod client;
mod cloud;
mod endpoint;
mod error;
mod http_stack;
mod paging;
mod query;
mod request;
mod response;
mod transfer;
mod transport;
mod validation;

#[doc(hidden)]
pub mod __private;

#[cfg(feature = "azure")]
pub use auth::azure::AzureCredential;
pub use auth::certificate::ClientCertificate;
pub use auth::client_credentials::{
    ClientCredentials, ClientSecret, DEFAULT_SIGN_IN_ATTEMPT_TIMEOUT,
};
pub use auth::delegated::DEFAULT_ACCOUNT;
pub use auth::delegated::auth_code::{AuthorizationCode, DEFAULT_AUTHORIZATION_WAIT, RedirectHost};
pub use auth::delegated::device_code::{DEVICE_CODE_GRANT, DeviceCode, DeviceCodePrompt};
pub use auth::delegated::token_cache::TokenCache;
pub use auth::secret::AccessToken;
pub use auth::token_endpoint::{
    DEFAULT_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME, MAX_TOKEN_RESPONSE_BYTES,
};
pub use auth::{EnvToken, StaticToken, TokenFn, TokenFuture, TokenSource, token_fn};
pub use batch::{Batch, BatchItem, BatchReport, MAX_BATCH_SIZE};
pub use body::{BodyStream, StreamBody};
pub use bulk::{Bulk, BulkStream, BulkSummary, DEFAULT_BULK_CONCURRENCY};
pub use call::{Call, CallFuture};
pub use client::builder::GraphClientBuilder;
pub use client::throttle::{Budget, FamilyLimits, LearnedRate, ServiceFamily, Throttling};
pub use client::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ERROR_BODY_BYTES, DEFAULT_MAX_URL_BYTES, GraphClient,
};
pub use cloud::Cloud;
pub use endpoint::{ApiVersion, Endpoint, Method, UnknownApiVersion};
pub use error::identity::{IdentityError, TokenError};
pub use error::quoted::MAX_QUOTED_BYTES;
pub use error::{Attempt, BoxError, DecodeError, Error, GraphError, StatusError, TimeoutKind};
pub use http_stack::HttpStack;
pub use http_stack::middleware::HttpService;
pub use http_stack::retry::{MAX_RETRIES, RetryPolicy, retry_after};
pub use paging::collection::Collection;
pub use paging::{DeltaItem, Items, Paged, Pages, Removed};
pub use query::{Filter, QueryOptions, literal};
pub use request::Request;
pub use response::{RawResponse, Response};
pub use transfer::download::{DEFAULT_MAX_RESUMES, Download};
pub use transfer::long_running::{Completed, DEFAULT_MIN_POLL_INTERVAL, Polled, Wait};
pub use transfer::upload::{
    DEFAULT_UPLOAD_CHUNK, MAX_UPLOAD_CHUNK, UPLOAD_CHUNK_MULTIPLE, Upload, UploadSession,
};
pub use transfer::wait_until::PollStep;
pub use transfer::{Progress, check_transfer_url};
pub use transport::Graph;
pub use validation::Validation;

/// Re-exported with the `azure` feature: the Azure SDK core, whose
/// `TokenCredential` [`AzureCredential`] adapts.
#[cfg(feature = "azure")]
pub use azure_core;
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
