//! Planned workouts as device files (the core's `PlannedWorkout::to_fit_workout`, `to_zwo`,
//! `to_erg`, `to_mrc`). Plans and zones are the plain objects the session handed out; the
//! core reads them back (`enduco::plain`) and decides everything.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::OrThrow;
use crate::guard::sync;

/// The workout as a file of `format` (`fit`, `zwo`, `erg`, `mrc`): the FIT bytes or the UTF-8
/// text of the others. index.js exposes it as `toFitWorkout`, `toZwo`, `toErg`, `toMrc`.
#[napi]
pub fn export_workout(
    plan: serde_json::Value,
    zones: Option<serde_json::Value>,
    format: String,
) -> napi::Result<Buffer> {
    sync(|| {
        Ok(enduco::plain::export(plan, zones, &format)
            .or_throw()?
            .into())
    })
}
