//! `EnducoClient` (one per app) and `Session` (one user's tokens and every authenticated call).

use std::sync::Arc;

use crate::cancel::{CancelToken, cancellable};
use crate::error::{EnducoError, Result, saturating_i64};
use crate::guard;
use crate::models::{
    IntensityZones, PlanDate, PlannedWorkout, QueryParam, RawResponse, Scope, UploadResult,
    WebhookEvent,
};
use crate::store::{RefreshLock, TokenStore, bridge};
use crate::tokens::{AuthorizationRequest, TokenSet};

/// The entry point: start authorizations, exchange codes, open sessions. One per app; it holds
/// the configuration and one HTTP connection pool that every session shares.
#[derive(uniffi::Object)]
pub struct EnducoClient {
    inner: enduco::EnducoClient,
}

#[uniffi::export(async_runtime = "tokio")]
impl EnducoClient {
    /// Checks the configuration and builds the HTTP client; makes no request.
    ///
    /// `options` (`ClientOptions`, declared by the core) names `client_secret` (a backend) or
    /// `token_relay_url` (an app distributed to users, which cannot keep a secret: code
    /// exchange, refresh and revoke go to `{relay}/token` and `{relay}/revoke`, the partner's
    /// token relay, which holds the secret; docs/relay.md), not both and not neither
    /// (`invalid_input`).
    ///
    /// `environment` is `"beta"` (the default), `"production"` or a base URL (plain `http://`
    /// only for loopback, i.e. the sandbox). `endpoints` overrides paths by name: `authorize`,
    /// `token`, `revoke`, `zones`, `plans`, `workouts`. Unset values keep the core's defaults.
    ///
    /// `refresh_margin_seconds`: refresh when the access token expires within this (default
    /// 60; 0 refreshes only expired tokens). `store_timeout_seconds`: how long one token store
    /// or refresh lock call may take before it fails with `store` (default 10).
    /// `lock_lease_seconds`: the lease passed to `RefreshLock.try_lock` (default: the request
    /// timeout + twice the store timeout + 5 s). `max_response_bytes`: the largest answer read
    /// from a data endpoint (default 8 MiB, at least 1024); a bigger one fails with
    /// `invalid_response` without being read whole. Token answers have a fixed 64 KiB cap.
    #[uniffi::constructor]
    pub fn new(options: enduco::ClientOptions) -> Result<Arc<Self>> {
        guard::sync(|| {
            let inner = enduco::EnducoClient::new(options.into_config()?)?;
            Ok(Arc::new(EnducoClient { inner }))
        })
    }

    /// Starts an authorization: a URL for the user's browser with a fresh `state` and (unless
    /// switched off) a PKCE S256 challenge. Keep the result until the callback.
    pub fn authorization_request(&self, scopes: Vec<Scope>) -> Result<Arc<AuthorizationRequest>> {
        guard::sync(|| {
            let inner = self.inner.authorization_request(&scopes)?;
            Ok(Arc::new(AuthorizationRequest { inner }))
        })
    }

