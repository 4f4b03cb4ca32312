//! Bound actions and functions of the surface, answered from their
//! declarations in the surface table: 404 when the item they are bound to
//! does not exist; 400 (`BadRequest`, in Graph's error shape) for a
//! parameter the operation does not have, a non-nullable one left out or
//! `null`, or a value not of the parameter's type; then 204, or 200 with a
//! value of the declared return type. `assign` also replaces the item's
//! assignments with the ones it is given, where the matching list of
//! assignments (`.../{id}/assignments`, `.../{id}/groupAssignments`, ...)
//! shows them, and answers them when it returns assignments.
//!
//! Actions take their parameters from a JSON object body; functions from
//! their segment (`getX(name='a',count=3)`), where a parameter may also be an
//! alias given in the query (`getX(name=@n)?@n='a'`).

use bytes::Bytes;
use http::Method;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use super::GraphState;
use super::entities::{as_stored, not_found, with};
use super::surface::{Operation, split_collection, surface};
use crate::lock::lock;
use crate::reply::{Failure, ReplyBody, empty_response, json_body, json_response, not_allowed};

fn bad(message: impl Into<String>) -> Failure {
    Failure::bad_request("BadRequest", message)
}

/// Answers a request for a bound operation.
pub(crate) fn answer(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
    version: &str,
    rest: &[&str],
    operation: &Operation,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let kind = if operation.is_action {
        "action"
    } else {
        "function"
    };
    let (expected, allowed) = if operation.is_action {
        (Method::POST, "POST")
    } else {
        (Method::GET, "GET")
    };
    if parts.method != expected {
        return Err(not_allowed(&parts.method, allowed));
    }
    let arguments = if operation.is_action {
        // No body is no parameters; a body of JSON `null` is not an object.
        match json_body(parts, body)? {
            _ if body.is_empty() => Map::new(),
            Value::Object(arguments) => arguments,
            _ => {
                return Err(bad(format!(
                    "The body of the action '{}' is a JSON object of its parameters.",
                    operation.name
                )));
            }
        }
    } else {
        function_arguments(rest.last().copied().unwrap_or_default(), parts)?
    };
    let mut entities = lock(&shared.entities);
    if let Some(id) = entities.missing_parent(&operation.segments, rest) {
        return Err(not_found(id));
    }
    check_arguments(operation, kind, &arguments)?;
    let assigned = if operation.name == "assign" {
        assign(&mut entities, operation, rest, &arguments)
    } else {
        Vec::new()
    };
    drop(entities);
    let Some(returns) = &operation.returns else {
        return Ok(empty_response(204));
    };
    let (inner, collection) = split_collection(returns);
    let value = assigned
        .into_iter()
        .find(|(ty, _)| collection && ty == inner)
        .map_or_else(
            || surface().default_value(returns, 0),
            |(_, items)| json!(items),
        );
    let context = format!("{}/{version}/$metadata#{returns}", shared.base_url);
    Ok(if collection || !surface().is_structured(inner) {
        json_response(200, &json!({"@odata.context": context, "value": value}))
    } else {
        json_response(200, &with(value, &context))
    })
}

