//! Typed decoding with `serde-json-core` (feature `serde`).
//!
//! serde-json-core 0.7 has two flaws this module keeps away from callers:
//!
//! - Without an unescape buffer it hands a string's source to the
//!   visitor still escaped (`"\u00e9"` arrives as six characters). Every
//!   function here passes the caller's `scratch` buffer, so an escaped
//!   string either arrives unescaped (owned types such as
//!   `heapless::String<N>`) or fails to decode (borrowed `&str`, which
//!   cannot point into the scratch buffer): it never arrives escaped.
//! - Its unescaper rejects surrogate pairs (`"\ud83d\ude00"`), so a
//!   `heapless::String` field fails on characters above U+FFFF.
//!
//! For strings that may hold escapes, use [`JsonStr`] fields: they borrow
//! the source, decode every escape correctly and need no scratch space.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use super::message::Params;
use super::string::JsonStr;
use super::value::RawValue;
use crate::{Error, ErrorKind};

/// The newtype name serde-json-core 0.7 answers with a string's raw source.
const ESCAPED_STR: &str = "__serde_json_core_escaped_string__";

impl<'a> RawValue<'a> {
    /// Decodes the value into `T` with `serde-json-core`, unescaping
    /// strings for owned fields through `scratch` (which must hold the
    /// longest such string).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TypedDecode`] (offset 0, the value's start) when the
    /// value does not fit `T`, including a `&str` field whose string holds
    /// an escape: use [`JsonStr`] for those.
    ///
    /// ```
    /// use procslink::jsonrpc::{JsonStr, RawValue};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Add<'a> {
    ///     a: i32,
    ///     b: i32,
    ///     #[serde(borrow)]
    ///     note: JsonStr<'a>,
    /// }
    ///
    /// let v = RawValue::parse(r#"{"a": 2, "b": 40, "note": "\u00e9t\u00e9"}"#)?;
    /// let add: Add = v.decode(&mut [0u8; 16])?;
    /// assert_eq!(add.a + add.b, 42);
    /// assert_eq!(add.note, "été");
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Borrowed<'a> { note: &'a str }
    /// assert!(v.decode::<Borrowed>(&mut [0u8; 16]).is_err());
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn decode<T: Deserialize<'a>>(&self, scratch: &mut [u8]) -> Result<T, Error> {
        serde_json_core::from_slice_escaped(self.as_str().as_bytes(), scratch)
            .map(|(value, _)| value)
            .map_err(|_| Error::new(ErrorKind::TypedDecode, 0))
    }
}

impl<'a> Params<'a> {
    /// Decodes the parameters into `T`; see [`RawValue::decode`].
    ///
    /// ```
    /// use procslink::jsonrpc::Request;
    ///
    /// let req = Request::parse(br#"{"jsonrpc": "2.0", "method": "add", "params": [2, 40], "id": 1}"#)?;
    /// let (a, b): (i64, i64) = req.params.unwrap().decode(&mut [])?;
    /// assert_eq!(a + b, 42);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn decode<T: Deserialize<'a>>(&self, scratch: &mut [u8]) -> Result<T, Error> {
        self.raw().decode(scratch)
    }
}

/// Deserializes from a JSON deserializer that lends the string's source:
/// serde-json-core (escapes and all), or `serde_json` for strings without
/// escapes. The source is validated as JSON string contents.
impl<'de: 'a, 'a> Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Source<'a>(core::marker::PhantomData<&'a str>);

        impl<'de: 'a, 'a> Visitor<'de> for Source<'a> {
            type Value = JsonStr<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string borrowed from the JSON source")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                JsonStr::from_json(v).map_err(|_| E::custom("invalid JSON string contents"))
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Self::Value, D::Error> {
                deserializer.deserialize_str(self)
            }
        }

        deserializer.deserialize_newtype_struct(ESCAPED_STR, Source(core::marker::PhantomData))
    }
}

/// Serializes the unescaped text as a string.
impl Serialize for JsonStr<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_unescaped() {
            Some(text) => serializer.serialize_str(text),
            None => serializer.collect_str(self),
        }
    }
}
