//! Training plans (`GET /api/v1/plans?from=…&to=…`, scope `plans_read`).
//!
//! enduco serves at most 7 days of plans, keyed by the athlete's *local* calendar dates. The
//! window helpers here exist so that no caller ever computes "today" in UTC: for an athlete in
//! Sydney, UTC's date is still yesterday until 10:00 or 11:00 local time.
//!
//! Parsing is tolerant like [`super::zones`]: unknown fields are ignored, unknown enum values
//! become `Other`, optional fields may be missing or `null`.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

use super::lenient::{self, de, tolerant_enum};
use super::targets::resolve_target;
pub use super::targets::{ResolvedTarget, StepTarget};
use super::zones::{IntensityZones, Sport};
use crate::error::{Error, Result};

/// The longest window enduco serves, in calendar days (inclusive).
pub const MAX_PLAN_DAYS: u32 = 7;

/// [`PlannedWorkout::timeline`] stops after this many segments, so a hostile or buggy repeat
/// `count` cannot exhaust memory.
pub const MAX_TIMELINE_SEGMENTS: usize = 10_000;

/// [`PlannedWorkout::timeline`] also stops after visiting this many steps, so a repeat whose
/// body is mostly empty repeats cannot keep a thread busy for seconds while emitting little.
pub const MAX_TIMELINE_STEPS_VISITED: usize = 200_000;

/// Repeats nested deeper than this are not expanded (real plans nest two or three levels).
const MAX_REPEAT_DEPTH: usize = 32;

/// One planned workout (or rest day) on the athlete's calendar.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedWorkout {
    #[serde(deserialize_with = "de::string_or_number")]
    pub id: String,
    /// The athlete's local calendar date, exactly as enduco sent it (never shifted to UTC).
    pub date: Date,
    /// The planned start instant, when the athlete scheduled a time of day.
    #[serde(default)]
    pub start_time: Option<Timestamp>,
    /// The athlete's IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    #[serde(default)]
    pub sport: Sport,
    #[serde(default, deserialize_with = "de::null_as_default")]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub duration_seconds: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub distance_meters: Option<f64>,
    /// Training load (enduco's own scale).
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub load: Option<f64>,
    /// The structured steps; empty for a rest day or an unstructured workout.
    #[serde(default, deserialize_with = "de::null_as_default")]
    pub steps: Vec<Step>,
}

/// One step of a workout; a repeat step carries its body in `repeat`.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    #[serde(default)]
    pub kind: StepKind,
    #[serde(default, deserialize_with = "de::opt_u32")]
    pub duration_seconds: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_f64")]
    pub distance_meters: Option<f64>,
    #[serde(default)]
    pub target: Option<StepTarget>,
    #[serde(default)]
    pub repeat: Option<Repeat>,
}

/// `count` times the nested `steps`.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repeat {
    #[serde(deserialize_with = "de::u32_lenient")]
    pub count: u32,
    #[serde(default, deserialize_with = "de::null_as_default")]
    pub steps: Vec<Step>,
}

tolerant_enum! {
    /// What a step is for.
    pub enum StepKind {
        Warmup = "warmup",
        Active = "active" | "work" | "interval",
        Recovery = "recovery" | "recover",
        Cooldown = "cooldown",
        Rest = "rest",
        Repeat = "repeat",
    }
}

/// One step of the flattened workout, as a device or a UI would play it.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineSegment {
    /// Position in the timeline, from 0.
    pub index: u32,
    pub kind: StepKind,
    /// Seconds from the workout's start; `None` once an earlier step had no duration (e.g. a
    /// distance-only step), because from there on the time is unknown.
    pub start_offset_seconds: Option<u32>,
    pub duration_seconds: Option<u32>,
    pub distance_meters: Option<f64>,
    pub target: Option<StepTarget>,
    /// The target as absolute bounds, when it could be resolved.
    pub resolved: Option<ResolvedTarget>,
}

/// A workout's timeline, and whether it was cut short (`truncated`) because the plan was too
/// large to unroll (hostile or broken): at `MAX_TIMELINE_SEGMENTS` segments or the step budget.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedTimeline {
    pub segments: Vec<TimelineSegment>,
    pub truncated: bool,
}

/// A planned workout's start on the athlete's wall clock (DST applied), as text for display or
/// for a runtime without time zones (the Node package): none of it can pass for UTC by
/// mistake. Read `date` and `time` for display, `iso` or `instant` for an instant.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalStart {
    /// The athlete's calendar date, `YYYY-MM-DD`.
    pub date: String,
    /// Wall-clock time there, `HH:MM:SS`.
    pub time: String,
    /// The IANA zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// The UTC offset at that moment, e.g. `+02:00`.
    pub offset: String,
    /// The same moment in UTC (RFC 3339, `…Z`).
    pub instant: String,
    /// The same moment with its offset, e.g. `2026-03-29T09:00:00+02:00`.
    pub iso: String,
}

