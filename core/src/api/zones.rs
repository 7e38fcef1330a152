//! The user's intensity zones (`GET /api/v1/zones`, scope `user_read`).
//!
//! enduco has not published this endpoint, so parsing is deliberately tolerant: optional fields
//! may be missing or `null`, unknown fields are ignored and enum values the SDK does not know
//! become `Other` instead of failing the whole response. Only a response that cannot be read
//! at all is an [`Error::InvalidResponse`](crate::Error::InvalidResponse).

use serde::{Deserialize, Serialize};

use super::lenient::{de, json_error, tolerant_enum};
use crate::error::Result;

/// Everything `GET /api/v1/zones` returns: one zone table per sport and metric.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
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
}

/// Parses the body of `GET /api/v1/zones` (e.g. from [`Session::request`](crate::Session::request)
/// or a cache). Malformed JSON is an [`Error::InvalidResponse`](crate::Error::InvalidResponse) whose message never echoes the
/// body.
pub fn parse_zones(body: &[u8]) -> Result<IntensityZones> {
    serde_json::from_slice(body).map_err(|e| json_error("intensity zones", body, &e))
}
