//! The server half of relay mode (docs/relay.md): the partner's backend holds the client secret
//! and performs the three back-channel calls an app distributed to users may not make itself.
//!
//! The relay speaks the token endpoint's own protocol, so a client in relay mode sends the
//! very forms it would send to enduco: `POST {relay}/token` (the code exchange or a refresh)
//! and `POST {relay}/revoke`. The relay checks the form, adds the client's Basic credentials,
//! forwards it to enduco and hands enduco's answer back unchanged. It is stateless (it keeps
//! no token; the app's `TokenStore` does), never logs a token or code, refuses bodies over
//! [`MAX_RELAY_REQUEST_BYTES`] and anything but those operations, and forwards nothing it
//! refused. Its own refusals are OAuth error bodies (RFC 6749 §5.2), like enduco's.

use std::time::SystemTime;

use serde_json::json;
use url::form_urlencoded;

use crate::client::EnducoClient;
use crate::config::{ClientConfig, ClientOptions, TokenCall};
use crate::error::{Error, Result};
use crate::internal::http::RetryMode;
use crate::oauth::token_endpoint::post_form;
use crate::token::{TokenResponse, TokenSet};

/// The largest request body a relay reads; a token form is a few hundred bytes.
pub const MAX_RELAY_REQUEST_BYTES: usize = 16 * 1024;

/// What a relay's own `redirect_uri` is set to: it forwards the app's, and never uses its own.
const RELAY_REDIRECT_URI: &str = "urn:enduco:token-relay";

/// Added to the relay's `User-Agent`.
pub const RELAY_USER_AGENT: &str = "enduco-token-relay";

/// The parameters forwarded per operation; anything else in the app's form is dropped.
const TOKEN_PARAMS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "clientId",
];
const REVOKE_PARAMS: &[&str] = &["token", "token_type_hint"];

/// The relay: one per backend process, shared by every request (it holds one connection pool).
#[derive(Debug, Clone)]
pub struct TokenRelay {
    client: EnducoClient,
}

/// The relay's answer to one app request: write `status`, [`RelayResponse::headers`] and
/// `body` back as they are.
#[derive(Clone, PartialEq, Eq)]
pub struct RelayResponse {
    pub status: u16,
    /// enduco's JSON answer, or the relay's own OAuth error body. Holds tokens: never log it.
    pub body: Vec<u8>,
    /// enduco's user id when a code exchange or refresh succeeded (the access token's `sub`),
    /// for a backend that records which of its users holds which enduco account.
    pub user_id: Option<String>,
}

impl std::fmt::Debug for RelayResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayResponse")
            .field("status", &self.status)
            .field(
                "body",
                &format_args!("[{} bytes, redacted]", self.body.len()),
            )
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl RelayResponse {
    /// The answer to a request that is not a POST (405, with `Allow: POST`). An adapter sends
    /// it without reading the body.
    pub fn method_not_allowed() -> Self {
        Self::refused(
            405,
            "invalid_request",
            "the relay serves POST …/token and POST …/revoke",
        )
    }

    /// The answer when the relay cannot handle a request at all (500 `server_error`), saying
    /// why in `description` (never a value from the request): the adapter failed, or a body
    /// parser consumed the body before the relay could read it.
    pub fn relay_failed(description: &str) -> Self {
        Self::refused(500, "server_error", description)
    }

    /// The headers of this answer: JSON, never cached (it may hold tokens), and `Allow: POST`
    /// on a 405.
    pub fn headers(&self) -> Vec<(&'static str, &'static str)> {
        let mut headers = vec![
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
        ];
        if self.status == 405 {
            headers.push(("Allow", "POST"));
        }
        headers
    }

    fn refused(status: u16, error: &str, description: &str) -> Self {
        RelayResponse {
            status,
            body: json!({ "error": error, "error_description": description })
                .to_string()
                .into_bytes(),
            user_id: None,
        }
    }
}

impl TokenRelay {
    /// A relay for the app `config` describes, which must hold the client secret (and no relay
    /// of its own). Its `redirect_uri` may be empty: the relay forwards the app's.
    pub fn new(mut config: ClientConfig) -> Result<Self> {
        if config.token_relay.is_some() {
            return Err(Error::invalid_input(
                "a token relay talks to enduco with the client secret; it cannot use a relay itself",
            ));
        }
        if config.redirect_uri.trim().is_empty() {
            config.redirect_uri = RELAY_REDIRECT_URI.into();
        }
        // enduco's logs (and the sandbox's) tell the relay's requests from the apps' own.
        let agent = config.user_agent.take();
        config.user_agent = Some(match agent {
            Some(agent) => format!("{agent} {RELAY_USER_AGENT}"),
            None => RELAY_USER_AGENT.into(),
        });
        Ok(TokenRelay {
            client: EnducoClient::new(config)?,
        })
    }

    /// A relay from the flat options a binding receives ([`ClientOptions`]): the client id,
    /// the secret, the environment and the HTTP settings; `redirect_uri` may be left empty.
    pub fn from_options(mut options: ClientOptions) -> Result<Self> {
        if options.redirect_uri.trim().is_empty() {
            options.redirect_uri = RELAY_REDIRECT_URI.into();
        }
        TokenRelay::new(options.into_config()?)
    }

    /// The relay's configuration (never shows the secret in `Debug`).
    pub fn config(&self) -> &ClientConfig {
        self.client.config()
    }

