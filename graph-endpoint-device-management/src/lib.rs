//! Every documented Microsoft Graph `/deviceManagement` endpoint (2,294 of
//! them, beta and v1.0), typed from Graph's own metadata, declared with
//! `#[graph_action]` and implemented for
//! [`GraphClient`](graph_endpoint::GraphClient), one trait per resource.
//!
//! - [`models`]: a type for every entity, complex and enum type the endpoints
//!   reach, each linking to its Graph name. A model keeps the JSON object it
//!   was read from, so decoding and encoding again is lossless (see
//!   [`support`]); a polymorphic base comes with an `Any…` enum over its
//!   derived types, chosen by `@odata.type`.
//! - Lists return [`Paged`](graph_endpoint::Paged) streams that follow
//!   `@odata.nextLink`; gets return the model; creates take and return it;
//!   updates take a model holding only the properties to change (a setter
//!   given `None` sends `null`: clear it); actions and functions take their
//!   metadata parameters and return their metadata return type.
//! - Cargo features per area (`managed_devices`, `device_configurations`,
//!   `configuration_policies`, `compliance`, `scripts`, `reports`, `enrollment`, `roles`, `tenant`;
//!   `all` by default) build only what is used.
//! - [`hand_written`]: the Android for Work enrollment profile resource,
//!   declared by hand with `#[graph_action]` as a user declares an endpoint,
//!   with its own behaviour in the stand-in (`graph-endpoint-emulator`);
//!   always compiled, whatever the features.
//!
//! ```no_run
//! use graph_endpoint::GraphClient;
//! use graph_endpoint_device_management::ManagedDevices;
//! use graph_endpoint_device_management::models::AnyDeviceConfiguration;
//! use graph_endpoint_device_management::DeviceConfigurations;
//!
//! # async fn demo() -> Result<(), graph_endpoint::Error> {
//! let graph = GraphClient::builder().token(std::env::var("GRAPH_TOKEN").unwrap()).build()?;
//! let mut devices = graph.list_managed_devices().items();
//! while let Some(device) = devices.try_next().await? {
//!     println!("{:?} {:?}", device.device_name(), device.operating_system());
//! }
//! let mut configurations = graph.list_device_configurations().items();
//! while let Some(configuration) = configurations.try_next().await? {
//!     if let AnyDeviceConfiguration::Windows10GeneralConfiguration(c) = &configuration {
//!         println!("{:?}: {:?}", c.display_name(), c.password_required());
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The code in `src/generated/` is written by `graph-endpoint-codegen` from
//! `metadata/` (Graph's CSDL; MIT, see `metadata/LICENSE-msgraph-metadata`)
//! and `corpus/device-management.json`; regenerate it with
//!
//! ```text
//! cargo run -p graph-endpoint-codegen -- typed \
//!     --metadata graph-endpoint-device-management/metadata/graph-beta.csdl.xml \
//!     --fallback graph-endpoint-device-management/metadata/graph-v1.0.csdl.xml \
//!     --endpoints graph-endpoint-device-management/corpus/device-management.json \
//!     --out graph-endpoint-device-management/src/generated
//! ```
#![forbid(unsafe_code)]
#![allow(missing_docs)]

#[cfg(feature = "catalog")]
pub mod check;
pub mod hand_written;
pub mod support;

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
#[cfg(feature = "samples")]
#[doc(hidden)]
pub use generated::samples;

#[cfg(feature = "compliance")]
pub use generated::compliance::*;
#[cfg(feature = "configuration_policies")]
pub use generated::configuration_policies::*;
#[cfg(feature = "device_configurations")]
pub use generated::device_configurations::*;
#[cfg(feature = "enrollment")]
pub use generated::enrollment::*;
#[cfg(feature = "managed_devices")]
pub use generated::managed_devices::*;
#[cfg(feature = "reports")]
pub use generated::reports::*;
#[cfg(feature = "roles")]
pub use generated::roles::*;
#[cfg(feature = "scripts")]
pub use generated::scripts::*;
#[cfg(feature = "tenant")]
pub use generated::tenant::*;
