//! The user's intensity zones (`GET /api/v1/zones`, scope `user_read`).
//!
//! enduco has not published this endpoint, so parsing is deliberately tolerant: optional fields
//! may be missing or `null`, unknown fields are ignored and enum values the SDK does not know
//! become `Other` instead of failing the whole response. Only a response that cannot be read
//! at all is an [`Error::InvalidResponse`].

use serde::{Deserialize, Serialize};

use crate::api::plans::{ResolvedTarget, StepTarget};
use crate::error::{Error, Result};

/// Everything `GET /api/v1/zones` returns: one zone table per sport and metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntensityZones {
    /// The enduco user these zones belong to.
    #[serde(deserialize_with = "de::string_or_number")]
    pub user_id: String,
    /// When the athlete (or enduco) last changed the zones.
    #[serde(default)]
    pub updated_at: Option<jiff::Timestamp>,
    /// One entry per sport and metric, e.g. cycling power and running heart rate.
    #[serde(default, deserialize_with = "de::null_as_default")]
    pub zones: Vec<SportZones>,
}

/// The zone table of one sport and metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SportZones {
    #[serde(default)]
    pub sport: Sport,
    #[serde(default)]
    pub metric: Metric,
    /// Unit of `threshold` and of every zone bound, e.g. `"W"`, `"bpm"`, `"s/km"`.
    #[serde(default, deserialize_with = "de::null_as_default")]
    pub unit: String,
    /// The threshold the zones derive from (FTP, threshold heart rate, threshold pace).
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub threshold: Option<f64>,
    #[serde(default, deserialize_with = "de::null_as_default")]
    pub zones: Vec<Zone>,
}

/// One zone. Bounds are absolute values in the table's unit; an open-ended zone (the lowest or
/// the highest) has no `lower` or no `upper`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Zone {
    /// The zone number plans refer to (`target.zone`); matched by value, not by position.
    #[serde(deserialize_with = "de::u32_lenient")]
    pub index: u32,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub lower: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub upper: Option<f64>,
}

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
                let key = $crate::api::zones::de::normalize(value);
                $(
                    if key == $crate::api::zones::de::normalize($wire)
                        $(|| key == $crate::api::zones::de::normalize($alias))*
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

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                Ok($crate::api::zones::de::lenient_str(d)?.map_or(Self::Other, |s| Self::from_wire(&s)))
            }
        }
    };
}
pub(crate) use tolerant_enum;

tolerant_enum! {
    /// The sport a zone table or a planned workout is for.
    pub enum Sport {
        Cycling = "cycling" | "bike" | "biking" | "ride" | "cycle",
        Running = "running" | "run",
        Swimming = "swimming" | "swim",
    }
}

tolerant_enum! {
    /// What a zone table or a step target measures.
    pub enum Metric {
        Power = "power",
        HeartRate = "heart_rate" | "hr",
        Pace = "pace",
        Speed = "speed",
        Cadence = "cadence",
        Rpe = "rpe",
    }
}

impl IntensityZones {
    /// The zone table for `sport` and `metric`, if the user has one. Plain equality: asking for
    /// `Sport::Other` finds a table whose sport was also unknown to the SDK.
    pub fn for_sport(&self, sport: Sport, metric: Metric) -> Option<&SportZones> {
        self.zones
            .iter()
            .find(|z| z.sport == sport && z.metric == metric)
    }

    /// Turns a step target into absolute bounds (e.g. watts for a trainer's ERG mode):
    /// - explicit `lower`/`upper` win over `zone`; when their unit is a percentage (`%`, `%ftp`,
    ///   `percent`, …) they are taken relative to the zone table's threshold;
    /// - otherwise `zone` is looked up by index in the table for this sport and metric;
    /// - `Other` sports or metrics are never matched against each other, since two unknown
    ///   values need not be the same thing.
    ///
    /// `None` when the target cannot be made absolute (no bounds, no matching table or zone, a
    /// percentage without a threshold).
    pub fn resolve(&self, sport: Sport, target: &StepTarget) -> Option<ResolvedTarget> {
        resolve_target(Some(self), sport, target)
    }
}

/// [`IntensityZones::resolve`], usable without zones: explicit absolute bounds need none.
pub(crate) fn resolve_target(
    zones: Option<&IntensityZones>,
    sport: Sport,
    target: &StepTarget,
) -> Option<ResolvedTarget> {
    let table = zones
        .filter(|_| sport != Sport::Other && target.metric != Metric::Other)
        .and_then(|z| z.for_sport(sport, target.metric));

    if target.lower.is_some() || target.upper.is_some() {
        let unit = target.unit.as_deref().map(str::trim).unwrap_or("");
        if is_percent_unit(unit) {
            let table = table?;
            let threshold = table.threshold.filter(|t| t.is_finite())?;
            let abs = |v: Option<f64>| v.map(|p| threshold * p / 100.0);
            return Some(ResolvedTarget {
                metric: target.metric,
                lower: abs(target.lower),
                upper: abs(target.upper),
                unit: table.unit.clone(),
            });
        }
        let unit = if unit.is_empty() {
            table.map(|t| t.unit.clone()).unwrap_or_default()
        } else {
            unit.to_owned()
        };
        return Some(ResolvedTarget {
            metric: target.metric,
            lower: target.lower,
            upper: target.upper,
            unit,
        });
    }

    let index = target.zone?;
    let table = table?;
    let zone = table.zones.iter().find(|z| z.index == index)?;
    Some(ResolvedTarget {
        metric: target.metric,
        lower: zone.lower,
        upper: zone.upper,
        unit: table.unit.clone(),
    })
}

fn is_percent_unit(unit: &str) -> bool {
    let u = unit.to_ascii_lowercase();
    u.starts_with('%') || u.starts_with("percent") || u == "pct" || u.starts_with("pct_")
}

/// Parses the body of `GET /api/v1/zones` (e.g. from [`Session::request`](crate::Session::request)
/// or a cache). Malformed JSON is an [`Error::InvalidResponse`] whose message never echoes the
/// body.
pub fn parse_zones(body: &[u8]) -> Result<IntensityZones> {
    serde_json::from_slice(body).map_err(|e| json_error("intensity zones", body, &e))
}

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

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
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
