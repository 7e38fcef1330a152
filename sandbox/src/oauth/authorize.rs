//! `GET /oauth2/authorize` and `POST /oauth2/authorize/decision`.
//!
//! Errors follow RFC 6749 §4.1.2.1: while the client or the redirect URI is in doubt the user
//! sees a 400 page and nobody is redirected; after that every error goes back to the client
//! as `redirect_uri?error=…&state=…`.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use url::{Host, Url};

use crate::config::{SCOPES, SandboxConfig};
use crate::state::{AppState, AuthCode, random_token};
use crate::util::{Params, html_escape, percent_encode};

/// Parameters that must not appear twice.
const SINGLE: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
];

pub(crate) async fn authorize(
    State(app): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    respond(&app, &params, Decision::AsConfigured, None)
}

/// The consent page's form target; also usable directly by scripted tests in either mode.
///
/// The consent page posts the authorize parameters except `scope`, a `requested_scope` field
/// (what the application asked for) and one `scope` field per ticked checkbox. With
/// `requested_scope` present the grant is the ticked scopes, which must be among the
/// requested ones (none ticked: `access_denied`). Without it (a scripted test re-posting the
/// authorize query) the grant is the single `scope` parameter, as in the authorize request.
pub(crate) async fn decision(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let params = Params::parse(&body);
    let decision = match params.get("decision") {
        Some("approve") => Decision::Approve,
        Some("cancel") => Decision::Cancel,
        _ => return error_page("The form must carry decision=approve or decision=cancel."),
    };
    if params.duplicated(&["requested_scope"]).is_some() {
        return error_page("The parameter requested_scope appears more than once.");
    }
    if !params.iter().any(|(name, _)| name == "requested_scope") {
        return respond(&app, &params, decision, None);
    }
    // The consent form: validate the request as it was made, grant what was ticked.
    let mut ticked: Vec<String> = Vec::new();
    let mut rebuilt: Vec<(String, String)> = Vec::new();
    for (name, value) in params.iter() {
        match name {
            "scope" => {
                for scope in value.split(' ').filter(|s| !s.is_empty()) {
                    if !ticked.iter().any(|t| t == scope) {
                        ticked.push(scope.to_owned());
                    }
                }
            }
            "requested_scope" => rebuilt.push(("scope".into(), value.into())),
            _ => rebuilt.push((name.into(), value.into())),
        }
    }
    respond(&app, &Params::from_pairs(rebuilt), decision, Some(ticked))
}

#[derive(Clone, Copy)]
enum Decision {
    /// Auto-approve or show the consent page, as the current setting says.
    AsConfigured,
    Approve,
    Cancel,
}

/// A request that passed validation.
struct Request {
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    challenge: Option<String>,
    user: String,
}

enum Invalid {
    /// Shown to the user; no redirect.
    Page(String),
    /// Sent back to the client.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// Validates the request and answers it. `consented`: the scopes ticked on the consent page,
/// when the request comes from it.
fn respond(
    app: &AppState,
    params: &Params,
    decision: Decision,
    consented: Option<Vec<String>>,
) -> Response {
    let request = match validate(&app.config, params) {
        Ok(r) => r,
        Err(Invalid::Page(message)) => return error_page(&message),
        Err(Invalid::Redirect {
            redirect_uri,
            state,
            error,
            description,
        }) => {
            return redirect(
                &redirect_uri,
                &[("error", error), ("error_description", &description)],
                state.as_deref(),
            );
        }
    };
    let (approve, granted) = match decision {
        Decision::Approve => (true, consented),
        Decision::Cancel => (false, None),
        Decision::AsConfigured => {
            let inner = app.lock();
            if !inner.auto_approve {
                drop(inner);
                return consent_page(params, &request);
            }
            // The configured choice applies to whatever is asked: an intersection.
            let granted = inner.approve_scopes.as_ref().map(|approve| {
                request
                    .scopes
                    .iter()
                    .filter(|s| approve.contains(s))
                    .cloned()
                    .collect()
            });
            (true, granted)
        }
    };
    if !approve {
        return redirect(
            &request.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "The user cancelled the authorization."),
            ],
            request.state.as_deref(),
        );
    }
    // The user's choice can only narrow the request (kept in the request's order).
    let mut scopes = request.scopes;
    if let Some(granted) = granted {
        if let Some(extra) = granted.iter().find(|g| !scopes.contains(g)) {
            return redirect(
                &request.redirect_uri,
                &[
                    ("error", "invalid_scope"),
                    (
                        "error_description",
                        &format!("Scope {extra:?} was not requested."),
                    ),
                ],
                request.state.as_deref(),
            );
        }
        scopes.retain(|s| granted.contains(s));
    }
    if scopes.is_empty() {
        return redirect(
            &request.redirect_uri,
            &[
                ("error", "access_denied"),
                (
                    "error_description",
                    "The user granted none of the requested scopes.",
                ),
            ],
            request.state.as_deref(),
        );
    }

    let code = random_token(32);
    app.lock().codes.insert(
        code.clone(),
        AuthCode {
            client_id: app.config.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            user: request.user,
            scopes,
            challenge: request.challenge,
            expires_at: Instant::now() + app.config.code_lifetime,
            used: false,
            grant: None,
        },
    );
    redirect(
        &request.redirect_uri,
        &[("code", &code)],
        request.state.as_deref(),
    )
}

