//! The helpers generated accessors call: one non-generic function per EDM
//! primitive type, one generic function per kind of enum or model, so that
//! each accessor is a single call.
//!
//! Getters read the object as it is: `None` when the property is absent or
//! `null`, and also when its value does not have the declared type, which
//! after a strict decode ([`graph_endpoint::Validation::Strict`]) never
//! happens; in a model decoded leniently or built with
//! [`Model::set_raw`], such a value stays readable with [`Model::field`].
//! Collections read as [`Items`]: every item, a mismatched one as an error,
//! never dropped.

use serde_json::Value;
use time::{Date, OffsetDateTime, Time};
use uuid::Uuid;

use super::{Borrowed, Flags, IsoDuration, Member, Model, Object, values};

/// The items of a collection property, in order: each `Ok` with its value,
/// or `Err` for an item that does not have the declared type (never
/// skipped). Strings, raw values and models are borrowed from the model;
/// an `Any…` item is copied out of it, one at a time.
///
/// ```
/// use graph_endpoint_device_management::models::DeviceConfiguration;
///
/// let configuration: DeviceConfiguration =
///     serde_json::from_str(r#"{"roleScopeTagIds": ["0", "7"]}"#)?;
/// let tags: Vec<&str> = configuration.role_scope_tag_ids().unwrap().collect::<Result<_, _>>()?;
/// assert_eq!(tags, ["0", "7"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Items<'a, T> {
    values: std::iter::Enumerate<std::slice::Iter<'a, Value>>,
    expected: &'static str,
    item: fn(&'a Value) -> Option<T>,
}

impl<T> Items<'_, T> {
    /// How many items are left.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no item is left.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.len() == 0
    }

    /// Every item, or the first that does not have the declared type.
    ///
    /// # Errors
    ///
    /// The first item that does not have the declared type.
    pub fn to_vec(self) -> Result<Vec<T>, ItemMismatch> {
        self.collect()
    }
}

impl<T> Iterator for Items<'_, T> {
    type Item = Result<T, ItemMismatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let (index, value) = self.values.next()?;
        Some((self.item)(value).ok_or(ItemMismatch {
            index,
            expected: self.expected,
            found: values::kind_of(value),
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.values.size_hint()
    }
}

impl<T> ExactSizeIterator for Items<'_, T> {}

impl<T> std::fmt::Debug for Items<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("left", &self.values.len())
            .field("expected", &self.expected)
            .finish()
    }
}

/// An item of a collection that does not have the declared type (possible
/// only in a model decoded leniently or written raw).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemMismatch {
    /// Its place in the collection.
    pub index: usize,
    /// The declared type: `Edm.String`, `microsoft.graph.complianceState`.
    pub expected: &'static str,
    /// What it is instead, in words (`a number`, `null`).
    pub found: &'static str,
}

impl std::fmt::Display for ItemMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "item {} is {}, not a value of {}",
            self.index, self.found, self.expected
        )
    }
}

impl std::error::Error for ItemMismatch {}

fn present<'a>(object: &'a Object, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|v| !v.is_null())
}

fn text<'a>(object: &'a Object, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}

#[doc(hidden)]
#[must_use]
pub fn get_str<'a>(object: &'a Object, name: &str) -> Option<&'a str> {
    text(object, name)
}

#[doc(hidden)]
pub fn get_bool(object: &Object, name: &str) -> Option<bool> {
    object.get(name).and_then(Value::as_bool)
}

#[doc(hidden)]
pub fn get_i32(object: &Object, name: &str) -> Option<i32> {
    object.get(name).and_then(item_i32)
}

#[doc(hidden)]
pub fn get_i64(object: &Object, name: &str) -> Option<i64> {
    object.get(name).and_then(values::int64)
}

#[doc(hidden)]
pub fn get_f64(object: &Object, name: &str) -> Option<f64> {
    object.get(name).and_then(item_f64)
}

#[doc(hidden)]
pub fn get_guid(object: &Object, name: &str) -> Option<Uuid> {
    text(object, name).and_then(values::guid)
}

#[doc(hidden)]
pub fn get_date_time(object: &Object, name: &str) -> Option<OffsetDateTime> {
    text(object, name).and_then(values::date_time)
}

#[doc(hidden)]
pub fn get_date(object: &Object, name: &str) -> Option<Date> {
    text(object, name).and_then(values::date)
}

#[doc(hidden)]
pub fn get_time(object: &Object, name: &str) -> Option<Time> {
    text(object, name).and_then(values::time_of_day)
}

#[doc(hidden)]
pub fn get_duration(object: &Object, name: &str) -> Option<IsoDuration> {
    text(object, name).and_then(values::duration)
}

