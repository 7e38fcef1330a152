//! The OAuth 2.0 authorization server: authorize (consent page or auto-approve), token
//! (authorization code, both spellings, and refresh), revoke, JWKS, metadata.

mod authorize;
pub(crate) mod jwt;
pub(crate) mod token;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::json;

use crate::config::SCOPES;
use crate::state::AppState;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/oauth2/authorize", get(authorize::authorize))
        .route("/oauth2/authorize/decision", post(authorize::decision))
        .route("/oauth2/token", post(token::token))
        .route("/oauth2/revoke", post(token::revoke))
        .route("/oauth2/jwks", get(jwks))
        .route("/.well-known/oauth-authorization-server", get(metadata))
}

async fn jwks() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], jwt::JWKS)
}

/// RFC 8414 metadata, as Spring Authorization Server publishes it (not in enduco's document,
/// but harmless and handy for generic clients).
async fn metadata(State(app): State<Arc<AppState>>) -> impl IntoResponse {
    let base = &app.base_url;
    axum::Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "jwks_uri": format!("{base}/oauth2/jwks"),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic"],
    }))
}
