//! EDM primitive values in JSON, as Graph writes them, read and written:
//! the one place that knows their text forms (accessors and validation
//! both use it).

use base64::Engine as _;
use serde_json::{Number, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time};
use uuid::Uuid;

use super::IsoDuration;

/// `Edm.Int64` or `Edm.Decimal` may come as a string (`IEEE754Compatible`).
pub(crate) fn int64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `Edm.Int32`, `Int16`, `Byte`, `SByte`: a number in its range.
pub(crate) fn int_in(value: &Value, min: i64, max: i64) -> Option<i64> {
    value.as_i64().filter(|n| (min..=max).contains(n))
}

/// `Edm.Double`, `Single`: a number, or `"NaN"`, `"INF"`, `"-INF"`;
/// `Edm.Decimal` also a string of a number.
pub(crate) fn float(value: &Value, decimal: bool) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" if !decimal => Some(f64::NAN),
            "INF" if !decimal => Some(f64::INFINITY),
            "-INF" if !decimal => Some(f64::NEG_INFINITY),
            _ if decimal => s.parse().ok().filter(|f: &f64| f.is_finite()),
            _ => None,
        },
        _ => None,
    }
}

/// A double as Graph writes it: a number, or the strings OData uses for
/// what JSON has no number for.
pub(crate) fn float_value(value: f64) -> Value {
    match Number::from_f64(value) {
        Some(n) => Value::Number(n),
        None if value.is_nan() => Value::String("NaN".into()),
        None if value > 0.0 => Value::String("INF".into()),
        None => Value::String("-INF".into()),
    }
}

pub(crate) fn date_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

pub(crate) fn date_time_text(value: OffsetDateTime) -> String {
    value
        .format(&Rfc3339)
        .unwrap_or_else(|_| value.unix_timestamp().to_string())
}

pub(crate) fn date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

pub(crate) fn date_text(value: Date) -> String {
    value
        .format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// `hh:mm`, `hh:mm:ss` or `hh:mm:ss.fffffff`.
pub(crate) fn time_of_day(text: &str) -> Option<Time> {
    Time::parse(
        text,
        format_description!("[hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"),
    )
    .ok()
}

pub(crate) fn time_of_day_text(value: Time) -> String {
    let whole = value
        .format(format_description!("[hour]:[minute]:[second]"))
        .unwrap_or_default();
    match value.nanosecond() {
        0 => whole,
        n => format!("{whole}.{}", format!("{n:09}").trim_end_matches('0')),
    }
}

pub(crate) fn duration(text: &str) -> Option<IsoDuration> {
    text.parse().ok()
}

pub(crate) fn guid(text: &str) -> Option<Uuid> {
    Uuid::try_parse(text).ok()
}

/// Base64, standard or URL-safe alphabet, padded or not.
pub(crate) fn binary(text: &str) -> Option<Vec<u8>> {
    use base64::engine::DecodePaddingMode;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

pub(crate) fn binary_text(value: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(value)
}

/// What a JSON value is, in words, never quoting it.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn graphs_text_forms() {
        let t = date_time("2017-01-01T00:00:35.1329464-08:00").unwrap();
        assert_eq!(t.nanosecond(), 132_946_400);
        assert!(date_time("2017-01-01").is_none());
        assert_eq!(date_text(date("2016-12-31").unwrap()), "2016-12-31");
        assert_eq!(
            time_of_day_text(time_of_day("11:59:00.0000001").unwrap()),
            "11:59:00.0000001"
        );
        assert_eq!(time_of_day_text(time_of_day("07:30").unwrap()), "07:30:00");
        assert!(guid("0b283420-3420-0b28-2034-280b2034280b").is_some());
        assert!(guid("not a guid").is_none());
        assert_eq!(binary("aGk=").unwrap(), b"hi");
        assert_eq!(binary("aGk").unwrap(), b"hi");
        assert_eq!(binary("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(
            int64(&json!("9007199254740993")),
            Some(9_007_199_254_740_993)
        );
        assert_eq!(int_in(&json!(70000), -32768, 32767), None);
        assert!(float(&json!("NaN"), false).unwrap().is_nan());
        assert_eq!(float(&json!("1.5"), false), None);
        assert_eq!(float(&json!("1.5"), true), Some(1.5));
        assert_eq!(float_value(f64::NEG_INFINITY), json!("-INF"));
    }
}
