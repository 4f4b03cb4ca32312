//! The runtime entry points of the code `#[graph_action]` generates. Not a
//! public API: reached through `graph_endpoint::__private` only. It only
//! re-exports: the work lives in the modules that own it.

pub use crate::call::constructors::{
    call_body_stream, call_bytes, call_json, call_optional_json, call_response_bytes,
    call_response_json, call_response_unit, call_unit,
};
pub use crate::endpoint::{ApiVersion, Endpoint, Method, endpoint};
pub use crate::paging::paged;
pub use crate::request::RequestBuilder;
