//! What every generated model is built on.
//!
//! A model keeps the JSON object it was read from (or built into) as its
//! storage, so reading a payload and writing it back gives the same JSON
//! value: properties the metadata does not know, enum members it does not
//! know, `@odata.type`s it does not know, explicit `null`s and the exact text
//! of numbers and dates all survive. Typed accessors read and write that
//! object one property at a time:
//!
//! - a getter returns `None` when the property is absent, `null`, or not of
//!   the declared shape; [`Model::field`] tells the three apart;
//! - a property whose type is a flags enum reads as a [`Flags`] set of its
//!   members, written comma-separated;
//! - a setter takes an `Option`: `Some` writes the value, `None` writes an
//!   explicit `null` (on a PATCH, "clear this property"); [`Model::unset`]
//!   removes the property, so it is not sent at all.
//!
//! Since only what was set is in the object, a model built with `new()` and a
//! few setters is exactly the body of a partial update.

use serde_json::{Map, Number, Value};

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
    /// The model over an object, as it is (nothing is checked or changed).
    fn from_object(object: Object) -> Self;
    /// The object.
    fn object(&self) -> &Object;
    /// The object, to change.
    fn object_mut(&mut self) -> &mut Object;
    /// The object, taken out.
    fn into_object(self) -> Object;

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

/// A generated enum: the members the metadata lists, and any other text as
/// it came.
pub trait Member: Sized {
    /// The member's wire name.
    fn as_str(&self) -> &str;
    /// The member of that wire name, or the unknown text kept as it is.
    fn parse(text: &str) -> Self;
}

/// The members a value of a flags enum holds: a set, which Graph writes as
/// the members' wire names separated by commas (`"keyEncipherment,digitalSignature"`).
///
/// A property whose type is a flags enum reads as `Flags<E>` and is set with
/// one. Members are told apart by their wire name ([`Member::as_str`]), so a
/// set holds each member once, and members the metadata does not list (kept
/// by the enum as they came, `Unrecognized(text)`) are members like the
/// others: reading a set, changing it and writing it back keeps them.
///
/// The members keep the order in which they were first inserted (for a set
/// read from a payload, the order of the payload), which is the order
/// [`iter`](Self::iter) yields and the order they are written in; equality
/// does not depend on it.
///
/// ```
/// use graph_endpoint_device_management::models::{IosScepCertificateProfile, KeyUsages};
/// use graph_endpoint_device_management::support::{Flags, Model};
///
/// let mut profile: IosScepCertificateProfile = serde_json::from_str(
///     r#"{"keyUsage": "digitalSignature,keyEncipherment"}"#,
/// )?;
/// let usages = profile.key_usage().unwrap();
/// assert_eq!(usages, Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]));
///
/// profile.set_key_usage(Some(Flags::from([KeyUsages::DigitalSignature])));
/// assert_eq!(profile.object()["keyUsage"], "digitalSignature");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct Flags<E> {
    /// Each member once, in the order first inserted.
    members: Vec<E>,
}

impl<E> Flags<E> {
    /// An empty set.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let usages = Flags::<KeyUsages>::new();
    /// assert!(usages.is_empty());
    /// assert_eq!(usages.to_string(), "");
    /// ```
    #[inline]
    #[must_use]
    pub const fn new() -> Self {
        Flags {
            members: Vec::new(),
        }
    }

    /// Whether the set has no member.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// assert!(Flags::<KeyUsages>::new().is_empty());
    /// assert!(!Flags::from([KeyUsages::DigitalSignature]).is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// How many members the set has.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let usages = Flags::from([KeyUsages::DigitalSignature, KeyUsages::DigitalSignature]);
    /// assert_eq!(usages.len(), 1);
    /// ```
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The members, in the order they were first inserted.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let usages = Flags::from([KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment]);
    /// let listed: Vec<&KeyUsages> = usages.iter().collect();
    /// assert_eq!(listed, [&KeyUsages::DigitalSignature, &KeyUsages::KeyEncipherment]);
    /// ```
    #[inline]
    pub fn iter(&self) -> std::slice::Iter<'_, E> {
        self.members.iter()
    }
}

