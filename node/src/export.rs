//! Planned workouts as device files (the core's `PlannedWorkout::to_fit_workout`, `to_zwo`,
//! `to_erg`, `to_mrc`). Plans and zones are the plain objects the session handed out; their
//! JSON form is read back into the core's types, so the core decides everything.

use enduco::{ExportFormat, IntensityZones, PlannedWorkout};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::{OrThrow, invalid_input};
use crate::guard::sync;

pub(crate) fn plan_of(plan: serde_json::Value) -> napi::Result<PlannedWorkout> {
    serde_json::from_value(plan)
        .map_err(|e| invalid_input(format!("plan is not a planned workout ({e})")))
}

pub(crate) fn zones_of(zones: Option<serde_json::Value>) -> napi::Result<Option<IntensityZones>> {
    zones
        .filter(|z| !z.is_null())
        .map(|z| {
            serde_json::from_value(z)
                .map_err(|e| invalid_input(format!("zones are not intensity zones ({e})")))
        })
        .transpose()
}

/// The workout as a file of `format` (`fit`, `zwo`, `erg`, `mrc`): the FIT bytes or the UTF-8
/// text of the others. index.js exposes it as `toFitWorkout`, `toZwo`, `toErg`, `toMrc`.
#[napi]
pub fn export_workout(
    plan: serde_json::Value,
    zones: Option<serde_json::Value>,
    format: String,
) -> napi::Result<Buffer> {
    sync(|| {
        let format = ExportFormat::parse(&format).or_throw()?;
        let plan = plan_of(plan)?;
        let zones = zones_of(zones)?;
        Ok(plan.export(format, zones.as_ref()).or_throw()?.into())
    })
}