    /// Finishes an authorization from the URL enduco redirected the browser to: checks the
    /// state, turns `error=` into a typed error, exchanges the code. Store the tokens, e.g. with
    /// `connect`.
    #[uniffi::method(default(cancel = None))]
    pub async fn complete_authorization(
        &self,
        pending: Arc<AuthorizationRequest>,
        callback_url: String,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Arc<TokenSet>> {
        guard::run(cancellable(cancel, async {
            let tokens = self
                .inner
                .complete_authorization(&pending.inner, &callback_url)
                .await?;
            Ok(TokenSet::wrap(tokens))
        }))
        .await
    }

    /// Exchanges a code the app received itself (a backend's own redirect handler). Pass the
    /// PKCE verifier of the request that produced the code, if it had one.
    #[uniffi::method(default(code_verifier = None, cancel = None))]
    pub async fn exchange_code(
        &self,
        code: String,
        code_verifier: Option<String>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Arc<TokenSet>> {
        guard::run(cancellable(cancel, async {
            let tokens = self
                .inner
                .exchange_code(&code, code_verifier.as_deref())
                .await?;
            Ok(TokenSet::wrap(tokens))
        }))
        .await
    }

    /// A session for the user whose tokens `store` holds. Nothing is loaded until the first
    /// call. `lock` is the refresh lock of a store that several processes share (`null`/`nil`:
    /// the store is for one process only).
    ///
    /// `lock` has no default on purpose: the Kotlin and Swift layers add `session(store)`,
    /// which passes the store itself when it is also a `RefreshLock` (the built-in stores are).
    pub fn session(
        &self,
        store: Arc<dyn TokenStore>,
        lock: Option<Arc<dyn RefreshLock>>,
    ) -> Arc<Session> {
        Arc::new(Session {
            inner: self.inner.session(bridge(store, lock)),
        })
    }

    /// Saves `tokens` into `store`, then returns the user's session. `lock` as in `session`
    /// (the layers add `connect(store, tokens)`).
    #[uniffi::method(default(cancel = None))]
    pub async fn connect(
        &self,
        store: Arc<dyn TokenStore>,
        tokens: Arc<TokenSet>,
        lock: Option<Arc<dyn RefreshLock>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Arc<Session>> {
        guard::run(cancellable(cancel, async {
            let inner = self
                .inner
                .connect(bridge(store, lock), tokens.inner.clone())
                .await?;
            Ok(Arc::new(Session { inner }))
        }))
        .await
    }

    /// Reads a webhook body enduco POSTed to the app. Never fails: what the SDK does not
    /// recognise comes back as `Unknown`.
    pub fn parse_webhook(&self, body: Vec<u8>) -> WebhookEvent {
        crate::models::parse_webhook_with(body, |body| self.inner.parse_webhook(body))
    }
}

/// Receives upload progress: bytes of the file sent so far and the file's size. Calls are
/// monotonic and the last one has `sent == total`. They arrive on an SDK thread: hop to the
/// UI thread yourself. What the callback throws is logged and ignored.
#[uniffi::export(callback_interface)]
pub trait UploadProgress: Send + Sync {
    fn on_progress(&self, sent: i64, total: i64) -> Result<()>;
}

struct ProgressBridge(Box<dyn UploadProgress>);

impl enduco::UploadProgress for ProgressBridge {
    fn on_progress(&self, sent: u64, total: u64) {
        // The core's progress sinks cannot fail; an app callback that throws must not break
        // the upload.
        if let Err(e) = self
            .0
            .on_progress(saturating_i64(sent), saturating_i64(total))
        {
            tracing::warn!("upload progress callback failed: {e}");
        }
    }
}

fn upload_options(
    file_name: Option<String>,
    progress: Option<Box<dyn UploadProgress>>,
) -> enduco::UploadOptions {
    enduco::UploadOptions {
        file_name,
        progress: progress.map(|p| Arc::new(ProgressBridge(p)) as Arc<dyn enduco::UploadProgress>),
    }
}

/// One user's connection to enduco: every authenticated call, with refresh ahead of expiry,
/// one refresh at a time, tokens saved through the store before use, and scope checks before
/// any request.
///
/// Every async method (here and on `EnducoClient`) takes an optional last `cancel` token:
/// cancelled, it stops the call at once (`CancelToken`). It is there for Swift's `Task`
/// cancellation, which the Swift layer wires up; Kotlin leaves it out (cancelling the
/// coroutine already stops the call).
#[derive(uniffi::Object)]
pub struct Session {
    inner: enduco::Session,
}

#[uniffi::export(async_runtime = "tokio")]
impl Session {
    /// The user's intensity zones per sport and metric. Needs `user_read`.
    #[uniffi::method(default(cancel = None))]
    pub async fn intensity_zones(
        &self,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<IntensityZones> {
        guard::run(cancellable(cancel, async {
            Ok(self.inner.intensity_zones().await?)
        }))
        .await
    }

    /// Planned workouts from `from` to `to` (inclusive), the athlete's local calendar dates.
    /// At most 7 days; a longer or reversed window fails with `invalid_input` before any
    /// request. Needs `plans_read`.
    #[uniffi::method(default(cancel = None))]
    pub async fn training_plans(
        &self,
        from: PlanDate,
        to: PlanDate,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Vec<PlannedWorkout>> {
        guard::run(cancellable(cancel, async {
            Ok(self.inner.training_plans(from.0, to.0).await?)
        }))
        .await
    }

    /// The next `days` days (1 to 7) of plans, starting today in the athlete's time zone (the
    /// client's `timeZone`, else the device's). Needs `plans_read`.
    #[uniffi::method(default(cancel = None))]
    pub async fn upcoming_plans(
        &self,
        days: i32,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Vec<PlannedWorkout>> {
        guard::run(cancellable(cancel, async {
            // A negative count is out of the core's 1..=7 range like any other; it says so.
            let days = u32::try_from(days).unwrap_or(u32::MAX);
            Ok(self.inner.upcoming_plans(days).await?)
        }))
        .await
    }

    /// Uploads a finished workout (a FIT file in memory). The file is checked first and nothing
    /// is sent if it is defective (`invalid_input`). A file enduco already has comes back with
    /// `duplicate = true`. Needs `workouts_write`. A cancelled upload (coroutine or `Task`
    /// cancellation) stops mid-body and enduco stores nothing.
    #[uniffi::method(default(file_name = None, progress = None, cancel = None))]
    pub async fn upload_workout(
        &self,
        fit: Vec<u8>,
        file_name: Option<String>,
        progress: Option<Box<dyn UploadProgress>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<UploadResult> {
        guard::run(cancellable(cancel, async {
            let options = upload_options(file_name, progress);
            Ok(self.inner.upload_workout(fit, options).await?)
        }))
        .await
    }

    /// `uploadWorkout` for a FIT file on disk, streamed: memory use stays flat whatever its
    /// size. The file name enduco sees defaults to the path's.
    #[uniffi::method(default(file_name = None, progress = None, cancel = None))]
    pub async fn upload_workout_file(
        &self,
        path: String,
        file_name: Option<String>,
        progress: Option<Box<dyn UploadProgress>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<UploadResult> {
        guard::run(cancellable(cancel, async {
            let options = upload_options(file_name, progress);
            let path = std::path::PathBuf::from(path);
            Ok(self.inner.upload_workout(path, options).await?)
        }))
        .await
    }

    /// Any enduco endpoint the typed calls lack, with authentication, refresh and retries
    /// applied. `path` starts with `/`; `json_body` is JSON text. A non-2xx answer is thrown as
    /// the error it means.
    #[uniffi::method(default(query = [], json_body = None, cancel = None))]
    pub async fn request(
        &self,
        method: String,
        path: String,
        query: Vec<QueryParam>,
        json_body: Option<String>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<RawResponse> {
        guard::run(cancellable(cancel, async {
            let body = json_body
                .map(|text| {
                    serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                        EnducoError::InvalidInput {
                            message: format!("json_body is not JSON ({e})"),
                        }
                    })
                })
                .transpose()?;
            let query: Vec<(String, String)> =
                query.into_iter().map(|q| (q.name, q.value)).collect();
            let response = self
                .inner
                .request(&method, &path, &query, body.as_ref())
                .await?;
            Ok(response)
        }))
        .await
    }

    /// Refreshes now, whatever the expiry, and saves the new tokens. A cancelled call stops
    /// waiting; the refresh itself, once started, still finishes and is saved (no rotated
    /// token is lost).
    #[uniffi::method(default(cancel = None))]
    pub async fn refresh(&self, cancel: Option<Arc<CancelToken>>) -> Result<Arc<TokenSet>> {
        guard::run(cancellable(cancel, async {
            Ok(TokenSet::wrap(self.inner.refresh().await?))
        }))
        .await
    }

    /// Revokes the grant at enduco, then clears the store. Use when the user disconnects
    /// enduco; afterwards every call fails with `reauthorization_required`. A cancelled call
    /// stops waiting; a revoke already sent still clears the store.
    #[uniffi::method(default(cancel = None))]
    pub async fn revoke(&self, cancel: Option<Arc<CancelToken>>) -> Result<()> {
        guard::run(cancellable(cancel, async {
            Ok(self.inner.revoke().await?)
        }))
        .await
    }

    /// The scopes the user granted. Loads the store if needed; makes no request.
    #[uniffi::method(default(cancel = None))]
    pub async fn granted_scopes(&self, cancel: Option<Arc<CancelToken>>) -> Result<Vec<String>> {
        guard::run(cancellable(cancel, async {
            Ok(self.inner.granted_scopes().await?)
        }))
        .await
    }

    /// enduco's id for this user (the access token's `sub`). Makes no request.
    #[uniffi::method(default(cancel = None))]
    pub async fn user_id(&self, cancel: Option<Arc<CancelToken>>) -> Result<String> {
        guard::run(cancellable(cancel, async {
            Ok(self.inner.user_id().await?)
        }))
        .await
    }

    /// The current tokens as stored (without refreshing).
    #[uniffi::method(default(cancel = None))]
    pub async fn tokens(&self, cancel: Option<Arc<CancelToken>>) -> Result<Arc<TokenSet>> {
        guard::run(cancellable(cancel, async {
            Ok(TokenSet::wrap(self.inner.tokens().await?))
        }))
        .await
    }
}
