//! Graph's metadata as static tables, the types they are made of: entity
//! and complex types with their properties (EDM type, nullability,
//! collection), enum types with their members, bound actions and functions
//! with their paths, parameters and return types.
//!
//! Each generated crate has its own [`Tables`] (its `metadata::TABLES`, what
//! its endpoints reach), and each of its models names them through its
//! [`Schema`] ([`Model::Schema`](crate::Model::Schema)): decoding checks a
//! payload against them, and a stand-in answers the surface from them.
//!
//! A generated crate holds its tables as text, read into [`Tables`] the first
//! time they are used ([`LazyTables`]): thousands of properties written as
//! Rust values cost the crate's every build more than a second of compile
//! time, the text a few milliseconds of one run.

use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

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
    /// The kind of that name (`"Int32"`, `"Enum"`), as the tables' text
    /// writes it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "String" => Kind::String,
            "Boolean" => Kind::Boolean,
            "Byte" => Kind::Byte,
            "SByte" => Kind::SByte,
            "Int16" => Kind::Int16,
            "Int32" => Kind::Int32,
            "Int64" => Kind::Int64,
            "Single" => Kind::Single,
            "Double" => Kind::Double,
            "Decimal" => Kind::Decimal,
            "Guid" => Kind::Guid,
            "DateTimeOffset" => Kind::DateTimeOffset,
            "Date" => Kind::Date,
            "TimeOfDay" => Kind::TimeOfDay,
            "Duration" => Kind::Duration,
            "Binary" => Kind::Binary,
            "Enum" => Kind::Enum,
            "Flags" => Kind::Flags,
            "Complex" => Kind::Complex,
            "Entity" => Kind::Entity,
            "Untyped" => Kind::Untyped,
            _ => return None,
        })
    }

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

/// Where a crate's models find their metadata: each generated crate has one
/// (`metadata::Surface`), which its models name as
/// [`Model::Schema`](crate::Model::Schema).
pub trait Schema {
    /// The crate's tables.
    fn tables() -> &'static Tables;
}

/// Tables kept as text and read the first time they are used: what a
/// generated crate's `metadata::TABLES` is. It dereferences to [`Tables`].
///
/// The text has a line per type (`T name base flags`, flags `e` entity, `a`
/// abstract, `-` none; base `-` for none), enum (`E name f|- member...`) and
/// operation (`O path version name a|f bound_to c|-`), each followed by its
/// properties or parameters (`P name type Kind flags`, flags `c` collection,
/// `n` nullable) and an operation's return type (`R type Kind c|-`), fields
/// separated by one space.
///
/// ```
/// use graph_endpoint_model::metadata::{Kind, LazyTables};
///
/// static TABLES: LazyTables = LazyTables::new(
///     "T microsoft.graph.thing - -\nP size Edm.Int32 Int32 n\n",
/// );
/// let thing = TABLES.type_info("microsoft.graph.thing").unwrap();
/// assert_eq!(thing.property("size").unwrap().kind, Kind::Int32);
/// ```
pub struct LazyTables {
    text: &'static str,
    tables: OnceLock<Tables>,
}

impl LazyTables {
    /// Tables of that text, read on first use.
    #[must_use]
    pub const fn new(text: &'static str) -> Self {
        LazyTables {
            text,
            tables: OnceLock::new(),
        }
    }

    /// The tables, read from the text if they have not been yet.
    ///
    /// # Panics
    ///
    /// If the text is not in the tables' form: the generator writes it, and
    /// every generated crate's tests read it.
    #[must_use]
    pub fn get(&self) -> &Tables {
        self.tables.get_or_init(|| {
            Tables::parse(self.text)
                .unwrap_or_else(|e| panic!("the generated metadata tables do not read: {e}"))
        })
    }
}

impl Deref for LazyTables {
    type Target = Tables;
    fn deref(&self) -> &Tables {
        self.get()
    }
}

impl fmt::Debug for LazyTables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.get(), f)
    }
}

/// What a table's owner collects its properties into until the next owner.
enum Owner {
    Type(TypeInfo),
    Enum,
    Operation(OperationInfo),
}