#[doc(hidden)]
pub fn get_binary(object: &Object, name: &str) -> Option<Vec<u8>> {
    text(object, name).and_then(values::binary)
}

#[doc(hidden)]
pub fn get_member<E: Member>(object: &Object, name: &str) -> Option<E> {
    text(object, name).map(E::parse)
}

#[doc(hidden)]
pub fn get_flags<E: Member>(object: &Object, name: &str) -> Option<Flags<E>> {
    text(object, name).map(Flags::from_wire)
}

/// A nested polymorphic model (an `Any…` enum), copied out of the object.
#[doc(hidden)]
pub fn get_model<M: Model>(object: &Object, name: &str) -> Option<M> {
    object.get(name).and_then(item_model)
}

/// A nested model, borrowed from the object.
#[doc(hidden)]
pub fn get_borrowed<'a, M: Borrowed>(object: &'a Object, name: &str) -> Option<&'a M> {
    object.get(name).and_then(item_borrowed)
}

#[doc(hidden)]
#[must_use]
pub fn get_raw<'a>(object: &'a Object, name: &str) -> Option<&'a Value> {
    present(object, name)
}

/// The items of a collection property, `None` when absent, `null` or not an
/// array.
#[doc(hidden)]
pub fn get_items<'a, T>(
    object: &'a Object,
    name: &str,
    expected: &'static str,
    item: fn(&'a Value) -> Option<T>,
) -> Option<Items<'a, T>> {
    object
        .get(name)
        .and_then(Value::as_array)
        .map(|values| Items {
            values: values.iter().enumerate(),
            expected,
            item,
        })
}

#[doc(hidden)]
#[must_use]
pub fn item_str(value: &Value) -> Option<&str> {
    value.as_str()
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
    values::int64(value)
}

#[doc(hidden)]
#[must_use]
pub fn item_f64(value: &Value) -> Option<f64> {
    values::float(value, true).or_else(|| values::float(value, false))
}

#[doc(hidden)]
#[must_use]
pub fn item_guid(value: &Value) -> Option<Uuid> {
    value.as_str().and_then(values::guid)
}

#[doc(hidden)]
#[must_use]
pub fn item_date_time(value: &Value) -> Option<OffsetDateTime> {
    value.as_str().and_then(values::date_time)
}

#[doc(hidden)]
#[must_use]
pub fn item_date(value: &Value) -> Option<Date> {
    value.as_str().and_then(values::date)
}

#[doc(hidden)]
#[must_use]
pub fn item_time(value: &Value) -> Option<Time> {
    value.as_str().and_then(values::time_of_day)
}

#[doc(hidden)]
#[must_use]
pub fn item_duration(value: &Value) -> Option<IsoDuration> {
    value.as_str().and_then(values::duration)
}

#[doc(hidden)]
#[must_use]
pub fn item_binary(value: &Value) -> Option<Vec<u8>> {
    value.as_str().and_then(values::binary)
}

#[doc(hidden)]
pub fn item_member<E: Member>(value: &Value) -> Option<E> {
    value.as_str().map(E::parse)
}

#[doc(hidden)]
pub fn item_flags<E: Member>(value: &Value) -> Option<Flags<E>> {
    value.as_str().map(Flags::from_wire)
}

#[doc(hidden)]
#[must_use]
pub fn item_model<M: Model>(value: &Value) -> Option<M> {
    match value {
        Value::Object(inner) => Some(M::from_object(inner.clone())),
        _ => None,
    }
}

#[doc(hidden)]
#[must_use]
pub fn item_borrowed<M: Borrowed>(value: &Value) -> Option<&M> {
    match value {
        Value::Object(inner) => Some(M::view(inner)),
        _ => None,
    }
}

#[doc(hidden)]
#[must_use]
pub fn item_raw(value: &Value) -> Option<&Value> {
    Some(value)
}

fn put(object: &mut Object, name: &str, value: Value) {
    object.insert(name.to_owned(), value);
}

/// Writes an explicit `null`: on a PATCH, "clear this property".
#[doc(hidden)]
pub fn clear(object: &mut Object, name: &str) {
    put(object, name, Value::Null);
}

/// Removes the property: it is not sent at all.
#[doc(hidden)]
pub fn unset(object: &mut Object, name: &str) {
    object.remove(name);
}

#[doc(hidden)]
pub fn set_str(object: &mut Object, name: &str, value: &str) {
    put(object, name, Value::String(value.to_owned()));
}

#[doc(hidden)]
pub fn set_bool(object: &mut Object, name: &str, value: bool) {
    put(object, name, Value::Bool(value));
}

