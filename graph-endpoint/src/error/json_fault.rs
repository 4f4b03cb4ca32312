//! Why a JSON body did not decode, told by place and expected type only.
//! serde's own messages quote the value they could not read
//! (`invalid type: string "abc", expected i32`, ``unknown variant `x` ``),
//! and a body can hold a secret (`tokenValue`, `secretText`, an access
//! token): an error names the JSON path and what the type wanted there,
//! never a value of the body.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::error::Category;

/// Where a body failed to decode and why, without a value from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonFault {
    /// The JSON path of the value that failed (`value[3].displayName`; `.` for the root).
    pub(crate) path: String,
    /// What was wrong (`invalid type: string`, `missing field `id``, `EOF while parsing a value`).
    pub(crate) problem: String,
    /// What the type wanted there (`i32`, `a string`, ``one of `a`, `b` ``), when serde says.
    pub(crate) expected: Option<String>,
}

impl fmt::Display for JsonFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at `{}`: {}",
            crate::error::quoted::Clipped(&self.path),
            self.problem
        )?;
        if let Some(expected) = &self.expected {
            write!(f, ", expected {}", crate::error::quoted::Clipped(expected))?;
        }
        Ok(())
    }
}

/// Decodes `bytes` as `T`. On failure, the body is read a second time to
/// find the path of the fault: the common case, a body that decodes, pays
/// nothing for the path tracking.
pub(crate) fn from_slice<T: DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, (serde_json::Error, JsonFault)> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(error) => {
            let fault = locate::<T>(bytes).unwrap_or_else(|| describe(&error, ".".to_owned()));
            Err((error, fault))
        }
    }
}

/// The fault found again with its path; `None` when the second reading
/// succeeds (a fault after the value, such as trailing characters).
fn locate<T: DeserializeOwned>(bytes: &[u8]) -> Option<JsonFault> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => None,
        Err(error) => {
            let path = error.path().to_string();
            Some(describe(error.inner(), path))
        }
    }
}

fn describe(error: &serde_json::Error, path: String) -> JsonFault {
    let message = error.to_string();
    // serde_json adds the place; it is kept as words of its own.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let (problem, expected) = match error.classify() {
        // serde_json's syntax messages are fixed texts, never a value.
        Category::Syntax | Category::Eof | Category::Io => (
            format!(
                "{message} (line {}, column {})",
                error.line(),
                error.column()
            ),
            None,
        ),
        Category::Data => match crate::validation::parse_mismatch(&message) {
            Some((inner, expected, found)) => {
                let path = if path == "." {
                    inner.to_owned()
                } else {
                    format!("{path}.{inner}")
                };
                return JsonFault {
                    path,
                    problem: format!("found {found}"),
                    expected: Some(expected),
                };
            }
            None => data_problem(&message),
        },
    };
    JsonFault {
        path,
        problem,
        expected,
    }
}

/// serde's data errors, by the shapes its `de::Error` methods give them;
/// what they quote from the body is left out. Any other message (a type's
/// own `custom` error, which may quote the value) is not repeated.
fn data_problem(message: &str) -> (String, Option<String>) {
    let expected_after = |rest: &str| {
        rest.rsplit_once(", expected ")
            .map(|(_, expected)| expected.to_owned())
    };
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return (
            format!("invalid type: {}", found_kind(rest)),
            expected_after(rest),
        );
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        return (
            format!("invalid value: {}", found_kind(rest)),
            expected_after(rest),
        );
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        let length: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return (format!("invalid length {length}"), expected_after(rest));
    }
    for (prefix, problem, none_left) in [
        (
            "unknown variant ",
            "unknown variant",
            ", there are no variants",
        ),
        ("unknown field ", "unknown field", ", there are no fields"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let expected = if rest.ends_with(none_left) {
                None
            } else {
                expected_after(rest)
            };
            return (problem.to_owned(), expected);
        }
    }
    // The field's name comes from the type, not the body.
    for prefix in ["missing field `", "duplicate field `"] {
        if let Some(name) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix('`'))
            .filter(|name| {
                name.len() <= 128
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-.@$:".contains(c))
            })
        {
            return (format!("{prefix}{name}`"), None);
        }
    }
    ("a value the type does not accept".to_owned(), None)
}

/// The kind of value serde found (`string`, `integer`, `map`), without the value.
fn found_kind(rest: &str) -> String {
    rest.chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == ' ')
        .take(32)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Page {
        value: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Item {
        id: String,
        count: i32,
        kind: Kind,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    enum Kind {
        Device,
        User,
    }

    fn fault(body: &str) -> JsonFault {
        from_slice::<Page>(body.as_bytes()).unwrap_err().1
    }

    #[test]
    fn a_fault_names_its_path_and_expected_type_never_the_value() {
        let wrong_type = fault(
            r#"{"value":[{"id":"a","count":1,"kind":"device"},{"id":"b","count":"tokenValue-SECRET","kind":"user"}]}"#,
        );
        assert_eq!(wrong_type.path, "value[1].count");
        assert_eq!(wrong_type.problem, "invalid type: string");
        assert_eq!(wrong_type.expected.as_deref(), Some("i32"));
        assert!(!wrong_type.to_string().contains("SECRET"));

        let variant = fault(r#"{"value":[{"id":"a","count":1,"kind":"SECRET, expected x"}]}"#);
        assert_eq!(variant.path, "value[0].kind");
        assert_eq!(variant.problem, "unknown variant");
        assert_eq!(variant.expected.as_deref(), Some("`device` or `user`"));
        assert!(!format!("{variant} {variant:?}").contains("SECRET"));

        let missing = fault(r#"{"value":[{"count":1,"kind":"user"}]}"#);
        assert_eq!(missing.path, "value[0]");
        assert_eq!(missing.problem, "missing field `id`");

        let cut = fault(r#"{"value":[{"id":"SECRET"#);
        assert!(cut.problem.starts_with("EOF while parsing"), "{cut}");
        assert!(!cut.to_string().contains("SECRET"));
    }

    #[test]
    fn a_types_own_message_is_not_repeated() {
        #[derive(Debug)]
        struct Picky;
        impl<'de> Deserialize<'de> for Picky {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Err(serde::de::Error::custom(format!("refused {text}")))
            }
        }
        let (_, fault) = from_slice::<Picky>(br#""secretText-SECRET""#).unwrap_err();
        assert_eq!(fault.problem, "a value the type does not accept");
        assert!(!fault.to_string().contains("SECRET"));
    }
}
