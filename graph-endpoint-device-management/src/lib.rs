//! Every documented Microsoft Graph `/deviceManagement` endpoint (2,294 of
//! them, beta and v1.0), declared with `#[graph_action]` and implemented for
//! [`GraphClient`](graph_endpoint::GraphClient), one trait per resource.
//!
//! The declarations are generated at build time by `graph-endpoint-codegen`
//! from `corpus/device-management.json`; bodies and results are
//! `serde_json::Value`.
//!
//! ```no_run
//! use graph_endpoint::GraphClient;
//! use graph_endpoint_device_management::ManagedDevices;
//!
//! # async fn demo() -> Result<(), graph_endpoint::Error> {
//! let graph = GraphClient::builder().token(std::env::var("GRAPH_TOKEN").unwrap()).build()?;
//! let devices = graph.list_managed_devices().await?;
//! println!("{devices}");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![allow(missing_docs)]

use graph_endpoint::graph_action;

include!(concat!(env!("OUT_DIR"), "/endpoints.rs"));
