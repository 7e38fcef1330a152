//! Records and enums for the core's data types, and the conversions both ways.
//!
//! Field for field the core's types, with three conversions only:
//! - unsigned integers become signed ones wide enough to hold them (Kotlin's `Int`/`Long` and
//!   Swift's `Int32`/`Int64` are what apps use), `u16` → `i32`, `u32`/`u64` → `i64`;
//! - instants (`jiff::Timestamp`) become `SystemTime` (Kotlin `java.time.Instant`, Swift `Date`);
//! - calendar dates become [`CalendarDate`], text in `YYYY-MM-DD` form (Kotlin `LocalDate`,
//!   Swift `String`), read back with the core's `parse_date`.

use std::time::SystemTime;

use crate::error::{EnducoError, Result, saturating_i64};
use crate::guard;

// ---------------------------------------------------------------------------------------------
// Scalars

/// A calendar date, `YYYY-MM-DD`, in the athlete's own time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarDate(pub jiff::civil::Date);

uniffi::custom_type!(CalendarDate, String, {
    lower: |date| date.0.to_string(),
    try_lift: |text| Ok(guard::sync(|| Ok(CalendarDate(enduco::parse_date(&text)?)))?),
});

fn to_system_time(t: jiff::Timestamp) -> SystemTime {
    SystemTime::from(t)
}

fn from_system_time(t: SystemTime) -> Result<jiff::Timestamp> {
    jiff::Timestamp::try_from(t).map_err(|e| EnducoError::InvalidInput {
        message: format!("instant out of range: {e}"),
    })
}

fn to_u32(field: &str, value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| EnducoError::InvalidInput {
        message: format!("{field} must be between 0 and {}, not {value}", u32::MAX),
    })
}

fn opt_u32(field: &str, value: Option<i64>) -> Result<Option<u32>> {
    value.map(|v| to_u32(field, v)).transpose()
}

// ---------------------------------------------------------------------------------------------
// Enums

/// The permissions an app can ask enduco for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Scope {
    /// Upload finished workouts as FIT files.
    WorkoutsWrite,
    /// Read training plans up to 7 days ahead.
    PlansRead,
    /// Read the user's intensity zones.
    UserRead,
}

impl From<Scope> for enduco::Scope {
    fn from(s: Scope) -> Self {
        match s {
            Scope::WorkoutsWrite => enduco::Scope::WorkoutsWrite,
            Scope::PlansRead => enduco::Scope::PlansRead,
            Scope::UserRead => enduco::Scope::UserRead,
        }
    }
}

impl From<enduco::Scope> for Scope {
    fn from(s: enduco::Scope) -> Self {
        match s {
            enduco::Scope::WorkoutsWrite => Scope::WorkoutsWrite,
            enduco::Scope::PlansRead => Scope::PlansRead,
            enduco::Scope::UserRead => Scope::UserRead,
        }
    }
}

/// The name enduco uses for a scope (`workouts_write`, `plans_read`, `user_read`).
#[uniffi::export]
pub fn scope_name(scope: Scope) -> String {
    enduco::Scope::from(scope).as_str().to_owned()
}

/// Mirrors one of the core's tolerant enums: same variants, `Other` for values the SDK does not
/// know.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version of the SDK does not know (or none at all).
            Other,
        }

        impl From<enduco::$name> for $name {
            fn from(v: enduco::$name) -> Self {
                match v {
                    $(enduco::$name::$variant => $name::$variant,)+
                    enduco::$name::Other => $name::Other,
                }
            }
        }

        impl From<$name> for enduco::$name {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$variant => enduco::$name::$variant,)+
                    $name::Other => enduco::$name::Other,
                }
            }
        }
    };
}

mirror_enum!(
    /// The sport a zone table or a planned workout is for.
    Sport { Cycling, Running, Swimming }
);
mirror_enum!(
    /// What a zone table or a step target measures.
    Metric { Power, HeartRate, Pace, Speed, Cadence, Rpe }
);
mirror_enum!(
    /// What a step is for.
    StepKind { Warmup, Active, Recovery, Cooldown, Rest, Repeat }
);

