//! What the `uniffi` feature adds to the core, so the Kotlin and Swift bindings (`bindings/`)
//! export the core's models as they are declared here instead of mirroring them:
//! - the scaffolding of the core's own UniFFI component (namespace `enduco`; Kotlin package
//!   `app.enduco.sdk.model`, Swift module `Enduco`; see `core/uniffi.toml`);
//! - how jiff's types cross: an instant as `SystemTime` (Kotlin `Instant`, Swift `Date`), a
//!   calendar date as `YYYY-MM-DD` text (Kotlin `LocalDate`, Swift `String`);
//! - the models' methods whose Rust signatures borrow (`Option<&IntensityZones>`), in the
//!   form foreign code calls them. Each one forwards to the Rust method.
//!
//! Counts stay unsigned, as in Rust: Kotlin sees `UInt`, Swift `UInt32`.
//!
//! The methods here cannot fail, so they have no error type: a record a Swift app builds by
//! hand with a `date` that is not `YYYY-MM-DD` text cannot be read back, and UniFFI treats that
//! as a panic. Dates an app passes to the client itself (`trainingPlans`) are read by
//! `bindings/` and fail as `invalid_input`.

use std::time::SystemTime;

use crate::api::plans::{
    CheckedTimeline, PlannedWorkout, ResolvedTarget, StepTarget, TimelineSegment,
};
use crate::api::zones::{IntensityZones, Metric, Sport, SportZones};
use crate::oauth::Scope;
use crate::token::ClientSecret;

/// A calendar date in the athlete's own time zone.
pub type CalendarDate = jiff::civil::Date;

uniffi::custom_type!(CalendarDate, String, {
    remote,
    lower: |date| date.to_string(),
    try_lift: |text| Ok(crate::api::parse_date(&text)?),
});

/// An instant (UTC).
pub type Timestamp = jiff::Timestamp;

uniffi::custom_type!(Timestamp, SystemTime, {
    remote,
    lower: |time| SystemTime::from(time),
    try_lift: |time| Ok(jiff::Timestamp::try_from(time)?),
});

// The client secret crosses as text; core/uniffi.toml maps it to a Kotlin and a Swift
// `ClientSecret` type of the bindings whose `toString`/`description` never shows the value.
uniffi::custom_type!(ClientSecret, String, {
    lower: |secret| secret.secret().to_owned(),
    try_lift: |text| Ok(ClientSecret::new(text)),
});

#[uniffi::export]
impl PlannedWorkout {
    /// See [`PlannedWorkout::is_rest_day`].
    #[uniffi::method(name = "is_rest_day")]
    pub fn ffi_is_rest_day(&self) -> bool {
        self.is_rest_day()
    }

    /// See [`PlannedWorkout::timeline`].
    #[uniffi::method(name = "timeline")]
    pub fn ffi_timeline(&self, zones: Option<IntensityZones>) -> Vec<TimelineSegment> {
        self.timeline(zones.as_ref())
    }

    /// See [`PlannedWorkout::timeline_checked`].
    #[uniffi::method(name = "timeline_checked")]
    pub fn ffi_timeline_checked(&self, zones: Option<IntensityZones>) -> CheckedTimeline {
        self.timeline_checked(zones.as_ref())
    }
}

#[uniffi::export]
impl IntensityZones {
    /// See [`IntensityZones::for_sport`].
    #[uniffi::method(name = "for_sport")]
    pub fn ffi_for_sport(&self, sport: Sport, metric: Metric) -> Option<SportZones> {
        self.for_sport(sport, metric).cloned()
    }

    /// See [`IntensityZones::resolve`].
    #[uniffi::method(name = "resolve")]
    pub fn ffi_resolve(&self, sport: Sport, target: StepTarget) -> Option<ResolvedTarget> {
        self.resolve(sport, &target)
    }
}

/// The name enduco uses for a scope (`workouts_write`, `plans_read`, `user_read`).
#[uniffi::export]
pub fn scope_name(scope: Scope) -> String {
    scope.as_str().to_owned()
}
