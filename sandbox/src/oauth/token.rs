//! `POST /oauth2/token` and `POST /oauth2/revoke`.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig, general_purpose};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::authorize::is_pkce_value;
use super::jwt::Claims;
use crate::config::RefreshReuse;
use crate::state::{AccessToken, AppState, Grant, Inner, RefreshToken, random_token};
use crate::util::{Params, form_decode, is_form};

/// Standard base64 that accepts the credentials with or without `=` padding.
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// An RFC 6749 §5.2 error response.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"enduco\""),
        );
    }
    response
}

fn invalid_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn invalid_client(description: &str) -> Response {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description)
}

/// `client_secret_basic` only (RFC 6749 §2.3.1): base64 of `urlencode(id):urlencode(secret)`.
/// enduco's document shows the pair without base64; that form is refused here as Spring
/// Authorization Server refuses it.
pub(crate) fn authenticate_client(app: &AppState, headers: &HeaderMap) -> Result<String, Response> {
    const HOW: &str = "Send Authorization: Basic base64(urlencode(client_id):urlencode(client_secret)) (RFC 6749 §2.3.1).";
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(invalid_client(&format!(
            "Client authentication is missing. {HOW}"
        )));
    };
    let credentials = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, encoded)| BASIC.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|text| {
            let (id, secret) = text.split_once(':')?;
            Some((form_decode(id)?, form_decode(secret)?))
        });
    let Some((id, secret)) = credentials else {
        return Err(invalid_client(&format!(
            "Malformed client authentication. {HOW}"
        )));
    };
    // The secret is compared in constant time (subtle); only its length may show.
    let secret_ok: bool = secret
        .as_bytes()
        .ct_eq(app.config.client_secret.as_bytes())
        .into();
    if id != app.config.client_id || !secret_ok {
        return Err(invalid_client("Unknown client or wrong client secret."));
    }
    Ok(id)
}

fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<Params, Response> {
    if !is_form(headers) {
        return Err(invalid_request(
            "The body must be application/x-www-form-urlencoded.",
        ));
    }
    let params = Params::parse(body);
    const SINGLE: [&str; 8] = [
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "scope",
        "token",
        "token_type_hint",
    ];
    if let Some(name) = params.duplicated(&SINGLE) {
        return Err(invalid_request(&format!(
            "The parameter {name} appears more than once."
        )));
    }
    Ok(params)
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: String,
    scope: String,
    token_type: &'static str,
    expires_in: u64,
}

pub(crate) async fn token(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let client_id = match authenticate_client(&app, &headers) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let params = match parse_form(&headers, &body) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let result = match params.get("grant_type") {
        None => Err(invalid_request("grant_type is missing.")),
        Some(g @ ("authorization_code" | "code")) => {
            if app.lock().grant_types.accepts(g) {
                exchange_code(&app, &client_id, &params)
            } else {
                Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    &format!("grant_type {g:?} is not accepted by this server."),
                ))
            }
        }
        Some("refresh_token") => refresh(&app, &client_id, &params),
        Some(other) => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {other:?} is not supported."),
        )),
    };
    match result {
        Ok(tokens) => (
            StatusCode::OK,
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            Json(tokens),
        )
            .into_response(),
        Err(response) => response,
    }
}