impl<E: Member> Flags<E> {
    /// Whether `member` is in the set (members compare by wire name).
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let usages = Flags::from([KeyUsages::DigitalSignature]);
    /// assert!(usages.contains(&KeyUsages::DigitalSignature));
    /// assert!(!usages.contains(&KeyUsages::KeyEncipherment));
    /// ```
    pub fn contains(&self, member: &E) -> bool {
        self.position(member).is_some()
    }

    /// Adds `member`, last; `false` (and the set unchanged) when it was
    /// already in it.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let mut usages = Flags::new();
    /// assert!(usages.insert(KeyUsages::DigitalSignature));
    /// assert!(!usages.insert(KeyUsages::DigitalSignature));
    /// assert_eq!(usages.len(), 1);
    /// ```
    pub fn insert(&mut self, member: E) -> bool {
        if self.contains(&member) {
            return false;
        }
        self.members.push(member);
        true
    }

    /// Removes `member`; `false` when it was not in the set. The others keep
    /// their order.
    ///
    /// ```
    /// use graph_endpoint_device_management::models::KeyUsages;
    /// use graph_endpoint_device_management::support::Flags;
    ///
    /// let mut usages = Flags::from([KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment]);
    /// assert!(usages.remove(&KeyUsages::DigitalSignature));
    /// assert!(!usages.remove(&KeyUsages::DigitalSignature));
    /// assert_eq!(usages, Flags::from([KeyUsages::KeyEncipherment]));
    /// ```
    pub fn remove(&mut self, member: &E) -> bool {
        match self.position(member) {
            Some(i) => {
                self.members.remove(i);
                true
            }
            None => false,
        }
    }

    fn position(&self, member: &E) -> Option<usize> {
        let name = member.as_str();
        self.members.iter().position(|m| m.as_str() == name)
    }

    /// The set a wire text holds: members separated by commas, blanks around
    /// them ignored, each member once.
    fn from_wire(text: &str) -> Self {
        text.split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(E::parse)
            .collect()
    }

    /// The wire text: the members' wire names separated by commas.
    fn to_wire(&self) -> String {
        let mut text = String::new();
        for (i, member) in self.members.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(member.as_str());
        }
        text
    }
}

/// An empty set, as [`Flags::new`].
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// assert_eq!(Flags::<KeyUsages>::default(), Flags::new());
/// ```
impl<E> Default for Flags<E> {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

/// The members as a set: `{DigitalSignature, KeyEncipherment}`.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment]);
/// assert_eq!(format!("{usages:?}"), "{DigitalSignature, KeyEncipherment}");
/// ```
impl<E: std::fmt::Debug> std::fmt::Debug for Flags<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(&self.members).finish()
    }
}

/// Set equality: the same members, in any order.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let one = Flags::from([KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment]);
/// let other = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(one, other);
/// assert_ne!(one, Flags::from([KeyUsages::KeyEncipherment]));
/// ```
impl<E: Member> PartialEq for Flags<E> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains(m))
    }
}

impl<E: Member> Eq for Flags<E> {}

/// The wire form: `"keyEncipherment,digitalSignature"`.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(usages.to_string(), "keyEncipherment,digitalSignature");
/// ```
impl<E: Member> std::fmt::Display for Flags<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_wire())
    }
}

/// Reads the wire form; never fails (an unknown member is kept as it came).
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages: Flags<KeyUsages> = "digitalSignature,somethingNew".parse().unwrap();
/// assert!(usages.contains(&KeyUsages::DigitalSignature));
/// assert!(usages.contains(&KeyUsages::Unrecognized("somethingNew".into())));
/// ```
impl<E: Member> std::str::FromStr for Flags<E> {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_wire(text))
    }
}

/// The set of the members, each once.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages: Flags<KeyUsages> = [KeyUsages::DigitalSignature, KeyUsages::DigitalSignature]
///     .into_iter()
///     .collect();
/// assert_eq!(usages.len(), 1);
/// ```
impl<E: Member> FromIterator<E> for Flags<E> {
    fn from_iter<I: IntoIterator<Item = E>>(members: I) -> Self {
        let mut set = Self::new();
        set.extend(members);
        set
    }
}

