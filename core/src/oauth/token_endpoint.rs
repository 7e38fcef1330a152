//! The back-channel half: `POST /oauth2/token` and `POST /oauth2/revoke`, authenticated with
//! HTTP Basic as RFC 6749 §2.3.1 defines it.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use url::form_urlencoded;

use crate::config::TokenCall;
use crate::error::{Error, OAuthError, Result};
use crate::internal::client::{ClientInner, CodeGrant};
use crate::internal::http::{Reply, RetryMode, TOKEN_RESPONSE_LIMIT};
use crate::token::{AuthorizationCode, CodeVerifier, RefreshToken, TokenResponse, TokenSet};

/// `Basic base64(urlencode(id) ":" urlencode(secret))`. enduco's document shows the raw
/// `id:secret`; its Spring-based server decodes base64, so the RFC form is what works.
fn basic_auth(client: &ClientInner) -> Result<HeaderValue> {
    let id: String = form_urlencoded::byte_serialize(client.config.client_id.as_bytes()).collect();
    let secret: String =
        form_urlencoded::byte_serialize(client.config.client_secret.secret().as_bytes()).collect();
    let mut value = HeaderValue::from_str(&format!(
        "Basic {}",
        STANDARD.encode(format!("{id}:{secret}"))
    ))
    .map_err(|_| Error::invalid_input("client credentials cannot form a header"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// POSTs a token or revocation form. Straight to enduco it carries the client's Basic
/// credentials; in relay mode it goes to the relay without any (the relay adds them).
pub(crate) async fn post_form(
    client: &ClientInner,
    call: TokenCall,
    form: &[(&str, &str)],
    mode: RetryMode,
) -> Result<Reply> {
    let url = client.config.token_call_url(call)?;
    let auth = match client.config.token_relay {
        Some(_) => None,
        None => Some(basic_auth(client)?),
    };
    client
        .transport
        .send(
            mode,
            client.config.timeouts.request,
            TOKEN_RESPONSE_LIMIT,
            || {
                let request = client.transport.client().post(url.clone()).form(form);
                Ok(match &auth {
                    Some(auth) => request.header(AUTHORIZATION, auth.clone()),
                    None => request,
                })
            },
        )
        .await
}

/// Turns a token-endpoint answer into tokens or the error it means.
fn token_reply(reply: Reply, sent_at: SystemTime, previous: Option<&TokenSet>) -> Result<TokenSet> {
    if !reply.is_success() {
        // The token endpoint's 400/401 are OAuth errors about the grant or the client
        // (invalid_grant, invalid_client), not about an access token.
        return Err(match reply.status.as_u16() {
            // Spring answers a wrong secret with 401 invalid_client, and no credentials at
            // all with a bare 401: either way the app's configuration is wrong.
            401 => Error::Api {
                status: Some(401),
                code: reply
                    .oauth_error()
                    .unwrap_or_else(|| OAuthError::InvalidClient.as_str().to_owned()),
                message: "enduco did not accept the app's client credentials: check the client id \
                          and client secret it was configured with"
                    .into(),
            },
            400 => reply.api_error(),
            _ => reply.error(),
        });
    }
    let response: TokenResponse = reply.json()?;
    TokenSet::from_response(response, sent_at, previous)
}

/// Exchanges an authorization code (docs/data-contract.md), falling back once to the legacy
/// `grant_type=code` spelling if the server calls the standard one unsupported.
pub(crate) async fn exchange_code(
    client: &ClientInner,
    code: &AuthorizationCode,
    verifier: Option<&CodeVerifier>,
) -> Result<TokenSet> {
    let mut spelling = client.grant_spelling.first_choice();
    loop {
        let mut form = vec![
            ("grant_type", spelling.as_str()),
            ("code", code.secret()),
            ("redirect_uri", client.config.redirect_uri.as_str()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v.secret()));
        }
        let sent_at = SystemTime::now();
        let reply = post_form(client, TokenCall::Token, &form, RetryMode::Refusals).await?;
        let unsupported = !reply.is_success()
            && reply.oauth_error().as_deref().map(OAuthError::parse)
                == Some(OAuthError::UnsupportedGrantType);
        if unsupported && !client.grant_spelling.known() && spelling == CodeGrant::Standard {
            tracing::info!(
                "token endpoint refused grant_type=authorization_code; retrying with enduco's documented grant_type=code"
            );
            spelling = CodeGrant::Documented;
            client.grant_spelling.remember(CodeGrant::Documented);
            continue;
        }
        let tokens = token_reply(reply, sent_at, None)?;
        client.grant_spelling.remember(spelling);
        tracing::info!(scopes = ?tokens.scopes, "authorization code exchanged");
        return Ok(tokens);
    }
}

/// One refresh request. `invalid_grant` comes back as `Error::Api` with that code; the
/// session decides what it means.
pub(crate) async fn refresh(
    client: &ClientInner,
    refresh_token: &RefreshToken,
    previous: &TokenSet,
) -> Result<TokenSet> {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.secret()),
        // enduco's document asks for this extra field on refresh.
        ("clientId", client.config.client_id.as_str()),
    ];
    let sent_at = SystemTime::now();
    let reply = post_form(client, TokenCall::Token, &form, RetryMode::Refusals).await?;
    token_reply(reply, sent_at, Some(previous))
}

/// RFC 7009 revocation. enduco answers 200 for tokens it no longer knows, so any success
/// means the grant is gone.
pub(crate) async fn revoke(client: &ClientInner, token: &str, hint: &str) -> Result<()> {
    let form = [("token", token), ("token_type_hint", hint)];
    let reply = post_form(client, TokenCall::Revoke, &form, RetryMode::Idempotent).await?;
    if reply.is_success() {
        Ok(())
    } else {
        Err(reply.error())
    }
}
