//! The macros generated models expand: one line per type in the generated
//! code, the trait implementations here.
//!
//! A model's [`Model::Schema`](crate::Model::Schema) is
//! `crate::metadata::Surface` of the crate that invokes the macro: each
//! generated crate has its schema at that path, and `crate` in a macro names
//! the invoking crate (hence the allowed `crate_in_macro_def`).

/// Serialize/Deserialize of a model: the object itself, checked against
/// the metadata when decoded.
#[doc(hidden)]
#[macro_export]
macro_rules! __model_serde {
    ($ty:ty) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize($crate::Model::object(self), s)
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::decode_model(d)
            }
        }
    };
}

/// A root model (no base type in the surface): a `#[repr(transparent)]`
/// newtype over the object.
#[doc(hidden)]
#[macro_export]
#[allow(clippy::crate_in_macro_def)]
macro_rules! __root_model {
    ($ty:ident, $name:literal, $typed_new:literal) => {
        impl $crate::Model for $ty {
            const GRAPH_TYPE: &'static str = $name;
            type Schema = crate::metadata::Surface;
            #[inline]
            fn from_object(object: $crate::Object) -> Self {
                $ty(object)
            }
            #[inline]
            fn object(&self) -> &$crate::Object {
                &self.0
            }
            #[inline]
            fn object_mut(&mut self) -> &mut $crate::Object {
                &mut self.0
            }
        }
        impl $ty {
            #[doc = concat!("An empty `", $name, "`", "; with its `@odata.type` when it is part of a type hierarchy.")]
            #[inline]
            pub fn new() -> Self {
                $ty($crate::new_object($typed_new.then_some($name)))
            }
        }
        impl ::core::default::Default for $ty {
            #[inline]
            fn default() -> Self {
                Self::new()
            }
        }
        $crate::__model_serde!($ty);
    };
}

/// A derived model: a `#[repr(transparent)]` newtype over its base, which it
/// dereferences to, so the base's accessors apply.
#[doc(hidden)]
#[macro_export]
#[allow(clippy::crate_in_macro_def)]
macro_rules! __derived_model {
    ($ty:ident, $base:ident, $name:literal) => {
        impl $crate::Model for $ty {
            const GRAPH_TYPE: &'static str = $name;
            type Schema = crate::metadata::Surface;
            #[inline]
            fn from_object(object: $crate::Object) -> Self {
                $ty(<$base as $crate::Model>::from_object(object))
            }
            #[inline]
            fn object(&self) -> &$crate::Object {
                $crate::Model::object(&self.0)
            }
            #[inline]
            fn object_mut(&mut self) -> &mut $crate::Object {
                $crate::Model::object_mut(&mut self.0)
            }
        }
        impl $ty {
            #[doc = concat!("An empty `", $name, "` with its `@odata.type`.")]
            #[inline]
            pub fn new() -> Self {
                <Self as $crate::Model>::from_object($crate::new_object(Some($name)))
            }
        }
        impl ::core::default::Default for $ty {
            #[inline]
            fn default() -> Self {
                Self::new()
            }
        }
        impl ::core::ops::Deref for $ty {
            type Target = $base;
            #[inline]
            fn deref(&self) -> &$base {
                &self.0
            }
        }
        impl ::core::ops::DerefMut for $ty {
            #[inline]
            fn deref_mut(&mut self) -> &mut $base {
                &mut self.0
            }
        }
        impl ::core::convert::From<$ty> for $base {
            #[inline]
            fn from(value: $ty) -> $base {
                value.0
            }
        }
        $crate::__model_serde!($ty);
    };
}

/// Serialize/Deserialize of a generated enum: its wire name.
#[doc(hidden)]
#[macro_export]
macro_rules! __member_serde {
    ($ty:ident) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str($crate::Member::as_str(self))
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                let text = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                Ok(<$ty as $crate::Member>::parse(&text))
            }
        }
        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str($crate::Member::as_str(self))
            }
        }
    };
}

/// `Borrowed` for a root model that derives `ref_cast::RefCast`: one a
/// getter views in place in its parent's object. Only those models have it:
/// the derive and the impl are a cost for every model of a crate.
#[doc(hidden)]
#[macro_export]
macro_rules! __borrowed_root {
    ($ty:ident) => {
        impl $crate::Borrowed for $ty {
            #[inline]
            fn view(object: &$crate::Object) -> &Self {
                <Self as ::ref_cast::RefCast>::ref_cast(object)
            }
        }
    };
}

/// `Borrowed` for a derived model that derives `ref_cast::RefCast`, over its
/// base's view (the base is `Borrowed` too).
#[doc(hidden)]
#[macro_export]
macro_rules! __borrowed_derived {
    ($ty:ident, $base:ident) => {
        impl $crate::Borrowed for $ty {
            #[inline]
            fn view(object: &$crate::Object) -> &Self {
                <Self as ::ref_cast::RefCast>::ref_cast(<$base as $crate::Borrowed>::view(object))
            }
        }
    };
}