/// Inserts each member (those already in the set are skipped).
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let mut usages = Flags::from([KeyUsages::DigitalSignature]);
/// usages.extend([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(usages.to_string(), "digitalSignature,keyEncipherment");
/// ```
impl<E: Member> Extend<E> for Flags<E> {
    fn extend<I: IntoIterator<Item = E>>(&mut self, members: I) {
        for member in members {
            self.insert(member);
        }
    }
}

/// The set of the members listed, each once.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(usages.len(), 2);
/// ```
impl<E: Member, const N: usize> From<[E; N]> for Flags<E> {
    fn from(members: [E; N]) -> Self {
        members.into_iter().collect()
    }
}

/// The members, in the order they were first inserted.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment]);
/// for usage in &usages {
///     assert_eq!(usage, &KeyUsages::KeyEncipherment);
/// }
/// ```
impl<'a, E> IntoIterator for &'a Flags<E> {
    type Item = &'a E;
    type IntoIter = std::slice::Iter<'a, E>;

    fn into_iter(self) -> Self::IntoIter {
        self.members.iter()
    }
}

/// The members, taken out, in the order they were first inserted.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// let listed: Vec<KeyUsages> = usages.into_iter().collect();
/// assert_eq!(listed, [KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// ```
impl<E> IntoIterator for Flags<E> {
    type Item = E;
    type IntoIter = std::vec::IntoIter<E>;

    fn into_iter(self) -> Self::IntoIter {
        self.members.into_iter()
    }
}

/// Serialized as its wire form, a string.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages = Flags::from([KeyUsages::KeyEncipherment, KeyUsages::DigitalSignature]);
/// assert_eq!(serde_json::to_string(&usages)?, r#""keyEncipherment,digitalSignature""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<E: Member> serde::Serialize for Flags<E> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_wire())
    }
}

/// Deserialized from its wire form, a string.
///
/// ```
/// use graph_endpoint_device_management::models::KeyUsages;
/// use graph_endpoint_device_management::support::Flags;
///
/// let usages: Flags<KeyUsages> = serde_json::from_str(r#""digitalSignature,keyEncipherment""#)?;
/// assert_eq!(usages.len(), 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<'de, E: Member> serde::Deserialize<'de> for Flags<E> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        Ok(Self::from_wire(&text))
    }
}

/// A value of a declared action parameter or property, as JSON.
#[doc(hidden)]
pub fn member_value<E: Member>(value: &E) -> Value {
    Value::String(value.as_str().to_owned())
}

#[doc(hidden)]
pub fn get_str<'a>(object: &'a Object, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}

#[doc(hidden)]
pub fn get_bool(object: &Object, name: &str) -> Option<bool> {
    object.get(name).and_then(Value::as_bool)
}

#[doc(hidden)]
pub fn get_i32(object: &Object, name: &str) -> Option<i32> {
    object
        .get(name)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

#[doc(hidden)]
pub fn get_i64(object: &Object, name: &str) -> Option<i64> {
    object.get(name).and_then(Value::as_i64)
}

#[doc(hidden)]
pub fn get_f64(object: &Object, name: &str) -> Option<f64> {
    object.get(name).and_then(Value::as_f64)
}

#[doc(hidden)]
#[must_use]
pub fn get_raw<'a>(object: &'a Object, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|v| !v.is_null())
}

#[doc(hidden)]
pub fn get_member<E: Member>(object: &Object, name: &str) -> Option<E> {
    get_str(object, name).map(E::parse)
}

/// A flags enum is a comma-separated set of members.
#[doc(hidden)]
pub fn get_flags<E: Member>(object: &Object, name: &str) -> Option<Flags<E>> {
    get_str(object, name).map(Flags::from_wire)
}

#[doc(hidden)]
#[must_use]
pub fn get_model<M: Model>(object: &Object, name: &str) -> Option<M> {
    match object.get(name) {
        Some(Value::Object(inner)) => Some(M::from_object(inner.clone())),
        _ => None,
    }
}

#[doc(hidden)]
pub fn get_list<T>(object: &Object, name: &str, item: fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    object
        .get(name)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(item).collect())
}

