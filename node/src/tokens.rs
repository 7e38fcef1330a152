//! `TokenSet`: one user's grant. The JS wrapper adds `toStorageJSON`/`fromJSON` over the
//! canonical storage JSON (the same text in every language); its `toJSON`, `util.inspect` and
//! `toString` are redacted.

use napi_derive::napi;

use crate::error::OrThrow;
use crate::guard::sync;

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
        sync(|| {
            enduco::TokenSet::from_json(&json)
                .or_throw()
                .map(TokenSet::new)
        })
    }

    /// The canonical storage JSON.
    #[napi(js_name = "toJSONString")]
    pub fn to_json_string(&self) -> napi::Result<String> {
        sync(|| Ok(self.inner.to_json()))
    }

    #[napi(getter)]
    pub fn access_token(&self) -> napi::Result<String> {
        sync(|| Ok(self.inner.access_token.secret().to_owned()))
    }

    #[napi(getter)]
    pub fn refresh_token(&self) -> napi::Result<Option<String>> {
        sync(|| {
            Ok(self
                .inner
                .refresh_token
                .as_ref()
                .map(|t| t.secret().to_owned()))
        })
    }

    /// Unix seconds.
    #[napi(getter)]
    pub fn expires_at(&self) -> napi::Result<i64> {
        sync(|| Ok(self.inner.expires_at))
    }

    #[napi(getter)]
    pub fn scopes(&self) -> napi::Result<Vec<String>> {
        sync(|| Ok(self.inner.scopes.clone()))
    }

    #[napi(getter)]
    pub fn token_type(&self) -> napi::Result<String> {
        sync(|| Ok(self.inner.token_type.clone()))
    }

    #[napi(getter)]
    pub fn schema_version(&self) -> napi::Result<u32> {
        sync(|| Ok(self.inner.schema_version))
    }

    /// enduco's user id (the access token's `sub`), when the token carries one.
    #[napi(getter)]
    pub fn user_id(&self) -> napi::Result<Option<String>> {
        sync(|| Ok(self.inner.user_id()))
    }

    /// Whether the grant includes `scope` (`user_read`, `plans_read`, `workouts_write`): the
    /// core's `TokenSet::has_scope`; a name the core does not know is `invalid_input`.
    #[napi]
    pub fn has_scope(&self, scope: String) -> napi::Result<bool> {
        sync(|| Ok(self.inner.has_scope(scope.parse().or_throw()?)))
    }

    /// The core's redacted `Debug` text.
    #[napi]
    pub fn describe(&self) -> napi::Result<String> {
        sync(|| Ok(format!("{:?}", self.inner)))
    }
}