fn validate(config: &SandboxConfig, params: &Params) -> Result<Request, Invalid> {
    if let Some(name) = params.duplicated(&["client_id", "redirect_uri"]) {
        return Err(Invalid::Page(format!(
            "The parameter {name} appears more than once."
        )));
    }
    match params.get("client_id") {
        None => return Err(Invalid::Page("The request has no client_id.".into())),
        Some(id) if id != config.client_id => {
            return Err(Invalid::Page(format!("Unknown client_id {id:?}.")));
        }
        Some(_) => {}
    }
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return Err(Invalid::Page("The request has no redirect_uri.".into()));
    };
    if !redirect_allowed(config, redirect_uri) {
        return Err(Invalid::Page(format!(
            "The redirect_uri {redirect_uri:?} is not registered for this client."
        )));
    }

    let state = params.get("state").map(str::to_owned);
    let fail = |error: &'static str, description: String| Invalid::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error,
        description,
    };

    if let Some(name) = params.duplicated(&SINGLE) {
        return Err(fail(
            "invalid_request",
            format!("The parameter {name} appears more than once."),
        ));
    }
    match params.get("response_type") {
        None => {
            return Err(fail("invalid_request", "response_type is missing.".into()));
        }
        Some("code") => {}
        Some(other) => {
            return Err(fail(
                "unsupported_response_type",
                format!("response_type {other:?} is not supported; use code."),
            ));
        }
    }

    // A missing scope grants everything the client may ask for (RFC 6749 §3.3 lets the
    // server pick a default).
    let mut scopes: Vec<String> = Vec::new();
    let requested = params.get("scope").unwrap_or("");
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !SCOPES.contains(&scope) {
            return Err(fail(
                "invalid_scope",
                format!("Unknown scope {scope:?}; allowed: {}.", SCOPES.join(" ")),
            ));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.is_empty() {
        scopes = SCOPES.iter().map(|s| s.to_string()).collect();
    }

    // PKCE (RFC 7636): only S256, and the method must be explicit (as Spring requires).
    let challenge = match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (None, None) => None,
        (Some(c), Some("S256")) if is_pkce_value(c) && c.len() == 43 => Some(c.to_owned()),
        (Some(_), Some("S256")) => {
            return Err(fail(
                "invalid_request",
                "code_challenge must be the 43-character base64url SHA-256 of the verifier.".into(),
            ));
        }
        (Some(_), None) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method is required; only S256 is supported.".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method without code_challenge.".into(),
            ));
        }
        (Some(_), Some(method)) => {
            return Err(fail(
                "invalid_request",
                format!("code_challenge_method {method:?} is not supported; use S256."),
            ));
        }
    };

    // login_hint is sandbox-only: it chooses who "signs in".
    let user = match params.get("login_hint") {
        None => config.default_user.clone(),
        Some(hint) if is_user_id(hint) => hint.to_owned(),
        Some(_) => {
            return Err(fail(
                "invalid_request",
                "login_hint must be 1-64 characters of A-Z a-z 0-9 . _ @ -".into(),
            ));
        }
    };

    Ok(Request {
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state,
        challenge,
        user,
    })
}

/// Registered URIs match exactly. A loopback request URI (`http://127.0.0.1`, `http://[::1]`)
/// matches a registered loopback URI whatever its port, but everything else (scheme, host,
/// path, query) must be the same: RFC 8252 §7.3 (native apps listen on an ephemeral port),
/// as Spring Authorization Server compares them. `localhost` is refused outright, as Spring
/// refuses it (OAuth 2.1 §8.4.2: not recommended), registered or not.
fn redirect_allowed(config: &SandboxConfig, uri: &str) -> bool {
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    if url.host() == Some(Host::Domain("localhost")) {
        return false;
    }
    if config.redirect_uris.iter().any(|u| u == uri) {
        return true;
    }
    let Some(requested) = loopback_without_port(uri) else {
        return false;
    };
    config
        .redirect_uris
        .iter()
        .filter_map(|registered| loopback_without_port(registered))
        .any(|registered| registered == requested)
}

/// `uri` with its port removed, if it is a plain `http` loopback URI (no fragment, no user
/// info); `None` otherwise.
fn loopback_without_port(uri: &str) -> Option<String> {
    let mut url = Url::parse(uri).ok()?;
    let loopback = url.scheme() == "http"
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip == Ipv4Addr::LOCALHOST,
            Some(Host::Ipv6(ip)) => ip == Ipv6Addr::LOCALHOST,
            _ => false,
        };
    if !loopback {
        return None;
    }
    url.set_port(None).ok()?;
    Some(url.into())
}

/// RFC 7636 §4.1 character set: unreserved characters.
pub(crate) fn is_pkce_value(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn is_user_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
}

