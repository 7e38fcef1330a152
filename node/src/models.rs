//! The models' helpers as package functions (Node models are plain objects): `timeline`,
//! `timelineChecked`, `isRestDay`, `localStart`, `forSport`, `resolveTarget`, `checkFit`, and
//! `AuthorizationRequest.fromJSON`'s reading of the core's storage form. Each reads its
//! arguments back into the core's types (serde from the JS object) and calls the core's method:
//! the decisions stay in the core.

use enduco::{IntensityZones, Metric, Sport, StepTarget};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{OrThrow, invalid_input, to_json};
use crate::export::{plan_of, zones_of};
use crate::guard::sync;

fn zones_required(zones: Value) -> napi::Result<IntensityZones> {
    zones_of(Some(zones))?.ok_or_else(|| invalid_input("zones must be the intensityZones() object"))
}

/// A sport or metric name (`cycling`, `heart_rate`, …) as the core reads it from enduco:
/// aliases accepted, an unknown name is `other` (which only matches a table whose sport or
/// metric was also unknown).
fn wire<T: serde::de::DeserializeOwned>(what: &str, name: String) -> napi::Result<T> {
    serde_json::from_value(Value::String(name))
        .map_err(|e| invalid_input(format!("{what} is not readable ({e})")))
}

/// `PlannedWorkout::timeline`: the flat list of steps, repeats expanded, targets resolved with
/// `zones` when given.
#[napi]
pub fn timeline(plan: Value, zones: Option<Value>) -> napi::Result<Value> {
    sync(|| {
        let plan = plan_of(plan)?;
        let zones = zones_of(zones)?;
        to_json(&plan.timeline(zones.as_ref()))
    })
}

/// `PlannedWorkout::timeline_checked`: `{ segments, truncated }`.
#[napi]
pub fn timeline_checked(plan: Value, zones: Option<Value>) -> napi::Result<Value> {
    sync(|| {
        let plan = plan_of(plan)?;
        let zones = zones_of(zones)?;
        to_json(&plan.timeline_checked(zones.as_ref()))
    })
}

/// `PlannedWorkout::is_rest_day`.
#[napi]
pub fn is_rest_day(plan: Value) -> napi::Result<bool> {
    sync(|| Ok(plan_of(plan)?.is_rest_day()))
}

/// `PlannedWorkout::local_start_text`, or `null` without a start time or for a time zone this
/// system does not know.
#[napi]
pub fn local_start(plan: Value) -> napi::Result<Option<Value>> {
    sync(|| {
        plan_of(plan)?
            .local_start_text()
            .map(|s| to_json(&s))
            .transpose()
    })
}

/// `IntensityZones::for_sport`: the user's table for `sport` and `metric`, or `null`.
#[napi]
pub fn for_sport(zones: Value, sport: String, metric: String) -> napi::Result<Option<Value>> {
    sync(|| {
        let zones = zones_required(zones)?;
        let sport: Sport = wire("sport", sport)?;
        let metric: Metric = wire("metric", metric)?;
        zones.for_sport(sport, metric).map(to_json).transpose()
    })
}

/// `IntensityZones::resolve`: a step target as absolute bounds, or `null`.
#[napi]
pub fn resolve_target(zones: Value, sport: String, target: Value) -> napi::Result<Option<Value>> {
    sync(|| {
        let zones = zones_required(zones)?;
        let sport: Sport = wire("sport", sport)?;
        let target: StepTarget = serde_json::from_value(target)
            .map_err(|e| invalid_input(format!("target is not a step target ({e})")))?;
        zones
            .resolve(sport, &target)
            .map(|t| to_json(&t))
            .transpose()
    })
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
