//! The helpers generated accessors call: one non-generic function per
//! primitive type, one generic function per kind of model or enum.

use serde_json::{Number, Value};

use super::{Flags, Member, Model, Object};

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
