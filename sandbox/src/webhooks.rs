//! Outgoing webhooks, driven by the control API: the sandbox plays enduco calling the
//! provider's "deregister" and "plan changed" URLs.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::state::AppState;
use crate::util::{bad_request, parse_json};

/// `POST /_sandbox/webhooks/config {"deregisterUrl"?, "planChangedUrl"?}`: a string sets a
/// URL, `null` clears it, an absent key leaves it as it was.
pub(crate) async fn configure(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let fields: Map<String, Value> = match parse_json(&body) {
        Ok(f) => f,
        Err(response) => return response,
    };
    let mut deregister = None;
    let mut plan_changed = None;
    for (key, value) in fields {
        let url = match value {
            Value::Null => None,
            Value::String(s) if is_http_url(&s) => Some(s),
            other => {
                return bad_request(&format!(
                    "{key} must be an http(s) URL or null, got {other}."
                ));
            }
        };
        match key.as_str() {
            "deregisterUrl" => deregister = Some(url),
            "planChangedUrl" => plan_changed = Some(url),
            _ => {
                return bad_request(&format!(
                    "Unknown field {key:?}; expected deregisterUrl or planChangedUrl."
                ));
            }
        }
    }
    let mut inner = app.lock();
    if let Some(url) = deregister {
        inner.webhooks.deregister_url = url;
    }
    if let Some(url) = plan_changed {
        inner.webhooks.plan_changed_url = url;
    }
    Json(inner.webhooks.clone()).into_response()
}

fn is_http_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SendRequest {
    #[serde(rename = "type")]
    kind: String,
    user_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The payload enduco is assumed to send (docs/data-contract.md).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    user_id: &'a str,
    occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
}

/// `POST /_sandbox/webhooks/send {"type", "userId"?, "from"?, "to"?}` delivers one event and
/// answers `{"delivered", "status"}` (`status` null and an `error` when nothing answered).
/// `user.deregistered` first revokes every grant of the user, as enduco would.
pub(crate) async fn send(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let request: SendRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    for (name, value) in [("from", &request.from), ("to", &request.to)] {
        if let Some(v) = value
            && v.parse::<Date>().is_err()
        {
            return bad_request(&format!("{name} must be a date as YYYY-MM-DD."));
        }
    }
    let user = request
        .user_id
        .clone()
        .unwrap_or_else(|| app.config.default_user.clone());

    let url = {
        let mut inner = app.lock();
        let url = match request.kind.as_str() {
            "user.deregistered" => inner.webhooks.deregister_url.clone(),
            "plan.changed" => inner.webhooks.plan_changed_url.clone(),
            other => {
                return bad_request(&format!(
                    "Unknown type {other:?}; expected user.deregistered or plan.changed."
                ));
            }
        };
        let Some(url) = url else {
            return bad_request(&format!(
                "No URL configured for {}; POST /_sandbox/webhooks/config first.",
                request.kind
            ));
        };
        if request.kind == "user.deregistered" {
            inner.revoke_user(&user);
        }
        url
    };

    let event = Event {
        kind: &request.kind,
        user_id: &user,
        occurred_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        from: request.from.as_deref(),
        to: request.to.as_deref(),
    };
    match app.http.post(&url).json(&event).send().await {
        Ok(response) => {
            let status = response.status();
            Json(json!({"delivered": status.is_success(), "status": status.as_u16()}))
                .into_response()
        }
        Err(e) => Json(json!({"delivered": false, "status": null, "error": e.to_string()}))
            .into_response(),
    }
}
