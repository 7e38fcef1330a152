//! `EnducoClient`: configuration, authorization, sessions.

use enduco::{AuthorizationRequest, Scope};
use napi::bindgen_prelude::{Object, PromiseRaw};
use napi::{De, Env};
use napi_derive::napi;

use crate::cancel::{CancelToken, spawn_cancellable};
use crate::error::{OrThrow, invalid_input, to_napi};
use crate::guard::{spawn, sync};
use crate::session::Session;
use crate::store::StoreHandle;
use crate::tokens::TokenSet;

/// The options object of `new EnducoClient(...)` (or `new TokenRelay(...)`) as the core reads
/// it: the core declares the options, their camelCase names and the whole-number rules; the
/// package's wrapper has already checked the type of each value.
pub(crate) fn core_options(options: &Object<'_>) -> napi::Result<enduco::ClientOptions> {
    enduco::ClientOptions::read(&mut De::new(options), |e| e.reason)
        .map_err(|e| invalid_input(e.message))
}

fn parse_scopes(scopes: &[String]) -> napi::Result<Vec<Scope>> {
    scopes
        .iter()
        .map(|s| s.parse::<Scope>().or_throw())
        .collect()
}

#[napi(js_name = "NativeClient")]
pub struct EnducoClient {
    inner: enduco::EnducoClient,
}

#[napi]
impl EnducoClient {
    #[napi(constructor, ts_args_type = "options: object")]
    pub fn new(options: Object<'_>) -> napi::Result<Self> {
        sync(|| {
            let config = core_options(&options)?.into_config().or_throw()?;
            Ok(EnducoClient {
                inner: enduco::EnducoClient::new(config).or_throw()?,
            })
        })
    }

    /// A started authorization in the core's storage form (`AuthorizationRequest::to_json`),
    /// which index.js reads into its `AuthorizationRequest`.
    #[napi]
    pub fn authorization_request(&self, scopes: Vec<String>) -> napi::Result<String> {
        sync(|| {
            let scopes = parse_scopes(&scopes)?;
            Ok(self
                .inner
                .authorization_request(&scopes)
                .or_throw()?
                .to_json())
        })
    }

    /// `kept`: the app's object as JSON, read by `AuthorizationRequest::from_kept_json` (the
    /// parts it lacks are the client's).
    #[napi]
    pub fn complete_authorization<'env>(
        &self,
        env: &'env Env,
        kept: String,
        callback_url: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, TokenSet>> {
        sync(|| {
            let request =
                AuthorizationRequest::from_kept_json(&kept, self.inner.config()).or_throw()?;
            let client = self.inner.clone();
            spawn_cancellable(env, cancel, async move {
                client
                    .complete_authorization(&request, &callback_url)
                    .await
                    .map(TokenSet::new)
                    .map_err(to_napi)
            })
        })
    }

    #[napi]
    pub fn exchange_code<'env>(
        &self,
        env: &'env Env,
        code: String,
        code_verifier: Option<String>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, TokenSet>> {
        sync(|| {
            let client = self.inner.clone();
            spawn_cancellable(env, cancel, async move {
                client
                    .exchange_code(&code, code_verifier.as_deref())
                    .await
                    .map(TokenSet::new)
                    .map_err(to_napi)
            })
        })
    }

    /// A session over `store`. Nothing is loaded until the first call.
    #[napi]
    pub fn session(&self, store: &StoreHandle) -> napi::Result<Session> {
        sync(|| Ok(Session::new(self.inner.session(store.inner.clone()))))
    }

    /// Saves `tokens` into `store`, then returns the session.
    #[napi]
    pub fn connect<'env>(
        &self,
        env: &'env Env,
        store: &StoreHandle,
        tokens: &TokenSet,
    ) -> napi::Result<PromiseRaw<'env, Session>> {
        sync(|| {
            let client = self.inner.clone();
            let store = store.inner.clone();
            let tokens = tokens.inner.clone();
            spawn(env, async move {
                client
                    .connect(store, tokens)
                    .await
                    .map(Session::new)
                    .map_err(to_napi)
            })
        })
    }

    /// Acts on a deregistration webhook only once enduco confirms it (the core's
    /// `EnducoClient::clear_deregistered_user`): refreshes the grant in `store`; when enduco
    /// answers `reauthorization_required` the store is cleared and the user id returned; when
    /// the refresh works the event was forged (or stale) and nothing is cleared (`null`).
    /// `event` is the object `parseWebhook` returned; other events resolve with `null`.
    #[napi]
    pub fn clear_deregistered_user<'env>(
        &self,
        env: &'env Env,
        event: serde_json::Value,
        store: &StoreHandle,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Option<String>>> {
        sync(|| {
            // The event's JSON form is what parse_webhook reads: round-trip it into the core's
            // type rather than trusting its fields one by one.
            let body = serde_json::to_vec(&event)
                .map_err(|e| invalid_input(format!("event is not a webhook event ({e})")))?;
            let event = enduco::parse_webhook(&body);
            let client = self.inner.clone();
            let store = store.inner.clone();
            spawn_cancellable(env, cancel, async move {
                client
                    .clear_deregistered_user(&event, move |_| Some(store))
                    .await
                    .map_err(to_napi)
            })
        })
    }
}

/// Reads a webhook body; never fails (unrecognised bodies come back as `{type: "unknown"}`).
#[napi]
pub fn parse_webhook(body: napi::bindgen_prelude::Buffer) -> napi::Result<serde_json::Value> {
    sync(|| crate::error::to_json(&enduco::parse_webhook(&body)))
}
