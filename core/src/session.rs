//! [`Session`]: one user's tokens and every authenticated call.
//!
//! The token lifecycle rules of DESIGN §3 live here, each in one place:
//! 1. refresh ahead of expiry and once on a 401 — [`Session::send`];
//! 2. one refresh at a time — [`SessionInner::usable_tokens`];
//! 3. save before use, keep unsaved tokens and retry the save — [`TokenState::adopt`] and
//!    [`SessionInner::flush_unsaved`];
//! 4. on `invalid_grant`, reload the store before giving up — [`SessionInner::refresh_locked`];
//! 5. scope checks before any request — [`Session::send`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::client::ClientInner;
use crate::error::{Error, Result};
use crate::internal::http::{Reply, RetryMode};
use crate::oauth::Scope;
use crate::oauth::token_endpoint;
use crate::store::TokenStore;
use crate::token::{AccessToken, TokenSet};

/// One user's connection to enduco. Cheap to clone; clones share tokens and the refresh
/// gate, so the lifecycle rules hold across all of them.
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<SessionInner>,
}

pub(crate) struct SessionInner {
    pub(crate) client: Arc<ClientInner>,
    store: Arc<dyn TokenStore>,
    /// The gate: whoever holds it may load, refresh, save or clear. Held only for those
    /// steps, never across a data request.
    state: Arc<Mutex<TokenState>>,
    /// Counts refresh attempts, read before waiting at the gate: a caller that finds it
    /// changed knows a refresh ran while it waited and takes that result instead of starting
    /// another one.
    refreshes: AtomicU64,
}

#[derive(Default)]
struct TokenState {
    loaded: bool,
    tokens: Option<TokenSet>,
    /// Tokens newer than what the store holds (its `save` failed).
    unsaved: bool,
    /// The outcome of the latest refresh attempt, shared with callers that waited for it.
    last_refresh_error: Option<Error>,
}

impl TokenState {
    /// Takes new tokens. They are marked unsaved until the store confirms (rule 3).
    fn adopt(&mut self, tokens: TokenSet) {
        self.tokens = Some(tokens);
        self.loaded = true;
        self.unsaved = true;
    }
}

/// Why the caller wants tokens.
#[derive(Clone)]
enum Need {
    /// Tokens good for at least the refresh margin.
    Fresh,
    /// enduco answered 401 to this access token: anything but it.
    Replacing(AccessToken),
    /// An explicit `refresh()`.
    Forced,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

/// A store error, whatever the host's implementation returned.
fn store_error(action: &str, e: Error) -> Error {
    match e {
        Error::Store { .. } => e,
        other => Error::store(
            format!("token store {action} failed: {other}"),
            Some(Arc::new(other)),
        ),
    }
}

impl Session {
    pub(crate) fn new(client: Arc<ClientInner>, store: Arc<dyn TokenStore>) -> Self {
        Session {
            inner: Arc::new(SessionInner {
                client,
                store,
                state: Arc::new(Mutex::new(TokenState::default())),
                refreshes: AtomicU64::new(0),
            }),
        }
    }

    /// The scopes the user granted. Loads the store if needed; makes no request.
    pub async fn granted_scopes(&self) -> Result<Vec<String>> {
        Ok(self.stored_tokens().await?.scopes)
    }

    /// enduco's id for this user (the access token's `sub`). Makes no request.
    pub async fn user_id(&self) -> Result<String> {
        self.stored_tokens().await?.user_id().ok_or_else(|| {
            Error::invalid_response("the access token carries no user id (sub claim)")
        })
    }

    /// The current tokens as stored (without refreshing).
    pub async fn tokens(&self) -> Result<TokenSet> {
        self.stored_tokens().await
    }

    async fn stored_tokens(&self) -> Result<TokenSet> {
        let inner = self.inner.clone();
        let mut state = inner.state.clone().lock_owned().await;
        inner.load_if_needed(&mut state).await?;
        state.tokens.clone().ok_or_else(not_connected)
    }

    /// **💾 Persists:** refreshes now, whatever the expiry, and saves the new tokens.
    pub async fn refresh(&self) -> Result<TokenSet> {
        self.inner
            .clone()
            .usable_tokens_detached(Need::Forced)
            .await
    }

    /// **💾 Persists:** revokes the grant at enduco, then clears the store. Use when the user
    /// disconnects enduco. If enduco cannot be reached the tokens are kept, so the app can
    /// retry; afterwards every call fails with `reauthorization_required`.
    pub async fn revoke(&self) -> Result<()> {
        let inner = self.inner.clone();
        // Detached like refresh: a revoke that reached enduco must also clear the store.
        spawn(async move {
            let mut state = inner.state.clone().lock_owned().await;
            inner.load_if_needed(&mut state).await?;
            if let Some(tokens) = state.tokens.clone() {
                let (token, hint) = match &tokens.refresh_token {
                    Some(rt) => (rt.secret().to_owned(), "refresh_token"),
                    None => (tokens.access_token.secret().to_owned(), "access_token"),
                };
                token_endpoint::revoke(&inner.client, &token, hint).await?;
                tracing::info!("grant revoked at enduco");
            }
            state.tokens = None;
            state.unsaved = false;
            state.loaded = true;
            inner
                .store
                .clear()
                .await
                .map_err(|e| store_error("clear", e))
        })
        .await
    }