#[doc(hidden)]
pub fn item_str(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

#[doc(hidden)]
#[must_use]
pub fn item_bool(value: &Value) -> Option<bool> {
    value.as_bool()
}

#[doc(hidden)]
#[must_use]
pub fn item_i32(value: &Value) -> Option<i32> {
    value.as_i64().and_then(|n| i32::try_from(n).ok())
}

#[doc(hidden)]
#[must_use]
pub fn item_i64(value: &Value) -> Option<i64> {
    value.as_i64()
}

#[doc(hidden)]
#[must_use]
pub fn item_f64(value: &Value) -> Option<f64> {
    value.as_f64()
}

#[doc(hidden)]
#[must_use]
pub fn item_raw(value: &Value) -> Option<Value> {
    Some(value.clone())
}

#[doc(hidden)]
pub fn item_member<E: Member>(value: &Value) -> Option<E> {
    value.as_str().map(E::parse)
}

#[doc(hidden)]
#[must_use]
pub fn item_model<M: Model>(value: &Value) -> Option<M> {
    M::from_value(value.clone())
}

#[doc(hidden)]
pub fn set(object: &mut Object, name: &str, value: Option<Value>) {
    object.insert(name.to_owned(), value.unwrap_or(Value::Null));
}

#[doc(hidden)]
pub fn set_str(object: &mut Object, name: &str, value: Option<&str>) {
    set(object, name, value.map(str_value));
}

#[doc(hidden)]
pub fn set_bool(object: &mut Object, name: &str, value: Option<bool>) {
    set(object, name, value.map(Value::Bool));
}

#[doc(hidden)]
pub fn set_i32(object: &mut Object, name: &str, value: Option<i32>) {
    set(object, name, value.map(Value::from));
}

#[doc(hidden)]
pub fn set_i64(object: &mut Object, name: &str, value: Option<i64>) {
    set(object, name, value.map(Value::from));
}

#[doc(hidden)]
pub fn set_f64(object: &mut Object, name: &str, value: Option<f64>) {
    set(object, name, value.map(f64_value));
}

#[doc(hidden)]
pub fn set_member<E: Member>(object: &mut Object, name: &str, value: Option<E>) {
    let value = value.map(|v| member_value(&v));
    set(object, name, value);
}

#[doc(hidden)]
pub fn set_flags<E: Member>(object: &mut Object, name: &str, value: Option<Flags<E>>) {
    let value = value.map(|v| flags_value(&v));
    set(object, name, value);
}

#[doc(hidden)]
pub fn set_model<M: Model>(object: &mut Object, name: &str, value: Option<M>) {
    let value = value.map(|v| Value::Object(v.into_object()));
    set(object, name, value);
}

#[doc(hidden)]
pub fn set_list<T>(object: &mut Object, name: &str, value: Option<Vec<T>>, item: fn(&T) -> Value) {
    let value = value.map(|v| list_value(&v, item));
    set(object, name, value);
}

#[doc(hidden)]
// Generated code passes every property's value by reference to one shape of
// function, `&String` included.
#[allow(clippy::ptr_arg)]
#[must_use]
pub fn string_value(value: &String) -> Value {
    Value::String(value.clone())
}

#[doc(hidden)]
#[must_use]
pub fn bool_value(value: &bool) -> Value {
    Value::Bool(*value)
}

#[doc(hidden)]
#[must_use]
pub fn i32_value(value: &i32) -> Value {
    Value::from(*value)
}

#[doc(hidden)]
#[must_use]
pub fn i64_value(value: &i64) -> Value {
    Value::from(*value)
}

#[doc(hidden)]
#[must_use]
pub fn f64_ref_value(value: &f64) -> Value {
    f64_value(*value)
}

#[doc(hidden)]
#[must_use]
pub fn raw_value(value: &Value) -> Value {
    value.clone()
}

#[doc(hidden)]
pub fn item_flags<E: Member>(value: &Value) -> Option<Flags<E>> {
    value.as_str().map(Flags::from_wire)
}

#[doc(hidden)]
#[must_use]
pub fn str_value(value: &str) -> Value {
    Value::String(value.to_owned())
}

#[doc(hidden)]
pub fn f64_value(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

#[doc(hidden)]
#[must_use]
pub fn flags_value<E: Member>(value: &Flags<E>) -> Value {
    Value::String(value.to_wire())
}

#[doc(hidden)]
pub fn list_value<T>(items: &[T], item: fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(item).collect())
}

#[doc(hidden)]
pub fn model_value<M: Model>(value: &M) -> Value {
    value.to_value()
}

#[doc(hidden)]
#[must_use]
pub fn new_object(graph_type: Option<&str>) -> Object {
    let mut object = Object::new();
    if let Some(graph_type) = graph_type {
        object.insert(
            "@odata.type".into(),
            Value::String(format!("#{graph_type}")),
        );
    }
    object
}

/// Serialize/Deserialize of a model: the object itself.
#[doc(hidden)]
#[macro_export]
macro_rules! __model_serde {
    ($ty:ty) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize($crate::support::Model::object(self), s)
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                <$crate::support::Object as ::serde::Deserialize>::deserialize(d)
                    .map(<$ty as $crate::support::Model>::from_object)
            }
        }
    };
}