impl PlannedWorkout {
    /// A rest day: nothing to do. A workout without structured steps but with a duration,
    /// distance or load ("60 min easy") is not a rest day.
    pub fn is_rest_day(&self) -> bool {
        let positive = |v: Option<f64>| v.is_some_and(|v| v > 0.0);
        self.steps.is_empty()
            && self.duration_seconds.unwrap_or(0) == 0
            && !positive(self.distance_meters)
            && !positive(self.load)
    }

    /// The planned start as wall-clock time in the athlete's time zone (DST applied), or `None`
    /// without a start time or when the time zone is unknown to this system's database.
    pub fn local_start(&self) -> Option<Zoned> {
        let tz = TimeZone::get(&self.time_zone).ok()?;
        Some(self.start_time?.to_zoned(tz))
    }

    /// [`PlannedWorkout::local_start`] as text parts.
    pub fn local_start_text(&self) -> Option<LocalStart> {
        let zoned = self.local_start()?;
        Some(LocalStart {
            date: zoned.strftime("%Y-%m-%d").to_string(),
            time: zoned.strftime("%H:%M:%S").to_string(),
            time_zone: self.time_zone.clone(),
            offset: zoned.strftime("%:z").to_string(),
            instant: zoned.timestamp().to_string(),
            iso: zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        })
    }

    /// The workout as a flat list of steps: repeats expanded (nested ones too), zone targets
    /// resolved to absolute bounds with `zones` (the user's zones for this sport and metric;
    /// explicit bounds need no zones). Stops after [`MAX_TIMELINE_SEGMENTS`] segments or
    /// [`MAX_TIMELINE_STEPS_VISITED`] steps visited; [`PlannedWorkout::timeline_checked`]
    /// also says whether it stopped early.
    pub fn timeline(&self, zones: Option<&IntensityZones>) -> Vec<TimelineSegment> {
        self.timeline_checked(zones).segments
    }

    /// [`PlannedWorkout::timeline`] and whether it was truncated (a hostile or broken plan).
    pub fn timeline_checked(&self, zones: Option<&IntensityZones>) -> CheckedTimeline {
        let mut builder = Timeline {
            zones,
            sport: self.sport,
            offset: Some(0),
            segments: Vec::new(),
            visits_left: MAX_TIMELINE_STEPS_VISITED,
        };
        let complete = builder.push_steps(&self.steps, 0);
        if !complete {
            tracing::warn!(
                plan = %self.id,
                segments = builder.segments.len(),
                "workout timeline truncated (too many segments or steps)"
            );
        }
        CheckedTimeline {
            segments: builder.segments,
            truncated: !complete,
        }
    }
}

struct Timeline<'a> {
    zones: Option<&'a IntensityZones>,
    sport: Sport,
    offset: Option<u32>,
    segments: Vec<TimelineSegment>,
    visits_left: usize,
}

impl Timeline<'_> {
    /// Appends `steps`; returns `false` once the segment cap or the visit budget is reached.
    fn push_steps(&mut self, steps: &[Step], depth: usize) -> bool {
        for step in steps {
            let Some(left) = self.visits_left.checked_sub(1) else {
                return false;
            };
            self.visits_left = left;
            match &step.repeat {
                Some(repeat) => {
                    if depth >= MAX_REPEAT_DEPTH {
                        continue;
                    }
                    for _ in 0..repeat.count {
                        let before = self.segments.len();
                        if !self.push_steps(&repeat.steps, depth + 1) {
                            return false;
                        }
                        // An empty body stays empty: don't spin through a huge count.
                        if self.segments.len() == before {
                            break;
                        }
                    }
                }
                // A repeat without a body has nothing to play.
                None if step.kind == StepKind::Repeat => {}
                None => {
                    if self.segments.len() >= MAX_TIMELINE_SEGMENTS {
                        return false;
                    }
                    self.push(step);
                }
            }
        }
        true
    }

    fn push(&mut self, step: &Step) {
        let resolved = step
            .target
            .as_ref()
            .and_then(|t| resolve_target(self.zones, self.sport, t));
        self.segments.push(TimelineSegment {
            index: self.segments.len() as u32,
            kind: step.kind,
            start_offset_seconds: self.offset,
            duration_seconds: step.duration_seconds,
            distance_meters: step.distance_meters,
            target: step.target.clone(),
            resolved,
        });
        self.offset = match (self.offset, step.duration_seconds) {
            (Some(at), Some(d)) => at.checked_add(d),
            _ => None,
        };
    }
}