    /// Sends an authenticated request: checks `scope` (when given) against the grant before
    /// anything goes out, refreshes ahead of expiry, and on a 401 refreshes once and replays.
    ///
    /// `build` makes the request from the bearer header value; it runs once per attempt.
    pub(crate) async fn send<F>(
        &self,
        scope: Option<Scope>,
        mode: RetryMode,
        timeout: Duration,
        build: F,
    ) -> Result<Reply>
    where
        F: Fn(&str) -> Result<reqwest::RequestBuilder>,
    {
        let tokens = self
            .inner
            .clone()
            .usable_tokens_detached(Need::Fresh)
            .await?;
        if let Some(scope) = scope {
            // An empty list means enduco did not say what it granted: let the server decide.
            if !tokens.scopes.is_empty() && !tokens.has_scope(scope) {
                return Err(Error::InsufficientScope {
                    missing: vec![scope.as_str().to_owned()],
                });
            }
        }
        let transport = &self.inner.client.transport;
        let bearer = format!("Bearer {}", tokens.access_token.secret());
        let reply = transport.send(mode, timeout, || build(&bearer)).await?;
        if reply.status.as_u16() != 401 {
            return Ok(reply);
        }
        tracing::info!("enduco answered 401; refreshing once and replaying");
        let rejected = Need::Replacing(tokens.access_token.clone());
        let tokens = self.inner.clone().usable_tokens_detached(rejected).await?;
        let bearer = format!("Bearer {}", tokens.access_token.secret());
        let reply = transport.send(mode, timeout, || build(&bearer)).await?;
        if reply.status.as_u16() == 401 {
            return Err(Error::ReauthorizationRequired {
                reason: "enduco rejected a freshly refreshed access token".into(),
            });
        }
        Ok(reply)
    }

    /// [`Session::send`] for a request to an enduco path, with the bearer header set.
    pub(crate) async fn send_to<F>(
        &self,
        scope: Option<Scope>,
        mode: RetryMode,
        method: Method,
        path: &str,
        customize: F,
    ) -> Result<Reply>
    where
        F: Fn(reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder>,
    {
        let client = &self.inner.client;
        let url = client.config.url(path)?;
        let timeout = if mode == RetryMode::UnsentOnly && method == Method::POST {
            client.config.timeouts.upload
        } else {
            client.config.timeouts.request
        };
        self.send(scope, mode, timeout, |bearer| {
            let request = client
                .transport
                .client()
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, bearer);
            customize(request)
        })
        .await
    }
}

fn not_connected() -> Error {
    Error::ReauthorizationRequired {
        reason: "no tokens are stored for this user; run the authorization flow".into(),
    }
}

/// Runs `work` on its own task: a caller that stops waiting (a timeout, a cancelled
/// coroutine) must not abort a refresh half-way, after enduco rotated the refresh token but
/// before the new one was saved.
async fn spawn<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    tokio::spawn(work).await.map_err(|e| Error::Network {
        message: format!("the SDK's background task failed: {e}"),
    })?
}

impl SessionInner {
    async fn usable_tokens_detached(self: Arc<Self>, need: Need) -> Result<TokenSet> {
        // Fast path: loaded, saved and fresh tokens need no store call and no refresh, so
        // there is nothing a cancelled caller could interrupt and no task to spawn.
        if matches!(need, Need::Fresh) {
            let state = self.state.lock().await;
            if let (true, false, Some(tokens)) = (state.loaded, state.unsaved, &state.tokens) {
                if !tokens.expires_within(self.client.config.refresh_margin) {
                    return Ok(tokens.clone());
                }
            }
        }
        spawn(async move { self.usable_tokens(need).await }).await
    }

