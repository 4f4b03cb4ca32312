//! Checking payloads against declared types (the `catalog` feature).

use serde_json::Value;

use super::Model;

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

/// A model: an object whose declared properties have their declared types
/// (the check strict decoding makes), and whose `@odata.type`, when it names
/// a Graph type, is the type it decodes as.
#[doc(hidden)]
pub fn codec_model<T: Model>(value: &Value) -> Result<Value, String> {
    let model = T::from_value(value.clone())
        .ok_or_else(|| format!("not an object, for {}", T::GRAPH_TYPE))?;
    if let Some(ty) = T::metadata().type_info(T::GRAPH_TYPE)
        && let Some(mismatch) = super::validate::first_mismatch(model.object(), T::metadata(), ty)
    {
        return Err(format!(
            "at `{}`: expected {}, found {}",
            mismatch.path(),
            mismatch.expected(),
            mismatch.found()
        ));
    }
    // A type the metadata knows is decoded as itself; others are kept as they came.
    if let Some(sent) = model.odata_type()
        && model.decoded_as() != Some(sent)
        && T::metadata().type_info(sent).is_some()
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
    let items = items
        .iter()
        .enumerate()
        .map(|(i, v)| item(v).map_err(|e| within(&format!("value[{i}]"), &e)))
        .collect::<Result<Vec<_>, _>>()?;
    object.insert("value".into(), Value::Array(items));
    Ok(Value::Object(object))
}

/// An item's error with the place of the item before its own path:
/// ``at `x`: ...`` inside `value[3]` becomes ``at `value[3].x`: ...``.
fn within(place: &str, error: &str) -> String {
    match error.strip_prefix("at `") {
        Some(rest) => format!("at `{place}.{rest}"),
        None => format!("at `{place}`: {error}"),
    }
}

/// Models in an array.
#[doc(hidden)]
pub fn codec_array<T: Model>(value: &Value) -> Result<Value, String> {
    let items = value.as_array().ok_or("not an array")?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| codec_model::<T>(v).map_err(|e| within(&format!("[{i}]"), &e)))
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
            let v = codec(v).map_err(|e| within(name, &e))?;
            object.insert((*name).to_owned(), v);
        }
    }
    Ok(Value::Object(object))
}
