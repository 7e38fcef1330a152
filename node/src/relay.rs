//! The server half of relay mode: the core's `enduco::TokenRelay` as `NativeTokenRelay`. The
//! `node:http` handler, the body cap while streaming and the `onTokens` hook are in `index.js`.

use std::collections::HashMap;

use enduco::RelayResponse;
use napi::Env;
use napi::bindgen_prelude::{Buffer, Object, PromiseRaw};
use napi_derive::napi;

use crate::client::core_options;
use crate::error::OrThrow;
use crate::guard::{spawn, sync};

/// One relay answer: send `status`, `headers` and `body` as they are. `body` holds tokens.
#[napi(object)]
pub struct RelayAnswer {
    pub status: u32,
    pub headers: HashMap<String, String>,
    pub body: Buffer,
    /// enduco's user id after a successful code exchange or refresh.
    pub user_id: Option<String>,
}

impl From<RelayResponse> for RelayAnswer {
    fn from(answer: RelayResponse) -> Self {
        RelayAnswer {
            status: u32::from(answer.status),
            headers: answer
                .headers()
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
            body: answer.body.into(),
            user_id: answer.user_id,
        }
    }
}

/// The core's answer to a request that is not a POST (405).
#[napi]
pub fn relay_method_not_allowed() -> RelayAnswer {
    RelayResponse::method_not_allowed().into()
}

/// The core's answer when the relay cannot handle a request at all (500), saying `why`.
#[napi]
pub fn relay_failed(why: String) -> RelayAnswer {
    RelayResponse::relay_failed(&why).into()
}

#[napi(js_name = "NativeTokenRelay")]
pub struct TokenRelay {
    inner: enduco::TokenRelay,
}

#[napi]
impl TokenRelay {
    #[napi(constructor, ts_args_type = "options: object")]
    pub fn new(options: Object<'_>) -> napi::Result<Self> {
        sync(|| {
            Ok(TokenRelay {
                inner: enduco::TokenRelay::from_options(core_options(&options)?).or_throw()?,
            })
        })
    }

    /// One app request: `path`'s last segment names the operation (`token` or `revoke`),
    /// `body` is at most `MAX_RELAY_REQUEST_BYTES` + 1 bytes of the request's.
    #[napi]
    pub fn handle<'env>(
        &self,
        env: &'env Env,
        path: String,
        content_type: Option<String>,
        body: Buffer,
    ) -> napi::Result<PromiseRaw<'env, RelayAnswer>> {
        sync(|| {
            let relay = self.inner.clone();
            let body = body.to_vec();
            spawn(env, async move {
                Ok(RelayAnswer::from(
                    relay.handle(&path, content_type.as_deref(), &body).await,
                ))
            })
        })
    }
}

/// The largest request body a relay reads (16 KiB); adapters read at most one byte more.
#[napi(js_name = "MAX_RELAY_REQUEST_BYTES")]
pub const MAX_RELAY_REQUEST_BYTES: u32 = enduco::MAX_RELAY_REQUEST_BYTES as u32;