/// Refuses parameters the operation does not have, non-nullable ones left
/// out or `null`, and values not of their parameter's type.
fn check_arguments(
    operation: &Operation,
    kind: &str,
    arguments: &Map<String, Value>,
) -> Result<(), Failure> {
    let name = &operation.name;
    if let Some(unknown) = arguments
        .keys()
        .find(|k| !operation.parameters.iter().any(|p| p.0 == **k))
    {
        return Err(bad(format!(
            "The parameter '{unknown}' is not a parameter of the {kind} '{name}'."
        )));
    }
    for (parameter, ty, nullable) in &operation.parameters {
        match arguments.get(parameter) {
            None | Some(Value::Null) => {
                if !nullable {
                    return Err(bad(format!(
                        "The parameter '{parameter}' of the {kind} '{name}' is not nullable: it needs a value of type {ty}."
                    )));
                }
            }
            Some(value) => {
                if let Some(expected) = surface().type_mismatch(ty, value) {
                    return Err(bad(format!(
                        "The parameter '{parameter}' of the {kind} '{name}' is of type {ty}: found {} where {expected} was expected.",
                        json_kind(value)
                    )));
                }
            }
        }
    }
    Ok(())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Stores each collection parameter of `assign` in the list of the bound
/// item whose items are of its type: `(item type, items stored)` of each.
fn assign(
    entities: &mut super::entities::Entities,
    operation: &Operation,
    rest: &[&str],
    arguments: &Map<String, Value>,
) -> Vec<(String, Vec<Value>)> {
    let s = surface();
    let mut stored = Vec::new();
    let Some(at) = operation.segments.iter().rposition(|seg| seg == "{}") else {
        return stored;
    };
    let item_pattern = operation.segments[..=at].join("/");
    let item_path = rest[..=at].join("/");
    for (parameter, ty, _) in &operation.parameters {
        let (element, collection) = split_collection(ty);
        let Some(Value::Array(given)) = arguments.get(parameter).filter(|_| collection) else {
            continue;
        };
        // The list under the item whose items are of the parameter's type.
        let Some((list, list_type)) = s.sets.iter().find_map(|(pattern, set_type)| {
            let nav = pattern.strip_prefix(&item_pattern)?.strip_prefix('/')?;
            (!nav.contains('/') && s.derives_from(element, set_type)).then_some((nav, set_type))
        }) else {
            continue;
        };
        let items: Vec<Value> = given
            .iter()
            .cloned()
            .map(|item| as_stored(item, list_type))
            .collect();
        entities.replace(format!("{item_path}/{list}"), items.clone());
        stored.push((element.to_owned(), items));
    }
    stored
}

/// A function's arguments: from its segment's parentheses, aliases from the query.
fn function_arguments(
    segment: &str,
    parts: &http::request::Parts,
) -> Result<Map<String, Value>, Failure> {
    let mut arguments = Map::new();
    let Some((_, inside)) = segment.split_once('(') else {
        return Ok(arguments);
    };
    let inside = inside
        .strip_suffix(')')
        .ok_or_else(|| bad(format!("The function call '{segment}' lacks its ')'.")))?;
    for pair in split_outside_quotes(inside) {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (name, literal) = pair
            .split_once('=')
            .ok_or_else(|| bad(format!("'{pair}' is not a parameter: write name=value.")))?;
        let literal = literal.trim();
        let value = match literal.strip_prefix('@') {
            Some(alias) => alias_value(parts, alias)
                .ok_or_else(|| bad(format!("The alias '@{alias}' is not given in the query.")))?,
            None => literal_value(literal),
        };
        arguments.insert(name.trim().to_owned(), value);
    }
    Ok(arguments)
}

/// Splits on commas that are not inside a quoted literal.
fn split_outside_quotes(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn alias_value(parts: &http::request::Parts, alias: &str) -> Option<Value> {
    let query = parts.uri.query()?;
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        let name = percent_decode_str(name).decode_utf8_lossy();
        (name.strip_prefix('@') == Some(alias)).then(|| {
            let value = percent_decode_str(value).decode_utf8_lossy();
            if value.starts_with(['[', '{']) {
                serde_json::from_str(&value).unwrap_or_else(|_| literal_value(&value))
            } else {
                literal_value(&value)
            }
        })
    })
}

/// An OData literal as the JSON value a body would carry: `'text'` a string
/// (`''` one quote), `type'member'` the member, `null`, `true`, `false`,
/// numbers; any other word (a date, a GUID) as text.
fn literal_value(literal: &str) -> Value {
    if let Some(start) = literal.find('\'')
        && literal.ends_with('\'')
        && literal.len() > start + 1
    {
        return json!(literal[start + 1..literal.len() - 1].replace("''", "'"));
    }
    match literal {
        "null" => Value::Null,
        "true" => json!(true),
        "false" => json!(false),
        _ => serde_json::from_str::<serde_json::Number>(literal)
            .map_or_else(|_| json!(literal), Value::Number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_as_json() {
        assert_eq!(literal_value("'O''Neil'"), json!("O'Neil"));
        assert_eq!(literal_value("microsoft.graph.x'on'"), json!("on"));
        assert_eq!(literal_value("3"), json!(3));
        assert_eq!(literal_value("true"), json!(true));
        assert_eq!(literal_value("null"), Value::Null);
        assert_eq!(
            literal_value("2024-01-01T00:00:00Z"),
            json!("2024-01-01T00:00:00Z")
        );
        assert_eq!(split_outside_quotes("a='x,y',b=2"), ["a='x,y'", "b=2"]);
    }
}
