//! The front-channel half: the URL the user opens and the callback URL they come back with.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;

use super::Scope;
use crate::config::ClientConfig;
use crate::error::{Error, OAuthError, Result};
use crate::internal::random::random_token;
use crate::token::{AuthorizationCode, CodeVerifier, check_schema_version};

/// A started authorization: the URL to open, and what must be kept until the callback.
///
/// Keep it (in memory, or in the host's session storage) until the redirect arrives and hand
/// it to `complete_authorization`. `Debug` does not show the code verifier.
#[derive(Clone, PartialEq)]
pub struct AuthorizationRequest {
    /// Open this in the user's browser.
    pub url: Url,
    /// The CSRF token echoed back in the callback.
    pub state: String,
    /// PKCE verifier, present unless PKCE is switched off.
    pub code_verifier: Option<CodeVerifier>,
    pub redirect_uri: String,
    pub scopes: Vec<Scope>,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &self.url.as_str())
            .field("state", &self.state)
            .field("code_verifier", &self.code_verifier)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The schema version [`AuthorizationRequest::to_json`] writes.
pub const AUTHORIZATION_REQUEST_SCHEMA_VERSION: u32 = 1;

/// The storage form of an [`AuthorizationRequest`].
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedRequest {
    schema_version: u32,
    url: String,
    state: String,
    code_verifier: Option<String>,
    redirect_uri: String,
    scopes: Vec<String>,
}

impl AuthorizationRequest {
    /// Rebuilds a pending request from the parts an app kept between the redirect and the
    /// callback. Only `state` and `code_verifier` take part in completing it (the token
    /// exchange sends the client's configured redirect URI); `url` must still be an absolute
    /// URL, so a garbled record is an `invalid_input` error here rather than a puzzling one
    /// later. Every binding's constructor is this function (each reads scope names its own way).
    pub fn from_parts(
        url: &str,
        state: String,
        code_verifier: Option<String>,
        redirect_uri: String,
        scopes: Vec<Scope>,
    ) -> Result<Self> {
        let url = Url::parse(url).map_err(|e| {
            Error::invalid_input(format!(
                "the authorization URL is not an absolute URL ({e})"
            ))
        })?;
        Ok(AuthorizationRequest {
            url,
            state,
            code_verifier: code_verifier.map(CodeVerifier::new),
            redirect_uri,
            scopes,
        })
    }

    /// The request as JSON for the app's own storage between the redirect and the callback
    /// (a web session, the app's preferences). It holds the PKCE verifier, a secret: keep it
    /// where the tokens would be kept, never in a URL or a log. [`AuthorizationRequest::from_json`]
    /// reads it back in any binding.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&SavedRequest {
            schema_version: AUTHORIZATION_REQUEST_SCHEMA_VERSION,
            url: self.url.to_string(),
            state: self.state.clone(),
            code_verifier: self.code_verifier.as_ref().map(|v| v.secret().to_owned()),
            redirect_uri: self.redirect_uri.clone(),
            scopes: self.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        })
        .expect("a saved authorization request always serializes")
    }

    /// Reads what [`AuthorizationRequest::to_json`] wrote. Anything else — another schema
    /// version, another document — is an `invalid_input` error that quotes no value.
    pub fn from_json(json: &str) -> Result<Self> {
        const WHAT: &str = "saved authorization request";
        check_schema_version(json, WHAT, AUTHORIZATION_REQUEST_SCHEMA_VERSION)?;
        let saved: SavedRequest = read_saved(json, WHAT)?;
        Self::from_parts(
            &saved.url,
            saved.state,
            saved.code_verifier,
            saved.redirect_uri,
            parse_scopes(&saved.scopes)?,
        )
    }

    /// Reads a request an app kept in its own form (the Node package's plain objects): the
    /// storage form's fields in snake_case or camelCase, of which only `state` (and, with PKCE,
    /// `code_verifier`) matter for completing it. A missing `url` or `redirect_uri` (they only
    /// describe the request; the token exchange sends the client's redirect URI) is taken from
    /// `config`, missing scopes are none. Messages quote no value.
    pub fn from_kept_json(json: &str, config: &ClientConfig) -> Result<Self> {
        #[derive(serde::Deserialize)]
        struct Kept {
            url: Option<String>,
            state: String,
            #[serde(alias = "codeVerifier")]
            code_verifier: Option<String>,
            #[serde(alias = "redirectUri")]
            redirect_uri: Option<String>,
            #[serde(default)]
            scopes: Vec<String>,
        }
        let kept: Kept = read_saved(json, "kept authorization request")?;
        let base_url = config.environment.base_url();
        Self::from_parts(
            kept.url.as_deref().unwrap_or(base_url.as_str()),
            kept.state,
            kept.code_verifier,
            kept.redirect_uri
                .unwrap_or_else(|| config.redirect_uri.clone()),
            parse_scopes(&kept.scopes)?,
        )
    }

    /// The authorization code in `callback_url`, after the same checks as
    /// `complete_authorization` (state in constant time, `error=` as a typed error). For apps
    /// that exchange the code elsewhere, e.g. on their backend with `exchange_code`.
    pub fn authorization_code(&self, callback_url: &str) -> Result<AuthorizationCode> {
        parse_callback(self, callback_url)
    }
}

