//! Graph's metadata for the surface, as tables (kept as text in the
//! crate, read on first use): every entity and
//! complex type the endpoints reach with its properties, every enum type with
//! its members, and every bound action and function with its path,
//! parameters and return type. They are what decoding checks a payload
//! against; unlike the models, they are compiled whatever the features.
//!
//! ```
//! use graph_endpoint_device_app_management::metadata::{self, Kind};
//!
//! let app = metadata::type_info("microsoft.graph.win32LobApp").unwrap();
//! let intent = metadata::type_info("microsoft.graph.mobileAppAssignment")
//!     .and_then(|t| t.property("intent"))
//!     .unwrap();
//! assert_eq!((intent.kind, intent.ty), (Kind::Enum, "microsoft.graph.installIntent"));
//! assert!(app.derives_from(&metadata::TABLES, "microsoft.graph.mobileApp"));
//! ```

pub use graph_endpoint_model::metadata::{
    EnumInfo, Kind, LazyTables, OperationInfo, PropertyInfo, Tables, TypeInfo,
};

pub use crate::generated::metadata::{Surface, TABLES};

/// An entity or complex type by qualified name.
#[must_use]
pub fn type_info(name: &str) -> Option<&'static TypeInfo> {
    TABLES.type_info(name)
}

/// An enum type by qualified name.
#[must_use]
pub fn enum_info(name: &str) -> Option<&'static EnumInfo> {
    TABLES.enum_info(name)
}
