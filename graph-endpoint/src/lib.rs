#![doc = include_str!("../README.md")]
// On docs.rs (`--cfg docsrs`), items say which Cargo feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate self as graph_endpoint;

mod auth_code;
#[cfg(feature = "azure")]
mod azure;
mod batch;
mod beside_graph;
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
mod json_fault;
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
mod shown_url;
mod sign_in;
mod token;
mod token_cache;
mod transport;
mod transport_error;
mod upload;
mod wait_until;

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
pub use long_running::{Completed, DEFAULT_MIN_POLL_INTERVAL, Polled, Wait};
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
pub use wait_until::PollStep;

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