#[doc(hidden)]
pub fn set_i32(object: &mut Object, name: &str, value: i32) {
    put(object, name, Value::from(value));
}

#[doc(hidden)]
pub fn set_i64(object: &mut Object, name: &str, value: i64) {
    put(object, name, Value::from(value));
}

#[doc(hidden)]
pub fn set_f64(object: &mut Object, name: &str, value: f64) {
    put(object, name, values::float_value(value));
}

#[doc(hidden)]
pub fn set_guid(object: &mut Object, name: &str, value: Uuid) {
    put(object, name, value_of_guid(&value));
}

#[doc(hidden)]
pub fn set_date_time(object: &mut Object, name: &str, value: OffsetDateTime) {
    put(object, name, value_of_date_time(&value));
}

#[doc(hidden)]
pub fn set_date(object: &mut Object, name: &str, value: Date) {
    put(object, name, value_of_date(&value));
}

#[doc(hidden)]
pub fn set_time(object: &mut Object, name: &str, value: Time) {
    put(object, name, value_of_time(&value));
}

#[doc(hidden)]
pub fn set_duration(object: &mut Object, name: &str, value: IsoDuration) {
    put(object, name, value_of_duration(&value));
}

#[doc(hidden)]
pub fn set_binary(object: &mut Object, name: &str, value: &[u8]) {
    put(object, name, Value::String(values::binary_text(value)));
}

#[doc(hidden)]
pub fn set_member<E: Member>(object: &mut Object, name: &str, value: E) {
    put(object, name, value_of_member(&value));
}

#[doc(hidden)]
pub fn set_flags<E: Member>(object: &mut Object, name: &str, value: Flags<E>) {
    put(object, name, value_of_flags(&value));
}

#[doc(hidden)]
pub fn set_model<M: Model>(object: &mut Object, name: &str, value: M) {
    put(object, name, Value::Object(value.into_object()));
}

#[doc(hidden)]
pub fn set_value(object: &mut Object, name: &str, value: Value) {
    put(object, name, value);
}

/// A collection property: each item written by `item`.
#[doc(hidden)]
pub fn set_items<T>(object: &mut Object, name: &str, values: &[T], item: fn(&T) -> Value) {
    put(
        object,
        name,
        Value::Array(values.iter().map(item).collect()),
    );
}

#[doc(hidden)]
#[must_use]
pub fn value_of_str(value: &&str) -> Value {
    Value::String((*value).to_owned())
}

#[doc(hidden)]
#[must_use]
pub fn value_of_bool(value: &bool) -> Value {
    Value::Bool(*value)
}

#[doc(hidden)]
#[must_use]
pub fn value_of_i32(value: &i32) -> Value {
    Value::from(*value)
}

#[doc(hidden)]
#[must_use]
pub fn value_of_i64(value: &i64) -> Value {
    Value::from(*value)
}

#[doc(hidden)]
#[must_use]
pub fn value_of_f64(value: &f64) -> Value {
    values::float_value(*value)
}

#[doc(hidden)]
#[must_use]
pub fn value_of_guid(value: &Uuid) -> Value {
    Value::String(value.hyphenated().to_string())
}

#[doc(hidden)]
#[must_use]
pub fn value_of_date_time(value: &OffsetDateTime) -> Value {
    Value::String(values::date_time_text(*value))
}

#[doc(hidden)]
#[must_use]
pub fn value_of_date(value: &Date) -> Value {
    Value::String(values::date_text(*value))
}

#[doc(hidden)]
#[must_use]
pub fn value_of_time(value: &Time) -> Value {
    Value::String(values::time_of_day_text(*value))
}

#[doc(hidden)]
#[must_use]
pub fn value_of_duration(value: &IsoDuration) -> Value {
    Value::String(value.to_string())
}

#[doc(hidden)]
#[allow(clippy::ptr_arg)] // one shape of item function for every type
#[must_use]
pub fn value_of_binary(value: &Vec<u8>) -> Value {
    Value::String(values::binary_text(value))
}

#[doc(hidden)]
pub fn value_of_member<E: Member>(value: &E) -> Value {
    Value::String(value.as_str().to_owned())
}

#[doc(hidden)]
#[must_use]
pub fn value_of_flags<E: Member>(value: &Flags<E>) -> Value {
    Value::String(value.to_wire())
}

#[doc(hidden)]
pub fn value_of_model<M: Model>(value: &M) -> Value {
    value.to_value()
}

#[doc(hidden)]
#[must_use]
pub fn value_of_raw(value: &Value) -> Value {
    value.clone()
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