/// A root model (no base type in the surface): a newtype over the object.
#[doc(hidden)]
#[macro_export]
macro_rules! __root_model {
    ($ty:ident, $name:literal, $typed_new:literal) => {
        impl $crate::support::Model for $ty {
            const GRAPH_TYPE: &'static str = $name;
            #[inline]
            fn from_object(object: $crate::support::Object) -> Self {
                $ty(object)
            }
            #[inline]
            fn object(&self) -> &$crate::support::Object {
                &self.0
            }
            #[inline]
            fn object_mut(&mut self) -> &mut $crate::support::Object {
                &mut self.0
            }
            #[inline]
            fn into_object(self) -> $crate::support::Object {
                self.0
            }
        }
        impl $ty {
            #[doc = concat!("An empty `", $name, "`", "; with its `@odata.type` when it is part of a type hierarchy.")]
            #[inline]
            pub fn new() -> Self {
                $ty($crate::support::new_object($typed_new.then_some($name)))
            }
        }
        impl ::core::default::Default for $ty {
            #[inline]
            fn default() -> Self {
                Self::new()
            }
        }
        $crate::__model_serde!($ty);
    };
}

/// A derived model: a newtype over its base, which it dereferences to, so
/// the base's accessors apply.
#[doc(hidden)]
#[macro_export]
macro_rules! __derived_model {
    ($ty:ident, $base:ident, $name:literal) => {
        impl $crate::support::Model for $ty {
            const GRAPH_TYPE: &'static str = $name;
            #[inline]
            fn from_object(object: $crate::support::Object) -> Self {
                $ty(<$base as $crate::support::Model>::from_object(object))
            }
            #[inline]
            fn object(&self) -> &$crate::support::Object {
                $crate::support::Model::object(&self.0)
            }
            #[inline]
            fn object_mut(&mut self) -> &mut $crate::support::Object {
                $crate::support::Model::object_mut(&mut self.0)
            }
            #[inline]
            fn into_object(self) -> $crate::support::Object {
                $crate::support::Model::into_object(self.0)
            }
        }
        impl $ty {
            #[doc = concat!("An empty `", $name, "` with its `@odata.type`.")]
            #[inline]
            pub fn new() -> Self {
                <Self as $crate::support::Model>::from_object($crate::support::new_object(Some(
                    $name,
                )))
            }
        }
        impl ::core::default::Default for $ty {
            #[inline]
            fn default() -> Self {
                Self::new()
            }
        }
        impl ::core::ops::Deref for $ty {
            type Target = $base;
            #[inline]
            fn deref(&self) -> &$base {
                &self.0
            }
        }
        impl ::core::ops::DerefMut for $ty {
            #[inline]
            fn deref_mut(&mut self) -> &mut $base {
                &mut self.0
            }
        }
        impl ::core::convert::From<$ty> for $base {
            #[inline]
            fn from(value: $ty) -> $base {
                value.0
            }
        }
        $crate::__model_serde!($ty);
    };
}

/// Serialize/Deserialize of a generated enum: its wire name.
#[doc(hidden)]
#[macro_export]
macro_rules! __member_serde {
    ($ty:ident) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str($crate::support::Member::as_str(self))
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                let text = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                Ok(<$ty as $crate::support::Member>::parse(&text))
            }
        }
        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str($crate::support::Member::as_str(self))
            }
        }
    };
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

#[cfg(feature = "catalog")]
pub use codecs::*;

