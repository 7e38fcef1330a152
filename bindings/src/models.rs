//! The models are the core's own types: with its `uniffi` feature the core derives their
//! records and enums (and exports their methods) as its own UniFFI component, which
//! `bindings/generate` emits next to this crate's (Kotlin package `app.enduco.sdk.model`; Swift
//! module `Enduco`). What stays here is what only this boundary has: the query parameters of
//! `Session.request`, and the functions whose errors or panics need this crate's `guard`.

pub use enduco::{
    CheckedTimeline, ExportFormat, IntensityZones, Metric, PlannedWorkout, RawResponse, Repeat,
    ResolvedTarget, Scope, Sport, SportZones, Step, StepKind, StepTarget, TimelineSegment,
    UploadResult, WebhookEvent, Zone,
};

use crate::error::{Result, saturating_i64};

/// A date an app passes in (`Session.trainingPlans`): `YYYY-MM-DD` text like the core's
/// `CalendarDate`, its own type so that text which is not a date fails as this component's
/// `invalid_input` (a lifting error can only be the called function's own error type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanDate(pub jiff::civil::Date);

uniffi::custom_type!(PlanDate, String, {
    lower: |date| date.0.to_string(),
    try_lift: |text| Ok(guard::sync(|| Ok(PlanDate(enduco::parse_date(&text)?)))?),
});
use crate::guard;

/// One query parameter of `Session.request`, in order; names may repeat.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueryParam {
    pub name: String,
    pub value: String,
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
    parse: impl FnOnce(&[u8]) -> WebhookEvent,
) -> WebhookEvent {
    guard::sync(|| Ok(parse(&body))).unwrap_or_else(|_| WebhookEvent::Unknown {
        raw: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The FIT pre-flight the SDK runs before an upload (header, signature, sizes, CRCs, activity
/// type): `invalid_input` naming the defect, or the file's size in bytes.
#[uniffi::export]
pub fn check_fit(bytes: Vec<u8>) -> Result<i64> {
    guard::sync(|| Ok(saturating_i64(enduco::check_fit(&bytes)?.file_size)))
}

/// `plan` as a file of `format` for a trainer or head unit (the core's `PlannedWorkout::export`):
/// zone targets resolved with `zones`; a step the format cannot hold fails with `invalid_input`
/// naming it. Kotlin and Swift call it as `plan.toFitWorkout(zones)`, `toZwo`, `toErg`, `toMrc`.
#[uniffi::export]
pub fn export_plan(
    plan: PlannedWorkout,
    format: ExportFormat,
    zones: Option<IntensityZones>,
) -> Result<Vec<u8>> {
    guard::sync(|| Ok(plan.export(format, zones.as_ref())?))
}