impl Tables {
    /// Tables from their text (see [`LazyTables`]). The text lives as long as
    /// the program, and so do the tables read from it: names borrow the
    /// text, the lists are allocated once and kept.
    ///
    /// # Errors
    ///
    /// A line that is not in the tables' form: its number and what is wrong.
    pub fn parse(text: &'static str) -> Result<Tables, String> {
        let mut types = Vec::new();
        let mut enums = Vec::new();
        let mut operations = Vec::new();
        let mut owner: Option<Owner> = None;
        let mut properties: Vec<PropertyInfo> = Vec::new();
        let mut returns: Option<PropertyInfo> = None;
        let mut finish = |owner: Option<Owner>,
                          properties: &mut Vec<PropertyInfo>,
                          returns: &mut Option<PropertyInfo>| {
            let list: &'static [PropertyInfo] = std::mem::take(properties).leak();
            match owner {
                Some(Owner::Type(mut t)) => {
                    t.properties = list;
                    types.push(t);
                }
                Some(Owner::Operation(mut o)) => {
                    o.parameters = list;
                    o.returns = returns.take();
                    operations.push(o);
                }
                Some(Owner::Enum) | None => {}
            }
        };
        for (number, line) in text.lines().enumerate() {
            let fail = |what: &str| format!("line {}: {what}: {line}", number + 1);
            let fields: Vec<&'static str> = line.split(' ').collect();
            match fields[..] {
                ["T", name, base, flags] => {
                    finish(owner.take(), &mut properties, &mut returns);
                    owner = Some(Owner::Type(TypeInfo {
                        name,
                        base: (base != "-").then_some(base),
                        entity: flags.contains('e'),
                        is_abstract: flags.contains('a'),
                        properties: &[],
                    }));
                }
                ["E", name, flags, ref members @ ..] => {
                    finish(owner.take(), &mut properties, &mut returns);
                    owner = Some(Owner::Enum);
                    enums.push(EnumInfo {
                        name,
                        flags: flags == "f",
                        members: members.to_vec().leak(),
                    });
                }
                ["O", path, version, name, kind, bound_to, flags] => {
                    finish(owner.take(), &mut properties, &mut returns);
                    owner = Some(Owner::Operation(OperationInfo {
                        path,
                        version,
                        name,
                        action: kind == "a",
                        bound_to,
                        bound_to_collection: flags.contains('c'),
                        parameters: &[],
                        returns: None,
                    }));
                }
                ["P", name, ty, kind, flags] => {
                    if !matches!(owner, Some(Owner::Type(_) | Owner::Operation(_))) {
                        return Err(fail("a property outside a type or an operation"));
                    }
                    properties.push(PropertyInfo {
                        name,
                        ty,
                        kind: Kind::from_name(kind).ok_or_else(|| fail("an unknown kind"))?,
                        collection: flags.contains('c'),
                        nullable: flags.contains('n'),
                    });
                }
                ["R", ty, kind, flags] => {
                    if !matches!(owner, Some(Owner::Operation(_))) {
                        return Err(fail("a return type outside an operation"));
                    }
                    returns = Some(PropertyInfo {
                        name: "",
                        ty,
                        kind: Kind::from_name(kind).ok_or_else(|| fail("an unknown kind"))?,
                        collection: flags.contains('c'),
                        nullable: true,
                    });
                }
                [""] => {}
                _ => return Err(fail("not a line of the tables")),
            }
        }
        finish(owner.take(), &mut properties, &mut returns);
        // Looked up by binary search: the generator writes them sorted.
        for pair in types.windows(2) {
            if pair[0].name >= pair[1].name {
                return Err(format!(
                    "types out of order: {} before {}",
                    pair[0].name, pair[1].name
                ));
            }
        }
        for t in &types {
            if let Some(pair) = t.properties.windows(2).find(|p| p[0].name >= p[1].name) {
                return Err(format!(
                    "{}: properties out of order: {} before {}",
                    t.name, pair[0].name, pair[1].name
                ));
            }
        }
        for pair in enums.windows(2) {
            if pair[0].name >= pair[1].name {
                return Err(format!(
                    "enums out of order: {} before {}",
                    pair[0].name, pair[1].name
                ));
            }
        }
        Ok(Tables {
            types: types.leak(),
            enums: enums.leak(),
            operations: operations.leak(),
        })
    }
}

/// The tables the model runtime's own tests decode against: none.
#[cfg(test)]
pub(crate) static TABLES: Tables = Tables::EMPTY;

/// The schema of the model runtime's own test models: [`TABLES`].
#[cfg(test)]
pub(crate) struct Surface;

#[cfg(test)]
impl Schema for Surface {
    fn tables() -> &'static Tables {
        &TABLES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_reads_into_tables() {
        let tables = Tables::parse(
            "T microsoft.graph.shape - ea\n\
             P id Edm.String String -\n\
             P tags Edm.String String cn\n\
             T microsoft.graph.square microsoft.graph.shape e\n\
             P id Edm.String String -\n\
             E microsoft.graph.color f red green\n\
             O root/shapes/{}/paint beta paint a microsoft.graph.shape -\n\
             P color microsoft.graph.color Flags n\n\
             R microsoft.graph.shape Entity c\n",
        )
        .unwrap();
        let shape = tables.type_info("microsoft.graph.shape").unwrap();
        assert!(shape.entity && shape.is_abstract && shape.base.is_none());
        let tags = shape.property("tags").unwrap();
        assert!(tags.collection && tags.nullable && tags.kind == Kind::String);
        let square = tables.type_info("microsoft.graph.square").unwrap();
        assert_eq!(square.base, Some("microsoft.graph.shape"));
        assert!(tables.derives_from(square, "microsoft.graph.shape"));
        let color = tables.enum_info("microsoft.graph.color").unwrap();
        assert!(color.flags);
        assert_eq!(color.members, ["red", "green"]);
        let paint = &tables.operations[0];
        assert!(paint.action && !paint.bound_to_collection);
        assert_eq!(paint.parameters[0].kind, Kind::Flags);
        let returns = paint.returns.unwrap();
        assert!(returns.collection && returns.kind == Kind::Entity);
    }

    #[test]
    fn a_malformed_text_is_refused_with_its_line() {
        for (text, expected) in [
            (
                "P id Edm.String String -\n",
                "line 1: a property outside a type",
            ),
            (
                "T a - -\nP id Edm.String Text -\n",
                "line 2: an unknown kind",
            ),
            ("T a - -\nX\n", "line 2: not a line of the tables"),
            ("T b - -\nT a - -\n", "types out of order: b before a"),
            (
                "T a - -\nP z Edm.String String -\nP b Edm.String String -\n",
                "a: properties out of order",
            ),
        ] {
            let error = Tables::parse(text).unwrap_err();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }
}