fn exchange_code(
    app: &AppState,
    client_id: &str,
    params: &Params,
) -> Result<TokenResponse, Response> {
    let Some(code) = params.get("code") else {
        return Err(invalid_request("code is missing."));
    };
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return Err(invalid_request(
            "redirect_uri is missing; it must repeat the one sent to /oauth2/authorize.",
        ));
    };
    let verifier = params.get("code_verifier");

    let mut inner = app.lock();
    let Some(auth) = inner.codes.get_mut(code) else {
        return Err(invalid_grant("Unknown authorization code."));
    };
    if auth.used {
        // Spring Authorization Server (and RFC 6749 §4.1.2): a replayed code revokes the
        // tokens issued for it.
        if let Some(grant) = auth.grant {
            inner.revoke_grant(grant);
        }
        return Err(invalid_grant(
            "The authorization code was already used; the tokens issued for it are revoked.",
        ));
    }
    if auth.client_id != client_id {
        // Another client presenting the code burns it (Spring Authorization Server does too).
        auth.used = true;
        return Err(invalid_grant(
            "The authorization code was issued to another client.",
        ));
    }
    if Instant::now() >= auth.expires_at {
        return Err(invalid_grant("The authorization code has expired."));
    }
    if auth.redirect_uri != redirect_uri {
        return Err(invalid_grant(
            "redirect_uri differs from the one sent to /oauth2/authorize.",
        ));
    }
    match (&auth.challenge, verifier) {
        (None, None) => {}
        (None, Some(_)) => {
            // RFC 9700 §2.1.1: a verifier without a challenge must be refused.
            return Err(invalid_grant(
                "code_verifier sent, but the authorization request had no code_challenge.",
            ));
        }
        (Some(_), None) => return Err(invalid_grant("code_verifier is missing.")),
        (Some(challenge), Some(verifier)) => {
            let valid = (43..=128).contains(&verifier.len()) && is_pkce_value(verifier);
            let computed =
                general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !valid || &computed != challenge {
                return Err(invalid_grant(
                    "code_verifier does not match code_challenge.",
                ));
            }
        }
    }
    auth.used = true;
    let user = auth.user.clone();
    let scopes = auth.scopes.clone();

    let grant_id = inner.next_id();
    if let Some(auth) = inner.codes.get_mut(code) {
        auth.grant = Some(grant_id);
    }
    inner.grants.insert(
        grant_id,
        Grant {
            client_id: client_id.to_owned(),
            user: user.clone(),
            scopes: scopes.clone(),
            revoked: false,
        },
    );
    let refresh_token = new_refresh_token(app, &mut inner, grant_id);
    issue(app, &mut inner, grant_id, &user, scopes, refresh_token)
}

/// Records a new refresh token for `grant`, with the full lifetime. Any other current token
/// of the grant is superseded: only the pair issued last stays valid.
fn new_refresh_token(app: &AppState, inner: &mut Inner, grant: u64) -> String {
    for token in inner.refresh_tokens.values_mut() {
        if token.grant == grant && token.is_current() {
            token.revoked = true;
        }
    }
    let value = random_token(48);
    inner.refresh_tokens.insert(
        value.clone(),
        RefreshToken {
            grant,
            expires_at: Instant::now() + app.config.refresh_token_lifetime,
            rotated_at: None,
            revoked: false,
        },
    );
    value
}

