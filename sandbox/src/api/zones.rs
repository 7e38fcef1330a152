//! `GET /api/v1/zones` (scope `user_read`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::athlete::{Athlete, ZoneSet};
use crate::state::AppState;

/// Zones do not change in the sandbox; a fixed timestamp keeps responses reproducible.
const UPDATED_AT: &str = "2025-01-06T07:00:00Z";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ZonesResponse {
    user_id: String,
    updated_at: &'static str,
    zones: Vec<ZoneSet>,
}

pub(crate) async fn zones(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let caller = match super::authenticate(&app, &headers, "user_read") {
        Ok(c) => c,
        Err(response) => return response,
    };
    let athlete = Athlete::of(&caller.user, &app.config.default_user);
    Json(ZonesResponse {
        user_id: caller.user,
        updated_at: UPDATED_AT,
        zones: athlete.all_zones(),
    })
    .into_response()
}
