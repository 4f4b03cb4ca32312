//! The traits every generated model and enum implements, and the object a
//! model keeps.

use serde_json::{Map, Value};

/// The JSON object a model keeps.
pub type Object = Map<String, Value>;

/// A property as found in a model's object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    /// Not in the object: not sent, not returned.
    Absent,
    /// An explicit `null`.
    Null,
    /// A value.
    Present(&'a Value),
}

/// A generated model: a typed view over a JSON object.
pub trait Model: Sized {
    /// The Graph type, qualified: `microsoft.graph.windows10GeneralConfiguration`.
    const GRAPH_TYPE: &'static str;
    /// The metadata of the crate the model is generated in (its
    /// `metadata::Surface`): what decoding checks the object against. A type
    /// rather than a constant, so that the hundreds of models of a crate
    /// name one schema without a constant body each to compile.
    type Schema: crate::metadata::Schema;
    /// The model over an object, as it is (nothing is checked or changed).
    fn from_object(object: Object) -> Self;
    /// The object.
    fn object(&self) -> &Object;
    /// The object, to change.
    fn object_mut(&mut self) -> &mut Object;
    /// The object, taken out. (Provided rather than generated for each of a
    /// crate's hundreds of models: one body to compile instead of one each.)
    fn into_object(mut self) -> Object {
        std::mem::take(self.object_mut())
    }

    /// The metadata tables of the crate the model is generated in.
    #[must_use]
    fn metadata() -> &'static crate::metadata::Tables {
        <Self::Schema as crate::metadata::Schema>::tables()
    }

    /// The model from a JSON value; `None` unless it is an object.
    #[must_use]
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(object) => Some(Self::from_object(object)),
            _ => None,
        }
    }
    /// The model as a JSON value.
    fn to_value(&self) -> Value {
        Value::Object(self.object().clone())
    }
    /// A property by its wire name: absent, `null`, or its value.
    fn field(&self, name: &str) -> Field<'_> {
        match self.object().get(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(value) => Field::Present(value),
        }
    }
    /// Removes a property by its wire name, so it is not sent at all.
    fn unset(&mut self, name: &str) -> &mut Self {
        self.object_mut().remove(name);
        self
    }
    /// Writes a property by its wire name, as raw JSON (`Value::Null` clears it).
    fn set_raw(&mut self, name: &str, value: Value) -> &mut Self {
        self.object_mut().insert(name.to_owned(), value);
        self
    }
    /// The Graph type this value was decoded as: [`Self::GRAPH_TYPE`], or for an
    /// `Any…` enum the type of its variant (`None` for `Other`).
    fn decoded_as(&self) -> Option<&'static str> {
        Some(Self::GRAPH_TYPE)
    }
    /// `@odata.type` without its `#`, when present.
    fn odata_type(&self) -> Option<&str> {
        self.object()
            .get("@odata.type")
            .and_then(Value::as_str)
            .map(|t| t.trim_start_matches('#'))
    }
}

/// A model that can be viewed in place inside a larger one: a nested
/// getter answers `&Self` borrowed from its parent's object, never a copy.
///
/// The generated structs that a getter returns this way are (a
/// `#[repr(transparent)]` newtype over the object, or over its base type,
/// deriving `ref_cast::RefCast`), with their base types: the complex types
/// Graph nests in other models (`HardwareInformation` in `ManagedDevice`).
/// A model only ever read or sent whole, such as an entity, is not: the
/// derive and the implementation cost every model of a crate build time, and
/// its getters never need them (`Model::from_object` takes an object the
/// caller owns). An `Any…` enum is not either, since which variant it is has
/// to be stored (its getters copy the nested object out, once per read: see
/// the crate's `BENCHMARKS.md` for the cost).
///
/// ```
/// use graph_endpoint_device_management::models::HardwareInformation;
/// use graph_endpoint_device_management::support::{Borrowed, Object};
///
/// let object: Object = serde_json::from_str(r#"{"serialNumber": "C02X"}"#)?;
/// let view: &HardwareInformation = HardwareInformation::view(&object);
/// assert_eq!(view.serial_number(), Some("C02X"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait Borrowed: Model {
    /// The model over an object it does not own (nothing is checked or copied).
    fn view(object: &Object) -> &Self;
}

/// A generated enum: the members the metadata lists, and any other text as
/// it came.
pub trait Member: Sized {
    /// The member's wire name.
    fn as_str(&self) -> &str;
    /// The member of that wire name, or the unknown text kept as it is.
    fn parse(text: &str) -> Self;
}

/// The result of an action or function that returns one primitive or enum
/// value: `{"value": ...}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Returned<T> {
    /// The value returned.
    pub value: T,
    /// Other members of the answer (`@odata.context`, ...), as they came.
    #[serde(flatten)]
    pub other: Object,
}

/// Decodes a model: the object, checked against the model's type in the
/// metadata under the validation in effect.
///
/// # Errors
///
/// What the deserializer fails with, or the first mismatch under strict
/// validation.
#[doc(hidden)]
pub fn decode_model<'de, M: Model, D: serde::Deserializer<'de>>(d: D) -> Result<M, D::Error> {
    let object = <Object as serde::Deserialize>::deserialize(d)?;
    super::checked(&object, M::metadata(), M::GRAPH_TYPE)
        .map_err(<D::Error as serde::de::Error>::custom)?;
    Ok(M::from_object(object))
}
