//! enduco's webhooks: "user deregistered" (the user cancelled access on enduco's side) and
//! "plan changed".
//!
//! enduco has not published the payload, so the assumed shape (docs/data-contract.md) is read leniently and
//! parsing never fails: a webhook handler must always be able to answer 2xx, and an event it
//! cannot read is handed back as [`WebhookEvent::Unknown`] with the raw body for logging.
//!
//! Webhooks are not authenticated by enduco's documentation: anyone who learns the URL can
//! POST to it. Treat an event as a hint (re-fetch plans), and act on a deregistration only
//! once enduco confirms it ([`crate::EnducoClient::clear_deregistered_user`]). Use an
//! unguessable webhook path as defence in depth.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::{Map, Value};

/// A parsed webhook. Serializes back to the wire shape (`{"type": "plan.changed", …}`).
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum WebhookEvent {
    /// The user revoked the app's access on enduco's side; their tokens no longer work. Clear
    /// the user's token store and stop syncing.
    #[serde(rename = "user.deregistered")]
    UserDeregistered {
        user_id: String,
        occurred_at: Option<Timestamp>,
    },
    /// The user's plan changed, between `from` and `to` (local dates, inclusive) when given.
    /// Re-fetch the plans for that window, or the next 7 days.
    #[serde(rename = "plan.changed")]
    PlanChanged {
        user_id: String,
        from: Option<Date>,
        to: Option<Date>,
        occurred_at: Option<Timestamp>,
    },
    /// Anything the SDK could not read: bad JSON, an unknown type, no user id. `raw` is the
    /// body (invalid UTF-8 replaced). Log it; answer the webhook with 2xx anyway.
    #[serde(rename = "unknown")]
    Unknown { raw: String },
}

impl WebhookEvent {
    /// The enduco user the event is about (`None` for [`WebhookEvent::Unknown`]).
    pub fn user_id(&self) -> Option<&str> {
        match self {
            WebhookEvent::UserDeregistered { user_id, .. }
            | WebhookEvent::PlanChanged { user_id, .. } => Some(user_id),
            WebhookEvent::Unknown { .. } => None,
        }
    }

    /// When enduco says the event happened, if it said (`None` for [`WebhookEvent::Unknown`]).
    pub fn occurred_at(&self) -> Option<Timestamp> {
        match self {
            WebhookEvent::UserDeregistered { occurred_at, .. }
            | WebhookEvent::PlanChanged { occurred_at, .. } => *occurred_at,
            WebhookEvent::Unknown { .. } => None,
        }
    }

    /// The window of a [`WebhookEvent::PlanChanged`], `(from, to)`, each when enduco gave it.
    pub fn changed_dates(&self) -> (Option<Date>, Option<Date>) {
        match self {
            WebhookEvent::PlanChanged { from, to, .. } => (*from, *to),
            _ => (None, None),
        }
    }
}

/// Reads a webhook body. Never fails: whatever is not a recognizable event becomes
/// [`WebhookEvent::Unknown`].
///
/// Accepted spellings: `type` or `event`; `userId` or `user_id` (a string or a number);
/// `occurredAt` or `occurred_at`. Event names compare case-insensitively with `_`/`-` read as
/// `.` (`plan_changed`, `PLAN.CHANGED`), and `deregister`/`deregistered` alone are accepted.
/// A malformed optional field (`occurredAt`, `from`, `to`) is dropped, not fatal.
pub fn parse_webhook(body: &[u8]) -> WebhookEvent {
    parse(body).unwrap_or_else(|| WebhookEvent::Unknown {
        raw: String::from_utf8_lossy(body).into_owned(),
    })
}

fn parse(body: &[u8]) -> Option<WebhookEvent> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    let kind = string_field(obj, &["type", "event"])?;
    let user_id = user_id(obj)?;
    let occurred_at = string_field(obj, &["occurredAt", "occurred_at"])
        .and_then(|s| s.trim().parse::<Timestamp>().ok());
    let date = |keys: &[&str]| string_field(obj, keys).and_then(|s| s.trim().parse::<Date>().ok());

    let kind: String = kind
        .trim()
        .chars()
        .map(|c| match c {
            '_' | '-' => '.',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    match kind.as_str() {
        "user.deregistered" | "user.deregister" | "deregistered" | "deregister" => {
            Some(WebhookEvent::UserDeregistered {
                user_id,
                occurred_at,
            })
        }
        "plan.changed" | "plans.changed" => Some(WebhookEvent::PlanChanged {
            user_id,
            from: date(&["from"]),
            to: date(&["to"]),
            occurred_at,
        }),
        _ => None,
    }
}

fn string_field<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| obj.get(*k)?.as_str())
}

/// A non-empty user id, sent as a string or a whole number.
fn user_id(obj: &Map<String, Value>) -> Option<String> {
    ["userId", "user_id"]
        .iter()
        .find_map(|k| match obj.get(*k)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
            _ => None,
        })
}
