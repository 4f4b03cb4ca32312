#![doc = include_str!("../README.md")]
// On docs.rs (`--cfg docsrs`), items say which Cargo feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod content;
#[cfg(feature = "catalog")]
pub mod example_check;
pub mod metadata;

/// What the models are built on: the typed crates' shared model runtime,
/// [`graph_endpoint_model`] (models over their JSON object, strict decoding
/// against [`metadata`], typed accessors).
pub mod support {
    pub use graph_endpoint_model::*;
}
// The generated models' macros, by the path the generated code names.
#[doc(hidden)]
pub use graph_endpoint_model::{
    __borrowed_derived, __borrowed_root, __derived_model, __member_serde, __model_serde,
    __root_model,
};

// Generated text, compared byte for byte with the generator's output: not
// reformatted, and not held to the pedantic lints (thousands of one-line
// getters, and documentation quoted from Graph's metadata).
#[rustfmt::skip]
#[allow(clippy::pedantic)]
#[path = "generated/mod.rs"]
mod generated;

#[cfg(feature = "catalog")]
pub use generated::catalog::ENDPOINTS;
pub use generated::entity_sets::ENTITY_SETS;
pub use generated::models;
pub use generated::prelude;
#[cfg(feature = "samples")]
#[doc(hidden)]
pub use generated::samples;
pub use generated::v1;

/// The date and time types of the models' accessors.
pub use time;
/// The GUID type of the models' accessors.
pub use uuid;

#[cfg(feature = "app_configurations")]
pub use generated::app_configurations::*;
#[cfg(feature = "app_protection")]
pub use generated::app_protection::*;
#[cfg(feature = "app_tenant")]
pub use generated::app_tenant::*;
#[cfg(feature = "ebooks")]
pub use generated::ebooks::*;
#[cfg(feature = "groups")]
pub use generated::groups::*;
#[cfg(feature = "mobile_apps")]
pub use generated::mobile_apps::*;
