//! What every generated model of the typed crates
//! (`graph-endpoint-device-management`, `graph-endpoint-device-app-management`)
//! is built on: one runtime, and each crate's own metadata tables.
//!
//! A model keeps the JSON object it was read from (or built into) as its
//! storage, so reading a payload and writing it back gives the same JSON
//! value: properties the metadata does not know, enum members it does not
//! know, `@odata.type`s it does not know, explicit `null`s and the exact text
//! of numbers and dates all survive.
//!
//! Decoding checks the object against Graph's metadata (the generated
//! crate's tables, see [`metadata`]): every declared property, recursively, has
//! its declared JSON type and, for dates, times, durations, GUIDs and
//! binaries, text that parses. A mismatch fails the decoding under
//! [`graph_endpoint::Validation::Strict`] (the default), naming the JSON path
//! and the declared type; under `Lenient` it is a `tracing` warning and the
//! value is kept as it came.
//!
//! Typed accessors read and write the object one property at a time:
//!
//! - a getter returns `None` when the property is absent or `null`
//!   ([`Model::field`] tells the two apart), the value otherwise, in its Rust
//!   type: `time::OffsetDateTime`, `time::Date`, `time::Time`,
//!   [`IsoDuration`], `uuid::Uuid`, bytes, enums, [`Flags`] sets, models;
//!   a collection reads as [`Items`], every item in order;
//! - a nested model is borrowed from the object (`Option<&MimeContent>`,
//!   items `&KeyValuePair`), as strings and raw values are: reading it copies
//!   nothing. A polymorphic one (an `Any…` enum, told apart by `@odata.type`)
//!   is copied out on each read; its base type's getters are also on every
//!   variant, so keep it in a variable rather than reading it again in a loop;
//! - `set_x(value)` writes a value, `clear_x()` an explicit `null` (on a
//!   PATCH, "clear this property"), `unset_x()` removes the property, so it
//!   is not sent at all. Each returns the model it is called on, so a chain
//!   keeps the derived type. Setters come from one trait per declaring type
//!   (`DeviceConfigurationSetters`, ...), all in the
//!   generated crate's `prelude`;
//! - what was not set is written back as it came: the text of a date that
//!   was read is not reformatted.
//!
//! Since only what was set is in the object, a model built with `new()` and a
//! few setters is exactly the body of a partial update.

#![forbid(unsafe_code)]

mod accessors;
mod codecs;
mod duration;
pub mod example_check;
mod flags;
mod macros;
pub mod metadata;
mod model;
mod validate;
mod values;

#[doc(hidden)]
pub use accessors::*;
pub use accessors::{ItemMismatch, Items};
pub use codecs::*;
pub use duration::{IsoDuration, NotADuration};
pub use flags::Flags;
#[doc(hidden)]
pub use model::decode_model;
pub use model::{Borrowed, Field, Member, Model, Object, Returned};
#[doc(hidden)]
pub use validate::checked;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[derive(Debug, Clone, PartialEq, ref_cast::RefCast)]
    #[repr(transparent)]
    struct Thing(Object);
    crate::__root_model!(Thing, "microsoft.graph.thing", false);

    #[test]
    fn absent_null_and_present_differ() {
        let mut thing: Thing = serde_json::from_value(json!({"a": null, "b": 1})).unwrap();
        assert_eq!(thing.field("a"), Field::Null);
        assert_eq!(thing.field("b"), Field::Present(&json!(1)));
        assert_eq!(thing.field("c"), Field::Absent);
        clear(thing.object_mut(), "c");
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
        set_flags(&mut object, "u", read.clone());
        assert_eq!(object["u"], json!("encrypt,sign,later"));
        set_items(
            &mut object,
            "l",
            &[read.clone(), Flags::new()],
            value_of_flags::<Usage>,
        );
        assert_eq!(object["l"], json!(["encrypt,sign,later", ""]));
        let items = get_items(&object, "l", "usage", item_flags::<Usage>).unwrap();
        assert_eq!(items.to_vec().unwrap(), vec![read.clone(), Flags::new()]);
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
    fn an_item_of_another_type_is_an_error_in_place_never_dropped() {
        let mut object = Object::new();
        object.insert("l".into(), json!(["a", 7, "c"]));
        let items: Vec<_> = get_items(&object, "l", "Edm.String", item_str)
            .unwrap()
            .collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], Ok("a"));
        assert_eq!(
            items[1],
            Err(ItemMismatch {
                index: 1,
                expected: "Edm.String",
                found: "a number"
            })
        );
        assert_eq!(items[2], Ok("c"));
        assert!(get_items(&object, "absent", "Edm.String", item_str).is_none());
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
        let d = get_date_time(thing.object(), "d").unwrap();
        assert_eq!(d.offset().whole_hours(), -8);
        assert!(serde_json::from_str::<Thing>("[1]").is_err());
    }

    #[test]
    fn typed_values_are_written_in_graphs_text_forms() {
        let mut object = Object::new();
        let guid = uuid::Uuid::from_u128(0x0b28_3420_3420_0b28_2034_280b_2034_280b);
        set_guid(&mut object, "g", guid);
        set_date_time(
            &mut object,
            "t",
            time::macros::datetime!(2024-02-29 12:30 UTC),
        );
        set_date(&mut object, "d", time::macros::date!(2024 - 02 - 29));
        set_time(&mut object, "h", time::macros::time!(7:05:00.5));
        set_duration(&mut object, "p", "P1DT2H".parse().unwrap());
        set_binary(&mut object, "b", b"hi");
        set_f64(&mut object, "x", f64::INFINITY);
        assert_eq!(
            Value::Object(object.clone()),
            json!({"g": "0b283420-3420-0b28-2034-280b2034280b", "t": "2024-02-29T12:30:00Z",
                   "d": "2024-02-29", "h": "07:05:00.5", "p": "P1DT2H", "b": "aGk=", "x": "INF"})
        );
        assert_eq!(get_guid(&object, "g"), Some(guid));
        assert_eq!(get_binary(&object, "b").as_deref(), Some(&b"hi"[..]));
        assert_eq!(get_f64(&object, "x"), Some(f64::INFINITY));
        assert_eq!(get_time(&object, "h"), Some(time::macros::time!(7:05:00.5)));
    }
}
