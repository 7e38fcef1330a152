//! Step targets and their resolution to absolute bounds with the user's zones: where the
//! plans and the zones meet (both depend on this module's inputs, neither on the other).

use serde::{Deserialize, Serialize};

use super::lenient::de;
use super::zones::{IntensityZones, Metric, Sport};

/// A step's intensity: a zone of the user's table for this sport and metric, or explicit bounds.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepTarget {
    #[serde(default)]
    pub metric: Metric,
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub zone: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub lower: Option<f64>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub upper: Option<f64>,
    /// Unit of `lower`/`upper`; a percentage unit (`%`, `%ftp`, …) is relative to the threshold.
    #[serde(default)]
    pub unit: Option<String>,
}

/// A target as absolute bounds, ready for a device (e.g. watts for a trainer's ERG mode).
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedTarget {
    pub metric: Metric,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub unit: String,
}

impl IntensityZones {
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
