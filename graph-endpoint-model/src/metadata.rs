//! Graph's metadata as static tables, the types they are made of: entity
//! and complex types with their properties (EDM type, nullability,
//! collection), enum types with their members, bound actions and functions
//! with their paths, parameters and return types.
//!
//! Each generated crate has its own [`Tables`] (its `metadata::TABLES`, what
//! its endpoints reach), and each of its models names them
//! ([`Model::METADATA`](crate::Model::METADATA)): decoding checks a payload
//! against them, and a stand-in answers the surface from them.

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

    /// Whether this type is `ancestor` or derives from it, its base types
    /// found in `tables`.
    #[must_use]
    pub fn derives_from(&self, tables: &Tables, ancestor: &str) -> bool {
        let mut current = Some(self);
        while let Some(t) = current {
            if t.name == ancestor {
                return true;
            }
            current = t.base.and_then(|b| tables.type_info(b));
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

/// The tables of one generated crate, each sorted by name.
#[derive(Debug, Clone, Copy)]
pub struct Tables {
    /// Every entity and complex type the surface reaches.
    pub types: &'static [TypeInfo],
    /// Every enum type the surface reaches.
    pub enums: &'static [EnumInfo],
    /// Every bound action and function of the surface, at each of its paths.
    pub operations: &'static [OperationInfo],
}

impl Tables {
    /// No types: nothing is checked.
    pub const EMPTY: Tables = Tables {
        types: &[],
        enums: &[],
        operations: &[],
    };

    /// An entity or complex type by qualified name.
    #[must_use]
    pub fn type_info(&self, name: &str) -> Option<&'static TypeInfo> {
        let types = self.types;
        types
            .binary_search_by(|t| t.name.cmp(name))
            .ok()
            .map(|i| &types[i])
    }

    /// An enum type by qualified name.
    #[must_use]
    pub fn enum_info(&self, name: &str) -> Option<&'static EnumInfo> {
        let enums = self.enums;
        enums
            .binary_search_by(|e| e.name.cmp(name))
            .ok()
            .map(|i| &enums[i])
    }

    /// Whether `ty` is `ancestor` or derives from it.
    #[must_use]
    pub fn derives_from(&self, ty: &TypeInfo, ancestor: &str) -> bool {
        ty.derives_from(self, ancestor)
    }
}

/// The tables the model runtime's own tests decode against: none.
#[cfg(test)]
pub(crate) static TABLES: Tables = Tables::EMPTY;