    /// Handles one app request: `path` is the request path (its last segment names the
    /// operation, `token` or `revoke`, so the relay may sit under any prefix), `content_type`
    /// the request's header, `body` its bytes (read at most [`MAX_RELAY_REQUEST_BYTES`] + 1
    /// of them; a longer body is refused without reading the rest).
    pub async fn handle(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> RelayResponse {
        let operation = path
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        let call = match operation {
            "token" => TokenCall::Token,
            "revoke" => TokenCall::Revoke,
            _ => {
                return RelayResponse::refused(
                    400,
                    "invalid_request",
                    "unknown relay operation: the relay serves POST …/token and POST …/revoke",
                );
            }
        };
        if body.len() > MAX_RELAY_REQUEST_BYTES {
            return RelayResponse::refused(
                400,
                "invalid_request",
                &format!("the request body is larger than {MAX_RELAY_REQUEST_BYTES} bytes"),
            );
        }
        let is_form = content_type
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return RelayResponse::refused(
                400,
                "invalid_request",
                "the body must be application/x-www-form-urlencoded",
            );
        }
        let form = match read_form(call, body) {
            Ok(form) => form,
            Err(refusal) => return refusal,
        };
        self.forward(call, &form).await
    }

    async fn forward(&self, call: TokenCall, form: &[(String, String)]) -> RelayResponse {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mode = match call {
            // A code is single-use and a refresh may rotate: resend only what surely did not
            // arrive. The app's own client applies the same rule to the relay.
            TokenCall::Token => RetryMode::Refusals,
            TokenCall::Revoke => RetryMode::Idempotent,
        };
        let sent_at = SystemTime::now();
        let operation = form_value(form, "grant_type").unwrap_or("revoke");
        let reply = match post_form(&self.client.inner, call, &pairs, mode).await {
            Ok(reply) => reply,
            Err(e) => {
                tracing::warn!(
                    operation,
                    code = e.code(),
                    "token relay: enduco unreachable"
                );
                let status = if matches!(e, Error::Timeout) {
                    504
                } else {
                    502
                };
                return RelayResponse::refused(
                    status,
                    "temporarily_unavailable",
                    "the relay could not reach enduco; try again later",
                );
            }
        };
        let status = reply.status.as_u16();
        tracing::info!(operation, status, "token relay: forwarded");
        if reply.expect_json().is_err() && !reply.body.is_empty() {
            return RelayResponse::refused(
                502,
                "temporarily_unavailable",
                &format!("enduco answered HTTP {status} without JSON"),
            );
        }
        let user_id = (call == TokenCall::Token && reply.is_success())
            .then(|| serde_json::from_slice::<TokenResponse>(&reply.body).ok())
            .flatten()
            .and_then(|r| TokenSet::from_response(r, sent_at, None).ok())
            .and_then(|tokens| tokens.user_id());
        RelayResponse {
            status,
            body: reply.body.to_vec(),
            user_id,
        }
    }
}

/// The app's form, checked: each parameter at most once (RFC 6749 §3.2), the operation's
/// required ones present, only the operation's own parameters kept.
fn read_form(
    call: TokenCall,
    body: &[u8],
) -> std::result::Result<Vec<(String, String)>, RelayResponse> {
    let allowed = match call {
        TokenCall::Token => TOKEN_PARAMS,
        TokenCall::Revoke => REVOKE_PARAMS,
    };
    let mut form: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(body) {
        if form.iter().any(|(n, _)| *n == name) {
            return Err(RelayResponse::refused(
                400,
                "invalid_request",
                &format!("parameter {name:?} appears more than once"),
            ));
        }
        if allowed.contains(&name.as_ref()) {
            form.push((name.into_owned(), value.into_owned()));
        }
    }
    let missing = |name: &str| {
        RelayResponse::refused(
            400,
            "invalid_request",
            &format!("missing parameter {name:?}"),
        )
    };
    let required: &[&str] = match (call, form_value(&form, "grant_type")) {
        (TokenCall::Revoke, _) => &["token"],
        (TokenCall::Token, Some("authorization_code" | "code")) => &["code", "redirect_uri"],
        (TokenCall::Token, Some("refresh_token")) => &["refresh_token"],
        (TokenCall::Token, None) => return Err(missing("grant_type")),
        (TokenCall::Token, Some(_)) => {
            return Err(RelayResponse::refused(
                400,
                "unsupported_grant_type",
                "the relay forwards only authorization_code and refresh_token grants",
            ));
        }
    };
    for name in required {
        if form_value(&form, name).is_none_or(str::is_empty) {
            return Err(missing(name));
        }
    }
    Ok(form)
}

fn form_value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adapters_refusals_are_oauth_errors_with_the_relay_s_headers() {
        let refused = RelayResponse::method_not_allowed();
        assert_eq!(refused.status, 405);
        assert!(refused.headers().contains(&("Allow", "POST")));
        let body: serde_json::Value = serde_json::from_slice(&refused.body).unwrap();
        assert_eq!(body["error"], "invalid_request");

        let failed = RelayResponse::relay_failed("the body was consumed");
        assert_eq!(failed.status, 500);
        assert_eq!(
            failed.headers(),
            vec![
                ("Content-Type", "application/json"),
                ("Cache-Control", "no-store")
            ]
        );
        let body: serde_json::Value = serde_json::from_slice(&failed.body).unwrap();
        assert_eq!(body["error"], "server_error");
        assert_eq!(body["error_description"], "the body was consumed");
    }
}
