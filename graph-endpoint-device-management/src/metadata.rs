//! Graph's metadata for the surface, as tables (kept as text in the
//! crate, read on first use): every entity and
//! complex type the endpoints reach with its properties (EDM type,
//! nullability, collection), every enum type with its members, and every
//! bound action and function with its path, parameters and return type.
//!
//! They are what decoding checks a payload against (see
//! [`support`](crate::support)), and what a stand-in needs to answer the whole
//! surface from the metadata: which properties of an entity set's type a
//! `$filter` or `$orderby` may name and of what type, which parameters an
//! action requires. Unlike the models, the tables are compiled whatever the
//! features.
//!
//! ```
//! use graph_endpoint_device_management::metadata::{self, Kind};
//!
//! let device = metadata::type_info("microsoft.graph.managedDevice").unwrap();
//! let state = device.property("complianceState").unwrap();
//! assert_eq!((state.kind, state.ty), (Kind::Enum, "microsoft.graph.complianceState"));
//! assert!(device.property("id").is_some(), "inherited from entity");
//!
//! let wipe = metadata::TABLES
//!     .operations
//!     .iter()
//!     .find(|o| o.path == "deviceManagement/managedDevices/{}/wipe" && o.version == "beta")
//!     .unwrap();
//! assert!(wipe.action && wipe.parameters.iter().all(|p| p.nullable));
//! ```

pub use graph_endpoint_model::metadata::{
    EnumInfo, Kind, LazyTables, OperationInfo, PropertyInfo, Tables, TypeInfo,
};

pub use crate::generated::metadata::{Surface, TABLES};

/// An entity or complex type by qualified name.
///
/// ```
/// let t = graph_endpoint_device_management::metadata::type_info("microsoft.graph.deviceConfiguration");
/// assert!(t.is_some_and(|t| t.entity && t.is_abstract));
/// ```
#[must_use]
pub fn type_info(name: &str) -> Option<&'static TypeInfo> {
    TABLES.type_info(name)
}

/// An enum type by qualified name.
///
/// ```
/// let e = graph_endpoint_device_management::metadata::enum_info("microsoft.graph.complianceState");
/// assert!(e.is_some_and(|e| e.members.contains(&"compliant")));
/// ```
#[must_use]
pub fn enum_info(name: &str) -> Option<&'static EnumInfo> {
    TABLES.enum_info(name)
}
