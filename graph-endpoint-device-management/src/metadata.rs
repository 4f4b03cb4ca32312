//! Graph's metadata for the surface, as static tables: every entity and
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
//! let wipe = metadata::OPERATIONS
//!     .iter()
//!     .find(|o| o.path == "deviceManagement/managedDevices/{}/wipe" && o.version == "beta")
//!     .unwrap();
//! assert!(wipe.action && wipe.parameters.iter().all(|p| p.nullable));
//! ```

pub use crate::generated::metadata::{ENUMS, OPERATIONS, TYPES};

/// What kind of value a property, a parameter or a return type holds: the
/// EDM primitive types one by one, then enums, flags enums, complex and
/// entity types, and `Untyped` for what the metadata types loosely
/// (`Edm.Stream`, geography, a type the surface does not reach).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `Edm.String`.
    String,
    /// `Edm.Boolean`.
    Boolean,
    /// `Edm.Byte`.
    Byte,
    /// `Edm.SByte`.
    SByte,
    /// `Edm.Int16`.
    Int16,
    /// `Edm.Int32`.
    Int32,
    /// `Edm.Int64`: a number, or a string of one (`IEEE754Compatible`).
    Int64,
    /// `Edm.Single`: a number, or `"NaN"`, `"INF"`, `"-INF"`.
    Single,
    /// `Edm.Double`: a number, or `"NaN"`, `"INF"`, `"-INF"`.
    Double,
    /// `Edm.Decimal`: a number, or a string of one (`IEEE754Compatible`).
    Decimal,
    /// `Edm.Guid`: `"00000000-0000-0000-0000-000000000000"`.
    Guid,
    /// `Edm.DateTimeOffset`: RFC 3339.
    DateTimeOffset,
    /// `Edm.Date`: `"2024-12-31"`.
    Date,
    /// `Edm.TimeOfDay`: `"23:59:59.9999999"`.
    TimeOfDay,
    /// `Edm.Duration`: ISO 8601, `"P1DT2H"`.
    Duration,
    /// `Edm.Binary`: base64.
    Binary,
    /// An enum type: one member's name, a string.
    Enum,
    /// A flags enum type: member names separated by commas, a string.
    Flags,
    /// A complex type: an object.
    Complex,
    /// An entity type: an object.
    Entity,
    /// Anything (not checked).
    Untyped,
}

impl Kind {
    /// Whether `$filter` compares it as a primitive or an enum member
    /// (everything but objects and untyped values).
    #[must_use]
    pub fn is_comparable(self) -> bool {
        !matches!(self, Kind::Complex | Kind::Entity | Kind::Untyped)
    }
}

/// A property of a type, or a parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyInfo {
    /// The wire name: `passwordMinimumLength`.
    pub name: &'static str,
    /// The qualified type of one value: `Edm.Int32`,
    /// `microsoft.graph.complianceState` (not wrapped in `Collection(...)`).
    pub ty: &'static str,
    /// What kind of value that is.
    pub kind: Kind,
    /// Whether it holds a collection (a JSON array) of such values.
    pub collection: bool,
    /// Whether `null` is allowed (`Nullable`, true unless the metadata says
    /// `false`).
    pub nullable: bool,
}

/// An entity or complex type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeInfo {
    /// Qualified name: `microsoft.graph.windows10GeneralConfiguration`.
    pub name: &'static str,
    /// The qualified base type, if any.
    pub base: Option<&'static str>,
    /// Whether it is an entity type (else complex).
    pub entity: bool,
    /// Whether it is abstract (only its derived types occur).
    pub is_abstract: bool,
    /// Its structural properties, its own and inherited ones, sorted by name.
    pub properties: &'static [PropertyInfo],
}

impl TypeInfo {
    /// A property by its wire name, its own or inherited.
    #[must_use]
    pub fn property(&self, name: &str) -> Option<&'static PropertyInfo> {
        self.properties
            .binary_search_by(|p| p.name.cmp(name))
            .ok()
            .map(|i| &self.properties[i])
    }

    /// Whether this type is `ancestor` or derives from it.
    #[must_use]
    pub fn derives_from(&self, ancestor: &str) -> bool {
        let mut current = Some(self);
        while let Some(t) = current {
            if t.name == ancestor {
                return true;
            }
            current = t.base.and_then(type_info);
        }
        false
    }
}

/// An enum type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumInfo {
    /// Qualified name: `microsoft.graph.complianceState`.
    pub name: &'static str,
    /// Whether a value is a set of members, comma-separated.
    pub flags: bool,
    /// The members' wire names, in the metadata's order.
    pub members: &'static [&'static str],
}

/// A bound action or function at one of its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationInfo {
    /// The path after the version, `{}` for each key, parameters of a
    /// function in the path left as the path declares them:
    /// `deviceManagement/managedDevices/{}/wipe`.
    pub path: &'static str,
    /// `beta` or `v1.0`.
    pub version: &'static str,
    /// The operation's name: `wipe`.
    pub name: &'static str,
    /// An action (POST, parameters in the body) or a function (GET).
    pub action: bool,
    /// The qualified type it is bound to.
    pub bound_to: &'static str,
    /// Whether it is bound to a collection of that type (else one item).
    pub bound_to_collection: bool,
    /// Its parameters, in the metadata's order.
    pub parameters: &'static [PropertyInfo],
    /// What it returns (`name` empty), if anything.
    pub returns: Option<PropertyInfo>,
}

/// An entity or complex type by qualified name.
///
/// ```
/// let t = graph_endpoint_device_management::metadata::type_info("microsoft.graph.deviceConfiguration");
/// assert!(t.is_some_and(|t| t.entity && t.is_abstract));
/// ```
#[must_use]
pub fn type_info(name: &str) -> Option<&'static TypeInfo> {
    TYPES
        .binary_search_by(|t| t.name.cmp(name))
        .ok()
        .map(|i| &TYPES[i])
}

/// An enum type by qualified name.
///
/// ```
/// let e = graph_endpoint_device_management::metadata::enum_info("microsoft.graph.complianceState");
/// assert!(e.is_some_and(|e| e.members.contains(&"compliant")));
/// ```
#[must_use]
pub fn enum_info(name: &str) -> Option<&'static EnumInfo> {
    ENUMS
        .binary_search_by(|e| e.name.cmp(name))
        .ok()
        .map(|i| &ENUMS[i])
}