    /// Tokens fit for a request. Refresh is single-flight: callers queue at the gate; the
    /// first refreshes, the others find the new tokens (or the refresh's error) when their
    /// turn comes and make no request of their own.
    async fn usable_tokens(self: &Arc<Self>, need: Need) -> Result<TokenSet> {
        let refreshes_seen = self.refreshes.load(Ordering::Acquire);
        let mut state = self.state.clone().lock_owned().await;
        self.flush_unsaved(&mut state).await?;
        self.load_if_needed(&mut state).await?;
        let tokens = state.tokens.clone().ok_or_else(not_connected)?;
        let margin = self.client.config.refresh_margin;
        let stale = match &need {
            Need::Fresh => tokens.expires_within(margin),
            Need::Replacing(rejected) => tokens.access_token == *rejected,
            Need::Forced => true,
        };
        if !stale {
            return Ok(tokens);
        }
        if self.refreshes.load(Ordering::Acquire) != refreshes_seen && !matches!(need, Need::Forced)
        {
            // A refresh ran while we waited: share its outcome (even tokens shorter-lived
            // than the margin) rather than hammering the token endpoint.
            return match &state.last_refresh_error {
                Some(error) => Err(error.clone()),
                None => Ok(tokens),
            };
        }
        self.refresh_locked(&mut state, tokens).await
    }

    async fn load_if_needed(&self, state: &mut OwnedMutexGuard<TokenState>) -> Result<()> {
        if !state.loaded {
            state.tokens = self
                .store
                .load()
                .await
                .map_err(|e| store_error("load", e))?;
            state.loaded = true;
        }
        Ok(())
    }

    /// Rule 3: tokens whose save failed are saved again before anything else happens.
    async fn flush_unsaved(&self, state: &mut OwnedMutexGuard<TokenState>) -> Result<()> {
        if state.unsaved {
            if let Some(tokens) = &state.tokens {
                self.store
                    .save(tokens)
                    .await
                    .map_err(|e| store_error("save", e))?;
                tracing::info!("tokens that could not be saved earlier are now saved");
            }
            state.unsaved = false;
        }
        Ok(())
    }

    /// One refresh, with the gate held. Saves before returning the tokens to anyone.
    async fn refresh_locked(
        &self,
        state: &mut OwnedMutexGuard<TokenState>,
        current: TokenSet,
    ) -> Result<TokenSet> {
        self.refreshes.fetch_add(1, Ordering::AcqRel);
        let outcome = self.refresh_with_reload(state, current).await;
        state.last_refresh_error = outcome.as_ref().err().cloned();
        outcome
    }

    async fn refresh_with_reload(
        &self,
        state: &mut OwnedMutexGuard<TokenState>,
        current: TokenSet,
    ) -> Result<TokenSet> {
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(Error::ReauthorizationRequired {
                reason: "the access token expired and there is no refresh token".into(),
            });
        };
        tracing::info!("refreshing the access token");
        match token_endpoint::refresh(&self.client, &refresh_token, &current).await {
            Ok(tokens) => self.adopt_and_save(state, tokens).await,
            Err(Error::Api { code, .. }) if code == "invalid_grant" => {
                // Rule 4: another process sharing the store may have rotated the refresh
                // token already. Its tokens are as good as ours would have been.
                let stored = self
                    .store
                    .load()
                    .await
                    .map_err(|e| store_error("load", e))?;
                match stored {
                    Some(stored) if stored.refresh_token != current.refresh_token => {
                        tracing::info!("refresh token was rotated elsewhere; using the stored tokens");
                        state.tokens = Some(stored.clone());
                        state.unsaved = false;
                        if !stored.expires_within(self.client.config.refresh_margin) {
                            return Ok(stored);
                        }
                        let Some(rotated) = stored.refresh_token.clone() else {
                            return Err(Error::ReauthorizationRequired {
                                reason: "the stored tokens have expired and carry no refresh token"
                                    .into(),
                            });
                        };
                        match token_endpoint::refresh(&self.client, &rotated, &stored).await {
                            Ok(tokens) => self.adopt_and_save(state, tokens).await,
                            Err(e) => Err(reauthorization_if_grant_gone(e)),
                        }
                    }
                    _ => Err(Error::ReauthorizationRequired {
                        reason: "enduco no longer accepts the refresh token (revoked, expired or reused)"
                            .into(),
                    }),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Rule 3: memory first (so nothing is lost if the store fails), then the store; the
    /// caller gets the tokens only when the store has them.
    async fn adopt_and_save(
        &self,
        state: &mut OwnedMutexGuard<TokenState>,
        tokens: TokenSet,
    ) -> Result<TokenSet> {
        state.adopt(tokens.clone());
        self.store.save(&tokens).await.map_err(|e| {
            tracing::warn!(
                "new tokens could not be saved; kept in memory and saved on the next call"
            );
            store_error("save", e)
        })?;
        state.unsaved = false;
        tracing::info!(expires_at = tokens.expires_at, "new tokens saved");
        Ok(tokens)
    }
}

fn reauthorization_if_grant_gone(e: Error) -> Error {
    match e {
        Error::Api { code, .. } if code == "invalid_grant" => Error::ReauthorizationRequired {
            reason: "enduco no longer accepts the refresh token (revoked, expired or reused)"
                .into(),
        },
        other => other,
    }
}
