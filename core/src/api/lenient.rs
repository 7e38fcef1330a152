//! Reading enduco's JSON leniently: the data endpoints are an assumed contract
//! (docs/data-contract.md), so missing optional fields, numbers sent as strings and unknown
//! enum values must not fail a whole answer. Shared by the zones and plans models.

use crate::error::Error;

/// Declares a string enum that reads any unknown (or non-string) value as `Other`, matches
/// case-insensitively ignoring `_`, `-` and spaces (`heart_rate`, `heartRate`, `HEART-RATE`),
/// accepts a few obvious aliases, and writes the snake_case wire name.
macro_rules! tolerant_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        #[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename_all = "snake_case"))]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the SDK does not know (or none at all).
            #[default]
            Other,
        }

        impl $name {
            /// The snake_case name enduco uses on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other => "other",
                }
            }

            /// Reads a wire value; never fails, unknown values become `Other`.
            pub fn from_wire(value: &str) -> Self {
                let key = $crate::api::lenient::de::normalize(value);
                $(
                    if key == $crate::api::lenient::de::normalize($wire)
                        $(|| key == $crate::api::lenient::de::normalize($alias))*
                    {
                        return Self::$variant;
                    }
                )+
                Self::Other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        // Text on the wire (the serde impls above are hand-written, so no derive can see it).
        #[cfg(feature = "python-models")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({ "type": "string" })
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                Ok($crate::api::lenient::de::lenient_str(d)?.map_or(Self::Other, |s| Self::from_wire(&s)))
            }
        }
    };
}
pub(crate) use tolerant_enum;

/// An [`Error::InvalidResponse`] that says what was wrong without echoing the body (which may be
/// large, or an HTML page from a captive portal).
pub(crate) fn json_error(what: &str, body: &[u8], err: &serde_json::Error) -> Error {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let message = match first {
        None => format!("{what}: the response body is empty"),
        Some(b'<') => format!("{what}: expected JSON, got HTML or XML"),
        Some(_) if err.is_syntax() || err.is_eof() => {
            format!("{what}: the response is not valid JSON ({})", short(err))
        }
        Some(_) => format!("{what}: unexpected JSON shape ({})", short(err)),
    };
    Error::invalid_response(message)
}

/// A serde error message capped at a readable length (values quoted in it come from the body).
pub(crate) fn short(err: &dyn std::fmt::Display) -> String {
    const MAX: usize = 160;
    let text = err.to_string();
    if text.chars().count() <= MAX {
        return text;
    }
    let mut cut: String = text.chars().take(MAX).collect();
    cut.push('…');
    cut
}

/// Lenient field readers shared by the zones and plans models.
pub(crate) mod de {
    use serde::Deserialize;
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// Lower-case and drop `_`, `-`, `.` and spaces so spelling variants compare equal.
    pub(crate) fn normalize(value: &str) -> String {
        value
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
            .flat_map(char::to_lowercase)
            .collect()
    }

    /// `null` reads as the type's default (an empty list or string) rather than failing.
    pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de> + Default,
    {
        Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
    }

    /// A string if the value is one; `None` for anything else (numbers, objects, null).
    pub(crate) fn lenient_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(Lenient(Kind::Str)).map(|v| match v {
            Value::Str(s) => Some(s),
            _ => None,
        })
    }

    /// An id that should be a string but may arrive as a number.
    pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        match d.deserialize_any(Lenient(Kind::Id))? {
            Value::Str(s) => Ok(s),
            Value::Num(n) => Ok(n),
            _ => Err(de::Error::custom("expected a string or a number")),
        }
    }

    /// An optional number; numeric strings are accepted, `null` and non-finite values are `None`.
    pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match d.deserialize_any(Lenient(Kind::Num))? {
            Value::F64(v) => Ok(Some(v).filter(|v| v.is_finite())),
            Value::None => Ok(None),
            _ => Err(de::Error::custom("expected a number")),
        }
    }

    /// An optional non-negative whole number (`600`, `600.0`, `"600"`); fractions are rounded.
    pub(crate) fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        match opt_f64(d)? {
            None => Ok(None),
            Some(v) if (0.0..=u32::MAX as f64).contains(&v) => Ok(Some(v.round() as u32)),
            Some(v) => Err(de::Error::custom(format!(
                "expected a non-negative whole number, got {v}"
            ))),
        }
    }

    /// A required `u32`, read as leniently as [`opt_u32`].
    pub(crate) fn u32_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        opt_u32(d)?.ok_or_else(|| de::Error::custom("expected a number, got null"))
    }

    enum Kind {
        Str,
        Id,
        Num,
    }

    enum Value {
        Str(String),
        Num(String),
        F64(f64),
        None,
        Other,
    }

    struct Lenient(Kind);

    impl<'de> Visitor<'de> for Lenient {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self.0 {
                Kind::Str => "a string",
                Kind::Id => "a string or a number",
                Kind::Num => "a number",
            })
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
            match self.0 {
                Kind::Num => {
                    let t = v.trim();
                    if t.is_empty() {
                        return Ok(Value::None);
                    }
                    t.parse::<f64>()
                        .map(Value::F64)
                        .map_err(|_| E::custom("expected a number, got a non-numeric string"))
                }
                _ => Ok(Value::Str(v.to_owned())),
            }
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
            Ok(match self.0 {
                Kind::Num => Value::F64(v as f64),
                Kind::Id => Value::Num(v.to_string()),
                Kind::Str => Value::Other,
            })
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
            Ok(match self.0 {
                Kind::Num => Value::F64(v as f64),
                Kind::Id => Value::Num(v.to_string()),
                Kind::Str => Value::Other,
            })
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
            Ok(match self.0 {
                Kind::Num => Value::F64(v),
                _ => Value::Other,
            })
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
            Ok(Value::Other)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
            Ok(Value::None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Value, E> {
            Ok(Value::None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Value::Other)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Value::Other)
        }
    }
}