/// Parses the body of `GET /api/v1/plans`: a JSON array of plans (an object wrapping it as
/// `plans`, `items` or `data` is accepted too).
///
/// Beyond the contract, a `startTime` without an offset is read as wall-clock time in the plan's
/// `timeZone`, and a `date` sent as a date-time keeps its calendar date as written.
pub fn parse_plans(body: &[u8]) -> Result<Vec<PlannedWorkout>> {
    const WHAT: &str = "training plans";
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| lenient::json_error(WHAT, body, &e))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut map) => ["plans", "items", "data"]
            .iter()
            .find_map(|k| match map.remove(*k) {
                Some(serde_json::Value::Array(items)) => Some(items),
                _ => None,
            })
            .ok_or_else(|| {
                Error::invalid_response(format!("{WHAT}: expected a JSON array of plans"))
            })?,
        _ => {
            return Err(Error::invalid_response(format!(
                "{WHAT}: expected a JSON array of plans"
            )));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, mut item)| {
            normalize_plan(&mut item);
            serde_json::from_value(item).map_err(|e| {
                Error::invalid_response(format!("{WHAT}: plan #{i}: {}", lenient::short(&e)))
            })
        })
        .collect()
}

/// Rewrites the two plausible deviations from the contract into the contract's form.
fn normalize_plan(item: &mut serde_json::Value) {
    let Some(obj) = item.as_object_mut() else {
        return;
    };
    if let Some(serde_json::Value::String(date)) = obj.get_mut("date")
        && date.len() > 10
        && date.is_char_boundary(10)
    {
        let (day, rest) = date.split_at(10);
        if rest.starts_with(['T', 't', ' ']) && day.parse::<Date>().is_ok() {
            *date = day.to_owned();
        }
    }
    let tz = obj
        .get("timeZone")
        .and_then(|v| v.as_str())
        .and_then(|name| TimeZone::get(name).ok());
    if let (Some(tz), Some(serde_json::Value::String(start))) = (tz, obj.get_mut("startTime"))
        && start.parse::<Timestamp>().is_err()
        && let Ok(local) = start.parse::<DateTime>()
        && let Ok(zoned) = tz.to_zoned(local)
    {
        *start = zoned.timestamp().to_string();
    }
}

/// Refuses a window enduco would not serve (reversed, or longer than [`MAX_PLAN_DAYS`] calendar
/// days counting both ends), before any request is sent.
pub fn check_window(from: Date, to: Date) -> Result<()> {
    if to < from {
        return Err(Error::invalid_input(format!(
            "plan window is reversed: from {from} is after to {to}"
        )));
    }
    let days = from.duration_until(to).as_secs() / 86_400 + 1;
    if days > i64::from(MAX_PLAN_DAYS) {
        return Err(Error::invalid_input(format!(
            "plan window too long: {days} days (enduco serves at most {MAX_PLAN_DAYS})"
        )));
    }
    Ok(())
}

/// The window of the next `days` days (1 to 7) starting `today`, both ends inclusive.
pub fn upcoming_window(days: u32, today: Date) -> Result<(Date, Date)> {
    if !(1..=MAX_PLAN_DAYS).contains(&days) {
        return Err(Error::invalid_input(format!(
            "upcoming plan window must be 1 to {MAX_PLAN_DAYS} days, got {days}"
        )));
    }
    let last = today
        .checked_add(jiff::Span::new().days(i64::from(days - 1)))
        .map_err(|e| Error::invalid_input(format!("plan window ends out of range: {e}")))?;
    Ok((today, last))
}

/// Today's date in `time_zone` (an IANA name such as `Europe/Berlin`), or in the system's time
/// zone when `None`. Never silently UTC: if the system zone cannot be determined this fails, and
/// UTC is used only when asked for by name. Backends serving athletes should always pass the
/// athlete's zone — a server's system zone is usually UTC.
pub fn local_today(time_zone: Option<&str>) -> Result<Date> {
    let tz = match time_zone {
        Some(name) => TimeZone::get(name.trim())
            .map_err(|e| Error::invalid_input(format!("unknown time zone {name:?}: {e}")))?,
        None => TimeZone::try_system().map_err(|e| {
            Error::invalid_input(format!(
                "cannot determine the system time zone ({e}); pass the athlete's IANA time zone"
            ))
        })?,
    };
    Ok(Timestamp::now().to_zoned(tz).date())
}
