//! The models' methods on their JSON form, for bindings whose models are plain data: Node's
//! objects and Python's classes generated from the core's declarations. Each reads its
//! arguments back into the core's types (the serde form the session handed out), runs the
//! core's method and answers in the same form, so the decisions and the error messages are
//! the core's whatever the language (README.md, "Architecture").

use serde_json::Value;

use crate::api::plans::{PlannedWorkout, StepTarget};
use crate::api::zones::{IntensityZones, Metric, Sport};
use crate::error::{Error, Result};
use crate::export::ExportFormat;

fn read<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::invalid_input(format!("{what} ({e})")))
}

/// A value as its serde form (infallible for the core's models: no map has non-text keys).
fn write<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// JSON text (a binding's serialized model) as a value the readers below take.
pub fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| Error::invalid_input(format!("not a model's JSON form ({e})")))
}

/// A planned workout from its serde form.
pub fn plan(plan: Value) -> Result<PlannedWorkout> {
    read(plan, "plan is not a planned workout")
}

/// Intensity zones from their serde form; `null` or none is no zones.
pub fn zones(zones: Option<Value>) -> Result<Option<IntensityZones>> {
    match zones {
        None | Some(Value::Null) => Ok(None),
        Some(zones) => read(zones, "zones are not intensity zones").map(Some),
    }
}

/// Intensity zones from their serde form, which must be there.
pub fn zones_required(value: Value) -> Result<IntensityZones> {
    zones(Some(value))?
        .ok_or_else(|| Error::invalid_input("zones must be the user's intensity zones"))
}

/// A step target from its serde form.
pub fn target(target: Value) -> Result<StepTarget> {
    read(target, "target is not a step target")
}

/// A sport or metric name as enduco sends it (aliases too; an unknown name is `other`).
fn wire<T: serde::de::DeserializeOwned>(name: &str, what: &str) -> Result<T> {
    read(Value::String(name.to_owned()), what)
}

/// [`PlannedWorkout::timeline`].
pub fn timeline(plan_value: Value, zones_value: Option<Value>) -> Result<Value> {
    let zones = zones(zones_value)?;
    Ok(write(&plan(plan_value)?.timeline(zones.as_ref())))
}

/// [`PlannedWorkout::timeline_checked`]: `{ segments, truncated }`.
pub fn timeline_checked(plan_value: Value, zones_value: Option<Value>) -> Result<Value> {
    let zones = zones(zones_value)?;
    Ok(write(&plan(plan_value)?.timeline_checked(zones.as_ref())))
}

/// [`PlannedWorkout::is_rest_day`].
pub fn is_rest_day(plan_value: Value) -> Result<bool> {
    Ok(plan(plan_value)?.is_rest_day())
}

/// [`PlannedWorkout::local_start_text`].
pub fn local_start(plan_value: Value) -> Result<Option<Value>> {
    Ok(plan(plan_value)?.local_start_text().map(|s| write(&s)))
}

/// [`IntensityZones::for_sport`].
pub fn for_sport(zones_value: Value, sport: &str, metric: &str) -> Result<Option<Value>> {
    let zones = zones_required(zones_value)?;
    let sport: Sport = wire(sport, "sport is not readable")?;
    let metric: Metric = wire(metric, "metric is not readable")?;
    Ok(zones.for_sport(sport, metric).map(write))
}

/// [`IntensityZones::resolve`].
pub fn resolve_target(zones_value: Value, sport: &str, target: Value) -> Result<Option<Value>> {
    let zones = zones_required(zones_value)?;
    let sport: Sport = wire(sport, "sport is not readable")?;
    Ok(zones
        .resolve(sport, &self::target(target)?)
        .map(|t| write(&t)))
}

/// The workout as a file of `format` (`fit`, `zwo`, `erg`, `mrc`): the FIT bytes, or the
/// UTF-8 text of the others.
pub fn export(plan_value: Value, zones_value: Option<Value>, format: &str) -> Result<Vec<u8>> {
    let format = ExportFormat::parse(format)?;
    let zones = zones(zones_value)?;
    plan(plan_value)?.export(format, zones.as_ref())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn models_read_back_from_their_serde_form_and_anything_else_is_invalid_input() {
        let fetched = plan(json!({
            "id": "p1",
            "date": "2026-03-29",
            "timeZone": "Europe/Berlin",
            "startTime": "2026-03-29T07:00:00Z",
            "steps": [{ "kind": "active", "durationSeconds": 600 }],
        }))
        .unwrap();
        let form = write(&fetched);
        assert_eq!(plan(form.clone()).unwrap(), fetched);
        assert_eq!(
            timeline(form.clone(), None).unwrap(),
            write(&fetched.timeline(None))
        );
        assert_eq!(
            local_start(form.clone()).unwrap().unwrap()["time"],
            "09:00:00"
        );
        assert!(!is_rest_day(form.clone()).unwrap());
        assert_eq!(
            export(form, None, "gpx").unwrap_err().code(),
            "invalid_input"
        );

        let broken = plan(json!({ "id": "p2" })).unwrap_err();
        assert_eq!(broken.code(), "invalid_input");
        assert!(
            broken.to_string().contains("plan is not a planned workout"),
            "{broken}"
        );
        assert!(zones(Some(Value::Null)).unwrap().is_none());
        assert_eq!(
            zones_required(Value::Null).unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(parse("{").unwrap_err().code(), "invalid_input");
    }
}
