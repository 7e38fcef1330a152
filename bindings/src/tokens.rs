//! The two values that hold secrets, as objects rather than records: a UniFFI record becomes a
//! Kotlin data class / Swift struct whose generated `toString()` / `description` prints every
//! field. As objects their text form is the core's `Debug`, which never shows a token value
//! or the PKCE verifier; the values themselves are reachable only through explicit getters.

use std::sync::Arc;

use crate::error::Result;
use crate::guard;
use crate::models::Scope;

/// One user's grant as the app stores it. `toString()` / `description` never show a token.
///
/// Persist it with `toJson()` and read it back with `TokenSet.fromJson(…)` (a Keychain item,
/// EncryptedSharedPreferences, a database row), or let a `TokenStore` do it.
#[derive(PartialEq, uniffi::Object)]
#[uniffi::export(Debug, Display, Eq)]
pub struct TokenSet {
    pub(crate) inner: enduco::TokenSet,
}

impl TokenSet {
    pub(crate) fn wrap(inner: enduco::TokenSet) -> Arc<Self> {
        Arc::new(TokenSet { inner })
    }
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.inner, f)
    }
}

impl std::fmt::Display for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.inner, f)
    }
}

#[uniffi::export]
impl TokenSet {
    /// Reads what `toJson()` wrote. A newer schema than this SDK knows, or anything that is not
    /// a token set, is an `invalid_input` error that names no token value.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>> {
        guard::sync(|| Ok(TokenSet::wrap(enduco::TokenSet::from_json(&json)?)))
    }

    /// Serializes for the app's storage. The text contains the tokens: store it as a secret.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The bearer token for enduco's API (an RS256 JWT). A secret.
    pub fn access_token(&self) -> String {
        self.inner.access_token.secret().to_owned()
    }

    /// The long-lived grant, if enduco issued one. A secret.
    pub fn refresh_token(&self) -> Option<String> {
        self.inner
            .refresh_token
            .as_ref()
            .map(|t| t.secret().to_owned())
    }

    /// Expiry of the access token, unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.inner.expires_at
    }

    /// The scopes enduco granted (which may be fewer than requested).
    pub fn scopes(&self) -> Vec<String> {
        self.inner.scopes.clone()
    }

    /// Whether enduco granted `scope`.
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.inner.has_scope(scope)
    }

    /// Always `Bearer`.
    pub fn token_type(&self) -> String {
        self.inner.token_type.clone()
    }

    /// The version of the serialized layout.
    pub fn schema_version(&self) -> i64 {
        self.inner.schema_version.into()
    }

    /// enduco's user id (the access token's `sub`), if the token carries one.
    pub fn user_id(&self) -> Option<String> {
        // It reads the token's payload, which the server wrote; there is no error to give, so
        // a panic (logged by the guard) is "no user id" too.
        crate::guard::sync(|| Ok(self.inner.user_id())).unwrap_or(None)
    }
}

/// A started authorization: the URL to open, and what must be kept until the callback.
/// `toString()` / `description` do not show the PKCE verifier.
///
/// Keep it until the redirect arrives and hand it to `EnducoClient.completeAuthorization`. If
/// the app may be stopped meanwhile (Android does that during a browser round trip), save
/// `url`, `state`, `codeVerifier`, `redirectUri` and `scopes` as secrets and rebuild it with
/// the constructor.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct AuthorizationRequest {
    pub(crate) inner: enduco::AuthorizationRequest,
}

impl std::fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.inner, f)
    }
}

impl std::fmt::Display for AuthorizationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.inner, f)
    }
}

#[uniffi::export]
impl AuthorizationRequest {
    /// Rebuilds a pending request from its saved parts.
    #[uniffi::constructor]
    pub fn new(
        url: String,
        state: String,
        code_verifier: Option<String>,
        redirect_uri: String,
        scopes: Vec<Scope>,
    ) -> Result<Arc<Self>> {
        guard::sync(|| {
            let inner = enduco::AuthorizationRequest::from_parts(
                &url,
                state,
                code_verifier,
                redirect_uri,
                scopes,
            )?;
            Ok(Arc::new(AuthorizationRequest { inner }))
        })
    }

    /// Reads what `to_json` wrote (in any language's SDK).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>> {
        guard::sync(|| {
            let inner = enduco::AuthorizationRequest::from_json(&json)?;
            Ok(Arc::new(AuthorizationRequest { inner }))
        })
    }

    /// The request as JSON for the app's own storage until the callback (verifier included:
    /// keep it where tokens are kept, e.g. the Keychain or EncryptedSharedPreferences).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Open this in the user's browser (a Custom Tab / ASWebAuthenticationSession).
    pub fn url(&self) -> String {
        self.inner.url.to_string()
    }

    /// The CSRF token enduco echoes back in the callback.
    pub fn state(&self) -> String {
        self.inner.state.clone()
    }

    /// The PKCE verifier (absent when PKCE is switched off). A secret.
    pub fn code_verifier(&self) -> Option<String> {
        self.inner
            .code_verifier
            .as_ref()
            .map(|v| v.secret().to_owned())
    }

    pub fn redirect_uri(&self) -> String {
        self.inner.redirect_uri.clone()
    }

    pub fn scopes(&self) -> Vec<Scope> {
        self.inner.scopes.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_never_show_token_values() {
        let json = r#"{"schema_version":1,"access_token":"at-SECRET","refresh_token":"rt-SECRET","expires_at":2000000000,"scopes":["user_read"],"token_type":"Bearer"}"#;
        let tokens = TokenSet::from_json(json.into()).unwrap();
        for text in [format!("{tokens}"), format!("{tokens:?}")] {
            assert!(!text.contains("SECRET"), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
        assert_eq!(tokens.access_token(), "at-SECRET");
        assert_eq!(TokenSet::from_json(tokens.to_json()).unwrap(), tokens);
    }
}