// ---------------------------------------------------------------------------------------------
// Zones

/// The user's intensity zones per sport and metric.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IntensityZones {
    /// The enduco user these zones belong to.
    pub user_id: String,
    /// When the athlete (or enduco) last changed the zones.
    pub updated_at: Option<SystemTime>,
    /// One entry per sport and metric, e.g. cycling power and running heart rate.
    pub zones: Vec<SportZones>,
}

/// The zones of one sport and metric.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SportZones {
    pub sport: Sport,
    pub metric: Metric,
    /// Unit of `threshold` and of every zone bound, e.g. `"W"`, `"bpm"`, `"s/km"`.
    pub unit: String,
    /// The threshold the zones derive from (FTP, threshold heart rate, threshold pace).
    pub threshold: Option<f64>,
    pub zones: Vec<Zone>,
}

/// One zone of a table.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Zone {
    /// The zone number plans refer to (`target.zone`).
    pub index: i64,
    pub name: Option<String>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

impl From<enduco::IntensityZones> for IntensityZones {
    fn from(z: enduco::IntensityZones) -> Self {
        IntensityZones {
            user_id: z.user_id,
            updated_at: z.updated_at.map(to_system_time),
            zones: z.zones.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<enduco::SportZones> for SportZones {
    fn from(z: enduco::SportZones) -> Self {
        SportZones {
            sport: z.sport.into(),
            metric: z.metric.into(),
            unit: z.unit,
            threshold: z.threshold,
            zones: z.zones.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<enduco::Zone> for Zone {
    fn from(z: enduco::Zone) -> Self {
        Zone {
            index: z.index.into(),
            name: z.name,
            lower: z.lower,
            upper: z.upper,
        }
    }
}

impl TryFrom<IntensityZones> for enduco::IntensityZones {
    type Error = EnducoError;
    fn try_from(z: IntensityZones) -> Result<Self> {
        Ok(enduco::IntensityZones {
            user_id: z.user_id,
            updated_at: z.updated_at.map(from_system_time).transpose()?,
            zones: z
                .zones
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_>>()?,
        })
    }
}

impl TryFrom<SportZones> for enduco::SportZones {
    type Error = EnducoError;
    fn try_from(z: SportZones) -> Result<Self> {
        Ok(enduco::SportZones {
            sport: z.sport.into(),
            metric: z.metric.into(),
            unit: z.unit,
            threshold: z.threshold,
            zones: z
                .zones
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_>>()?,
        })
    }
}

impl TryFrom<Zone> for enduco::Zone {
    type Error = EnducoError;
    fn try_from(z: Zone) -> Result<Self> {
        Ok(enduco::Zone {
            index: to_u32("zone index", z.index)?,
            name: z.name,
            lower: z.lower,
            upper: z.upper,
        })
    }
}

#[uniffi::export]
impl IntensityZones {
    /// The zone table for `sport` and `metric`, if the user has one.
    pub fn for_sport(&self, sport: Sport, metric: Metric) -> Result<Option<SportZones>> {
        guard::sync(|| {
            let zones = enduco::IntensityZones::try_from(self.clone())?;
            Ok(zones
                .for_sport(sport.into(), metric.into())
                .cloned()
                .map(Into::into))
        })
    }

    /// Turns a step target into absolute bounds (e.g. watts for a trainer's ERG mode), as the
    /// core's `IntensityZones::resolve` does; `None` when it cannot be made absolute.
    pub fn resolve(&self, sport: Sport, target: StepTarget) -> Result<Option<ResolvedTarget>> {
        guard::sync(|| {
            let zones = enduco::IntensityZones::try_from(self.clone())?;
            let target = enduco::StepTarget::try_from(target)?;
            Ok(zones.resolve(sport.into(), &target).map(Into::into))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Plans

/// One planned workout on one of the athlete's calendar days.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PlannedWorkout {
    pub id: String,
    /// The athlete's local calendar date.
    pub date: CalendarDate,
    /// The planned start, when the plan has one.
    pub start_time: Option<SystemTime>,
    /// The athlete's IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub sport: Sport,
    pub title: String,
    pub description: Option<String>,
    pub duration_seconds: Option<i64>,
    pub distance_meters: Option<f64>,
    /// Training load (TSS-like), when enduco gives one.
    pub load: Option<f64>,
    /// The structured steps; empty for a rest day or an unstructured workout.
    pub steps: Vec<Step>,
}

/// One step of a planned workout.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Step {
    pub kind: StepKind,
    pub duration_seconds: Option<i64>,
    pub distance_meters: Option<f64>,
    pub target: Option<StepTarget>,
    pub repeat: Option<Repeat>,
}

/// `count` times the nested `steps`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Repeat {
    pub count: i64,
    pub steps: Vec<Step>,
}

/// A step's intensity: a zone of the user's table for this sport and metric, or explicit bounds.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StepTarget {
    pub metric: Metric,
    pub zone: Option<i64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// Unit of `lower`/`upper`; a percentage unit (`%`, `%ftp`, …) is relative to the threshold.
    pub unit: Option<String>,
}

/// A target as absolute bounds, ready for a device (e.g. watts for a trainer's ERG mode).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ResolvedTarget {
    pub metric: Metric,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub unit: String,
}

/// One step of the flattened workout, as a device or a UI would play it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TimelineSegment {
    /// Position in the timeline, from 0.
    pub index: i64,
    pub kind: StepKind,
    /// Seconds from the workout's start; `None` once an earlier step had no duration.
    pub start_offset_seconds: Option<i64>,
    pub duration_seconds: Option<i64>,
    pub distance_meters: Option<f64>,
    pub target: Option<StepTarget>,
    /// The target as absolute bounds, when it could be resolved.
    pub resolved: Option<ResolvedTarget>,
}

/// What `PlannedWorkout.timelineChecked` returns.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CheckedTimeline {
    /// The flat list of steps, as `timeline` returns it.
    pub segments: Vec<TimelineSegment>,
    /// The plan expands to more than the SDK plays: `segments` is only its beginning.
    pub truncated: bool,
}

impl From<enduco::PlannedWorkout> for PlannedWorkout {
    fn from(p: enduco::PlannedWorkout) -> Self {
        PlannedWorkout {
            id: p.id,
            date: CalendarDate(p.date),
            start_time: p.start_time.map(to_system_time),
            time_zone: p.time_zone,
            sport: p.sport.into(),
            title: p.title,
            description: p.description,
            duration_seconds: p.duration_seconds.map(Into::into),
            distance_meters: p.distance_meters,
            load: p.load,
            steps: p.steps.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<enduco::Step> for Step {
    fn from(s: enduco::Step) -> Self {
        Step {
            kind: s.kind.into(),
            duration_seconds: s.duration_seconds.map(Into::into),
            distance_meters: s.distance_meters,
            target: s.target.map(Into::into),
            repeat: s.repeat.map(|r| Repeat {
                count: r.count.into(),
                steps: r.steps.into_iter().map(Into::into).collect(),
            }),
        }
    }
}

impl From<enduco::StepTarget> for StepTarget {
    fn from(t: enduco::StepTarget) -> Self {
        StepTarget {
            metric: t.metric.into(),
            zone: t.zone.map(Into::into),
            lower: t.lower,
            upper: t.upper,
            unit: t.unit,
        }
    }
}

impl From<enduco::ResolvedTarget> for ResolvedTarget {
    fn from(t: enduco::ResolvedTarget) -> Self {
        ResolvedTarget {
            metric: t.metric.into(),
            lower: t.lower,
            upper: t.upper,
            unit: t.unit,
        }
    }
}

impl From<enduco::TimelineSegment> for TimelineSegment {
    fn from(s: enduco::TimelineSegment) -> Self {
        TimelineSegment {
            index: s.index.into(),
            kind: s.kind.into(),
            start_offset_seconds: s.start_offset_seconds.map(Into::into),
            duration_seconds: s.duration_seconds.map(Into::into),
            distance_meters: s.distance_meters,
            target: s.target.map(Into::into),
            resolved: s.resolved.map(Into::into),
        }
    }
}

impl TryFrom<PlannedWorkout> for enduco::PlannedWorkout {
    type Error = EnducoError;
    fn try_from(p: PlannedWorkout) -> Result<Self> {
        Ok(enduco::PlannedWorkout {
            id: p.id,
            date: p.date.0,
            start_time: p.start_time.map(from_system_time).transpose()?,
            time_zone: p.time_zone,
            sport: p.sport.into(),
            title: p.title,
            description: p.description,
            duration_seconds: opt_u32("duration_seconds", p.duration_seconds)?,
            distance_meters: p.distance_meters,
            load: p.load,
            steps: p
                .steps
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_>>()?,
        })
    }
}

impl TryFrom<Step> for enduco::Step {
    type Error = EnducoError;
    fn try_from(s: Step) -> Result<Self> {
        Ok(enduco::Step {
            kind: s.kind.into(),
            duration_seconds: opt_u32("duration_seconds", s.duration_seconds)?,
            distance_meters: s.distance_meters,
            target: s.target.map(TryInto::try_into).transpose()?,
            repeat: s
                .repeat
                .map(|r| -> Result<enduco::Repeat> {
                    Ok(enduco::Repeat {
                        count: to_u32("repeat count", r.count)?,
                        steps: r
                            .steps
                            .into_iter()
                            .map(TryInto::try_into)
                            .collect::<Result<_>>()?,
                    })
                })
                .transpose()?,
        })
    }
}

impl TryFrom<StepTarget> for enduco::StepTarget {
    type Error = EnducoError;
    fn try_from(t: StepTarget) -> Result<Self> {
        Ok(enduco::StepTarget {
            metric: t.metric.into(),
            zone: opt_u32("zone", t.zone)?,
            lower: t.lower,
            upper: t.upper,
            unit: t.unit,
        })
    }
}

#[uniffi::export]
impl PlannedWorkout {
    /// A rest day: nothing to do (no steps, duration, distance or load).
    pub fn is_rest_day(&self) -> Result<bool> {
        guard::sync(|| Ok(enduco::PlannedWorkout::try_from(self.clone())?.is_rest_day()))
    }

    /// The workout as a flat list of steps: repeats expanded, zone targets resolved to absolute
    /// bounds with `zones` (the user's zones; explicit bounds need none).
    ///
    /// The work is bounded whatever a (hostile or broken) plan says: it stops after 10,000
    /// segments or 200,000 steps visited. `timelineChecked` also tells whether it stopped
    /// early.
    pub fn timeline(&self, zones: Option<IntensityZones>) -> Result<Vec<TimelineSegment>> {
        guard::sync(|| Ok(self.timeline_checked(zones)?.segments))
    }

    /// `timeline`, and whether it was truncated: `truncated = true` means the plan expands to
    /// more than the SDK plays (10,000 segments, or 200,000 steps visited, e.g. a repeat of
    /// thousands of empty repeats). Show the segments with a note, or treat the plan as broken.
    pub fn timeline_checked(&self, zones: Option<IntensityZones>) -> Result<CheckedTimeline> {
        guard::sync(|| {
            let plan = enduco::PlannedWorkout::try_from(self.clone())?;
            let zones = zones.map(enduco::IntensityZones::try_from).transpose()?;
            let (segments, truncated) = plan.timeline_checked(zones.as_ref());
            Ok(CheckedTimeline {
                segments: segments.into_iter().map(Into::into).collect(),
                truncated,
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Upload, raw requests, webhooks

/// enduco's answer to an upload.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UploadResult {
    /// enduco's id of the workout (the earlier one for a duplicate).
    pub id: String,
    /// enduco's processing status, e.g. `processing`; `duplicate` for a repeat.
    pub status: String,
    /// The same file was uploaded before (enduco answered 409). Not an error.
    pub duplicate: bool,
}

impl From<enduco::UploadResult> for UploadResult {
    fn from(r: enduco::UploadResult) -> Self {
        UploadResult {
            id: r.id,
            status: r.status,
            duplicate: r.duplicate,
        }
    }
}

/// A successful answer to `Session.request`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RawResponse {
    pub status: i32,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl From<enduco::RawResponse> for RawResponse {
    fn from(r: enduco::RawResponse) -> Self {
        RawResponse {
            status: r.status.into(),
            content_type: r.content_type,
            body: r.body,
        }
    }
}

/// One query parameter of `Session.request`, in order; names may repeat.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueryParam {
    pub name: String,
    pub value: String,
}

/// A parsed webhook. Parsing never fails: what the SDK cannot read is `Unknown`.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum WebhookEvent {
    /// The user revoked the app's access on enduco's side; their tokens no longer work. Clear
    /// the user's token store and stop syncing.
    UserDeregistered {
        user_id: String,
        occurred_at: Option<SystemTime>,
    },
    /// The user's plan changed, between `from` and `to` (local dates, inclusive) when given.
    /// Re-fetch the plans for that window, or the next 7 days.
    PlanChanged {
        user_id: String,
        from: Option<CalendarDate>,
        to: Option<CalendarDate>,
        occurred_at: Option<SystemTime>,
    },
    /// Anything the SDK could not read; `raw` is the body. Log it; answer the webhook with 2xx.
    Unknown { raw: String },
}

impl From<enduco::WebhookEvent> for WebhookEvent {
    fn from(e: enduco::WebhookEvent) -> Self {
        match e {
            enduco::WebhookEvent::UserDeregistered {
                user_id,
                occurred_at,
            } => WebhookEvent::UserDeregistered {
                user_id,
                occurred_at: occurred_at.map(to_system_time),
            },
            enduco::WebhookEvent::PlanChanged {
                user_id,
                from,
                to,
                occurred_at,
            } => WebhookEvent::PlanChanged {
                user_id,
                from: from.map(CalendarDate),
                to: to.map(CalendarDate),
                occurred_at: occurred_at.map(to_system_time),
            },
            enduco::WebhookEvent::Unknown { raw } => WebhookEvent::Unknown { raw },
        }
    }
}

/// Reads a webhook body enduco POSTed to the app (same as `EnducoClient.parseWebhook`, usable
/// without a client, e.g. in a backend's webhook handler).
#[uniffi::export]
pub fn parse_webhook(body: Vec<u8>) -> WebhookEvent {
    parse_webhook_with(body, enduco::parse_webhook)
}

/// Parses a webhook through the panic guard. Parsing has no error to give (bodies come from
/// anyone, and what the SDK cannot read is `Unknown`), so a panic also becomes `Unknown`.
pub(crate) fn parse_webhook_with(
    body: Vec<u8>,
    parse: impl FnOnce(&[u8]) -> enduco::WebhookEvent,
) -> WebhookEvent {
    guard::sync(|| Ok(parse(&body).into())).unwrap_or_else(|_| WebhookEvent::Unknown {
        raw: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The FIT pre-flight the SDK runs before an upload (header, signature, sizes, CRCs, activity
/// type): `invalid_input` naming the defect, or the file's size in bytes.
#[uniffi::export]
pub fn check_fit(bytes: Vec<u8>) -> Result<i64> {
    guard::sync(|| Ok(saturating_i64(enduco::check_fit(&bytes)?.file_size)))
}
