//! `TokenSet`: one user's grant. The JS wrapper adds `toJSON`, `fromJSON` over the canonical
//! storage JSON (the same text in every language) and redacts itself in `util.inspect`.

use napi_derive::napi;

use crate::error::OrThrow;

#[napi(js_name = "NativeTokenSet")]
pub struct TokenSet {
    pub(crate) inner: enduco::TokenSet,
}

impl TokenSet {
    pub(crate) fn new(inner: enduco::TokenSet) -> Self {
        TokenSet { inner }
    }
}

#[napi]
impl TokenSet {
    /// Reads the canonical storage JSON (`TokenSet::from_json` of the core).
    #[napi(factory, js_name = "fromJSONString")]
    pub fn from_json_string(json: String) -> napi::Result<TokenSet> {
        enduco::TokenSet::from_json(&json)
            .or_throw()
            .map(TokenSet::new)
    }

    /// The canonical storage JSON.
    #[napi(js_name = "toJSONString")]
    pub fn to_json_string(&self) -> String {
        self.inner.to_json()
    }

    #[napi(getter)]
    pub fn access_token(&self) -> String {
        self.inner.access_token.secret().to_owned()
    }

    #[napi(getter)]
    pub fn refresh_token(&self) -> Option<String> {
        self.inner
            .refresh_token
            .as_ref()
            .map(|t| t.secret().to_owned())
    }

    /// Unix seconds.
    #[napi(getter)]
    pub fn expires_at(&self) -> i64 {
        self.inner.expires_at
    }

    #[napi(getter)]
    pub fn scopes(&self) -> Vec<String> {
        self.inner.scopes.clone()
    }

    #[napi(getter)]
    pub fn token_type(&self) -> String {
        self.inner.token_type.clone()
    }

    #[napi(getter)]
    pub fn schema_version(&self) -> u32 {
        self.inner.schema_version
    }

    /// enduco's user id (the access token's `sub`), when the token carries one.
    #[napi(getter)]
    pub fn user_id(&self) -> Option<String> {
        self.inner.user_id()
    }

    /// The core's redacted `Debug` text.
    #[napi]
    pub fn describe(&self) -> String {
        format!("{:?}", self.inner)
    }
}
