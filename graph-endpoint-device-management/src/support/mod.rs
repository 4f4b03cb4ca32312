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

mod accessors;
#[cfg(feature = "catalog")]
mod codecs;
mod flags;
mod macros;
mod model;

#[doc(hidden)]
pub use accessors::*;
#[cfg(feature = "catalog")]
pub use codecs::*;
pub use flags::Flags;
pub use model::{Field, Member, Model, Object, Returned};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

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
