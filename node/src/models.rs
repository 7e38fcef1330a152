//! The models' helpers as package functions (Node models are plain objects): `timeline`,
//! `timelineChecked`, `isRestDay`, `localStart`, `forSport`, `resolveTarget`, `checkFit`, and
//! `AuthorizationRequest.fromJSON`'s reading of the core's storage form. Each reads its
//! arguments back into the core's types and calls the core's method (`enduco::plain`, shared
//! with Python): the decisions stay in the core.

use enduco::plain;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{OrThrow, to_json};
use crate::guard::sync;

/// `PlannedWorkout::timeline`: the flat list of steps, repeats expanded, targets resolved with
/// `zones` when given.
#[napi]
pub fn timeline(plan: Value, zones: Option<Value>) -> napi::Result<Value> {
    sync(|| plain::timeline(plan, zones).or_throw())
}

/// `PlannedWorkout::timeline_checked`: `{ segments, truncated }`.
#[napi]
pub fn timeline_checked(plan: Value, zones: Option<Value>) -> napi::Result<Value> {
    sync(|| plain::timeline_checked(plan, zones).or_throw())
}

/// `PlannedWorkout::is_rest_day`.
#[napi]
pub fn is_rest_day(plan: Value) -> napi::Result<bool> {
    sync(|| plain::is_rest_day(plan).or_throw())
}

/// `PlannedWorkout::local_start_text`, or `null` without a start time or for a time zone this
/// system does not know.
#[napi]
pub fn local_start(plan: Value) -> napi::Result<Option<Value>> {
    sync(|| plain::local_start(plan).or_throw())
}

/// `IntensityZones::for_sport`: the user's table for `sport` and `metric` (names as enduco
/// sends them, aliases too), or `null`.
#[napi]
pub fn for_sport(zones: Value, sport: String, metric: String) -> napi::Result<Option<Value>> {
    sync(|| plain::for_sport(zones, &sport, &metric).or_throw())
}

/// `IntensityZones::resolve`: a step target as absolute bounds, or `null`.
#[napi]
pub fn resolve_target(zones: Value, sport: String, target: Value) -> napi::Result<Option<Value>> {
    sync(|| plain::resolve_target(zones, &sport, target).or_throw())
}

/// The FIT pre-flight the SDK runs before an upload (`check_fit`): a summary of a valid
/// activity file, or `invalid_input` naming the defect.
#[napi]
pub fn check_fit(bytes: Buffer) -> napi::Result<Value> {
    sync(|| to_json(&enduco::check_fit(&bytes).or_throw()?))
}

/// Reads the core's storage form of a started authorization (`AuthorizationRequest::from_json`,
/// what every enduco SDK writes) and gives it back as the core writes it.
#[napi]
pub fn authorization_request_from_json(json: String) -> napi::Result<String> {
    sync(|| {
        Ok(enduco::AuthorizationRequest::from_json(&json)
            .or_throw()?
            .to_json())
    })
}

/// A calendar date `YYYY-MM-DD` as `[year, month, day]`, read by the core (`parse_date`):
/// `localDate` builds the local `Date` from it.
#[napi]
pub fn calendar_date(text: String) -> napi::Result<Vec<i32>> {
    sync(|| {
        let date = enduco::parse_date(&text).or_throw()?;
        Ok(vec![
            i32::from(date.year()),
            i32::from(date.month()),
            i32::from(date.day()),
        ])
    })
}