/// Checking payloads against declared types (the `catalog` feature).
#[cfg(feature = "catalog")]
mod codecs {
    use super::*;

    /// Decodes a payload into a declared type and encodes it again: the JSON
    /// value written back, or why it could not be decoded.
    pub type Codec = fn(&Value) -> Result<Value, String>;

    /// One endpoint's declared types, for checking payloads against them.
    #[derive(Debug, Clone, Copy)]
    pub struct Declaration {
        /// `GET`, `POST`, ...
        pub method: &'static str,
        /// The path as documented (`{name}` placeholders).
        pub path: &'static str,
        /// `beta` or `v1.0`.
        pub version: &'static str,
        /// The request body's type, when there is one.
        pub body: Option<Codec>,
        /// The result's type, when there is one (a list's: one page).
        pub result: Option<Codec>,
        /// Whether the result is one model (not a page, nor a wrapped value).
        pub single: bool,
    }

    /// A model: an object, whose `@odata.type`, when it names a Graph type, is the
    /// type it decodes as.
    #[doc(hidden)]
    pub fn codec_model<T: Model>(value: &Value) -> Result<Value, String> {
        let model = T::from_value(value.clone())
            .ok_or_else(|| format!("not an object, for {}", T::GRAPH_TYPE))?;
        // A type the metadata knows is decoded as itself; others are kept as they came.
        if let Some(sent) = model.odata_type()
            && model.decoded_as() != Some(sent)
            && crate::generated::catalog::GRAPH_TYPES
                .binary_search(&sent)
                .is_ok()
        {
            return Err(format!(
                "@odata.type {sent} decoded as {}",
                model.decoded_as().unwrap_or("an unknown type")
            ));
        }
        Ok(model.to_value())
    }

    /// A page of models: `{"value": [...]}`, other members kept.
    #[doc(hidden)]
    pub fn codec_list<T: Model>(value: &Value) -> Result<Value, String> {
        codec_page(value, codec_model::<T>)
    }

    /// A page of primitive or enum values.
    #[doc(hidden)]
    pub fn codec_list_of<T: serde::de::DeserializeOwned + serde::Serialize>(
        value: &Value,
    ) -> Result<Value, String> {
        codec_page(value, codec_of::<T>)
    }

    fn codec_page(value: &Value, item: Codec) -> Result<Value, String> {
        let mut object = value.as_object().cloned().ok_or("a page is an object")?;
        let items = object
            .get("value")
            .and_then(Value::as_array)
            .ok_or("a page has a `value` array")?;
        let items = items.iter().map(item).collect::<Result<Vec<_>, _>>()?;
        object.insert("value".into(), Value::Array(items));
        Ok(Value::Object(object))
    }