/// A kept request's JSON as `T`; the error quotes no value (the text holds the verifier).
fn read_saved<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| {
        Error::invalid_input(format!(
            "{what} is incomplete or malformed ({:?} at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

fn parse_scopes(scopes: &[String]) -> Result<Vec<Scope>> {
    scopes.iter().map(|s| s.parse()).collect()
}

pub(crate) fn build_authorization_request(
    config: &ClientConfig,
    scopes: &[Scope],
) -> Result<AuthorizationRequest> {
    if scopes.is_empty() {
        return Err(Error::invalid_input(
            "ask for at least one scope (workouts_write, plans_read, user_read)",
        ));
    }
    let mut unique: Vec<Scope> = Vec::with_capacity(scopes.len());
    for scope in scopes {
        if !unique.contains(scope) {
            unique.push(*scope);
        }
    }
    let state = random_token()?;
    let code_verifier = if config.use_pkce {
        Some(CodeVerifier::new(random_token()?))
    } else {
        None
    };
    let scope_param = unique
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let mut url = config.url(&config.endpoints.authorize)?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &config.client_id)
            .append_pair("redirect_uri", &config.redirect_uri)
            .append_pair("scope", &scope_param)
            .append_pair("state", &state);
        if let Some(verifier) = &code_verifier {
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.secret().as_bytes()));
            query
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
        }
    }
    Ok(AuthorizationRequest {
        url,
        state,
        code_verifier,
        redirect_uri: config.redirect_uri.clone(),
        scopes: unique,
    })
}

/// Reads the redirect enduco sent the browser to. The state is checked first, in constant
/// time, so a forged error or code is never acted on.
pub(crate) fn parse_callback(
    pending: &AuthorizationRequest,
    callback_url: &str,
) -> Result<AuthorizationCode> {
    let url = Url::parse(callback_url.trim())
        .map_err(|e| Error::invalid_input(format!("the callback is not an absolute URL ({e})")))?;
    let mut state = None;
    let mut code = None;
    let mut error = None;
    let mut description = None;
    for (key, value) in url.query_pairs() {
        let slot = match key.as_ref() {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        if slot.is_some() {
            return Err(Error::invalid_input(format!(
                "the callback repeats the parameter {key:?}"
            )));
        }
        *slot = Some(value.into_owned());
    }
    let expected = pending.state.as_bytes();
    let matches = state
        .as_deref()
        .is_some_and(|got| bool::from(got.as_bytes().ct_eq(expected)));
    if !matches {
        return Err(Error::StateMismatch);
    }
    if let Some(error) = error {
        return Err(match OAuthError::parse(&error) {
            OAuthError::AccessDenied => Error::AuthorizationDenied { error, description },
            _ => Error::Api {
                status: None,
                code: error,
                message: description.unwrap_or_default(),
            },
        });
    }
    match code {
        Some(code) if !code.is_empty() => Ok(AuthorizationCode::new(code)),
        _ => Err(Error::invalid_input(
            "the callback carries neither a code nor an error",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    fn config() -> ClientConfig {
        ClientConfig::new(
            Environment::Beta,
            "id",
            "secret",
            "https://app.example/callback",
        )
    }

    #[test]
    fn a_kept_request_takes_what_it_lacks_from_the_client_and_quotes_no_value() {
        let config = config();
        let kept = AuthorizationRequest::from_kept_json(
            r#"{"state": "s1", "codeVerifier": "v1", "scopes": ["plans_read"]}"#,
            &config,
        )
        .unwrap();
        assert_eq!(kept.state, "s1");
        assert_eq!(kept.code_verifier.as_ref().map(|v| v.secret()), Some("v1"));
        assert_eq!(kept.url, config.environment.base_url());
        assert_eq!(kept.redirect_uri, "https://app.example/callback");
        assert_eq!(kept.scopes, vec![Scope::PlansRead]);

        let whole = build_authorization_request(&config, &[Scope::UserRead]).unwrap();
        let again = AuthorizationRequest::from_kept_json(&whole.to_json(), &config).unwrap();
        assert_eq!(again.to_json(), whole.to_json());

        let e = AuthorizationRequest::from_kept_json(r#"{"codeVerifier": "v-SECRET"}"#, &config)
            .unwrap_err();
        assert_eq!(e.code(), "invalid_input");
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }

    #[test]
    fn request_carries_state_and_pkce() {
        let req =
            build_authorization_request(&config(), &[Scope::UserRead, Scope::UserRead]).unwrap();
        let pairs: std::collections::HashMap<_, _> = req.url.query_pairs().into_owned().collect();
        assert_eq!(pairs["scope"], "user_read");
        assert_eq!(pairs["state"], req.state);
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(req.state.len(), 43);
        assert!(!format!("{req:?}").contains(req.code_verifier.as_ref().unwrap().secret()));
        let other = build_authorization_request(&config(), &[Scope::UserRead]).unwrap();
        assert_ne!(other.state, req.state);
    }

    #[test]
    fn callback_checks_state_before_anything_else() {
        let req = build_authorization_request(&config(), &[Scope::UserRead]).unwrap();
        let good = format!("https://app.example/callback?code=abc&state={}", req.state);
        assert_eq!(parse_callback(&req, &good).unwrap().secret(), "abc");
        let forged = "https://app.example/callback?error=access_denied&state=nope";
        assert!(matches!(
            parse_callback(&req, forged),
            Err(Error::StateMismatch)
        ));
        let missing = "https://app.example/callback?code=abc";
        assert!(matches!(
            parse_callback(&req, missing),
            Err(Error::StateMismatch)
        ));
        let denied = format!(
            "https://app.example/callback?error=access_denied&state={}",
            req.state
        );
        assert_eq!(
            parse_callback(&req, &denied).unwrap_err().code(),
            "authorization_denied"
        );
        let twice = format!(
            "https://app.example/callback?code=a&code=b&state={}",
            req.state
        );
        assert_eq!(
            parse_callback(&req, &twice).unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            parse_callback(&req, "not a url").unwrap_err().code(),
            "invalid_input"
        );
    }
}
