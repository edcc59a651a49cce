//! The one pattern of the core's value types that are a string on the wire (ids, texts,
//! money, dates and times).
//!
//! Such a type has `fn parse(&str) -> Result<Self, E>` (with `E: Coded`), which is the
//! only way to build one from outside, and its canonical string form (`Display`); then
//! [`string_newtype!`] gives it every conversion, each one going through those two:
//!
//! - `FromStr` (the same error as `parse`);
//! - `TryFrom<String>` (the error as [`crate::error::Tagged`], for `#[serde(try_from)]`);
//! - `From<T> for String`;
//! - `Serialize`, as its string;
//! - `Deserialize`, through [`crate::error::parse_str`]: the input is borrowed, not copied,
//!   and the errors are those of a `#[serde(try_from = "String")]` field.
//!
//! A type that *holds* its string (`struct T(String)`) is declared with `holds_string`:
//! it also gets `as_str`, `AsRef<str>` and `Display`, and `String::from` hands the string
//! over without copying it.

/// Gives a value type its string conversions; see the [module docs](self).
///
/// `string_newtype!(T, E)` for a type with `parse` and `Display`;
/// `string_newtype!(T, E, holds_string)` for `struct T(String)` with `parse`.
macro_rules! string_newtype {
    ($t:ident, $err:ty, holds_string) => {
        impl $t {
            /// The canonical string, borrowed.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }

        impl ::serde::Serialize for $t {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        string_newtype!(@parse $t, $err);
    };

    ($t:ident, $err:ty) => {
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.to_string()
            }
        }

        impl ::serde::Serialize for $t {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        string_newtype!(@parse $t, $err);
    };

    (@parse $t:ident, $err:ty) => {
        impl ::std::str::FromStr for $t {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $t::parse(s)
            }
        }

        impl TryFrom<String> for $t {
            type Error = $crate::error::Tagged<$err>;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $t::parse(&s).map_err($crate::error::Tagged)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::error::parse_str(d, $t::parse)
            }
        }
    };
}

pub(crate) use string_newtype;
