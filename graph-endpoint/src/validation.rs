//! Strict or lenient decoding: what a body whose values do not have the
//! types Graph's metadata declares turns into.
//!
//! Types that check their values against a schema while they decode (the
//! typed models of `graph-endpoint-device-management`) ask
//! [`Validation::current`] what to do with a mismatch: under
//! [`Validation::Strict`] (the default) it fails the decoding, and the call
//! answers [`Error::Decode`](crate::Error::Decode) naming the JSON path and
//! the type the metadata declares there; under [`Validation::Lenient`] it is
//! logged as a `tracing` warning and the value is kept as it came. The client
//! sets it for every call ([`GraphClientBuilder::validation`](crate::GraphClientBuilder::validation)),
//! a call or a list for itself ([`Call::validation`](crate::Call::validation),
//! [`Paged::validation`](crate::Paged::validation)).
//!
//! It is held per thread while a body decodes (decoding is synchronous), so
//! the types need no parameter for it; outside a call it is `Strict` unless
//! [`Validation::scope`] says otherwise.

use std::cell::Cell;

thread_local! {
    static CURRENT: Cell<Validation> = const { Cell::new(Validation::Strict) };
}

/// What decoding does with a value whose type is not the one Graph's metadata
/// declares for it.
///
/// ```
/// use graph_endpoint::{GraphClient, Validation};
///
/// // Every call of this client accepts such values, with a warning.
/// let graph = GraphClient::builder()
///     .token("t")
///     .validation(Validation::Lenient)
///     .build()?;
/// assert_eq!(Validation::current(), Validation::Strict);
/// assert_eq!(Validation::Lenient.scope(Validation::current), Validation::Lenient);
/// # Ok::<(), graph_endpoint::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Validation {
    /// A mismatch fails the decoding: [`Error::Decode`](crate::Error::Decode)
    /// with the JSON path and the declared type.
    #[default]
    Strict,
    /// A mismatch is a `tracing` warning; the value is kept as it came,
    /// readable raw (the metadata ages while Graph changes).
    Lenient,
}

impl Validation {
    /// The validation in effect on this thread: the call's while its body
    /// decodes, `Strict` elsewhere unless inside [`scope`](Self::scope).
    ///
    /// ```
    /// use graph_endpoint::Validation;
    /// assert_eq!(Validation::current(), Validation::Strict);
    /// ```
    #[must_use]
    pub fn current() -> Validation {
        CURRENT.with(Cell::get)
    }

    /// Runs `work` with this validation in effect on this thread (to decode
    /// a body by hand, say), then puts the previous one back.
    ///
    /// ```
    /// use graph_endpoint::Validation;
    /// let inside = Validation::Lenient.scope(|| Validation::current());
    /// assert_eq!(inside, Validation::Lenient);
    /// assert_eq!(Validation::current(), Validation::Strict);
    /// ```
    pub fn scope<R>(self, work: impl FnOnce() -> R) -> R {
        struct Restore(Validation);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        let _restore = Restore(CURRENT.with(|c| c.replace(self)));
        work()
    }

    /// What a type that validates does with a mismatch at `path` (inside the
    /// value it decodes, `settings[2].value`) of a value that is `found` (`a
    /// string`, `null`: never the value itself) where the metadata declares
    /// `expected` (`Int32`): `Err` with the message to fail with under
    /// `Strict`; `Ok` after a warning under `Lenient`.
    ///
    /// # Errors
    ///
    /// The message of the mismatch under `Strict`, which
    /// [`Error::Decode`](crate::Error::Decode) takes apart into its path and
    /// expected type.
    #[doc(hidden)]
    pub fn mismatch(
        graph_type: &str,
        path: &str,
        expected: &str,
        found: &str,
    ) -> Result<(), String> {
        match Validation::current() {
            Validation::Strict => Err(format!(
                "{path}: expected {expected}, found {found}{SUFFIX}"
            )),
            Validation::Lenient => {
                tracing::warn!(
                    graph_type,
                    path,
                    expected,
                    found,
                    "a value does not have the type Graph's metadata declares; kept as it came"
                );
                Ok(())
            }
        }
    }
}

/// How a mismatch's message ends: what tells it from serde's own messages,
/// and how to switch.
const SUFFIX: &str = " (as Graph's metadata declares it; Validation::Lenient on the client or the call accepts it with a warning)";

/// The declared type of an `expected` that [`parse_mismatch`] gave, without
/// how to switch; `None` for an expectation of serde's own.
pub(crate) fn declared_type(expected: &str) -> Option<&str> {
    expected.strip_suffix(SUFFIX)
}

/// How to switch, as a mismatch's message ends.
pub(crate) const HOW_TO_SWITCH: &str = SUFFIX;

/// A mismatch's message taken apart: the path inside the decoded value, the
/// declared type with how to switch, and what was found.
pub(crate) fn parse_mismatch(message: &str) -> Option<(&str, String, &str)> {
    let rest = message.strip_suffix(SUFFIX)?;
    let (path, rest) = rest.split_once(": expected ")?;
    let (expected, found) = rest.rsplit_once(", found ")?;
    Some((path, format!("{expected}{SUFFIX}"), found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_fails_with_a_message_that_parses_back() {
        let message = Validation::mismatch("t", "a[1].b", "Int32", "a string").unwrap_err();
        assert!(message.starts_with("a[1].b: expected Int32, found a string ("));
        let (path, expected, found) = parse_mismatch(&message).unwrap();
        assert_eq!((path, found), ("a[1].b", "a string"));
        assert!(expected.starts_with("Int32 (as Graph's metadata declares it"));
        assert!(parse_mismatch("invalid type: string \"x\", expected i32").is_none());
        assert_eq!(declared_type(&expected), Some("Int32"));
        assert_eq!(declared_type("i32"), None);
    }

    #[test]
    fn lenient_accepts_inside_its_scope_only() {
        assert!(
            Validation::Lenient.scope(|| Validation::mismatch("t", "a", "Int32", "null").is_ok())
        );
        assert!(Validation::mismatch("t", "a", "Int32", "null").is_err());
        // Nested scopes put the outer one back.
        Validation::Lenient.scope(|| {
            Validation::Strict.scope(|| assert_eq!(Validation::current(), Validation::Strict));
            assert_eq!(Validation::current(), Validation::Lenient);
        });
    }
}