    /// Models in an array.
    #[doc(hidden)]
    pub fn codec_array<T: Model>(value: &Value) -> Result<Value, String> {
        let items = value.as_array().ok_or("not an array")?;
        items
            .iter()
            .map(codec_model::<T>)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    /// Primitive or enum values in an array.
    #[doc(hidden)]
    pub fn codec_array_of<T: serde::de::DeserializeOwned + serde::Serialize>(
        value: &Value,
    ) -> Result<Value, String> {
        let items = value.as_array().ok_or("not an array")?;
        items
            .iter()
            .map(codec_of::<T>)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    /// A value of any serde type (primitives, enums, [`Returned`]).
    #[doc(hidden)]
    pub fn codec_of<T: serde::de::DeserializeOwned + serde::Serialize>(
        value: &Value,
    ) -> Result<Value, String> {
        let typed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(&typed).map_err(|e| e.to_string())
    }

    /// Untyped JSON.
    #[doc(hidden)]
    pub fn codec_raw(value: &Value) -> Result<Value, String> {
        Ok(value.clone())
    }

    /// An action's parameters: an object whose members are each of their declared
    /// type (members not declared are kept as they are).
    #[doc(hidden)]
    pub fn codec_params(value: &Value, params: &[(&str, Codec)]) -> Result<Value, String> {
        let mut object = value
            .as_object()
            .cloned()
            .ok_or("parameters are an object")?;
        for (name, codec) in params {
            if let Some(v) = object.get(*name).filter(|v| !v.is_null()) {
                let v = codec(v).map_err(|e| format!("{name}: {e}"))?;
                object.insert((*name).to_owned(), v);
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Clone, PartialEq)]
    struct Thing(Object);
    crate::__root_model!(Thing, "microsoft.graph.thing", false);

    #[test]
    fn absent_null_and_present_differ() {
        let mut thing: Thing = serde_json::from_value(json!({"a": null, "b": 1})).unwrap();
        assert_eq!(thing.field("a"), Field::Null);
        assert_eq!(thing.field("b"), Field::Present(&json!(1)));
        assert_eq!(thing.field("c"), Field::Absent);
        set(thing.object_mut(), "c", None);
        thing.unset("b");
        assert_eq!(
            serde_json::to_value(&thing).unwrap(),
            json!({"a": null, "c": null})
        );
    }

    #[derive(Debug, Clone, PartialEq)]
    enum Usage {
        Sign,
        Encrypt,
        Unrecognized(String),
    }
    impl Member for Usage {
        fn as_str(&self) -> &str {
            match self {
                Usage::Sign => "sign",
                Usage::Encrypt => "encrypt",
                Usage::Unrecognized(text) => text,
            }
        }
        fn parse(text: &str) -> Self {
            match text {
                "sign" => Usage::Sign,
                "encrypt" => Usage::Encrypt,
                _ => Usage::Unrecognized(text.to_owned()),
            }
        }
    }

    #[test]
    fn flags_are_sets_written_comma_separated() {
        let mut object = Object::new();
        object.insert("u".into(), json!("encrypt, sign,,sign,later"));
        let read: Flags<Usage> = get_flags(&object, "u").unwrap();
        assert_eq!(read.to_string(), "encrypt,sign,later");
        assert_eq!(
            read,
            Flags::from([
                Usage::Unrecognized("later".into()),
                Usage::Sign,
                Usage::Encrypt
            ])
        );
        assert_eq!(
            format!("{read:?}"),
            r#"{Encrypt, Sign, Unrecognized("later")}"#
        );
        // Members compare by wire name, however they were made.
        assert!(read.contains(&Usage::Unrecognized("sign".into())));
        let mut set = Flags::from([Usage::Sign]);
        assert!(!set.insert(Usage::Unrecognized("sign".into())));
        assert!(set.remove(&Usage::Unrecognized("sign".into())));
        assert!(set.is_empty());
        // Not a string: not a set.
        object.insert("n".into(), json!(3));
        assert_eq!(get_flags::<Usage>(&object, "n"), None);
        assert_eq!(item_flags::<Usage>(&json!(["sign"])), None);
        // Written back.
        set_flags(&mut object, "u", Some(read.clone()));
        assert_eq!(object["u"], json!("encrypt,sign,later"));
        set_flags::<Usage>(&mut object, "u", None);
        assert_eq!(object["u"], Value::Null);
        set_list(
            &mut object,
            "l",
            Some(vec![read.clone(), Flags::new()]),
            flags_value::<Usage>,
        );
        assert_eq!(object["l"], json!(["encrypt,sign,later", ""]));
        assert_eq!(
            get_list(&object, "l", item_flags::<Usage>),
            Some(vec![read.clone(), Flags::new()])
        );
        // serde and FromStr use the wire form too.
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            json!("encrypt,sign,later")
        );
        let back: Flags<Usage> = serde_json::from_str(r#""later,sign,encrypt""#).unwrap();
        assert_eq!(back, read);
        assert_eq!("sign,encrypt".parse::<Flags<Usage>>().unwrap().len(), 2);
        let owned: Vec<Usage> = back.into_iter().collect();
        assert_eq!(owned[0], Usage::Unrecognized("later".into()));
    }

    #[test]
    fn numbers_and_text_keep_their_form() {
        let text =
            r#"{"n":1.0000001,"big":12345678901234567890,"d":"2016-12-31T23:58:46.7156189-08:00"}"#;
        let thing: Thing = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_value(&thing).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert_eq!(get_f64(thing.object(), "n"), Some(1.0000001));
        assert_eq!(get_i32(thing.object(), "big"), None);
        assert!(serde_json::from_str::<Thing>("[1]").is_err());
    }
}