fn refresh(app: &AppState, client_id: &str, params: &Params) -> Result<TokenResponse, Response> {
    let Some(token) = params.get("refresh_token") else {
        return Err(invalid_request("refresh_token is missing."));
    };
    // enduco documents an extra clientId field on refresh; when sent it must name the client.
    if let Some(claimed) = params.get("clientId")
        && claimed != client_id
    {
        return Err(invalid_request(
            "clientId does not match the authenticated client.",
        ));
    }

    let mut inner = app.lock();
    let now = Instant::now();
    let Some(refresh) = inner.refresh_tokens.get(token) else {
        return Err(invalid_grant("Unknown refresh token."));
    };
    let grant_id = refresh.grant;
    let rotated_at = refresh.rotated_at;
    let (token_revoked, expires_at) = (refresh.revoked, refresh.expires_at);
    let Some(grant) = inner.grants.get(&grant_id) else {
        return Err(invalid_grant("Unknown refresh token."));
    };
    if grant.client_id != client_id {
        return Err(invalid_grant(
            "The refresh token was issued to another client.",
        ));
    }
    if grant.revoked {
        return Err(invalid_grant("The authorization was revoked."));
    }
    if token_revoked {
        return Err(invalid_grant(
            "The refresh token was superseded by a newer one or revoked.",
        ));
    }
    if now >= expires_at {
        return Err(invalid_grant("The refresh token has expired."));
    }
    if let Some(rotated_at) = rotated_at {
        match inner.refresh_reuse {
            RefreshReuse::Strict => {
                return Err(invalid_grant("The refresh token was rotated."));
            }
            RefreshReuse::Overlap if now.duration_since(rotated_at) < inner.refresh_overlap => {
                // Accepted again: a new pair below, which supersedes the one issued before.
            }
            RefreshReuse::Overlap => {
                return Err(invalid_grant(
                    "The refresh token was rotated longer ago than the overlap window.",
                ));
            }
            RefreshReuse::FamilyRevoke => {
                inner.revoke_grant(grant_id);
                return Err(invalid_grant(
                    "The refresh token was already rotated: reuse detected, the authorization is revoked.",
                ));
            }
        }
    }
    let Some(grant) = inner.grants.get(&grant_id) else {
        return Err(invalid_grant("Unknown refresh token."));
    };
    let user = grant.user.clone();
    // An optional scope narrows the new access token (RFC 6749 §6).
    let scopes = match params.get("scope") {
        None => grant.scopes.clone(),
        Some(requested) => {
            let requested: Vec<String> = requested
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if let Some(extra) = requested.iter().find(|s| !grant.scopes.contains(s)) {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    &format!("Scope {extra:?} was not granted."),
                ));
            }
            requested
        }
    };

    // A token accepted again within the overlap window always gets a new pair; a current one
    // only when rotation is on (otherwise it is kept, with its original expiry).
    let refresh_token = if inner.rotation || rotated_at.is_some() {
        if let Some(old) = inner.refresh_tokens.get_mut(token)
            && old.rotated_at.is_none()
        {
            old.rotated_at = Some(now);
        }
        new_refresh_token(app, &mut inner, grant_id)
    } else {
        token.to_owned()
    };
    issue(app, &mut inner, grant_id, &user, scopes, refresh_token)
}

/// Signs an access token, records it under `grant`, and builds the response.
fn issue(
    app: &AppState,
    inner: &mut Inner,
    grant: u64,
    user: &str,
    scopes: Vec<String>,
    refresh_token: String,
) -> Result<TokenResponse, Response> {
    let now = SystemTime::now();
    let iat = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let lifetime = app.config.access_token_lifetime;
    let jti = random_token(16);
    let claims = Claims {
        iss: &app.base_url,
        sub: user,
        aud: &app.config.client_id,
        nbf: iat,
        iat,
        exp: iat + lifetime.as_secs(),
        scope: &scopes,
        jti: &jti,
    };
    let access_token = app.signer.sign(&claims).map_err(|e| {
        tracing::error!("{e}");
        oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e)
    })?;
    let scope = scopes.join(" ");
    inner.access_tokens.insert(
        access_token.clone(),
        AccessToken {
            grant,
            user: user.to_owned(),
            scopes,
            expires_at: now + lifetime,
            revoked: false,
        },
    );
    Ok(TokenResponse {
        access_token,
        refresh_token,
        scope,
        token_type: "Bearer",
        expires_in: lifetime.as_secs(),
    })
}

/// RFC 7009. Revoking a refresh token ends its whole grant (every access token issued under
/// it stops working); revoking an access token ends just that token. Unknown tokens, and
/// tokens of another client, get 200 and change nothing.
pub(crate) async fn revoke(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let client_id = match authenticate_client(&app, &headers) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let params = match parse_form(&headers, &body) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let Some(token) = params.get("token") else {
        return invalid_request("token is missing.");
    };
    // token_type_hint only says where to look first; both tables are searched anyway.
    let mut inner = app.lock();
    if let Some(refresh) = inner.refresh_tokens.get(token) {
        let grant = refresh.grant;
        let owned = inner
            .grants
            .get(&grant)
            .is_some_and(|g| g.client_id == client_id);
        if refresh.is_current() && owned {
            inner.revoke_grant(grant);
        }
    } else if let Some(access) = inner.access_tokens.get(token) {
        let owned = inner
            .grants
            .get(&access.grant)
            .is_some_and(|g| g.client_id == client_id);
        if owned && let Some(access) = inner.access_tokens.get_mut(token) {
            access.revoked = true;
        }
    }
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
}
