//! The data endpoints of docs/data-contract.md, behind bearer-token and scope checks.

mod athlete;
mod plans;
mod workouts;
mod zones;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::state::AppState;

/// Uploads up to this size are accepted (axum's default limit is 2 MB).
pub(crate) const MAX_UPLOAD_BYTES: usize = 512 * 1024 * 1024;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/zones", get(zones::zones))
        .route("/api/v1/plans", get(plans::plans))
        .route(
            "/api/v1/workouts",
            post(workouts::upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
}

/// Who is calling, once the bearer token checked out.
pub(crate) struct Caller {
    pub user: String,
}

/// Looks the bearer token up in the sandbox's own table of issued tokens (no signature check
/// needed: only tokens this sandbox issued are in it) and checks expiry, revocation and scope.
pub(crate) fn authenticate(
    app: &AppState,
    headers: &HeaderMap,
    scope: &str,
) -> Result<Caller, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    let Some(token) = token else {
        return Err(invalid_token("The request has no bearer token."));
    };
    let inner = app.lock();
    let Some(access) = inner.access_tokens.get(token) else {
        return Err(invalid_token("Unknown access token."));
    };
    let grant_revoked = inner.grants.get(&access.grant).is_none_or(|g| g.revoked);
    if access.revoked || grant_revoked {
        return Err(invalid_token("The access token was revoked."));
    }
    if SystemTime::now() >= access.expires_at {
        return Err(invalid_token("The access token has expired."));
    }
    if !access.scopes.iter().any(|s| s == scope) {
        return Err(insufficient_scope(scope));
    }
    Ok(Caller {
        user: access.user.clone(),
    })
}

fn invalid_token(description: &str) -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid_token", "error_description": description})),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

fn insufficient_scope(scope: &str) -> Response {
    let description = format!("This call needs the {scope} scope.");
    let mut response = (
        StatusCode::FORBIDDEN,
        Json(json!({"error": "insufficient_scope", "error_description": description, "scope": scope})),
    )
        .into_response();
    // Scopes are fixed identifiers (no quotes or backslashes), so this is a valid header.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
    )) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}