/// 302 to `redirect_uri` with `params` (and `state`, unchanged) added to its query.
fn redirect(redirect_uri: &str, params: &[(&str, &str)], state: Option<&str>) -> Response {
    let added: Vec<String> = params
        .iter()
        .copied()
        .chain(state.map(|s| ("state", s)))
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect();
    let mut location = redirect_uri.to_owned();
    if !location.contains('?') {
        location.push('?');
    } else if !location.ends_with('?') && !location.ends_with('&') {
        location.push('&');
    }
    location.push_str(&added.join("&"));
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

fn error_page(message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>enduco sandbox: authorization error</title></head>\n\
         <body><h1>Authorization error</h1><p>{}</p></body></html>\n",
        html_escape(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// The consent page, posted to `/oauth2/authorize/decision`: the original parameters except
/// `scope` as hidden fields, the requested scopes as `requested_scope`, one ticked checkbox
/// named `scope` per requested scope, and Approve / Cancel buttons named `decision`.
fn consent_page(params: &Params, request: &Request) -> Response {
    let hidden_field = |name: &str, value: &str| {
        format!(
            "    <input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            html_escape(name),
            html_escape(value)
        )
    };
    let mut hidden: String = params
        .iter()
        .filter(|(name, _)| !matches!(*name, "decision" | "scope" | "requested_scope"))
        .map(|(name, value)| hidden_field(name, value))
        .collect();
    hidden.push_str(&hidden_field("requested_scope", &request.scopes.join(" ")));
    let scopes: String = request
        .scopes
        .iter()
        .map(|s| {
            let s = html_escape(s);
            format!(
                "    <label><input type=\"checkbox\" name=\"scope\" value=\"{s}\" checked> <code>{s}</code></label><br>\n"
            )
        })
        .collect();
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>enduco sandbox: authorize</title></head>\n<body>\n\
         <h1>Authorize access</h1>\n\
         <p>Signed in as <strong>{user}</strong>. The application asks for the access below; untick what you do not want to grant.</p>\n\
         <form method=\"post\" action=\"/oauth2/authorize/decision\">\n{hidden}{scopes}\
         \x20   <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\n\
         \x20   <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button>\n\
         </form>\n</body></html>\n",
        user = html_escape(&request.user),
    );
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Html(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_loopback_redirects_match_any_port_same_path() {
        let config = SandboxConfig::default();
        assert!(redirect_allowed(&config, "https://app.example/callback"));
        assert!(redirect_allowed(&config, "http://127.0.0.1:53123/callback"));
        assert!(redirect_allowed(&config, "http://127.0.0.1/callback"));
        assert!(redirect_allowed(&config, "http://127.0.0.1:80/callback"));
        assert!(!redirect_allowed(&config, "http://127.0.0.1:53123/cb"));
        assert!(!redirect_allowed(
            &config,
            "http://127.0.0.1:53123/callback/"
        ));
        assert!(!redirect_allowed(
            &config,
            "http://127.0.0.1:53123/callback?x=1"
        ));
        assert!(!redirect_allowed(&config, "http://127.0.0.1/"));
        assert!(!redirect_allowed(&config, "http://[::1]:8080/callback"));
        assert!(!redirect_allowed(&config, "https://app.example/callback/"));
        assert!(!redirect_allowed(&config, "http://localhost:8080/callback"));
        assert!(!redirect_allowed(
            &config,
            "https://127.0.0.1:8080/callback"
        ));
        assert!(!redirect_allowed(
            &config,
            "http://127.0.0.1:8080/callback#frag"
        ));
        assert!(!redirect_allowed(&config, "http://127.0.0.2:8080/callback"));

        let config = SandboxConfig {
            redirect_uris: vec![
                "http://[::1]/x?y=1".into(),
                "http://127.0.0.1:8080/fixed".into(),
                "http://localhost/callback".into(),
            ],
            ..SandboxConfig::default()
        };
        assert!(redirect_allowed(&config, "http://[::1]:8080/x?y=1"));
        assert!(!redirect_allowed(&config, "http://[::1]:8080/x"));
        assert!(!redirect_allowed(&config, "http://127.0.0.1:8080/x?y=1"));
        // A registered port is ignored too (Spring compares with the request's port).
        assert!(redirect_allowed(&config, "http://127.0.0.1:9/fixed"));
        // localhost is refused even when registered.
        assert!(!redirect_allowed(&config, "http://localhost/callback"));
        assert!(!redirect_allowed(&config, "http://localhost:8080/callback"));
        assert!(!redirect_allowed(
            &config,
            "http://127.0.0.1:53123/callback"
        ));
    }

    #[test]
    fn redirect_keeps_existing_query_and_encodes_state() {
        let r = redirect(
            "http://127.0.0.1:1/cb?x=1",
            &[("code", "abc")],
            Some("a b+c"),
        );
        let location = r.headers()[header::LOCATION].to_str().unwrap();
        assert_eq!(
            location,
            "http://127.0.0.1:1/cb?x=1&code=abc&state=a%20b%2Bc"
        );
    }
}
