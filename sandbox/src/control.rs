//! The control API under `/_sandbox/`, for tests in every language. JSON in and out, loopback
//! peers only, never logged and never faulted.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::config::{GrantTypes, RefreshReuse, SCOPES};
use crate::faults::Fault;
use crate::net::Peer;
use crate::state::AppState;
use crate::util::{Params, bad_request, json_error, parse_json};
use crate::webhooks;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/expire-access-tokens", post(expire_access_tokens))
        .route("/rotation", post(set_rotation))
        .route("/auto-approve", post(set_auto_approve))
        .route("/grant-types", post(set_grant_types))
        .route("/refresh-reuse", post(set_refresh_reuse))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/reset", post(reset))
        .route("/webhooks/config", post(webhooks::configure))
        .route("/webhooks/send", post(webhooks::send))
        .fallback(|| async {
            json_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "No such control endpoint.",
            )
        })
        .layer(axum::middleware::from_fn(control_request))
}

/// The most of a control request's body read (they are small JSON objects).
const MAX_CONTROL_BODY: usize = 1 << 20;

/// Loopback peers only (the sandbox binds 127.0.0.1, so this is belt and braces should that
/// ever change), and every request read whole before it is answered, as a real server does.
/// A handler that ignores its body (`reset` takes `{}`) would otherwise answer before a
/// client that writes headers and body separately (Java's HttpClient) has sent the body; hyper
/// then closes the connection after the answer, and the client's next request on that kept
/// alive connection fails with no answer at all.
async fn control_request(
    ConnectInfo(peer): ConnectInfo<Peer>,
    request: Request,
    next: Next,
) -> Response {
    if !peer.is_loopback() {
        return json_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "The control API answers loopback clients only.",
        );
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_CONTROL_BODY).await {
        Ok(bytes) => next.run(Request::from_parts(parts, bytes.into())).await,
        Err(e) => bad_request(&format!("unreadable control request body: {e}")),
    }
}

async fn add_fault(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let fault: Fault = match parse_json(&body) {
        Ok(f) => f,
        Err(response) => return response,
    };
    if let Err(description) = fault.validate() {
        return bad_request(&description);
    }
    app.lock().faults.push_back(fault.clone());
    Json(fault).into_response()
}

async fn list_faults(State(app): State<Arc<AppState>>) -> Response {
    let faults: Vec<Fault> = app.lock().faults.iter().cloned().collect();
    Json(faults).into_response()
}

async fn clear_faults(State(app): State<Arc<AppState>>) -> Response {
    app.lock().faults.clear();
    Json(json!({"cleared": true})).into_response()
}

/// Every access token issued so far becomes expired; new ones are unaffected.
async fn expire_access_tokens(State(app): State<Arc<AppState>>) -> Response {
    let mut inner = app.lock();
    for token in inner.access_tokens.values_mut() {
        token.expires_at = UNIX_EPOCH;
    }
    Json(json!({"expired": inner.access_tokens.len()})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Enabled {
    enabled: bool,
}

async fn set_rotation(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    match parse_json::<Enabled>(&body) {
        Ok(Enabled { enabled }) => {
            app.lock().rotation = enabled;
            Json(json!({"enabled": enabled})).into_response()
        }
        Err(response) => response,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoApprove {
    enabled: bool,
    /// Space-delimited: auto-approve grants only these of the requested scopes, as a user
    /// unticking the others on the consent page would. Absent or null: all requested.
    #[serde(default)]
    scope: Option<String>,
}

async fn set_auto_approve(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let AutoApprove { enabled, scope } = match parse_json::<AutoApprove>(&body) {
        Ok(a) => a,
        Err(response) => return response,
    };
    let scopes = match scope {
        None => None,
        Some(scope) => {
            let mut scopes: Vec<String> = Vec::new();
            for s in scope.split(' ').filter(|s| !s.is_empty()) {
                if !SCOPES.contains(&s) {
                    return bad_request(&format!(
                        "Unknown scope {s:?}; allowed: {}.",
                        SCOPES.join(" ")
                    ));
                }
                if !scopes.iter().any(|x| x == s) {
                    scopes.push(s.to_owned());
                }
            }
            if scopes.is_empty() {
                return bad_request("scope must name at least one scope (or be null).");
            }
            Some(scopes)
        }
    };
    let mut inner = app.lock();
    inner.auto_approve = enabled;
    inner.approve_scopes = scopes.clone();
    Json(json!({"enabled": enabled, "scope": scopes.map(|s| s.join(" "))})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ReusePolicy {
    policy: RefreshReuse,
    /// Changes the overlap window too, when given.
    #[serde(default)]
    overlap_ms: Option<u64>,
}

async fn set_refresh_reuse(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let ReusePolicy { policy, overlap_ms } = match parse_json::<ReusePolicy>(&body) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let mut inner = app.lock();
    inner.refresh_reuse = policy;
    if let Some(ms) = overlap_ms {
        inner.refresh_overlap = Duration::from_millis(ms);
    }
    let overlap_ms = u64::try_from(inner.refresh_overlap.as_millis()).unwrap_or(u64::MAX);
    Json(json!({"policy": policy, "overlapMs": overlap_ms})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Accept {
    accept: GrantTypes,
}

async fn set_grant_types(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    match parse_json::<Accept>(&body) {
        Ok(Accept { accept }) => {
            app.lock().grant_types = accept;
            Json(json!({"accept": accept})).into_response()
        }
        Err(response) => response,
    }
}

/// The request log in arrival order; `?path=/oauth2/token` keeps only that path's entries.
async fn requests(State(app): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let path = params.get("path");
    let log: Vec<_> = app
        .lock()
        .log
        .iter()
        .filter(|e| path.is_none_or(|p| e.path == p))
        .cloned()
        .collect();
    Json(log).into_response()
}

async fn clear_requests(State(app): State<Arc<AppState>>) -> Response {
    app.lock().log.clear();
    Json(json!({"cleared": true})).into_response()
}

async fn reset(State(app): State<Arc<AppState>>) -> Response {
    app.reset();
    Json(json!({"reset": true})).into_response()
}
