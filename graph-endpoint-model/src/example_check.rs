//! Checks example payloads against the declared types: each request body
//! decodes into its endpoint's body type and each response into its result
//! type (`@odata.type` resolved), and encodes back to an equal JSON value.
//!
//! The input is a JSON array of examples: `method`, `path` (as in the
//! endpoint list, `{name}` placeholders), `version`, `request` (a body or
//! `null`), `response` (a body or `null`).

use serde_json::Value;

use crate::Declaration;

/// What a check found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    /// Payloads checked (request and response bodies).
    pub payloads: usize,
    /// Payloads that decoded and encoded back to an equal value.
    pub equal: usize,
    /// Request bodies among them.
    pub requests: usize,
    /// Response bodies among them.
    pub responses: usize,
    /// Responses written in the documentation as `{"value": {...}}` around a
    /// single entity (the service sends the entity itself): checked inside.
    pub unwrapped: usize,
    /// Every payload that differs or does not decode, and why.
    pub differences: Vec<String>,
}

impl Report {
    /// Payloads that differ or failed to decode.
    #[must_use]
    pub fn differ(&self) -> usize {
        self.differences.len()
    }
}

/// Checks every example of an examples file (its text) against the
/// endpoints of a generated crate (its `catalog` feature's `ENDPOINTS`).
///
/// # Errors
///
/// A message when `examples` is not a JSON array. Examples that name no
/// declared endpoint, do not decode or come back different are not errors:
/// they are listed in [`Report::differences`].
pub fn check_against(examples: &str, endpoints: &[Declaration]) -> Result<Report, String> {
    let examples: Vec<Value> =
        serde_json::from_str(examples).map_err(|e| format!("not a list of examples: {e}"))?;
    let mut report = Report::default();
    for (i, example) in examples.iter().enumerate() {
        let text = |k: &str| example.get(k).and_then(Value::as_str).unwrap_or_default();
        let (method, path, version) = (text("method"), text("path"), text("version"));
        let name = format!("#{i} {method} {path} ({version})");
        let declared = endpoints
            .iter()
            .find(|d| d.method == method && d.path == path && d.version == version);
        for (which, payload) in [
            ("request", example.get("request")),
            ("response", example.get("response")),
        ] {
            let Some(payload) = payload.filter(|p| !p.is_null()) else {
                continue;
            };
            report.payloads += 1;
            let outcome = match declared {
                None => Err("no such endpoint is declared".to_owned()),
                Some(d) if which == "request" => {
                    report.requests += 1;
                    round_trip(d.body, payload)
                }
                Some(d) => {
                    report.responses += 1;
                    response(d, payload, &mut report.unwrapped)
                }
            };
            match outcome {
                Ok(back) if back == *payload => report.equal += 1,
                Ok(back) => report.differences.push(format!(
                    "{name} {which}: written back differently: {}",
                    first_difference(payload, &back, String::new())
                )),
                Err(e) => report.differences.push(format!("{name} {which}: {e}")),
            }
        }
    }
    Ok(report)
}

fn round_trip(codec: Option<crate::Codec>, payload: &Value) -> Result<Value, String> {
    match codec {
        Some(codec) => codec(payload),
        None => Err("the endpoint declares no such body".to_owned()),
    }
}

fn response(d: &Declaration, payload: &Value, unwrapped: &mut usize) -> Result<Value, String> {
    if d.single
        && let Some(object) = payload.as_object()
        && object.len() == 1
        && let Some(inner @ Value::Object(_)) = object.get("value")
    {
        *unwrapped += 1;
        let back = round_trip(d.result, inner)?;
        return Ok(serde_json::json!({ "value": back }));
    }
    round_trip(d.result, payload)
}

/// Where two values first differ, as a JSON pointer and the two values.
fn first_difference(a: &Value, b: &Value, at: String) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if v == w => {}
                    Some(w) => return first_difference(v, w, format!("{at}/{k}")),
                    None => return format!("{at}/{k} dropped"),
                }
            }
            match y.keys().find(|k| !x.contains_key(*k)) {
                Some(k) => format!("{at}/{k} added"),
                None => format!("{at}: members differ"),
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            match x.iter().zip(y).position(|(v, w)| v != w) {
                Some(i) => first_difference(&x[i], &y[i], format!("{at}/{i}")),
                None => format!("{at}: equal"),
            }
        }
        _ => format!("{at}: {a} became {b}"),
    }
}
